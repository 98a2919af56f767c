"""What the server keeps per open document, and the small helpers the server class and the
lint scheduler share (no pygls, no server: both import this)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.linter import LintResult


@dataclass
class Doc:
    """What the server knows about one open document."""

    uri: str
    path: Path | None
    kind: str
    version: int | None = None
    result: LintResult | None = None
    result_version: int | None = None
    result_epoch: int = -1
    task: asyncio.Task | None = None
    pending: tuple[Any, asyncio.Future] | None = None  # ((version, epoch), the lint of it in flight)
    freshen: asyncio.TimerHandle | None = None  # the full lint of an idle incremental result, when due
    freshened: int = 0  # how often that full lint changed the findings of a version (in pull result ids)
    last_cost: float = 0.0


TRIM_AFTER_CHARS = 256 * 1024
FACTS_TTL = 2.0  # seconds a disk fact (a folder exists, a file's hash) is trusted without a watcher event
_libc: Any = None  # the C library once loaded; False when it cannot be


def trim_memory() -> None:
    """Give freed heap back to the OS after a big document's lint (glibc keeps it otherwise,
    and a long-lived server would sit at its peak)."""
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _libc = False
    if _libc:
        _libc.malloc_trim(0)


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in (".artifact-lsp.toml", "pyproject.toml")
