"""Pulled diagnostics: ``textDocument/diagnostic`` and ``workspace/diagnostic``.

- A client that can pull pulls; others get ``publishDiagnostics`` with the document version
  (``scheduler``). Never both for the same document.
- Unopened manifests in the workspace folders are linted at start and after config or
  file-system changes: answered to ``workspace/diagnostic`` when the client asks for it,
  pushed otherwise (so even a pull-only editor shows stale fixtures nobody opened).
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types as lsp

from .. import scheduler
from ..server import ArtifactLanguageServer

OPTIONS = lsp.DiagnosticOptions(identifier="artifact-lsp", inter_file_dependencies=True, workspace_diagnostics=True)


async def pull_document(ls: ArtifactLanguageServer, params: lsp.DocumentDiagnosticParams) -> dict:
    uri = params.text_document.uri
    doc = ls.docs.get(uri)
    if doc is None:
        served = ls.serves(uri)
        if served is None:
            return {"kind": "full", "items": []}
        entry = ls.workspace_results.get(uri)
        if entry is None:
            return {"kind": "full", "items": []}
        return {"kind": "full", "resultId": entry[1], "items": entry[0]}
    found = await ls.current_result(uri, tree=False)
    if found is None:
        return {"kind": "full", "items": []}
    doc, result = found
    rid = scheduler.result_id(ls, doc)
    if params.previous_result_id == rid:
        return {"kind": "unchanged", "resultId": rid}
    return {"kind": "full", "resultId": rid, "items": await scheduler.converted(ls, result, uri)}


async def pull_workspace(ls: ArtifactLanguageServer, params: lsp.WorkspaceDiagnosticParams) -> dict:
    if not ls.workspace_pull_seen:
        ls.workspace_pull_seen = True
        for uri in list(ls.pushed_workspace):  # the client pulls now: drop what we pushed
            scheduler.publish(ls, uri, [])
        ls.pushed_workspace.clear()
    # right after `initialized` the first pass may not even have started: wait for it
    # (and for a pass in flight), so the answer is never an empty workspace
    await ls.workspace_ready.wait()
    while ls.workspace_task is not None and not ls.workspace_task.done():
        try:
            await asyncio.shield(ls.workspace_task)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
    previous = {p.uri: p.value for p in (params.previous_result_ids or [])}
    items: list[dict[str, Any]] = []
    for uri, (diags, rid) in ls.workspace_results.items():
        if uri in ls.docs:
            continue
        if previous.get(uri) == rid:
            items.append({"kind": "unchanged", "uri": uri, "resultId": rid, "version": None})
        else:
            items.append({"kind": "full", "uri": uri, "resultId": rid, "version": None, "items": diags})
    return {"items": items}
