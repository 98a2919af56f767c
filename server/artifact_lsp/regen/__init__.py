"""Fixture regeneration that never loses anything.

The repository's ``e2e/scripts/regenerate_artifacts.sh`` wipes each fixture folder before
the producer writes it again. ``run()`` wraps it (or, without a script, drives the producer
itself, one environment after the other, doing what the script did):

1. refuse unless the script resolves to an executable regular file inside the workspace
   (or a producer command and its environments are configured);
2. snapshot the fixture folders (content, modes, symlinks, empty folders) in the user's
   cache folder (``$XDG_CACHE_HOME/artifact-lsp/<hash of the workspace path>/``, where no
   ``git clean`` or ``rm -rf`` of the workspace reaches it) with a state file naming the run;
3. run the script as an argv list (no shell) in its own process group, with the workspace
   root as cwd, streaming its output; a cancel or the timeout stops it;
4. on every outcome, once the script itself has exited, stop everything the run started
   (its process group and session, and any process carrying the run's marker variable,
   which follows a ``setsid`` child too): TERM, then KILL, and check nothing is left;
5. on failure, cancel or timeout: restore the folders byte for byte, check the restored
   tree against the snapshot and say so; on success: put back the committed bytes of the
   manifests that changed only in their producer stamp (``generated_at`` /
   ``generator.version``), summarise what changed and keep the snapshot for ``--undo``.

A crash in the middle leaves the snapshot and its state file on disk:
``artifact-lsp regenerate --restore`` puts everything back. ``check()`` is the drift guard:
the same run in a scratch copy of the workspace, compared with the committed fixtures.
Plain Python (asyncio); the language server and the CLI are thin adapters over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..engine import files, keypath, spec
from ..engine.linter import FILE_KINDS, lint_path
from ..engine.config import ConfigCache

DEFAULT_SCRIPT = "e2e/scripts/regenerate_artifacts.sh"
DEFAULT_FIXTURES = ("e2e/artifacts",)
DEFAULT_TIMEOUT = 900.0
LEGACY_STATE_DIR = ".artifact-lsp/regenerate"  # where versions before 0.2 kept the snapshot
KILL_GRACE = 5.0  # seconds between TERM and KILL, and after KILL
DRAIN_GRACE = 2.0  # seconds the output pipes get to reach EOF once the run's processes are gone
MAX_LINE = 64 * 1024  # bytes of one output line passed on; the rest of a longer line is dropped
LOW_SIGNAL_KEYS = ("generated_at", "generator.version")
MARKER_VAR = "ARTIFACT_LSP_REGENERATE_RUN"  # set for the run; every descendant inherits it
STAMP_FILES = ("artifact.yml", "artifact.yaml", "artifact.json")
PRODUCER_VARS = ("ARTIFACT_PRODUCER_CMD", "ESB_CMD")  # what the script read, in this order
TIMESTAMP_POLICIES = ("restore", "keep")
SUMMARY_LINES = 20  # past this many files of one kind, other files are grouped by folder


class Refused(Exception):
    """The run cannot start; the message says what to configure or do."""


@dataclass
class Environment:
    """One environment the producer is driven for when there is no script."""

    name: str
    mode: str
    template: str
    project: str
    output: str | None = None  # default <first fixture folder>/<name>
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # --image-uri fn=URI
    runtimes: dict[str, str] = field(default_factory=dict)  # --image-runtime fn=RT


@dataclass
class Settings:
    script: str = DEFAULT_SCRIPT
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    fixtures: list[str] = field(default_factory=lambda: list(DEFAULT_FIXTURES))
    targets_as_args: bool = True  # pass the environments to limit to as extra arguments
    timestamps: str = "restore"  # "restore": put back stamp-only manifests; "keep"
    producer: list[str] | None = None  # the producer command, without a script
    environments: list[Environment] = field(default_factory=list)
    script_set: bool = False  # the script was configured (not the default)

    @classmethod
    def from_dict(cls, raw: dict | None) -> "Settings":
        raw = raw or {}
        out = cls()
        if "script" in raw:
            if not isinstance(raw["script"], str) or not raw["script"].strip():
                raise Refused("regenerate.script must be a path (from the workspace root) to the script")
            out.script = raw["script"]
            out.script_set = True
        if "args" in raw:
            if not isinstance(raw["args"], list) or not all(isinstance(a, str) for a in raw["args"]):
                raise Refused("regenerate.args must be a list of strings")
            out.args = list(raw["args"])
        if "env" in raw:
            out.env = _str_map(raw["env"], "regenerate.env must map variable names to strings")
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
        if "timestamps" in raw:
            if raw["timestamps"] not in TIMESTAMP_POLICIES:
                raise Refused('regenerate.timestamps must be "restore" (the default) or "keep"')
            out.timestamps = raw["timestamps"]
        if "producer" in raw and raw["producer"] is not None:
            value = raw["producer"]
            if not isinstance(value, list) or not value or not all(isinstance(a, str) and a for a in value):
                raise Refused('regenerate.producer must be the producer command as a list, e.g. ["esb", "artifact", "generate"]')
            out.producer = list(value)
        if "environments" in raw and raw["environments"] is not None:
            out.environments = _environments(raw["environments"])
        return out


def _str_map(value, message: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise Refused(message)
    return dict(value)


def _environments(raw) -> list[Environment]:
    """``{name: {mode, template, project, ...}}`` (a TOML table of tables), or a list of
    tables with a ``name``."""
    if isinstance(raw, dict):
        items = [(name, table) for name, table in raw.items()]
    elif isinstance(raw, list):
        items = [(t.get("name") if isinstance(t, dict) else None, t) for t in raw]
    else:
        raise Refused("regenerate.environments must be a table of environments (name = {mode, template, project})")
    out = []
    for name, table in items:
        where = f"regenerate.environments.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
            raise Refused(f"regenerate.environments: {name!r} is not an environment name (letters, digits, . _ -)")
        if not isinstance(table, dict):
            raise Refused(f"{where} must be a table (mode, template, project)")
        known = {"name", "mode", "template", "project", "output", "args", "env", "images", "runtimes"}
        for key in table:
            if key not in known:
                raise Refused(f"{where}.{key}: unknown setting (known: {', '.join(sorted(known - {'name'}))})")
        for key in ("mode", "template", "project"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise Refused(f"{where}.{key} must be a non-blank string")
        output = table.get("output")
        if output is not None and (not isinstance(output, str) or not output.strip()):
            raise Refused(f"{where}.output must be a folder (from the workspace root)")
        args = table.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise Refused(f"{where}.args must be a list of strings")
        out.append(
            Environment(
                name=name,
                mode=table["mode"],
                template=table["template"],
                project=table["project"],
                output=output,
                args=list(args),
                env=_str_map(table.get("env", {}), f"{where}.env must map variable names to strings"),
                images=_str_map(table.get("images", {}), f"{where}.images must map function names to image URIs"),
                runtimes=_str_map(table.get("runtimes", {}), f"{where}.runtimes must map function names to runtimes"),
            )
        )
    return out


# --------------------------------------------------------------------------- checks


def _inside(root: Path, path: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


HOW_TO_CONFIGURE = (
    "set regenerate.script (artifactLsp.regenerate.script) to your repository's script, or let artifact-lsp "
    "drive the producer itself: regenerate.producer = [\"esb\", \"artifact\", \"generate\"] (or ESB_CMD / "
    "ARTIFACT_PRODUCER_CMD in regenerate.env) and one regenerate.environments.<env> = {mode, template, project} "
    "per fixture folder (README: Regenerating without a script)"
)


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
        raise Refused(f"no regenerate script at {real.relative_to(root)} (default {DEFAULT_SCRIPT}): {HOW_TO_CONFIGURE}")
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


def producer_command(settings: Settings) -> list[str] | None:
    """The producer's argv prefix: ``regenerate.producer``, else ``ARTIFACT_PRODUCER_CMD`` or
    ``ESB_CMD`` (from ``regenerate.env``, then the environment) split on whitespace as the
    script did, followed by ``artifact generate``."""
    if settings.producer:
        return list(settings.producer)
    for source in (settings.env, os.environ):
        for var in PRODUCER_VARS:
            value = source.get(var, "")
            if value.split():
                return [*value.split(), "artifact", "generate"]
    return None


@dataclass
class Job:
    """What a run executes: the script, or the producer once per environment."""

    kind: str  # "script" | "producer"
    label: str
    script: Path | None = None
    producer: list[str] | None = None
    environments: list[Environment] = field(default_factory=list)


def plan(root: Path, settings: Settings, targets: list[str] | None = None) -> Job:
    """Script or producer, checked; raises Refused with what to configure."""
    root = root.resolve()
    if settings.script_set or not settings.environments:
        script = resolve_script(root, settings)
        return Job("script", script.name, script=script)
    producer = producer_command(settings)
    if producer is None:
        raise Refused(
            "regenerate.environments is configured but no producer command: set regenerate.producer "
            '(e.g. ["esb", "artifact", "generate"]) or ESB_CMD / ARTIFACT_PRODUCER_CMD in regenerate.env'
        )
    envs = settings.environments
    if targets:
        known = {e.name: e for e in envs}
        unknown = [t for t in targets if t not in known]
        if unknown:
            raise Refused(f"unknown environment {', '.join(unknown)} (configured: {', '.join(known)})")
        envs = [known[t] for t in dict.fromkeys(targets)]
    folders = fixture_folders(root, settings)
    for env in envs:
        out = Path(os.path.realpath(root / output_of(env, settings)))
        if not any(_inside(f, out) and out != f for f in folders):
            raise Refused(
                f"the output of environment {env.name} ({output_of(env, settings)}) must be a folder inside "
                "a fixture folder (regenerate.fixtures), so that it is snapshotted"
            )
    return Job("producer", Path(producer[0]).name, producer=producer, environments=list(envs))


def output_of(env: Environment, settings: Settings) -> str:
    return env.output or f"{settings.fixtures[0].rstrip('/')}/{env.name}"


# --------------------------------------------------------------------------- snapshot


def cache_home() -> Path:
    raw = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(raw) if raw and os.path.isabs(raw) else Path.home() / ".cache"
    return base / "artifact-lsp"


def state_dir(root: Path) -> Path:
    """Where the snapshot of ``root`` lives: in the user cache, keyed by the workspace path."""
    key = hashlib.sha256(str(Path(root).resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return cache_home() / key


def _legacy_dir(root: Path) -> Path:
    return Path(root).resolve() / LEGACY_STATE_DIR


def _check_state_dir(root: Path) -> None:
    where = Path(os.path.realpath(state_dir(root)))
    if _inside(root.resolve(), where):
        raise Refused(
            f"the snapshot folder {where} is inside the workspace, where the script could delete it: "
            "set XDG_CACHE_HOME to a folder outside the workspace"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(root: Path) -> dict | None:
    """The snapshot's state (``_dir`` names where it is), from the cache or an old version's
    place in the workspace."""
    for base in (state_dir(root), _legacy_dir(root)):
        try:
            state = json.loads((base / "state.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(state, dict):
            state["_dir"] = str(base)
            return state
    return None


def _base(root: Path, state: dict | None) -> Path:
    return Path(state["_dir"]) if state and state.get("_dir") else state_dir(root)


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


def _listing(folder: Path) -> list[dict]:
    """The snapshot's entry records of what is under ``folder`` now (no copies)."""
    out = []
    for rel, kind, mode, link in _walk_entries(folder):
        item = {"path": rel.as_posix(), "kind": kind, "mode": mode}
        if kind == "link":
            item["target"] = link
        elif kind == "file":
            item["sha256"] = _digest(folder / rel)
        out.append(item)
    return out


def take_snapshot(root: Path, folders: list[Path], label: str, marker: str | None = None) -> dict:
    """Copy ``folders`` into the state dir and write the state file. Returns the state."""
    root = root.resolve()
    _check_state_dir(root)
    base = state_dir(root)
    if base.exists():
        shutil.rmtree(base)
    (base / "data").mkdir(parents=True)
    os.chmod(base, 0o700)
    entries = []
    for index, folder in enumerate(folders):
        rel_folder = folder.relative_to(root).as_posix()
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
        "version": 2,
        "root": str(root),
        "label": label,
        "pid": os.getpid(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "status": "running",
        "marker": marker,  # the run's ARTIFACT_LSP_REGENERATE_RUN, for --restore to stop leftovers
        "folders": entries,
        "_dir": str(base),
    }
    _write_state(root, state)
    return state


def restore(root: Path, state: dict | None = None) -> list[str]:
    """Put the fixture folders back exactly as the snapshot has them. Returns what changed."""
    root = root.resolve()
    state = state or read_state(root)
    if state is None:
        raise Refused(f"no snapshot to restore under {state_dir(root)}")
    base = _base(root, state) / "data"
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


def differences(root: Path, records: list[dict]) -> list[str]:
    """Paths under the fixture folders that differ from ``records`` (a snapshot's folders, or
    the listing a successful run left): content, kind, mode, link target, added or missing."""
    root = root.resolve()
    out: list[str] = []
    for record in records:
        folder = root / record["folder"]
        if not record["exists"]:
            if folder.exists() or folder.is_symlink():
                out.append(record["folder"])
            continue
        if folder.is_symlink() or not folder.is_dir():
            out.append(record["folder"])
            continue
        if record.get("mode") is not None and stat.S_IMODE(os.stat(folder).st_mode) != record["mode"]:
            out.append(record["folder"])
        wanted = {e["path"]: e for e in record["entries"]}
        seen = set()
        for item in _listing(folder):
            seen.add(item["path"])
            want = wanted.get(item["path"])
            if want is None or any(want.get(k) != item.get(k) for k in ("kind", "mode", "sha256", "target")):
                out.append(f"{record['folder']}/{item['path']}")
        out.extend(f"{record['folder']}/{p}" for p in wanted if p not in seen)
    return sorted(out)


def drop_snapshot(root: Path, state: dict | None = None) -> None:
    shutil.rmtree(_base(root, state), ignore_errors=True)
    if state is None or state.get("_dir") == str(_legacy_dir(root)):
        shutil.rmtree(_legacy_dir(root), ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _after_restore(root: Path) -> None:
    """A seam for tests: called between the restore and its check."""


# --------------------------------------------------------------------------- processes


def run_processes(pgid: int | None, marker: str | None) -> list[int]:
    """Live processes of a run: in its process group or session (the script's pid), or
    carrying its marker in their environment (a child that called ``setsid`` keeps it).
    Zombies are ignored: they cannot write."""
    me = os.getpid()
    needle = f"{MARKER_VAR}={marker}".encode() if marker else None
    try:
        names = os.listdir("/proc")
    except OSError:  # no /proc: the process group is all we can see
        if not pgid:
            return []
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    out = []
    for name in names:
        if not name.isdigit():
            continue
        pid = int(name)
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            state, pgrp, sid = fields[0], int(fields[2]), int(fields[3])
        except (OSError, IndexError, ValueError):
            continue
        if state in (b"Z", b"X"):
            continue
        if pgid and (pgrp == pgid or sid == pgid):
            out.append(pid)
            continue
        if needle is None:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            out.append(pid)
    return out


def _signal_run(pgid: int | None, pids: list[int], sig: int) -> None:
    if pgid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def stop_run_sync(pgid: int | None, marker: str | None) -> tuple[list[int], list[int]]:
    """TERM, then KILL, everything of a run; (pids that were stopped, pids still alive)."""
    stopped: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = run_processes(pgid, marker)
        if not pids:
            return stopped, []
        stopped.extend(p for p in pids if p not in stopped)
        _signal_run(pgid, pids, sig)
        deadline = time.monotonic() + KILL_GRACE
        while time.monotonic() < deadline and run_processes(pgid, marker):
            time.sleep(0.02)
    return stopped, run_processes(pgid, marker)


async def stop_run(pgid: int | None, marker: str | None) -> tuple[list[int], list[int]]:
    loop = asyncio.get_running_loop()
    stopped: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = await loop.run_in_executor(None, run_processes, pgid, marker)
        if not pids:
            return stopped, []
        stopped.extend(p for p in pids if p not in stopped)
        _signal_run(pgid, pids, sig)
        deadline = time.monotonic() + KILL_GRACE
        while time.monotonic() < deadline and await loop.run_in_executor(None, run_processes, pgid, marker):
            await asyncio.sleep(0.02)
    return stopped, await loop.run_in_executor(None, run_processes, pgid, marker)


def stop_leftover(state: dict) -> bool:
    """Stop what a crashed run left behind (before restoring over it)."""
    pgid = state.get("pgid")
    pgid = pgid if isinstance(pgid, int) and pgid > 1 else None
    marker = state.get("marker") if isinstance(state.get("marker"), str) else None
    if pgid is None and marker is None:
        return False
    stopped, _left = stop_run_sync(pgid, marker)
    return bool(stopped)


@dataclass
class ExecResult:
    code: int | None
    tail: list[str]
    reason: str | None  # None | "cancelled" | "timed out"
    stopped: list[int] = field(default_factory=list)  # leftovers stopped after the script exited
    survivors: list[int] = field(default_factory=list)  # processes of the run that would not die


class _ExitProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Tells when the process itself exits, whoever still holds its output pipes
    (``Process.wait()`` also waits for the pipes to close)."""

    def __init__(self, limit, loop):
        super().__init__(limit=limit, loop=loop)
        self.exited = loop.create_future()

    def process_exited(self):
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


async def _execute(argv, cwd: Path, env, deadline: float, reporter, cancel: asyncio.Event | None, on_start=None) -> ExecResult:
    """Run one program in its own process group until it exits (or the deadline / a cancel),
    then stop everything it left and drain its output without blocking."""
    loop = asyncio.get_running_loop()
    marker = env.get(MARKER_VAR)
    transport, protocol = await loop.subprocess_exec(
        lambda: _ExitProtocol(limit=2**16, loop=loop),
        *argv,
        cwd=str(cwd),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group and session
    )
    proc = asyncio.subprocess.Process(transport, protocol, loop)
    pgid = proc.pid
    if on_start is not None:
        on_start(pgid)
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

    pumps = asyncio.ensure_future(asyncio.gather(pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr")))
    cancel_wait = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    reason = None
    try:
        waits = {protocol.exited} | ({cancel_wait} if cancel_wait else set())
        done, _ = await asyncio.wait(waits, timeout=max(deadline - time.monotonic(), 0), return_when=asyncio.FIRST_COMPLETED)
        if protocol.exited not in done:
            reason = "cancelled" if cancel_wait in done else "timed out"
        # on every outcome: the script has exited (or is being stopped); stop what is left
        stopped, survivors = await stop_run(pgid, marker)
    except asyncio.CancelledError:
        await asyncio.shield(stop_run(pgid, marker))
        transport.close()
        pumps.cancel()
        raise
    finally:
        if cancel_wait is not None:
            cancel_wait.cancel()
    # the writers are gone: the pipes reach EOF at once; a survivor holding one is cut off
    done, _ = await asyncio.wait({pumps}, timeout=DRAIN_GRACE)
    if not done:
        transport.close()
        done, _ = await asyncio.wait({pumps}, timeout=DRAIN_GRACE)
        if not done:
            pumps.cancel()
    with contextlib.suppress(BaseException):
        await pumps
    if not protocol.exited.done():  # killed: the exit is on its way
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(protocol.exited), KILL_GRACE)
    code = transport.get_returncode()
    if reason is not None:  # stopping the run was the point: nothing was "left running"
        stopped = []
    return ExecResult(code, tail, reason, stopped, survivors)


# --------------------------------------------------------------------------- the producer, without a script


def _wipe(root: Path, rel: str) -> None:
    path = root / rel
    if path.is_symlink() or path.exists():
        _remove(path)
    path.mkdir(parents=True)


def _leaf(path: str) -> str:
    return keypath.parse(path)[-1]


# the key names the script's check read, from the contract spec
_ENTRIES = spec.ENTRIES
_ROOT = _leaf(spec.ARTIFACT_ROOT)
_TEMPLATE = _leaf(spec.SOURCE_TEMPLATE)
_TEMPLATE_PATH, _TEMPLATE_SHA = _leaf(spec.TEMPLATE_PATH), _leaf(spec.TEMPLATE_SHA256)
_ENTRY_ID = next(_leaf(row.path) for entry in spec.REMOVED if entry.code == "AL104" for row in entry.keys)


def check_manifest(path: Path, mode: str) -> str | None:
    """What the script's ``validate_manifest_contract`` rejected, or None."""
    try:
        data = yaml.safe_load(path.read_bytes())
    except FileNotFoundError:
        return f"no manifest at {path.name}"
    except (OSError, yaml.YAMLError) as exc:
        return f"does not parse: {str(exc).splitlines()[0]}"
    if not isinstance(data, dict):
        return "is not a mapping"
    if str(data.get(spec.MODE, "")).strip('"') != mode:
        return f"has {spec.MODE} {data.get(spec.MODE)!r}, expected {mode!r}"
    entries = data.get(_ENTRIES)
    if not isinstance(entries, list) or not entries:
        return f"has no {_ENTRIES}"
    for i, entry in enumerate(entries):
        where = f"{_ENTRIES}[{i}]"
        if not isinstance(entry, dict):
            return f"{where} is not a mapping"
        if _ENTRY_ID in entry:
            return f"{where}.{_ENTRY_ID} must not exist"
        source = entry.get(_TEMPLATE)
        if source is None:
            continue
        if not isinstance(source, dict):
            return f"{where}.{_TEMPLATE} must be a mapping"
        for key in (_TEMPLATE_PATH, _TEMPLATE_SHA):
            if key in source and (not isinstance(source[key], str) or not source[key].strip()):
                return f"{where}.{_TEMPLATE}.{key} must be a non-blank string"
        if _TEMPLATE_SHA in source and not re.fullmatch(spec.SHA256, source[_TEMPLATE_SHA]):
            return f"{where}.{_TEMPLATE}.{_TEMPLATE_SHA} must be 64 lowercase hex characters"
    return None


def _drop_runtime_base(root: Path, rel_output: str, folders: list[Path]) -> list[str]:
    """Delete every ``runtime-base/`` folder under the output and under each entry's
    ``artifact_root`` (when that is inside a fixture folder), as the script did."""
    out = root / rel_output
    gone = []
    candidates = []
    for current, dirs, _files in os.walk(out):
        for name in list(dirs):
            if name == "runtime-base":
                candidates.append(Path(current) / name)
                dirs.remove(name)
    with contextlib.suppress(OSError, yaml.YAMLError):
        data = yaml.safe_load((out / "artifact.yml").read_bytes())
        for entry in data.get(_ENTRIES) or []:
            if isinstance(entry, dict) and isinstance(entry.get(_ROOT), str):
                candidates.append(out / entry[_ROOT] / "runtime-base")
    for path in candidates:
        real = Path(os.path.realpath(path))
        if (path.is_dir() and not path.is_symlink()) and any(_inside(f, real) for f in folders):
            shutil.rmtree(path)
            gone.append(path.relative_to(root).as_posix() if _inside(root, path) else str(path))
    return gone


def producer_argv(job: Job, env: Environment, root: Path, settings: Settings) -> list[str]:
    """The producer call the script made: ``esb artifact generate --template T --env E --mode M
    --project P --output O --artifact O/artifact.yml [--image-uri fn=URI] [--image-runtime
    fn=RT] --force --no-save-defaults``, then the environment's own ``args``."""
    output = root / output_of(env, settings)
    template = Path(env.template) if os.path.isabs(env.template) else root / env.template
    argv = [
        *job.producer,
        "--template", str(template),
        "--env", env.name,
        "--mode", env.mode,
        "--project", env.project,
        "--output", str(output),
        "--artifact", str(output / "artifact.yml"),
    ]  # fmt: skip
    for fn, uri in env.images.items():
        argv += ["--image-uri", f"{fn}={uri}"]
    for fn, runtime in env.runtimes.items():
        argv += ["--image-runtime", f"{fn}={runtime}"]
    return [*argv, "--force", "--no-save-defaults", *env.args]


@dataclass
class Produced:
    code: int | None
    tail: list[str]
    reason: str | None
    failure: str | None = None  # what failed, for the message ("the regenerate script failed ...")
    stopped: list[int] = field(default_factory=list)
    survivors: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reason is None and self.failure is None


async def _produce(job: Job, root: Path, settings: Settings, targets, reporter, cancel, on_start, marker: str) -> Produced:
    """Run the job against ``root`` (the workspace, or a scratch copy of it)."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + settings.timeout
    base_env = {**os.environ, **settings.env, MARKER_VAR: marker}
    if job.kind == "script":
        argv = [str(job.script), *settings.args]
        if targets and settings.targets_as_args:
            argv.extend(targets)
        reporter.progress("running " + " ".join(Path(a).name if i == 0 else a for i, a in enumerate(argv)))
        res = await _execute(argv, root, base_env, deadline, reporter, cancel, on_start)
        failure = None if res.code == 0 else f"the regenerate script failed with exit code {res.code}"
        return Produced(res.code, res.tail, res.reason, failure if res.reason is None else None, res.stopped, res.survivors)
    folders = fixture_folders(root, settings)
    stopped, survivors, tail = [], [], []
    code = 0
    for env in job.environments:
        if cancel is not None and cancel.is_set():
            return Produced(code, tail, "cancelled", None, stopped, survivors)
        rel_output = output_of(env, settings)
        reporter.progress(f"{env.name}: wiping {rel_output}")
        await loop.run_in_executor(None, _wipe, root, rel_output)
        argv = producer_argv(job, env, root, settings)
        reporter.progress(f"{env.name}: running " + " ".join([Path(argv[0]).name, *argv[1:]]))
        env_vars = {**base_env, "ENV_PREFIX": "ESB", "ESB_TAG": f"{env.name}-latest", **settings.env, **env.env, MARKER_VAR: marker}
        try:
            res = await _execute(argv, root, env_vars, deadline, reporter, cancel, on_start)
        except OSError as exc:  # not found, not executable
            why = "was not found" if isinstance(exc, FileNotFoundError) else f"cannot run: {exc.strerror or exc}"
            return Produced(None, tail, None, f"the producer command {argv[0]!r} {why} (regenerate.producer / ESB_CMD)", stopped, survivors)
        stopped += res.stopped
        survivors += res.survivors
        tail = res.tail or tail
        code = res.code
        if res.reason is not None:
            return Produced(res.code, tail, res.reason, None, stopped, survivors)
        if res.code != 0:
            return Produced(res.code, tail, None, f"the producer failed for {env.name} with exit code {res.code}", stopped, survivors)
        problem = await loop.run_in_executor(None, check_manifest, root / rel_output / "artifact.yml", env.mode)
        if problem is not None:
            return Produced(res.code, tail, None, f"the manifest the producer wrote for {env.name} {problem}", stopped, survivors)
        gone = await loop.run_in_executor(None, _drop_runtime_base, root, rel_output, folders)
        for path in gone:
            reporter.output("stdout", f"artifact-lsp: removed {path}/ (runtime-base is outside the contract)")
    return Produced(code, tail, None, None, stopped, survivors)


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
    late_writes: list[str] = field(default_factory=list)  # changed again after the restore
    survivors: list[int] = field(default_factory=list)
    review: dict | None = None  # where the snapshot copies are, for a diff view

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
            "lateWrites": self.late_writes,
            "survivors": self.survivors,
            "review": self.review,
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


def _leftover_note(res: Produced) -> str:
    note = ""
    if res.stopped:
        note += f"; stopped {len(res.stopped)} process(es) the run left running"
    if res.survivors:
        note += (
            f"; {len(res.survivors)} process(es) of the run could not be stopped "
            f"(pid {', '.join(map(str, res.survivors))}) and may still write"
        )
    return note


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
    refusal = preflight(root, settings, targets)
    if refusal is not None:
        return refusal
    job = plan(root, settings, targets)
    folders = fixture_folders(root, settings)
    _RUNNING.add(key)
    try:
        reporter.progress("snapshotting fixture folders")
        loop = asyncio.get_running_loop()
        marker = uuid.uuid4().hex
        state = await loop.run_in_executor(None, take_snapshot, root, folders, job.label, marker)

        def started_group(pgid: int) -> None:  # a crash leaves the group id for --restore
            state["pgid"] = pgid
            _write_state(root, state)

        try:
            res = await _produce(job, root, settings, targets, reporter, cancel, started_group, marker)
        except asyncio.CancelledError:
            # the caller was cancelled ($/cancelRequest, Ctrl-C): the process group is dead;
            # put the fixtures back before letting the cancellation through
            reporter.progress("restoring fixture folders")
            await asyncio.shield(loop.run_in_executor(None, _restore_checked, root, state))
            raise
        if res.ok:
            reporter.progress("summarising")
            summary = await loop.run_in_executor(None, _finish_success, root, state, settings.timestamps)
            counts = summary["counts"]
            message = (
                f"regenerated: {counts['added']} added, {counts['changed']} changed, {counts['removed']} removed"
                + (
                    f"; kept the committed generated_at/generator.version of {len(summary['stampsRestored'])} manifest(s) "
                    "that changed only in them"
                    if summary["stampsRestored"]
                    else ""
                )
                + (
                    f"; {len(summary['timestampOnly'])} manifest(s) changed only in generated_at/generator.version"
                    if summary["timestampOnly"] and not summary["stampsRestored"]
                    else ""
                )
                + (f"; {summary['findings']['total']} contract finding(s) left" if summary["findings"]["total"] else "; no contract finding left")
                + _leftover_note(res)
            )
            return Outcome(
                "succeeded", message, res.code, res.tail, False, summary, time.monotonic() - started,
                survivors=res.survivors, review=review_of(root, state, summary),
            )  # fmt: skip
        status = res.reason or "failed"
        reporter.progress("restoring fixture folders")
        late = await loop.run_in_executor(None, _restore_checked, root, state)
        if status == "failed":
            message = f"{res.failure}; the fixtures were restored"
        elif status == "timed out":
            message = f"the regeneration ran over {settings.timeout:g} s and was stopped; the fixtures were restored"
        else:
            message = "regeneration cancelled; the fixtures were restored"
        message += _leftover_note(res)
        if late:
            message += (
                f" — but {len(late)} path(s) changed again after the restore ({', '.join(late[:5])}"
                f"{', ...' if len(late) > 5 else ''}): a process outside the run's process group is still writing. "
                "The snapshot is kept: stop that process, then run `artifact-lsp regenerate --restore`"
            )
        return Outcome(
            status, message, res.code, res.tail, not late, None, time.monotonic() - started,
            late_writes=late, survivors=res.survivors,
        )  # fmt: skip
    finally:
        _RUNNING.discard(key)


def _restore_checked(root: Path, state: dict) -> list[str]:
    """Restore, then check the restored tree against the snapshot. On a difference (something
    wrote after the restore) the snapshot is kept for ``--restore``; otherwise dropped."""
    restore(root, state)
    _after_restore(root)
    late = differences(root, state["folders"])
    if late:
        state["status"] = "restore-incomplete"
        state["pid"] = 0
        _write_state(root, state)
    else:
        drop_snapshot(root, state)
    return late


def _finish_success(root: Path, state: dict, timestamps: str) -> dict:
    summary = summarise(root, state, timestamps)
    # the snapshot is kept for --undo until the next run or --discard, with what the run left
    state["status"] = "succeeded"
    state["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    state["after"] = [
        {"folder": r["folder"], "exists": (root / r["folder"]).is_dir(), "mode": _mode_of(root / r["folder"]),
         "entries": _listing(root / r["folder"]) if (root / r["folder"]).is_dir() else []}
        for r in state["folders"]
    ]  # fmt: skip
    state["summary"] = {k: summary[k] for k in ("added", "changed", "removed", "stampsRestored")}
    _write_state(root, state)
    return summary


def _mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode) if path.is_dir() else None
    except OSError:
        return None


def review_of(root: Path, state: dict, summary: dict) -> dict:
    """For a diff view: each changed file's snapshot copy (before) and its path (after)."""
    data = _base(root, state) / "data"
    index_of = {r["folder"]: i for i, r in enumerate(state["folders"])}

    def snap(key: str) -> str | None:
        folder = next((f for f in sorted(index_of, key=len, reverse=True) if key.startswith(f + "/")), None)
        return str(data / str(index_of[folder]) / key[len(folder) + 1 :]) if folder is not None else None

    items = []
    for change in ("changed", "added", "removed"):
        for key in summary[change]:
            items.append(
                {
                    "path": key,
                    "change": change,
                    "before": snap(key) if change != "added" else None,
                    "after": str(root / key) if change != "removed" else None,
                }
            )
    items.sort(key=lambda i: (not _is_manifest(i["path"]), i["path"]))
    return {"snapshot": str(data), "files": items}


def preflight(root: Path, settings: Settings, targets: list[str] | None = None) -> Outcome | None:
    """Why a run cannot start (busy, a snapshot left over, the script refused), or None."""
    if busy(root):
        return Outcome("busy", "a regeneration is already running for this workspace")
    stale = read_state(root)
    if stale is not None and stale.get("status") != "succeeded":
        return Outcome(
            "refused",
            f"a snapshot from an interrupted regeneration ({stale.get('started')}) is still in {stale['_dir']}: "
            "run `artifact-lsp regenerate --restore` to put the fixtures back (or --discard to drop it)",
        )
    try:
        plan(root, settings, targets)
        fixture_folders(root, settings)
        _check_state_dir(root.resolve())
    except Refused as exc:
        return Outcome("refused", str(exc))
    return None


def _write_state(root: Path, state: dict) -> None:
    base = _base(root, state)
    tmp = base / "state.json.tmp"
    tmp.write_text(json.dumps({k: v for k, v in state.items() if not k.startswith("_")}, indent=2))
    os.replace(tmp, base / "state.json")


# --------------------------------------------------------------------------- undo


def undo(root: Path, force: bool = False) -> tuple[bool, str, list[str]]:
    """Put back what the fixture folders held before the last successful run. Refused when
    the files were edited since that run (unless ``force``). (done, message, touched)."""
    root = root.resolve()
    if busy(root):
        return False, "a regeneration is running right now; wait for it or stop it first", []
    state = read_state(root)
    if state is None:
        return False, "nothing to undo: no regeneration snapshot is kept for this workspace", []
    if state.get("status") != "succeeded":
        return False, "the snapshot kept is from an interrupted run: use --restore (or --discard)", []
    if not force and state.get("after") is not None:
        edited = differences(root, state["after"])
        if edited:
            shown = ", ".join(edited[:5]) + (", ..." if len(edited) > 5 else "")
            return False, (
                f"{len(edited)} path(s) changed since the regeneration of {state.get('finished', state.get('started'))} "
                f"({shown}): undo would discard those edits; use --force to undo anyway"
            ), []
    touched = restore(root, state)
    drop_snapshot(root, state)
    return True, f"undid the regeneration of {state.get('finished', state.get('started'))}: {len(touched)} path(s) restored", touched


# --------------------------------------------------------------------------- summary


def _files_of(state: dict) -> dict[str, tuple[str, int]]:
    out = {}
    for record in state["folders"]:
        for e in record["entries"]:
            if e["kind"] == "file":
                out[f"{record['folder']}/{e['path']}"] = (e["sha256"], e["mode"])
    return out


def _is_manifest(key: str) -> bool:
    return Path(key).name in FILE_KINDS


def _strip_stamp(data):
    data = dict(data)
    data.pop("generated_at", None)
    gen = data.get("generator")
    if isinstance(gen, dict):
        gen = dict(gen)
        gen.pop("version", None)
        data["generator"] = gen
    return data


_STAMP_LINE = re.compile(rb"""^\s*["']?(generated_at|version)["']?\s*:|^["']?generator["']?\s*:.*\bversion\b""")


def _low_signal_only(before: bytes, after: bytes) -> bool:
    """True when ``after`` differs from ``before`` only in the producer's stamp
    (``generated_at`` / ``generator.version``): the data without the stamp is equal, in the
    same key order, and every changed line is a stamp line."""
    try:
        a = yaml.safe_load(before)
        b = yaml.safe_load(after)
    except yaml.YAMLError:
        return False
    if not isinstance(a, dict) or not isinstance(b, dict) or a == b:
        return False
    sa, sb = _strip_stamp(a), _strip_stamp(b)
    if sa != sb or json.dumps(sa, default=str) != json.dumps(sb, default=str):
        return False
    old, new = before.splitlines(), after.splitlines()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if not all(_STAMP_LINE.match(line) for line in old[i1:i2] + new[j1:j2]):
            return False
    return True


def _put_back(source: Path, dest: Path, mode: int) -> None:
    """Replace ``dest`` by the snapshot copy ``source`` (bytes, mode and mtime), atomically."""
    tmp = dest.with_name(f".{dest.name}.artifact-lsp-{os.getpid()}.tmp")
    shutil.copy2(source, tmp, follow_symlinks=False)
    os.chmod(tmp, mode)
    os.replace(tmp, dest)


def summarise(root: Path, state: dict, timestamps: str = "restore") -> dict:
    """What the run changed. With ``timestamps="restore"`` every manifest that changed only in
    its stamp gets its snapshot bytes back first (so it is no longer "changed")."""
    root = root.resolve()
    before = _files_of(state)
    after: dict[str, tuple[str, int]] = {}
    for record in state["folders"]:
        folder = root / record["folder"]
        if folder.is_dir():
            for rel, kind, mode, _l in _walk_entries(folder):
                if kind == "file":
                    after[f"{record['folder']}/{rel.as_posix()}"] = (_digest(folder / rel), mode)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    data = _base(root, state) / "data"
    index_of = {r["folder"]: i for i, r in enumerate(state["folders"])}
    timestamp_only, restored = [], []
    for key in changed:
        if Path(key).name not in STAMP_FILES or before[key][1] != after[key][1]:
            continue
        folder = next(f for f in sorted(index_of, key=len, reverse=True) if key.startswith(f + "/"))
        saved = data / str(index_of[folder]) / key[len(folder) + 1 :]
        with contextlib.suppress(OSError):
            if _low_signal_only(saved.read_bytes(), (root / key).read_bytes()):
                timestamp_only.append(key)
                if timestamps == "restore":
                    _put_back(saved, root / key, before[key][1])
                    restored.append(key)
    changed = [k for k in changed if k not in restored]
    by_code: dict[str, int] = {}
    items: list[dict] = []
    # the language server caches disk facts for a while: the script just changed the disk
    files.clear_facts()
    configs = ConfigCache()
    for key in sorted(after):
        if Path(key).name not in FILE_KINDS:
            continue
        path = root / key
        with contextlib.suppress(OSError):
            result = lint_path(path, configs.for_path(path))
            for finding in result.findings:
                by_code[finding.code] = by_code.get(finding.code, 0) + 1
                line, col = result.index.position(finding.start, "utf-32")
                items.append(
                    {"path": key, "line": line + 1, "column": col + 1, "code": finding.code,
                     "severity": finding.severity.name.lower() if hasattr(finding.severity, "name") else str(finding.severity),
                     "message": finding.message}
                )  # fmt: skip
    return {
        "counts": {"added": len(added), "changed": len(changed), "removed": len(removed), "stampsRestored": len(restored)},
        "added": added,
        "changed": changed,
        "removed": removed,
        "timestampOnly": timestamp_only,
        "stampsRestored": restored,
        "findings": {"total": len(items), "byCode": by_code, "items": items},
    }


def _ordered(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: (not _is_manifest(k), k))


def _file_lines(keys: list[str], limit: int = SUMMARY_LINES) -> list[str]:
    """Manifests first, one per line; other files one per line too, or grouped by folder
    with counts when there are more than ``limit`` lines."""
    keys = _ordered(keys)
    if len(keys) <= limit:
        return keys
    manifests = [k for k in keys if _is_manifest(k)]
    groups: dict[str, int] = {}
    for k in keys:
        if not _is_manifest(k):
            parent = str(Path(k).parent)
            groups[parent] = groups.get(parent, 0) + 1
    return manifests + [f"{folder}/ ({count} file{'s' if count != 1 else ''})" for folder, count in groups.items()]


def format_summary(summary: dict) -> list[str]:
    """The text summary: every added, changed and removed file, the manifests whose stamp was
    put back, and every finding left as ``path:line:col CODE message``."""
    lines = []
    for change in ("changed", "added", "removed"):
        keys = summary.get(change) or []
        if keys:
            lines.append(f"  {change} ({len(keys)}):")
            lines += [f"    {k}" for k in _file_lines(keys)]
    if summary.get("stampsRestored"):
        lines.append(f"  committed generated_at / generator.version kept (only the stamp changed) ({len(summary['stampsRestored'])}):")
        lines += [f"    {k}" for k in _ordered(summary["stampsRestored"])]
    elif summary.get("timestampOnly"):
        lines.append(f"  only generated_at / generator.version changed ({len(summary['timestampOnly'])}):")
        lines += [f"    {k}" for k in _ordered(summary["timestampOnly"])]
    items = summary.get("findings", {}).get("items") or []
    if items:
        lines.append(f"  contract findings left ({len(items)}):")
        lines += [f"    {i['path']}:{i['line']}:{i['column']} {i['code']} {i['message']}" for i in items]
    return lines


# --------------------------------------------------------------------------- the drift guard


@dataclass
class CheckOutcome:
    status: str  # "clean" | "drift" | "failed" | "cancelled" | "timed out" | "refused"
    message: str
    drift: list[dict] = field(default_factory=list)  # {path, change, diff?}
    stamp_only: list[str] = field(default_factory=list)
    exit_code: int | None = None  # the script's / producer's
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return {"clean": 0, "drift": 1, "cancelled": 130}.get(self.status, 2)

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "drift": self.drift,
            "stampOnly": self.stamp_only,
            "exitCode": self.exit_code,
            "stderrTail": self.stderr_tail,
        }


SCRATCH_SKIP = (".git",)  # never copied into the scratch workspace


def _copy_workspace(root: Path, dest: Path) -> None:
    """A scratch copy of the workspace (without ``.git``, sockets and fifos); absolute links
    into the workspace are re-pointed into the copy, so nothing the run does reaches back."""
    cache = Path(os.path.realpath(cache_home()))

    def ignore(current, names):
        skipped = []
        for name in names:
            path = os.path.join(current, name)
            if name in SCRATCH_SKIP or os.path.realpath(path) == str(cache):
                skipped.append(name)
                continue
            with contextlib.suppress(OSError):
                mode = os.lstat(path).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                    skipped.append(name)
        return skipped

    try:
        shutil.copytree(root, dest, symlinks=True, ignore=ignore)
    except shutil.Error as exc:
        problems = exc.args[0] if exc.args and isinstance(exc.args[0], list) else [exc]
        raise Refused(f"cannot copy the workspace into a scratch folder: {problems[:3]}") from None
    for current, dirs, names in os.walk(dest):
        for name in dirs + names:
            path = os.path.join(current, name)
            if os.path.islink(path):
                target = os.readlink(path)
                if os.path.isabs(target) and _inside(root, Path(target)):
                    os.unlink(path)
                    os.symlink(str(dest / Path(target).relative_to(root)), path)


def _text_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    try:
        a = old.decode("utf-8").splitlines(keepends=True) if old is not None else []
        b = new.decode("utf-8").splitlines(keepends=True) if new is not None else []
    except UnicodeDecodeError:
        return f"Binary files a/{path} and b/{path} differ\n"
    out = "".join(
        difflib.unified_diff(a, b, f"a/{path}" if old is not None else "/dev/null", f"b/{path}" if new is not None else "/dev/null")
    )
    if out and not out.endswith("\n"):
        out += "\n\\ No newline at end of file\n"
    return out


def compare_trees(base: Path, produced: Path, folders: list[str], with_diff: bool = False) -> tuple[list[dict], list[str]]:
    """(drift, stamp-only paths) between the committed fixtures (under ``base``) and what the
    producer wrote (under ``produced``); files and links, by content, mode and target."""
    drift, stamp_only = [], []
    for rel in folders:
        old = {e["path"]: e for e in _listing(base / rel) if e["kind"] != "dir"} if (base / rel).is_dir() else {}
        new = {e["path"]: e for e in _listing(produced / rel) if e["kind"] != "dir"} if (produced / rel).is_dir() else {}
        for path in sorted(set(old) | set(new)):
            a, b = old.get(path), new.get(path)
            key = f"{rel.rstrip('/')}/{path}"
            if a == b:
                continue
            if a is None:
                change = "added"
            elif b is None:
                change = "removed"
            elif a["kind"] != b["kind"] or a.get("target") != b.get("target") or a.get("sha256") != b.get("sha256"):
                change = "changed"
            else:
                change = "mode"
            old_bytes = (base / rel / path).read_bytes() if a and a["kind"] == "file" else None
            new_bytes = (produced / rel / path).read_bytes() if b and b["kind"] == "file" else None
            if change == "changed" and a["kind"] == b["kind"] == "file" and a["mode"] == b["mode"] and Path(path).name in STAMP_FILES:
                if _low_signal_only(old_bytes, new_bytes):
                    stamp_only.append(key)
                    continue
            item = {"path": key, "change": change}
            if change == "mode":
                item["detail"] = f"mode {a['mode']:o} -> {b['mode']:o}"
            if with_diff and change != "mode":
                if (a and a["kind"] == "link") or (b and b["kind"] == "link"):
                    item["diff"] = f"link a/{key} -> {a.get('target') if a else None}, b/{key} -> {b.get('target') if b else None}\n"
                else:
                    item["diff"] = _text_diff(key, old_bytes, new_bytes)
            drift.append(item)
    drift.sort(key=lambda i: (not _is_manifest(i["path"]), i["path"]))
    return drift, sorted(stamp_only)


async def check(
    root: Path,
    settings: Settings,
    targets: list[str] | None = None,
    reporter: Reporter | None = None,
    cancel: asyncio.Event | None = None,
    with_diff: bool = False,
) -> CheckOutcome:
    """The drift guard: run the script (or the producer) in a scratch copy of the workspace
    and compare its output with the committed fixtures, ignoring stamp-only differences.
    Nothing of the working tree is written, renamed or re-timestamped."""
    reporter = reporter or Reporter()
    root = root.resolve()
    try:
        plan(root, settings, targets)
        fixture_folders(root, settings)
    except Refused as exc:
        return CheckOutcome("refused", str(exc))
    script = Path(settings.script)
    if script.is_absolute() and _inside(root, Path(os.path.realpath(script))):
        # the scratch copy has its own: run that one
        settings = dataclasses.replace(settings, script=Path(os.path.realpath(script)).relative_to(root).as_posix())
    loop = asyncio.get_running_loop()
    scratch = Path(tempfile.mkdtemp(prefix="artifact-lsp-check-")).resolve()
    try:
        ws, base = scratch / "ws", scratch / "base"
        reporter.progress("copying the workspace into a scratch folder")
        try:
            await loop.run_in_executor(None, _prepare_scratch, root, ws, base, settings)
            job = plan(ws, settings, targets)
        except Refused as exc:
            return CheckOutcome("refused", str(exc))
        res = await _produce(job, ws, settings, targets, reporter, cancel, None, uuid.uuid4().hex)
        if not res.ok:
            status = res.reason or "failed"
            if status == "failed":
                message = f"{res.failure} (in a scratch copy; the working tree was not touched)"
            elif status == "timed out":
                message = f"the regeneration ran over {settings.timeout:g} s and was stopped"
            else:
                message = "the check was cancelled"
            return CheckOutcome(status, message, exit_code=res.code, stderr_tail=res.tail)
        drift, stamp_only = await loop.run_in_executor(None, compare_trees, base, ws, settings.fixtures, with_diff)
        note = f" ({len(stamp_only)} stamp-only difference(s) ignored)" if stamp_only else ""
        if drift:
            message = f"{len(drift)} fixture file(s) differ from what the producer writes today{note}: run `artifact-lsp regenerate`"
            return CheckOutcome("drift", message, drift, stamp_only, res.code, res.tail)
        return CheckOutcome("clean", f"the fixtures are what the producer writes today{note}", [], stamp_only, res.code, res.tail)
    finally:
        await loop.run_in_executor(None, lambda: shutil.rmtree(scratch, ignore_errors=True))


def _prepare_scratch(root: Path, ws: Path, base: Path, settings: Settings) -> None:
    _copy_workspace(root, ws)
    base.mkdir()
    running = read_state(root)
    if running is not None and running.get("status") != "succeeded":
        # a regeneration is running (or was interrupted): its snapshot holds the committed fixtures
        restore(ws, running)
        restore(base, running)
        return
    for rel in settings.fixtures:
        source = root / rel
        if source.is_dir():
            shutil.copytree(source, base / rel, symlinks=True)
