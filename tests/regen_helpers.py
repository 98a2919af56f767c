"""Shared helpers for the fixture-regeneration tests (core, CLI and language server).

Every workspace is a copy of ``examples/`` (never the original) with extra awkward content
in the fixture folders: a 0600 file, an executable, binary bytes, symlinks (to a file, to a
folder, dangling), an empty folder and a 0700 folder, so that "restored exactly" means
something. ``tree()`` lists a folder with kinds, modes, content hashes and link targets.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import stat
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"
FIXTURES = "e2e/artifacts"
DOCKER = "e2e/artifacts/e2e-docker"
CONTAINERD = "e2e/artifacts/e2e-containerd"
DOCKER_MANIFEST = f"{DOCKER}/artifact.yml"
CONTAINERD_MANIFEST = f"{CONTAINERD}/artifact.yml"
PRODUCER_CMD = "python3 tools/fake_producer.py"  # what examples/.artifact-lsp.toml configures


def make_workspace(tmp_path: Path, name: str = "ws", extras: bool = True) -> Path:
    """A copy of ``examples/`` under ``tmp_path``; with ``extras``, awkward content added."""
    root = tmp_path / name
    shutil.copytree(EXAMPLES, root, symlinks=True)
    if extras:
        add_extras(root)
    return root


def add_extras(root: Path) -> None:
    docker = root / DOCKER
    secret = docker / "notes" / "secret.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text("only for me\n")
    os.chmod(secret, 0o600)
    tool = docker / "notes" / "tool.sh"
    tool.write_text("#!/bin/sh\necho hi\n")
    os.chmod(tool, 0o755)
    (docker / "notes" / "blob.bin").write_bytes(bytes(range(256)) * 3 + b"\r\n\x00")
    os.symlink("secret.txt", docker / "notes" / "link-to-secret")
    os.symlink("../entries", docker / "notes" / "link-to-dir")
    os.symlink("does-not-exist", docker / "notes" / "dangling")
    (docker / "empty-folder").mkdir()
    private = docker / "private-folder"
    private.mkdir()
    (private / "x.txt").write_text("x\n")
    os.chmod(private, 0o700)
    # next to the environments, in the fixture root the script never wipes
    (root / FIXTURES / "README.txt").write_text("hand-written, kept\n")
    os.symlink("e2e-docker/artifact.yml", root / FIXTURES / "docker-manifest-link")


def tree(folder: Path) -> dict[str, tuple]:
    """Everything under ``folder`` (the folder itself too): path -> (kind, mode, content)."""
    folder = Path(folder)
    out: dict[str, tuple] = {}
    if not folder.exists() and not folder.is_symlink():
        return out
    st = os.lstat(folder)
    out["."] = ("dir", stat.S_IMODE(st.st_mode), None)
    for current, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(current, name)
            rel = path.relative_to(folder).as_posix()
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", None, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", stat.S_IMODE(st.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                out[rel] = ("other", stat.S_IMODE(st.st_mode), None)
    return out


def tree_diff(before: dict, after: dict) -> list[str]:
    """A readable difference of two ``tree()`` listings (empty when equal)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            lines.append(f"{key}: {before.get(key)} -> {after.get(key)}")
    return lines


def files_of(listing: dict, prefix: str) -> dict[str, str]:
    """Regular files of a ``tree()`` listing, keyed like the regen summary (``prefix/rel``)."""
    return {f"{prefix}/{k}": v[2] for k, v in listing.items() if v[0] == "file"}


def regen_env(mode: str = "ok", pidfile: Path | None = None, **extra: str) -> dict[str, str]:
    env = {"ARTIFACT_PRODUCER_CMD": PRODUCER_CMD, "FAKE_PRODUCER_MODE": mode}
    if pidfile is not None:
        env["FAKE_PRODUCER_PIDFILE"] = str(pidfile)
    env.update(extra)
    return env


# --------------------------------------------------------------------------- processes


def pids_in(pidfile: Path) -> list[int]:
    try:
        return [int(line) for line in Path(pidfile).read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    """A live (not zombie) process that is still the fake producer."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        if state in (b"Z", b"X"):
            return False
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"fake_producer.py" in fh.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def producers_alive(pidfile: Path) -> list[int]:
    return [pid for pid in pids_in(pidfile) if alive(pid)]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


async def async_wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def wait_dead(pidfile: Path, timeout: float = 5.0) -> None:
    wait_until(lambda: not producers_alive(pidfile), timeout, what=f"the producers in {pidfile} to die")


def kill_leftovers(pidfile: Path) -> None:
    """Test cleanup: kill the process group of any producer still alive."""
    for pid in producers_alive(pidfile):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def console_script() -> str:
    beside = Path(sys.executable).parent / "artifact-lsp"
    found = str(beside) if beside.exists() else shutil.which("artifact-lsp")
    assert found, "the artifact-lsp console script is not installed (uv sync installs it)"
    return found


def write_script(path: Path, text: str, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path
