"""The language server with injected faults.

- ``ARTIFACT_LSP_TEST_UNREADABLE`` lists paths (``os.pathsep``-separated) whose ``open`` /
  ``scandir`` raise ``PermissionError``, as they would for another user (tests run as root,
  who can read a chmod-000 file).
- ``ARTIFACT_LSP_TEST_HOLD_DISK_LINT`` names a FIFO: every lint of a file from disk (the
  workspace lint) waits until the test writes to it, so a test can hold workspace work in
  flight for as long as it needs, without timing.
"""

from __future__ import annotations

import os
import sys

BLOCKED = {os.path.abspath(p) for p in os.environ.get("ARTIFACT_LSP_TEST_UNREADABLE", "").split(os.pathsep) if p}
_open, _scandir = os.open, os.scandir


def _blocked(path) -> bool:
    try:
        return os.path.abspath(os.fspath(path)) in BLOCKED
    except TypeError:
        return False


def fake_open(path, *args, **kwargs):
    if _blocked(path):
        raise PermissionError(13, "Permission denied", os.fspath(path))
    return _open(path, *args, **kwargs)


def fake_scandir(path="."):
    if _blocked(path):
        raise PermissionError(13, "Permission denied", os.fspath(path))
    return _scandir(path)


os.open = fake_open
os.scandir = fake_scandir

HOLD = os.environ.get("ARTIFACT_LSP_TEST_HOLD_DISK_LINT")
if HOLD:
    import threading

    from artifact_lsp.engine import linter

    _lint_path = linter.lint_path
    _released = threading.Event()

    def held_lint_path(*args, **kwargs):
        if not _released.is_set():
            with open(HOLD, "rb") as fifo:  # blocks until the test opens it for writing
                fifo.read()
            _released.set()
        return _lint_path(*args, **kwargs)

    linter.lint_path = held_lint_path

HOLD_BIG = os.environ.get("ARTIFACT_LSP_TEST_HOLD_BIG_LINT")
if HOLD_BIG:
    import threading

    from artifact_lsp.engine import linter as _linter
    from artifact_lsp.lsp import server as _app

    _lint_text = _linter.lint_text
    _big_released = threading.Event()

    def held_lint_text(text, *args, **kwargs):
        if len(text) > 256 * 1024 and not _big_released.is_set():
            with open(HOLD_BIG, "rb") as fifo:
                fifo.read()
            _big_released.set()
        return _lint_text(text, *args, **kwargs)

    _app.lint_text = held_lint_text

TRAP = os.environ.get("ARTIFACT_LSP_TEST_TRAP_OVER")
if TRAP:
    from artifact_lsp.engine import linter as _linter
    from artifact_lsp.engine import navigate as _navigate
    from artifact_lsp.engine import text as _text

    limit = int(TRAP)

    def trapped(function, name):
        def wrapper(first, *args, **kwargs):
            text = first if isinstance(first, str) else args[0]
            if len(text) > limit:
                raise AssertionError(f"{name} built from an oversized text ({len(text)} characters)")
            return function(first, *args, **kwargs)

        return wrapper

    _text.LineIndex.__init__ = trapped(_text.LineIndex.__init__, "a line index")
    _linter.parse = trapped(_linter.parse, "a parse")
    _navigate.completion_context = trapped(_navigate.completion_context, "a completion context")

if __name__ == "__main__":
    from artifact_lsp.cli import main

    sys.exit(main(["serve"]))
