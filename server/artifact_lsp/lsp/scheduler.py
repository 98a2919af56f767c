"""The lint scheduler: linting open documents and the workspace, and sending the results.

Shared by the handlers (document sync, diagnostics, lifecycle, regeneration); it holds no
state of its own (that is the server's).

- A client that can pull (``textDocument/diagnostic``) pulls; others get
  ``publishDiagnostics`` with the document version. Never both for the same document.
- Unopened manifests in the workspace folders are linted at start and after config or
  file-system changes: answered to ``workspace/diagnostic`` when the client asks for it,
  pushed otherwise (so even a pull-only editor shows stale fixtures nobody opened).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..engine import files, linter
from . import workspace_lint
from .convert import diagnostic, encode_diagnostics
from .state import FACTS_TTL, TRIM_AFTER_CHARS, Doc, is_config_file, trim_memory

if TYPE_CHECKING:
    from .server import ArtifactLanguageServer

log = logging.getLogger("artifact_lsp.server")


def diagnostics_of(ls: ArtifactLanguageServer, result: linter.LintResult, uri: str) -> list[dict]:
    index, encoding = result.index, ls.encoding
    related = ls.client_supports("text_document.publish_diagnostics.related_information") or ls.pull
    if not result.findings:
        return []
    return [diagnostic(f, index, encoding, uri, related, result.docs_url) for f in result.findings]


def publish(ls: ArtifactLanguageServer, uri: str, items: list[dict], version: int | None = None) -> None:
    """Send ``textDocument/publishDiagnostics`` as plain JSON (no cattrs round trip)."""
    params: dict[str, Any] = {"uri": uri, "diagnostics": items}
    if version is not None:
        params["version"] = version
    ls.protocol._send_data({"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})


# more findings than this: converted and JSON-encoded on a worker thread, so that a big
# document's diagnostics never hold up the event loop (and the small documents' requests)
OFF_LOOP_FINDINGS = 300


async def converted(ls: ArtifactLanguageServer, result: linter.LintResult, uri: str) -> list[dict]:
    """``diagnostics_of``, kept on the result (a pull, a push and the code actions of one
    version convert once); big results are converted on a worker thread."""
    key = (ls.encoding, ls.pull or ls.client_supports("text_document.publish_diagnostics.related_information"), uri)
    cached = result._lsp_items
    if cached is not None and cached[0] == key:
        return cached[1]
    if len(result.findings) > OFF_LOOP_FINDINGS:
        loop = asyncio.get_running_loop()
        items = await loop.run_in_executor(_lane(ls, len(result.text)), diagnostics_of, ls, result, uri)
    else:
        items = diagnostics_of(ls, result, uri)
    result._lsp_items = (key, items)  # the adapter's cache on the result
    return items


async def publish_async(ls: ArtifactLanguageServer, uri: str, items: list[dict], version: int | None = None) -> None:
    """``publish``, with a big payload encoded on a worker thread and written as it is."""
    if len(items) <= OFF_LOOP_FINDINGS or ls.protocol.writer is None:
        publish(ls, uri, items, version)
        return
    params: dict[str, Any] = {"uri": uri, "diagnostics": items}
    if version is not None:
        params["version"] = version
    message = {"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params}
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(_lane(ls, len(items) * 200), _frame, message)
    ls.protocol.writer.write(data)


async def push_result(ls: ArtifactLanguageServer, uri: str, result: linter.LintResult, version: int | None) -> None:
    """Publish a document's diagnostics, encoded straight to JSON (``encode_diagnostics``);
    a big result is encoded on a worker thread."""
    if ls.protocol.writer is None:
        publish(ls, uri, await converted(ls, result, uri), version)
        return
    related = ls.client_supports("text_document.publish_diagnostics.related_information")
    args = (result.findings, result.index, ls.encoding, uri, related, version, result.docs_url)
    if len(result.findings) > OFF_LOOP_FINDINGS:
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(_lane(ls, len(result.text)), _publish_frame, *args)
    else:
        data = _publish_frame(*args)
    ls.protocol.writer.write(data)


def _publish_frame(findings, index, encoding, uri, related, version, docs_url=None) -> bytes:
    items = encode_diagnostics(findings, index, encoding, uri, related, docs_url) if findings else "[]"
    tail = f', "version": {int(version)}}}}}' if version is not None else "}}"
    body = (
        '{"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": {"uri": '
        + json.dumps(uri)
        + ', "diagnostics": '
        + items
        + tail
    ).encode("utf-8")
    return b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body) + body


def _lane(ls: ArtifactLanguageServer, size: int):
    """The big documents' thread for big work, so small documents never wait behind it."""
    return ls.big_executor if size > TRIM_AFTER_CHARS else ls.executor


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body) + body


def result_id(ls: ArtifactLanguageServer, doc: Doc) -> str:
    # (``freshened``: a version's findings change when ``freshen`` lints it in full; a client
    # that pulls with the id it has must get them, not "unchanged")
    return f"{doc.version}:{ls.epoch}:{doc.freshened}"


async def lint_and_push(ls: ArtifactLanguageServer, doc: Doc) -> None:
    """Lint and publish until the published result matches the latest version.

    Edits that arrive while a lint runs are coalesced: the next pass lints only the newest
    version. So a cheap lint answers every keystroke at once, and an expensive one waits
    exactly as long as the lint before it took (debounce by cost, without a timer).
    """
    try:
        while ls.docs.get(doc.uri) is doc:
            result = await ls.lint_doc(doc)
            if result is None:
                continue  # the document moved on while linting: lint the newest version
            if not ls.pull:
                version, epoch = doc.result_version, ls.epoch
                await push_result(ls, doc.uri, result, version)
                if doc.version != version or ls.epoch != epoch:
                    continue  # it moved on while a big result was encoded: its schedule() found us running
            return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # never let a lint kill the server
        ls.report_server_error(exc, lint_and_push)


def freshen_later(ls: ArtifactLanguageServer, doc: Doc, result: linter.LintResult) -> None:
    """An incremental result (``engine.incremental``) keeps the disk findings of the entries an
    edit did not touch from the lint they came from. Once those are older than the disk facts
    may be (``FACTS_TTL``) and the document has been idle for ``IDLE`` seconds, lint it in full,
    so that a file created or deleted on disk shows up as it would on a keystroke without
    incremental lint (file watchers, when the client has them, invalidate everything at once).
    A full lint never runs between two keystrokes of a burst."""
    if doc.freshen is not None:
        doc.freshen.cancel()
    now = time.monotonic()
    delay = max(IDLE, result.checked_at + FACTS_TTL - now)
    loop = asyncio.get_running_loop()
    # (the callback holds the document, not the result: a closed document keeps nothing alive)
    doc.freshen = loop.call_later(delay, lambda: asyncio.ensure_future(freshen(ls, doc)))


IDLE = 1.0  # seconds without a change before a document is freshened


async def freshen(ls: ArtifactLanguageServer, doc: Doc) -> None:
    doc.freshen = None
    result = doc.result
    if (
        result is None
        or not result.reused
        or ls.docs.get(doc.uri) is not doc
        or doc.result_version != doc.version
        or (doc.task is not None and not doc.task.done())
    ):
        return  # closed, or a newer lint is on its way (it is fresher, or freshens itself)
    version, epoch = doc.result_version, doc.result_epoch
    loop = asyncio.get_running_loop()
    try:
        fresh = await loop.run_in_executor(
            _lane(ls, len(result.text)), ls.lint_now, result.text, doc.path, doc.kind, None
        )
    except Exception as exc:
        ls.report_server_error(exc, freshen)
        return
    if doc.result is not result or doc.version != version or ls.epoch != epoch or ls.docs.get(doc.uri) is not doc:
        return
    doc.result = fresh
    changed = _key(fresh.findings) != _key(result.findings)
    result = None
    if not changed:
        return
    doc.freshened += 1
    if not ls.pull:
        # published by the document's one lint pass (it finds ``fresh`` as the current result):
        # a publication of its own could be overtaken by a newer version's while it is encoded
        schedule(ls, doc)
    elif ls.client_supports("workspace.diagnostics.refresh_support"):
        ls.workspace_diagnostic_refresh(None)


def _key(findings) -> list:
    return [(f.code, f.message, f.start, f.end, f.severity) for f in findings]


def schedule(ls: ArtifactLanguageServer, doc: Doc) -> None:
    """Make sure a lint of the newest version is on its way (one per document at a time)."""
    if doc.task is not None and not doc.task.done():
        return  # the running pass loops until it has linted the newest version
    doc.task = asyncio.ensure_future(lint_and_push(ls, doc))


def relint_open(ls: ArtifactLanguageServer) -> None:
    if ls.pull:
        if ls.client_supports("workspace.diagnostics.refresh_support"):
            ls.workspace_diagnostic_refresh(None)
        return
    for doc in ls.docs.values():
        schedule(ls, doc)


# --------------------------------------------------------------------------- workspace lint


def touch_doc(ls: ArtifactLanguageServer, uri: str) -> None:
    """A document was opened or closed: a pass that began before does not publish for it."""
    ls.doc_serial += 1
    ls.doc_stamps[uri] = ls.doc_serial


async def lint_workspace(ls: ArtifactLanguageServer) -> None:
    """Run passes until no work is pending (one pass at a time; requests merge)."""
    loop = asyncio.get_running_loop()
    try:
        while not ls.ws_pending.empty():
            work, ls.ws_pending = ls.ws_pending, workspace_lint.Work()
            ls.ws_cancel = cancel = threading.Event()
            index = ls.ws_index
            discover_in, relint = workspace_lint.plan(index, work, ls.folders())
            known_under = {f: index.under(f) for f in discover_in}
            serial = ls.doc_serial
            results, problems = await loop.run_in_executor(
                ls.workspace_executor,
                workspace_lint.run_pass,
                ls,
                discover_in,
                relint,
                known_under,
                set(ls.docs),
                cancel,
                lambda result, uri: diagnostics_of(ls, result, uri),
            )
            _report_unreadable_folders(ls, problems)
            if results is None:
                continue  # stopped for a full rescan (already pending)
            if work.full:
                gone = set(index.entries) - set(results)
                for path in gone:
                    results[path] = None
            _apply(ls, results, serial)
            if work.full:
                ls.workspace_ready.set()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        ls.report_server_error(exc, lint_workspace)
        ls.workspace_ready.set()  # never leave a pull waiting on a pass that died


def _apply(ls: ArtifactLanguageServer, results: dict, serial: int) -> None:
    """Store a pass's results and publish what changed."""
    index = ls.ws_index
    changed: list[tuple[str, list]] = []
    for path, value in results.items():
        old = index.entries.get(path)
        if value is None:
            if old is not None:
                index.remove(path)
                ls.workspace_results.pop(old.uri, None)
                changed.append((old.uri, []))
            continue
        uri, items, deps = value
        if ls.doc_stamps.get(uri, 0) > serial or uri in ls.docs:
            continue  # opened or closed since the pass began: the open document speaks for it
        rid = old.rid if old is not None and old.items == items else index.next_rid()
        index.put(path, workspace_lint.Entry(uri, items, rid, deps))
        ls.workspace_results[uri] = (items, rid)
        if old is None or old.items != items:
            changed.append((uri, items))
    if not changed:
        return
    if ls.workspace_pull_seen:
        if ls.client_supports("workspace.diagnostics.refresh_support"):
            ls.workspace_diagnostic_refresh(None)
        return
    for uri, items in changed:
        if uri in ls.docs:
            continue
        if items or uri in ls.pushed_workspace:
            publish(ls, uri, items)
            if items:
                ls.pushed_workspace.add(uri)
            else:
                ls.pushed_workspace.discard(uri)


def _report_unreadable_folders(ls: ArtifactLanguageServer, problems) -> None:
    fresh = [(f, why) for f, why in problems if f not in ls.ws_unreadable]
    if not fresh:
        return
    ls.ws_unreadable.update(f for f, _ in fresh)
    shown = ", ".join(f"{f} ({why})" for f, why in fresh[:5]) + (
        f" and {len(fresh) - 5} more" if len(fresh) > 5 else ""
    )
    message = f"artifact-lsp: cannot read {'folders' if len(fresh) > 1 else 'the folder'} {shown}: the manifests in {'them' if len(fresh) > 1 else 'it'} are not checked"
    log.warning(message)
    ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message))


def schedule_workspace(ls: ArtifactLanguageServer, work: workspace_lint.Work | None = None) -> None:
    """Ask for a workspace pass (``work`` None: everything). Merged into the pending work; a
    full rescan stops the running pass at its next file."""
    work = work if work is not None else workspace_lint.Work(full=True)
    if work.empty():
        return
    ls.ws_pending.merge(work)
    if work.full:
        ls.ws_cancel.set()
    if ls.workspace_task is None or ls.workspace_task.done():
        ls.workspace_task = asyncio.ensure_future(lint_workspace(ls))


def changed_paths_work(paths) -> workspace_lint.Work:
    """The pass that a set of changed paths needs."""
    work = workspace_lint.Work()
    for path in paths:
        path = os.path.normpath(path)
        if is_config_file(path):
            work.folders.add(os.path.dirname(path))
        work.paths.add(path)
    return work


def release_memory() -> None:
    """After a big document closes: drop what was kept for its next edit (disk facts, the
    JSON pieces of its diagnostics), collect, and give the heap back to the OS."""
    import gc

    from . import convert

    files.clear_facts()
    convert._TAILS.clear()
    gc.collect()
    trim_memory()


async def prime(ls: ArtifactLanguageServer, doc: Doc) -> None:
    try:
        await ls.lint_doc(doc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        ls.report_server_error(exc, prime)
