"""Regeneration data safety under hostile scripts (issue 10, items 2-4).

- children the script leaves running (detached, ``setsid``) are stopped on every outcome,
  before the restore, and a write after the restore is detected and reported;
- a script that deletes everything it can reach (``git clean -xdf``) cannot reach the
  snapshot: it lives in the user cache folder;
- a script that dies while a child holds its stdout open finishes with the script, not at
  the timeout.

Synchronisation is by state only: a child signals "I am ready" with a file and waits on a
FIFO it holds open read-write; the test checks "nothing of the run is left" by opening that
FIFO for writing without blocking, which fails with ENXIO exactly when no process holds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from artifact_lsp import regen
from artifact_lsp.cli import main
from regen_helpers import CONTAINERD, FIXTURES, make_workspace, tree, tree_diff, wait_until, write_script


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(regen.process, "KILL_GRACE", 0.5)


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path)


class Child:
    """A background process of the script: it holds ``fifo`` open (read-write, so opening it
    never blocks), records its pid, touches ``ready``, then waits for a line on the FIFO and
    runs ``action``."""

    def __init__(self, tmp_path: Path, name: str = "child"):
        self.fifo = tmp_path / f"{name}.fifo"
        self.ready = tmp_path / f"{name}.ready"
        self.pidfile = tmp_path / f"{name}.pid"
        os.mkfifo(self.fifo)

    def body(self, action: str) -> str:
        return f"exec 3<>{self.fifo}; echo $BASHPID > {self.pidfile}; touch {self.ready}; read -r _ <&3; {action}"

    def wait_ready(self) -> str:
        """Shell lines that make the script wait until the child is ready."""
        return f"while [ ! -e {self.ready} ]; do sleep 0.01; done\n"

    def alive(self) -> bool:
        """Someone still holds the FIFO: the child was not stopped."""
        try:
            fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            assert exc.errno == errno.ENXIO, exc
            return False
        os.close(fd)
        return True

    def trigger(self) -> None:
        fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"go\n")
        finally:
            os.close(fd)

    def kill(self) -> None:
        try:
            pid = int(self.pidfile.read_text())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def child(tmp_path):
    made = Child(tmp_path)
    yield made
    made.kill()


class Quiet(regen.Reporter):
    pass


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize("how", ["background", "setsid", "own-group"])
async def test_a_failed_run_stops_what_the_script_left_before_restoring(ws, child, how):
    """Issue 10 item 2: the script wipes the fixtures, leaves a child that would delete
    e2e-containerd later (stdio detached) and exits 1. Once we say "restored", nothing of
    the run may be left to write."""
    launch = {
        "background": f"( {child.body('rm -rf e2e/artifacts/e2e-containerd')} ) </dev/null >/dev/null 2>&1 &",
        "setsid": f"setsid bash -c '{child.body('rm -rf e2e/artifacts/e2e-containerd')}' </dev/null >/dev/null 2>&1 &",
        # a new process group, same session
        "own-group": f'python3 -c \'import os; os.setpgid(0, 0); os.execvp("bash", ["bash", "-c", "{child.body("rm -rf e2e/artifacts/e2e-containerd")}"])\' </dev/null >/dev/null 2>&1 &',
    }[how]
    write_script(
        ws / "e2e/scripts/bg.sh",
        "#!/usr/bin/env bash\nrm -rf e2e/artifacts/*\n" + launch + "\n" + child.wait_ready() + "exit 1\n",
    )
    before = tree(ws / FIXTURES)
    outcome = await regen.run(ws, regen.Settings(script="e2e/scripts/bg.sh", timeout=60), reporter=Quiet())
    assert outcome.status == "failed" and outcome.exit_code == 1, outcome.message
    assert outcome.restored and "restored" in outcome.message
    assert not child.alive(), "a child of the failed run survived the restore"
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert outcome.late_writes == [] and outcome.survivors == []
    assert "stopped 1 process(es) the run left running" in outcome.message


async def test_a_successful_run_stops_what_the_script_left_too(ws, child):
    write_script(
        ws / "e2e/scripts/bg_ok.sh",
        "#!/usr/bin/env bash\n"
        f"( {child.body('rm -rf e2e/artifacts/e2e-containerd')} ) </dev/null >/dev/null 2>&1 &\n"
        + child.wait_ready()
        + "echo done\n",
    )
    outcome = await regen.run(ws, regen.Settings(script="e2e/scripts/bg_ok.sh", timeout=60), reporter=Quiet())
    assert outcome.ok, outcome.message
    assert not child.alive()
    assert (ws / CONTAINERD).is_dir()
    assert "stopped 1 process(es) the run left running" in outcome.message


async def test_a_write_after_the_restore_is_detected_and_the_snapshot_kept(ws, child, monkeypatch):
    """A producer that leaves the run entirely (new session, environment cleared, so no
    process group, session or marker ties it to the run) cannot be stopped: when it writes
    into the fixtures after the restore, the run says so and keeps the snapshot."""
    write_script(
        ws / "e2e/scripts/escape.sh",
        "#!/usr/bin/env bash\nrm -rf e2e/artifacts/*\n"
        f"env -i PATH=\"$PATH\" setsid bash -c '{child.body('rm -rf e2e/artifacts/e2e-containerd')}' "
        "</dev/null >/dev/null 2>&1 &\n" + child.wait_ready() + "exit 1\n",
    )
    before = tree(ws / FIXTURES)

    def escaped_process_writes(root: Path) -> None:  # right after the restore
        assert child.alive(), "the escaped process should still be running"
        child.trigger()
        wait_until(lambda: not (ws / CONTAINERD).exists(), 10, what="the escaped process to delete e2e-containerd")

    monkeypatch.setattr(regen.runner, "_after_restore", escaped_process_writes)
    outcome = await regen.run(ws, regen.Settings(script="e2e/scripts/escape.sh", timeout=60), reporter=Quiet())
    assert outcome.status == "failed"
    assert not outcome.restored
    assert any(p.startswith(CONTAINERD) for p in outcome.late_writes)
    assert "changed again after the restore" in outcome.message
    assert "--restore" in outcome.message
    state = regen.read_state(ws)
    assert state is not None and state["status"] == "restore-incomplete"

    # new runs are refused until the user restores; --restore then puts everything back
    refused = await regen.run(ws, regen.Settings(script="e2e/scripts/escape.sh"), reporter=Quiet())
    assert refused.status == "refused" and "--restore" in refused.message
    monkeypatch.setattr(regen.runner, "_after_restore", lambda root: None)
    assert main(["regenerate", "--root", str(ws), "--restore"]) == 0
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert regen.read_state(ws) is None


# --------------------------------------------------------------------------- item 3


def _git(ws: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=ws, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_git_clean_cannot_reach_the_snapshot(ws):
    """Issue 10 item 3: a script that runs `git clean -xdf` (deleting every untracked and
    ignored file, the fixtures it just wiped included) and fails: the fixtures come back."""
    _git(ws, "init", "-q")
    _git(ws, "add", "e2e/scripts", "tools", ".artifact-lsp.toml")
    _git(ws, "commit", "-qm", "scripts only: the fixtures are untracked")
    write_script(ws / "e2e/scripts/clean.sh", "#!/usr/bin/env bash\nrm -rf e2e/artifacts/*\ngit clean -xdfq\nexit 1\n")
    _git(ws, "add", "e2e/scripts/clean.sh")
    _git(ws, "commit", "-qm", "clean")
    before = tree(ws / FIXTURES)
    outcome = await regen.run(ws, regen.Settings(script="e2e/scripts/clean.sh"), reporter=Quiet())
    assert outcome.status == "failed" and outcome.restored, outcome.message
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert regen.read_state(ws) is None


def test_the_snapshot_lives_in_the_user_cache_keyed_by_workspace(ws, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    place = regen.state_dir(ws)
    assert place.parent == cache / "artifact-lsp"
    assert place != regen.state_dir(tmp_path / "other")
    assert regen.state_dir(ws) == regen.state_dir(Path(str(ws) + "/e2e/.."))  # resolved first
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert regen.state_dir(ws).parent == tmp_path / "home/.cache/artifact-lsp"


async def test_a_cache_folder_inside_the_workspace_is_refused(ws, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(ws / "cache"))
    outcome = await regen.run(ws, regen.Settings(), reporter=Quiet())
    assert outcome.status == "refused" and "XDG_CACHE_HOME" in outcome.message
    assert not (ws / "cache").exists()


def test_a_snapshot_left_by_an_older_version_is_still_found(ws, capsys):
    """Versions before this one kept the snapshot in <root>/.artifact-lsp/regenerate."""
    before = tree(ws / FIXTURES)
    state = regen.take_snapshot(ws, regen.fixture_folders(ws, regen.Settings()), "x")
    legacy = ws / ".artifact-lsp/regenerate"
    legacy.parent.mkdir()
    shutil.move(state["_dir"], legacy)
    shutil.rmtree(ws / CONTAINERD)
    assert regen.read_state(ws)["_dir"] == str(legacy)
    assert main(["regenerate", "--root", str(ws), "--restore"]) == 0, capsys.readouterr()
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not legacy.exists()


# --------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("exit_code", [1, 0])
async def test_the_run_ends_with_the_script_not_with_a_child_holding_stdout(ws, child, exit_code):
    """Issue 10 item 4: the script dies while a child keeps its stdout open. The run ends
    when the script does (not at the timeout), the child is stopped, the pipes drained."""
    write_script(
        ws / "e2e/scripts/holder.sh",
        "#!/usr/bin/env bash\nrm -rf e2e/artifacts/e2e-docker\n"
        f"( {child.body('echo late')} ) &\n" + child.wait_ready() + f"echo bye\nexit {exit_code}\n",
    )
    before = tree(ws / FIXTURES)
    lines = []

    class Lines(regen.Reporter):
        def output(self, stream, line):
            lines.append(line)

    # the timeout is far away: before the fix the run waited for it ("timed out")
    outcome = await regen.run(ws, regen.Settings(script="e2e/scripts/holder.sh", timeout=120), reporter=Lines())
    assert outcome.status == ("succeeded" if exit_code == 0 else "failed"), outcome.message
    assert outcome.exit_code == exit_code
    assert "bye" in lines
    assert not child.alive()
    if exit_code:
        assert outcome.restored and tree_diff(before, tree(ws / FIXTURES)) == []
