"""Document sync: ``textDocument/didOpen``, ``didChange``, ``didSave``, ``didClose``.

An open document of ours is linted on open and on every change (coalesced: see
``scheduler.lint_and_push``); a pull client pulls the result, others get it pushed.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from .. import scheduler
from ..server import ArtifactLanguageServer
from ..state import TRIM_AFTER_CHARS, Doc


def did_open(ls: ArtifactLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    served = ls.serves(item.uri)
    if served is None:
        return
    path, kind = served
    doc = Doc(item.uri, path, kind, item.version)
    ls.docs[item.uri] = doc
    scheduler.touch_doc(ls, item.uri)
    if item.uri in ls.pushed_workspace:
        ls.pushed_workspace.discard(item.uri)
        if ls.pull:
            # a pull client keeps pushed and pulled diagnostics apart: clear what we pushed
            # while the file was closed, or it stays beside the pulled ones (and goes stale)
            scheduler.publish(ls, item.uri, [])
    if ls.pull:
        # start linting now: the pull that follows finds the result ready (or in flight)
        doc.task = asyncio.ensure_future(scheduler.prime(ls, doc))
    else:
        scheduler.schedule(ls, doc)


def did_change(ls: ArtifactLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None:
        return
    doc.version = params.text_document.version
    if not ls.pull:
        scheduler.schedule(ls, doc)


def did_save(ls: ArtifactLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
    doc = ls.docs.get(params.text_document.uri)
    # a saved manifest may change what other files report (a matrix naming it): re-lint
    # those, not the whole workspace
    manifest = doc is not None and doc.path is not None and doc.kind != "matrix"
    ls.invalidate("saved", [str(doc.path)] if doc is not None and manifest else [])


def did_close(ls: ArtifactLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    doc = ls.docs.pop(params.text_document.uri, None)
    if doc is None:
        return
    scheduler.touch_doc(ls, doc.uri)
    if doc.task is not None and not doc.task.done():
        doc.task.cancel()
    if doc.freshen is not None:
        doc.freshen.cancel()
    doc.freshen = doc.pending = None
    if not ls.pull:
        scheduler.publish(ls, doc.uri, [])
    big = doc.result is not None and len(doc.result.text) > TRIM_AFTER_CHARS
    doc.result = None
    if big:  # give a big document's tree back to the OS, not only to the allocator
        asyncio.get_running_loop().run_in_executor(ls.big_executor, scheduler.release_memory)
