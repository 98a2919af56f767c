"""The CLI on a tree it cannot fully read (issue 10, item 11): every file or folder it could
not check is an error (exit 2) or a finding, never "All checks passed!".

Tests run as root, who reads a chmod-000 file anyway: the permission faults are injected
where the engine meets the OS (``os.open``, ``os.scandir``), so the real failure path runs.
"""

from __future__ import annotations

import os

import pytest

from test_cli import DEV, MATRIX, cli, repo  # noqa: F401  (fixtures)


def _deny(monkeypatch, *paths) -> None:
    blocked = {os.path.abspath(p) for p in paths}
    real_open, real_scandir = os.open, os.scandir

    def fake_open(path, *args, **kwargs):
        if os.path.abspath(os.fspath(path)) in blocked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    def fake_scandir(path="."):
        if os.path.abspath(os.fspath(path)) in blocked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)


@pytest.mark.parametrize("target", ["file", "named"])
def test_unreadable_manifest_is_an_error_not_a_pass(repo, cli, monkeypatch, target):  # noqa: F811
    _deny(monkeypatch, repo / MATRIX)
    run = cli("check", "--color", "never", *([str(MATRIX)] if target == "named" else []))
    assert run.code == 2, run
    assert f"error: {MATRIX}: cannot read: Permission denied" in run.err
    assert "All checks passed" not in run.out
    assert "1 path could not be checked (errors above)" in run.out


def test_unreadable_folder_is_an_error_not_a_pass(repo, cli, monkeypatch):  # noqa: F811
    _deny(monkeypatch, repo / "e2e/environments")
    run = cli("check", "--color", "never", "e2e/environments")
    assert run.code == 2, run
    assert "e2e/environments: cannot read the folder (Permission denied)" in run.err
    assert "All checks passed" not in run.out


def test_unreadable_folder_in_a_tree_fails_fix_too(repo, cli, monkeypatch):  # noqa: F811
    _deny(monkeypatch, repo / "e2e/environments")
    run = cli("fix", "--diff")
    assert run.code == 2, run
    assert "cannot read the folder" in run.err


def test_symlink_loop_is_a_finding(repo, cli):  # noqa: F811
    loop = repo / "e2e/artifacts/loop"
    loop.mkdir()
    os.symlink("artifact.yml", loop / "artifact.yml")
    run = cli("check", "--color", "never", "e2e/artifacts/loop")
    assert "AL004 not checked: a symbolic link loop" in run.out, run


def test_fix_never_replaces_what_a_link_names_unless_it_is_a_regular_file(tmp_path):
    """A manifest that is a link to a device (here a FIFO, as /dev/null would be) is not
    rewritten: the atomic write refuses a target that is not a regular file."""
    from artifact_lsp.cli.fix import _atomic_write

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "artifact.yml"
    os.symlink(fifo, link)
    with pytest.raises(OSError, match="not a regular file"):
        _atomic_write(link, b"x: 1\n")
    assert fifo.is_fifo() and not (tmp_path / "pipe").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
