"""``artifact-lsp.regenerate``: run the fixture regenerate script from the editor.

The run itself (snapshot, argv without shell, process group, timeout, restore) is
``artifact_lsp.regen``; this module adds work-done progress (cancellable), the script's
output in the client's log, messages, the re-lint after a success (``ls.invalidate``) and a
code lens on every manifest. The code action on stale-fixture / runtime-base-folder
diagnostics is ``commands.regenerate_actions``; stopping runs at shutdown or SIGTERM is
``ArtifactLanguageServer.stop_regenerations``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ... import regen
from ..commands import REGENERATE_COMMAND as COMMAND
from ..commands import REGENERATE_TITLE as TITLE
from ..commands import regenerate_argument
from ..server import ArtifactLanguageServer

REPORT_INTERVAL = 0.1  # at most ten progress reports a second


def _args(args) -> tuple[str | None, list[str]]:
    """(a URI naming the workspace or a manifest, targets) from the command arguments."""
    uri: str | None = None
    targets: list[str] = []
    for value in args:
        if isinstance(value, dict):
            uri = value.get("uri", uri)
            raw = value.get("targets", [])
            if isinstance(raw, str):
                raw = [raw]
            targets.extend(str(t) for t in raw)
        elif isinstance(value, list):
            targets.extend(str(t) for t in value)
        elif isinstance(value, str):
            if value.startswith("file:"):
                uri = value
            else:
                targets.append(value)
    return uri, targets


def workspace_root(ls: ArtifactLanguageServer, uri: str | None) -> Path | None:
    folders = ls.folders()
    if uri:
        path = Path(to_fs_path(uri) or "")
        best = None
        for folder in folders:
            try:
                path.relative_to(folder)
            except ValueError:
                continue
            if best is None or len(folder.parts) > len(best.parts):
                best = folder
        if best is not None:
            return best
    return folders[0] if folders else None


def settings_for(ls: ArtifactLanguageServer, root: Path) -> regen.Settings:
    """The workspace's regenerate settings with the editor's ``artifactLsp.regenerate`` laid
    over them (``regen.resolve``, as the CLI's options are)."""
    user = ls.settings.raw.get("regenerate")
    return regen.resolve(root, user if isinstance(user, dict) else None)


class _LspReporter(regen.Reporter):
    def __init__(self, ls: ArtifactLanguageServer, token):
        self.ls = ls
        self.token = token
        self.last = 0.0
        self.lines = 0
        self.pending: str | None = None  # the newest line the rate limit held back

    def output(self, stream: str, line: str) -> None:
        self.lines += 1
        kind = lsp.MessageType.Log if stream == "stdout" else lsp.MessageType.Info
        self.ls.window_log_message(lsp.LogMessageParams(type=kind, message=f"[regenerate] {line}"))
        now = time.monotonic()
        if self.token is not None:
            if now - self.last >= REPORT_INTERVAL:
                self.last = now
                self.pending = None
                self.ls.work_done_progress.report(
                    self.token, lsp.WorkDoneProgressReport(message=line[:200], cancellable=True)
                )
            else:  # held back: sent when the interval is over, unless a newer line goes first
                if self.pending is None:
                    asyncio.get_running_loop().call_later(REPORT_INTERVAL, self.flush)
                self.pending = line[:200]

    def flush(self) -> None:
        """Send the line the rate limit held back, so the progress never shows a stale one."""
        if self.token is not None and self.pending is not None and self.token in self.ls.regen_cancels:
            self.last = time.monotonic()
            self.ls.work_done_progress.report(
                self.token, lsp.WorkDoneProgressReport(message=self.pending, cancellable=True)
            )
            self.pending = None

    def progress(self, message: str) -> None:
        self.pending = None
        self.ls.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Info, message=f"[regenerate] {message}"))
        if self.token is not None:
            self.last = time.monotonic()
            self.ls.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(message=message, cancellable=True))


SETTINGS_WAIT = 5.0  # a command sent right after start waits this long for the settings


async def regenerate(ls: ArtifactLanguageServer, *args):
    uri, targets = _args(args)
    root = workspace_root(ls, uri)
    if root is None:
        return _refuse(ls, "open a folder (workspace) first: regeneration runs the workspace's script")
    if ls.untrusted:
        return _refuse(ls, "regeneration is disabled in an untrusted workspace")
    loop = asyncio.get_running_loop()
    # the user's settings may still be on their way right after start
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ls.settings_ready.wait(), SETTINGS_WAIT)
    try:  # reads the repository's config file: off the event loop
        settings = await loop.run_in_executor(ls.executor, settings_for, ls, root)
    except regen.Refused as exc:
        return _refuse(ls, str(exc))
    refusal = await loop.run_in_executor(ls.executor, regen.preflight, root, settings)
    if refusal is not None:  # decided before any progress bar appears
        if refusal.status == "busy":
            ls.window_show_message(
                lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"artifact-lsp: {refusal.message}")
            )
            return refusal.to_dict()
        return _refuse(ls, refusal.message)

    token = None
    cancel = asyncio.Event()
    _stop_on_cancel_request(ls, cancel)
    finished = loop.create_future()
    ls.regen_active[cancel] = finished
    if ls.client_supports("window.work_done_progress"):
        token = f"artifact-lsp-regenerate-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:
            token = None
    if token is not None:
        ls.regen_cancels[token] = cancel
        ls.work_done_progress.begin(
            token, lsp.WorkDoneProgressBegin(title=TITLE, cancellable=True, message="starting", percentage=None)
        )
    reporter = _LspReporter(ls, token)
    try:
        outcome = await regen.run(root, settings, targets, reporter, cancel)
    except asyncio.CancelledError:
        # $/cancelRequest: regen.run has restored the fixtures before letting this through
        if token is not None:
            ls.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message="cancelled; fixtures restored"))
            ls.regen_cancels.pop(token, None)
        raise
    finally:
        ls.regen_active.pop(cancel, None)
        if not finished.done():
            finished.set_result(None)
    if token is not None:
        ls.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=outcome.message))
        ls.regen_cancels.pop(token, None)
    _announce(ls, outcome)
    if outcome.summary:  # the named changes and findings, in the log (the result has them too)
        for line in regen.format_summary(outcome.summary):
            ls.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Info, message=f"[regenerate] {line}"))
    if outcome.ok:
        ls.invalidate("regenerated")
    return outcome.to_dict()


async def undo(ls: ArtifactLanguageServer, *args):
    """Put back what the fixtures held before the last successful regeneration (its
    snapshot is kept until the next run, and survives a restart). Arguments: a URI (or
    ``{uri, force}``); refused when the fixtures were edited since, unless ``force``."""
    uri, _targets = _args(args)
    force = any(isinstance(a, dict) and a.get("force") is True for a in args)
    root = workspace_root(ls, uri)
    if root is None:
        return _refuse(ls, "open a folder (workspace) first")
    if ls.untrusted:
        return _refuse(ls, "undoing a regeneration is disabled in an untrusted workspace")
    loop = asyncio.get_running_loop()
    done, message, touched = await loop.run_in_executor(ls.executor, regen.undo, root, force)
    kind = lsp.MessageType.Info if done else lsp.MessageType.Warning
    ls.window_show_message(lsp.ShowMessageParams(type=kind, message=f"artifact-lsp: {message}"))
    if done:
        ls.invalidate("regenerated")
    return {"status": "undone" if done else "refused", "message": message, "restored": touched}


def progress_cancel(ls: ArtifactLanguageServer, params: lsp.WorkDoneProgressCancelParams):
    event = ls.regen_cancels.get(params.token)
    if event is not None:
        event.set()


CODE_LENS_OPTIONS = lsp.CodeLensOptions(resolve_provider=False)


def code_lens(ls: ArtifactLanguageServer, params: lsp.CodeLensParams):
    doc = ls.docs.get(params.text_document.uri)
    if doc is None or doc.kind not in ("manifest", "json"):
        return None
    title, argument = regenerate_argument(doc)
    return [
        lsp.CodeLens(
            range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
            command=lsp.Command(title=title, command=COMMAND, arguments=[argument]),
        )
    ]


def _stop_on_cancel_request(ls: ArtifactLanguageServer, cancel: asyncio.Event) -> None:
    """Make ``$/cancelRequest`` for this ``workspace/executeCommand`` stop the run.

    pygls runs a command handler in a task of its own under the request's generator: a
    ``$/cancelRequest`` cancels only the request's future (and answers RequestCancelled),
    never that task, so the script would run on until its timeout. The request id is in
    the handler's context; when its future is cancelled, set the run's cancel event.
    """
    msg_id = ls.protocol.msg_id
    future = ls.protocol._request_futures.get(msg_id) if msg_id is not None else None
    if future is not None:
        future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)


def _refuse(ls: ArtifactLanguageServer, message: str) -> dict:
    ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"artifact-lsp: {message}"))
    return regen.Outcome("refused", message).to_dict()


def _announce(ls: ArtifactLanguageServer, outcome: regen.Outcome) -> None:
    if outcome.ok:
        ls.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Info, message=f"artifact-lsp: {outcome.message}")
        )
        return
    text = outcome.message
    if outcome.stderr_tail:
        text += "\n" + "\n".join(outcome.stderr_tail[-5:])
    kind = lsp.MessageType.Warning if outcome.status == "cancelled" else lsp.MessageType.Error
    ls.window_show_message(lsp.ShowMessageParams(type=kind, message=f"artifact-lsp: {text}"))
