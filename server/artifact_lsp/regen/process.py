"""Running one command of a regeneration: an argv list (no shell) in its own process group,
its output streamed line by line, a cancel or the deadline honoured, and everything the run
started stopped afterwards (TERM, then KILL) before its pipes are drained."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

KILL_GRACE = 5.0  # seconds between TERM and KILL, and after KILL
DRAIN_GRACE = 2.0  # seconds the output pipes get to reach EOF once the run's processes are gone
MAX_LINE = 64 * 1024  # bytes of one output line passed on; the rest of a longer line is dropped
MARKER_VAR = "ARTIFACT_LSP_REGENERATE_RUN"  # set for the run; every descendant inherits it


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
        while time.monotonic() < deadline:
            if not await loop.run_in_executor(None, run_processes, pgid, marker):
                break
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


async def _execute(
    argv, cwd: Path, env, deadline: float, reporter, cancel: asyncio.Event | None, on_start=None
) -> ExecResult:
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
        done, _ = await asyncio.wait(
            waits, timeout=max(deadline - time.monotonic(), 0), return_when=asyncio.FIRST_COMPLETED
        )
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
