"""The language server with injected permission faults (tests run as root, who can read a
chmod-000 file): ``ARTIFACT_LSP_TEST_UNREADABLE`` lists paths (``os.pathsep``-separated) whose
``open`` / ``scandir`` raise ``PermissionError``, as they would for another user."""

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

if __name__ == "__main__":
    from artifact_lsp.cli import main

    sys.exit(main(["serve"]))
