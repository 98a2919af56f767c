"""Fixture regeneration that never loses anything.

The repository's ``e2e/scripts/regenerate_artifacts.sh`` wipes each fixture folder before
the producer writes it again. ``run()`` wraps it:

1. refuse unless the script resolves to an executable regular file inside the workspace;
2. snapshot the fixture folders (content, modes, symlinks, empty folders) under
   ``<root>/.artifact-lsp/regenerate/`` with a state file naming the run;
3. run the script as an argv list (no shell) in its own process group, with the workspace
   root as cwd, streaming its output; a cancel or the timeout kills the whole group
   (TERM, then KILL);
4. on failure, cancel or timeout: restore the folders byte for byte and say so; on success:
   drop the snapshot and summarise what changed.

A crash in the middle leaves the snapshot and its state file on disk:
``artifact-lsp regenerate --restore`` puts everything back. Plain Python (asyncio); the
language server and the CLI are thin adapters over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .engine import files
from .engine.linter import FILE_KINDS, lint_path
from .engine.config import ConfigCache

DEFAULT_SCRIPT = "e2e/scripts/regenerate_artifacts.sh"
DEFAULT_FIXTURES = ("e2e/artifacts",)
DEFAULT_TIMEOUT = 900.0
STATE_DIR = ".artifact-lsp/regenerate"
KILL_GRACE = 5.0
MAX_LINE = 64 * 1024  # bytes of one output line passed on; the rest of a longer line is dropped
LOW_SIGNAL_KEYS = ("generated_at", "generator.version")


class Refused(Exception):
    """The run cannot start; the message says what to configure or do."""


@dataclass
class Settings:
    script: str = DEFAULT_SCRIPT
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    fixtures: list[str] = field(default_factory=lambda: list(DEFAULT_FIXTURES))
    targets_as_args: bool = True  # pass the environments to limit to as extra arguments

    @classmethod
    def from_dict(cls, raw: dict | None) -> "Settings":
        raw = raw or {}
        out = cls()
        if "script" in raw:
            if not isinstance(raw["script"], str) or not raw["script"].strip():
                raise Refused("regenerate.script must be a path (from the workspace root) to the script")
            out.script = raw["script"]
        if "args" in raw:
            if not isinstance(raw["args"], list) or not all(isinstance(a, str) for a in raw["args"]):
                raise Refused("regenerate.args must be a list of strings")
            out.args = list(raw["args"])
        if "env" in raw:
            env = raw["env"]
            if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
                raise Refused("regenerate.env must map variable names to strings")
            out.env = dict(env)
        if "timeout" in raw:
            if not isinstance(raw["timeout"], (int, float)) or isinstance(raw["timeout"], bool) or raw["timeout"] <= 0:
                raise Refused("regenerate.timeout must be a number of seconds > 0")
            out.timeout = float(raw["timeout"])
        if "fixtures" in raw:
            if not isinstance(raw["fixtures"], list) or not all(isinstance(a, str) and a.strip() for a in raw["fixtures"]):
                raise Refused("regenerate.fixtures must be a list of folders (from the workspace root)")
            out.fixtures = list(raw["fixtures"])
        if "targetsAsArgs" in raw:
            out.targets_as_args = bool(raw["targetsAsArgs"])
        return out


# --------------------------------------------------------------------------- checks


def _inside(root: Path, path: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def resolve_script(root: Path, settings: Settings) -> Path:
    """The script to run, checked: inside the workspace (symlinks resolved), a regular file,
    executable. Anything else is refused with what to configure."""
    root = root.resolve()
    raw = Path(settings.script)
    candidate = raw if raw.is_absolute() else root / raw
    real = Path(os.path.realpath(candidate))
    if not _inside(root, real):
        raise Refused(
            f"the regenerate script must be inside the workspace ({root}); {settings.script!r} resolves to {real}. "
            "Set artifactLsp.regenerate.script to a path inside the workspace."
        )
    if not real.exists():
        raise Refused(
            f"no regenerate script at {real.relative_to(root)}: set artifactLsp.regenerate.script "
            f"(default {DEFAULT_SCRIPT}) to your repository's script"
        )
    if not real.is_file():
        raise Refused(
            f"the regenerate script {real.relative_to(root)} is not a regular file: "
            "set artifactLsp.regenerate.script to the script itself"
        )
    if not os.access(real, os.X_OK):
        raise Refused(f"the regenerate script {real.relative_to(root)} is not executable: chmod +x it")
    return real


def fixture_folders(root: Path, settings: Settings) -> list[Path]:
    root = root.resolve()
    out = []
    for rel in settings.fixtures:
        path = Path(os.path.realpath(root / rel))
        if not _inside(root, path) or path == root:
            raise Refused(f"fixture folder {rel!r} must be a folder inside the workspace (artifactLsp.regenerate.fixtures)")
        out.append(path)
    return out


# --------------------------------------------------------------------------- snapshot


def state_dir(root: Path) -> Path:
    return root / STATE_DIR


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(root: Path) -> dict | None:
    try:
        return json.loads((state_dir(root) / "state.json").read_text())
    except (OSError, ValueError):
        return None


def _walk_entries(folder: Path):
    """(relative path, kind, mode, link target) for everything under ``folder``."""
    for current, dirs, file_names in os.walk(folder, followlinks=False):
        cur = Path(current)
        for name in sorted(dirs):
            path = cur / name
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                yield path.relative_to(folder), "link", 0, os.readlink(path)
            else:
                yield path.relative_to(folder), "dir", stat.S_IMODE(st.st_mode), None
        for name in sorted(file_names):
            path = cur / name
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                yield path.relative_to(folder), "link", 0, os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                yield path.relative_to(folder), "file", stat.S_IMODE(st.st_mode), None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def take_snapshot(root: Path, folders: list[Path], label: str) -> dict:
    """Copy ``folders`` into the state dir and write the state file. Returns the state."""
    base = state_dir(root)
    if base.exists():
        shutil.rmtree(base)
    (base / "data").mkdir(parents=True)
    # a .gitignore of its own: the snapshot never shows up in `git status`
    (root / ".artifact-lsp").mkdir(exist_ok=True)
    ignore = root / ".artifact-lsp" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    entries = []
    for index, folder in enumerate(folders):
        rel_folder = folder.relative_to(root.resolve()).as_posix()
        record = {"folder": rel_folder, "exists": folder.is_dir(), "mode": None, "entries": []}
        if folder.is_dir():
            record["mode"] = stat.S_IMODE(os.stat(folder).st_mode)
            target = base / "data" / str(index)
            target.mkdir()
            for rel, kind, mode, link in _walk_entries(folder):
                item = {"path": rel.as_posix(), "kind": kind, "mode": mode}
                if kind == "link":
                    item["target"] = link
                elif kind == "dir":
                    (target / rel).mkdir(parents=True, exist_ok=True)
                else:
                    dest = target / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(folder / rel, dest, follow_symlinks=False)
                    item["sha256"] = _digest(dest)
                record["entries"].append(item)
        entries.append(record)
    state = {
        "version": 1,
        "root": str(root.resolve()),
        "label": label,
        "pid": os.getpid(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "status": "running",
        "folders": entries,
    }
    _write_state(root, state)
    return state


def restore(root: Path, state: dict | None = None) -> list[str]:
    """Put the fixture folders back exactly as the snapshot has them. Returns what changed."""
    root = root.resolve()
    state = state or read_state(root)
    if state is None:
        raise Refused(f"no snapshot to restore under {state_dir(root)}")
    base = state_dir(root) / "data"
    touched: list[str] = []
    for index, record in enumerate(state["folders"]):
        folder = root / record["folder"]
        if not record["exists"]:
            if folder.exists() or folder.is_symlink():
                _remove(folder)
                touched.append(record["folder"])
            continue
        saved = base / str(index)
        wanted = {e["path"]: e for e in record["entries"]}
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            _remove(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # remove what the run added (deepest first) or turned into something else
        for rel, kind, _mode, link in sorted(_walk_entries(folder), key=lambda e: -len(e[0].parts)):
            key = rel.as_posix()
            want = wanted.get(key)
            if want is None or want["kind"] != kind or (kind == "link" and want.get("target") != link):
                _remove(folder / rel)
                touched.append(f"{record['folder']}/{key}")
        for key, want in sorted(wanted.items(), key=lambda kv: len(Path(kv[0]).parts)):
            path = folder / key
            if want["kind"] == "dir":
                path.mkdir(exist_ok=True)
                os.chmod(path, want["mode"])
            elif want["kind"] == "link":
                if not path.is_symlink():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    os.symlink(want["target"], path)
                    touched.append(f"{record['folder']}/{key}")
            else:
                source = saved / key
                if not path.is_file() or path.is_symlink() or _digest(path) != want["sha256"]:
                    if path.is_symlink():
                        path.unlink()
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, path, follow_symlinks=False)
                    touched.append(f"{record['folder']}/{key}")
                os.chmod(path, want["mode"])
        if record["mode"] is not None:
            os.chmod(folder, record["mode"])
    return touched


def _restore_and_drop(root: Path, state: dict) -> None:
    restore(root, state)
    drop_snapshot(root)


def drop_snapshot(root: Path) -> None:
    shutil.rmtree(state_dir(root), ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


# --------------------------------------------------------------------------- the run


@dataclass
class Outcome:
    status: str  # "succeeded" | "failed" | "cancelled" | "timed out" | "refused" | "busy"
    message: str
    exit_code: int | None = None
    stderr_tail: list[str] = field(default_factory=list)
    restored: bool = False
    summary: dict | None = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "exitCode": self.exit_code,
            "stderrTail": self.stderr_tail,
            "restored": self.restored,
            "summary": self.summary,
            "durationSeconds": round(self.duration, 3),
        }


_RUNNING: set[str] = set()  # roots with a run in this process


def busy(root: Path) -> bool:
    key = str(root.resolve())
    if key in _RUNNING:
        return True
    state = read_state(root)
    return bool(state and state.get("status") == "running" and _pid_alive(int(state.get("pid", 0))) and state.get("pid") != os.getpid())


class Reporter:
    """Callbacks a front end implements; the defaults do nothing."""

    def output(self, stream: str, line: str) -> None:  # one line of the script's output
        pass

    def progress(self, message: str) -> None:  # a phase: snapshot, running, restoring
        pass


async def run(
    root: Path,
    settings: Settings,
    targets: list[str] | None = None,
    reporter: Reporter | None = None,
    cancel: asyncio.Event | None = None,
) -> Outcome:
    """Run the regenerate script with a snapshot around it. Never raises for a failed run."""
    reporter = reporter or Reporter()
    root = root.resolve()
    started = time.monotonic()
    key = str(root)
    refusal = preflight(root, settings)
    if refusal is not None:
        return refusal
    script = resolve_script(root, settings)
    folders = fixture_folders(root, settings)
    _RUNNING.add(key)
    try:
        reporter.progress("snapshotting fixture folders")
        loop = asyncio.get_running_loop()
        state = await loop.run_in_executor(None, take_snapshot, root, folders, script.name)
        argv = [str(script), *settings.args]
        if targets and settings.targets_as_args:
            argv.extend(targets)
        env = {**os.environ, **settings.env}
        reporter.progress("running " + " ".join(Path(a).name if i == 0 else a for i, a in enumerate(argv)))
        def started_group(pgid: int) -> None:  # a crash leaves the group id for --restore
            state["pgid"] = pgid
            _write_state(root, state)

        try:
            code, stderr_tail, reason = await _execute(argv, root, env, settings.timeout, reporter, cancel, started_group)
        except asyncio.CancelledError:
            # the caller was cancelled ($/cancelRequest, Ctrl-C): the process group is dead;
            # put the fixtures back before letting the cancellation through
            reporter.progress("restoring fixture folders")
            await asyncio.shield(loop.run_in_executor(None, _restore_and_drop, root, state))
            raise
        if reason is None and code == 0:
            reporter.progress("summarising")
            summary = await loop.run_in_executor(None, summarise, root, state)
            drop_snapshot(root)
            changed = summary["counts"]
            message = (
                f"regenerated: {changed['added']} added, {changed['changed']} changed, {changed['removed']} removed"
                + (f"; {len(summary['timestampOnly'])} manifest(s) changed only in generated_at/generator.version" if summary["timestampOnly"] else "")
                + (f"; {summary['findings']['total']} contract finding(s) left" if summary["findings"]["total"] else "; no contract finding left")
            )
            return Outcome("succeeded", message, code, stderr_tail, False, summary, time.monotonic() - started)
        status = reason or "failed"
        reporter.progress("restoring fixture folders")
        await loop.run_in_executor(None, restore, root, state)
        drop_snapshot(root)
        if status == "failed":
            message = f"the regenerate script failed with exit code {code}; the fixtures were restored"
        elif status == "timed out":
            message = f"the regenerate script ran over {settings.timeout:g} s and was stopped; the fixtures were restored"
        else:
            message = "regeneration cancelled; the fixtures were restored"
        return Outcome(status, message, code, stderr_tail, True, None, time.monotonic() - started)
    finally:
        _RUNNING.discard(key)


def preflight(root: Path, settings: Settings) -> Outcome | None:
    """Why a run cannot start (busy, a snapshot left over, the script refused), or None."""
    if busy(root):
        return Outcome("busy", "a regeneration is already running for this workspace")
    stale = read_state(root)
    if stale is not None:
        return Outcome(
            "refused",
            f"a snapshot from an interrupted regeneration ({stale.get('started')}) is still in {state_dir(root)}: "
            "run `artifact-lsp regenerate --restore` to put the fixtures back (or --discard to drop it)",
        )
    try:
        resolve_script(root, settings)
        fixture_folders(root, settings)
    except Refused as exc:
        return Outcome("refused", str(exc))
    return None


def _write_state(root: Path, state: dict) -> None:
    base = state_dir(root)
    tmp = base / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, base / "state.json")


def stop_leftover(state: dict) -> bool:
    """Kill the process group a crashed run left behind (before restoring over it)."""
    pgid = state.get("pgid")
    if not isinstance(pgid, int) or pgid <= 1:
        return False
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + KILL_GRACE
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return True
            time.sleep(0.05)
    return True


async def _execute(argv, cwd: Path, env, timeout: float, reporter: Reporter, cancel: asyncio.Event | None, on_start=None):
    """(exit code, last stderr lines, None | "cancelled" | "timed out")."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group: cancel kills children too
    )
    if on_start is not None:
        on_start(proc.pid)
    tail: list[str] = []

    async def pump(stream, name):
        # readline() gives up on a line longer than the stream's buffer (64 KiB) and the
        # pipe then fills up until the script blocks: read such a line in pieces, keep its
        # first MAX_LINE bytes and drop the rest
        pending, dropped = bytearray(), 0
        while True:
            at_eof = False
            try:
                chunk, complete = await stream.readuntil(b"\n"), True
            except asyncio.IncompleteReadError as exc:  # EOF: what is left has no newline
                chunk, complete, at_eof = exc.partial, True, True
            except asyncio.LimitOverrunError as exc:  # a piece of a very long line
                chunk, complete = await stream.readexactly(exc.consumed), False
            room = max(MAX_LINE - len(pending), 0)
            pending += chunk[:room]
            dropped += max(len(chunk) - room, 0)
            if complete and (pending or dropped or not at_eof):
                line = bytes(pending).decode("utf-8", "replace").rstrip("\r\n")
                if dropped:
                    line += f" [... {dropped} more bytes]"
                pending, dropped = bytearray(), 0
                if name == "stderr":
                    tail.append(line)
                    del tail[:-20]
                reporter.output(name, line)
            if at_eof:
                return

    pumps = asyncio.gather(pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr"))
    waiter = asyncio.ensure_future(proc.wait())
    cancel_wait = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    reason = None
    try:
        waits = {waiter} | ({cancel_wait} if cancel_wait else set())
        done, _ = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            reason = "cancelled" if cancel_wait in done else "timed out"
            await _kill_group(proc)
    except asyncio.CancelledError:
        await asyncio.shield(_kill_group(proc))
        raise
    finally:
        if cancel_wait is not None:
            cancel_wait.cancel()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pumps, 5)
    return proc.returncode, tail, reason


async def _kill_group(proc) -> None:
    """TERM the process group, wait a little, then KILL it."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, KILL_GRACE)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            await asyncio.wait_for(proc.wait(), wait)
            # the leader is gone; make sure nothing else of the group survives
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except asyncio.TimeoutError:
            continue


# --------------------------------------------------------------------------- summary


def _files_of(state: dict) -> dict[str, str]:
    out = {}
    for record in state["folders"]:
        for e in record["entries"]:
            if e["kind"] == "file":
                out[f"{record['folder']}/{e['path']}"] = e["sha256"]
    return out


def _low_signal_only(before: bytes, after: bytes) -> bool:
    try:
        a = yaml.safe_load(before)
        b = yaml.safe_load(after)
    except yaml.YAMLError:
        return False
    if not isinstance(a, dict) or not isinstance(b, dict) or a == b:
        return False
    for data in (a, b):
        data.pop("generated_at", None)
        gen = data.get("generator")
        if isinstance(gen, dict):
            gen.pop("version", None)
    return a == b


def summarise(root: Path, state: dict) -> dict:
    root = root.resolve()
    before = _files_of(state)
    after: dict[str, str] = {}
    for record in state["folders"]:
        folder = root / record["folder"]
        if folder.is_dir():
            for rel, kind, _m, _l in _walk_entries(folder):
                if kind == "file":
                    after[f"{record['folder']}/{rel.as_posix()}"] = _digest(folder / rel)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    data = state_dir(root) / "data"
    index_of = {r["folder"]: i for i, r in enumerate(state["folders"])}
    timestamp_only = []
    for key in changed:
        if Path(key).name != "artifact.yml":
            continue
        folder = next(f for f in index_of if key.startswith(f + "/"))
        old = (data / str(index_of[folder]) / key[len(folder) + 1 :]).read_bytes()
        if _low_signal_only(old, (root / key).read_bytes()):
            timestamp_only.append(key)
    by_code: dict[str, int] = {}
    # the language server caches disk facts for a while: the script just changed the disk
    files.clear_facts()
    configs = ConfigCache()
    total = 0
    for key in sorted(after):
        if Path(key).name not in FILE_KINDS:
            continue
        path = root / key
        with contextlib.suppress(OSError):
            for finding in lint_path(path, configs.for_path(path)).findings:
                by_code[finding.code] = by_code.get(finding.code, 0) + 1
                total += 1
    return {
        "counts": {"added": len(added), "changed": len(changed), "removed": len(removed)},
        "added": added,
        "changed": changed,
        "removed": removed,
        "timestampOnly": timestamp_only,
        "findings": {"total": total, "byCode": by_code},
    }
