"""The buffer an editor-linter bridge pipes in (``check -``, ``--stdin-filename``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

from ..engine.config import Config
from ..engine.linter import lint_text
from .common import Configs, UsageError
from .output import (
    display_path,
)

STDIN = "-"


class Stdin(NamedTuple):
    """The buffer an editor-linter bridge pipes in: ``text`` (or ``problem``), the ``path``
    it is linted as (``None`` for a bare ``-``), the path shown, its kind and config."""

    text: str | None
    problem: str | None
    path: str | None
    shown: str
    kind: str
    config: Config


def stdin_requested(args) -> bool:
    """``-`` among the paths or ``--stdin-filename``: the buffer comes from stdin. Any other
    mix (``-`` next to a path, twice, ``--stdin-filename`` with real paths) is a usage error."""
    paths = list(args.paths or [])
    name = getattr(args, "stdin_filename", None)
    if STDIN not in paths and name is None:
        return False
    if name is not None and not name.strip():
        raise UsageError("--stdin-filename: expected the path the buffer is linted as, got an empty string")
    if paths not in ([], [STDIN]):
        others = [p for p in paths if p != STDIN]
        if others:
            raise UsageError(
                f"`-` (stdin) cannot be combined with other paths ({', '.join(others)}): check the buffer or files, not both"
                if STDIN in paths or name is None
                else f"--stdin-filename reads the buffer from stdin: give `-` or no path, not {', '.join(others)}"
            )
        raise UsageError("`-` (stdin) given more than once")
    return True


def guess_kind(text: str) -> str:
    """The kind of a nameless buffer (``check -``): a top-level ``matrix`` key means
    ``test_matrix.yaml``, a buffer starting with ``{`` is ``artifact.json``, anything else
    ``artifact.yml``."""
    import re

    if re.search(r'^(?:matrix|"matrix"|\'matrix\')\s*:', text, re.M):
        return "matrix"
    return "json" if text.lstrip("\ufeff \t\r\n").startswith("{") else "manifest"


def read_stdin(args, configs: Configs) -> Stdin:
    """Read the buffer. With ``--stdin-filename`` it is linted as if it lived at that path
    (its config, its disk rules; the file itself need not exist); a bare ``-`` is shown as
    ``-``, gets the current folder's config, no disk rules and a kind guessed from the text."""
    from ..engine.linter import decode, kind_of

    name = getattr(args, "stdin_filename", None)
    if name is None:
        config = configs.for_folder(Path.cwd())
        path, shown, kind = None, STDIN, None
    else:
        config = configs.for_path(name)
        kind = kind_of(name)
        if kind is None and not config.is_included(Path(name)):
            raise UsageError(
                f"--stdin-filename {name}: not a file artifact-lsp checks (artifact.yml, artifact.json, "
                "test_matrix.yaml, or the config's include globs)"
            )
        path, shown, kind = name, display_path(name), kind or "manifest"
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # pragma: no cover - sys.stdin replaced by a text-only stream
        data = (sys.stdin.read() if sys.stdin is not None else "").encode("utf-8")
    else:
        data = stream.read(config.max_file_size + 1)
    if len(data) > config.max_file_size:
        too_large = f"not checked: more than {config.max_file_size} bytes, over max-file-size ({config.max_file_size})"
        return Stdin(None, too_large, path, shown, kind or "manifest", config)
    text, problem = decode(data)
    if kind is None:
        kind = guess_kind(text) if text is not None else "manifest"
    return Stdin(text, problem, path, shown, kind, config)


def lint_stdin(buffer: Stdin, disk: bool):
    from ..engine.linter import not_checked
    from ..engine.rules import al0xx_document as document_rules

    if buffer.text is None:
        assert buffer.problem is not None  # read_stdin gives a problem whenever it gives no text
        rule = document_rules.AL004 if buffer.problem.startswith("not checked") else document_rules.AL001
        return not_checked(buffer.path or STDIN, buffer.kind, buffer.config, buffer.problem, rule=rule)
    return lint_text(
        buffer.text, path=buffer.path, kind=buffer.kind, config=buffer.config, disk=disk and buffer.path is not None
    )
