"""The run (``run``): preflight, snapshot, the script or producer, then restore on failure or
summarise on success; ``undo`` of the last successful run."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .producer import Produced, _produce
from .settings import Refused, Settings, fixture_folders, plan
from .snapshot import (
    _check_state_dir,
    _listing,
    _mode_of,
    _pid_alive,
    _write_state,
    differences,
    drop_snapshot,
    read_state,
    restore,
    take_snapshot,
)
from .summary import review_of, summarise


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
    return bool(
        state
        and state.get("status") == "running"
        and _pid_alive(int(state.get("pid", 0)))
        and state.get("pid") != os.getpid()
    )


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
                + (
                    f"; {summary['findings']['total']} contract finding(s) left"
                    if summary["findings"]["total"]
                    else "; no contract finding left"
                )
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


def _after_restore(root: Path) -> None:
    """A seam for tests: called between the restore and its check."""


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
            return (
                False,
                (
                    f"{len(edited)} path(s) changed since the regeneration of {state.get('finished', state.get('started'))} "
                    f"({shown}): undo would discard those edits; use --force to undo anyway"
                ),
                [],
            )
    touched = restore(root, state)
    drop_snapshot(root, state)
    return (
        True,
        f"undid the regeneration of {state.get('finished', state.get('started'))}: {len(touched)} path(s) restored",
        touched,
    )
