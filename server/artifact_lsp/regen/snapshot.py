"""The snapshot of the fixture folders (content, modes, symlinks, empty folders) in the user's
cache folder, its state file, the byte-for-byte restore and the check of a tree against it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

from .settings import Refused, _inside

LEGACY_STATE_DIR = ".artifact-lsp/regenerate"  # where versions before 0.2 kept the snapshot


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


def _write_state(root: Path, state: dict) -> None:
    base = _base(root, state)
    tmp = base / "state.json.tmp"
    tmp.write_text(json.dumps({k: v for k, v in state.items() if not k.startswith("_")}, indent=2))
    os.replace(tmp, base / "state.json")


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


def _mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode) if path.is_dir() else None
    except OSError:
        return None


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
        record: dict[str, Any] = {"folder": rel_folder, "exists": folder.is_dir(), "mode": None, "entries": []}
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
