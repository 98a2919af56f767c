"""The drift guard (``regenerate --check``): the same run in a scratch copy of the workspace,
compared with the committed fixtures, ignoring stamp-only differences."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import os
import shutil
import stat
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .producer import _produce
from .runner import Reporter
from .settings import Refused, Settings, _inside, fixture_folders, plan
from .snapshot import _listing, cache_home, read_state, restore
from .summary import STAMP_FILES, _is_manifest, _low_signal_only


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
        difflib.unified_diff(
            a, b, f"a/{path}" if old is not None else "/dev/null", f"b/{path}" if new is not None else "/dev/null"
        )
    )
    if out and not out.endswith("\n"):
        out += "\n\\ No newline at end of file\n"
    return out


def compare_trees(
    base: Path, produced: Path, folders: list[str], with_diff: bool = False
) -> tuple[list[dict], list[str]]:
    """(drift, stamp-only paths) between the committed fixtures (under ``base``) and what the
    producer wrote (under ``produced``); files and links, by content, mode and target."""
    drift, stamp_only = [], []
    for rel in folders:
        old = {e["path"]: e for e in _listing(base / rel) if e["kind"] != "dir"} if (base / rel).is_dir() else {}
        new = (
            {e["path"]: e for e in _listing(produced / rel) if e["kind"] != "dir"} if (produced / rel).is_dir() else {}
        )
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
            if (
                change == "changed"
                and a is not None  # (always, when changed: for the type checker)
                and b is not None
                and old_bytes is not None  # both are files: their bytes were read
                and new_bytes is not None
                and a["mode"] == b["mode"]
                and Path(path).name in STAMP_FILES
            ) and _low_signal_only(old_bytes, new_bytes):
                stamp_only.append(key)
                continue
            item = {"path": key, "change": change}
            if change == "mode" and a is not None and b is not None:  # always both, for "mode"
                item["detail"] = f"mode {a['mode']:o} -> {b['mode']:o}"
            if with_diff and change != "mode":
                if (a and a["kind"] == "link") or (b and b["kind"] == "link"):
                    item["diff"] = (
                        f"link a/{key} -> {a.get('target') if a else None}, b/{key} -> {b.get('target') if b else None}\n"
                    )
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
        return CheckOutcome(
            "clean", f"the fixtures are what the producer writes today{note}", [], stamp_only, res.code, res.tail
        )
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
