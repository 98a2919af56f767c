"""Code actions and commands: quick fixes, suppressions, fix-all (also on save).

Every edit comes from the engine, computed against the exact text of the document version
the client sees now, and already proven by it (re-parsed, data compared) before it is
offered; workspace edits carry that version when the client supports ``documentChanges``.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from ..engine.fixes import diff_edits
from ..engine.linter import fix_text
from .app import ArtifactLanguageServer
from .convert import diagnostic, offset_of, text_edits, to_lsp_diagnostic, workspace_edit

FIX_ALL_KIND = "source.fixAll.artifact-lsp"
FIX_ALL_COMMAND = "artifact-lsp.fixAll"
FIX_ALL_TITLE = "Remove all legacy keys in this file"


def _wanted(only, kind: str) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def _fix_all_edit(ls: ArtifactLanguageServer, doc, result):
    new_text, fixed = fix_text(result.text, path=doc.path, kind=doc.kind, config=ls.config_for(doc.path))
    if not fixed or new_text == result.text:
        return None, fixed
    edits = text_edits(result.index, diff_edits(result.text, new_text), ls.encoding)
    return workspace_edit(doc.uri, doc.version, edits, ls.document_changes), fixed


def register(ls: ArtifactLanguageServer) -> None:
    @ls.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    async def code_action(ls: ArtifactLanguageServer, params: lsp.CodeActionParams):
        uri = params.text_document.uri
        found = await ls.current_result(uri)
        if found is None:
            return None
        doc, result = found
        only = params.context.only
        encoding = ls.encoding
        index = result.index
        actions: list[lsp.CodeAction] = []
        loop = asyncio.get_running_loop()

        if _wanted(only, lsp.CodeActionKind.QuickFix):
            start = offset_of(index, params.range.start, encoding)
            end = offset_of(index, params.range.end, encoding)
            fixer = result.fixer
            for finding in result.findings:
                if finding.end < start or finding.start > end:
                    continue
                diag = to_lsp_diagnostic(diagnostic(finding, index, encoding, uri, related=False, docs_url=result.docs_url))
                fix = await loop.run_in_executor(ls.executor, fixer.fix_for, finding) if finding.plan else None
                if fix is not None:
                    actions.append(
                        lsp.CodeAction(
                            title=f"{fix.title} ({finding.code})",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[diag],
                            is_preferred=True,
                            edit=workspace_edit(uri, doc.version, text_edits(index, fix.edits, encoding), ls.document_changes),
                        )
                    )
                suppress = fixer.suppression(finding)
                actions.append(
                    lsp.CodeAction(
                        title=suppress.title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=False,
                        edit=workspace_edit(uri, doc.version, text_edits(index, suppress.edits, encoding), ls.document_changes),
                    )
                )

        if _wanted(only, lsp.CodeActionKind.QuickFix):
            from .regenerate import regenerate_actions

            start = offset_of(index, params.range.start, encoding)
            end = offset_of(index, params.range.end, encoding)
            actions.extend(regenerate_actions(ls, doc, [f for f in result.findings if f.start <= end and f.end >= start]))

        want_fix_all = _wanted(only, FIX_ALL_KIND) or _wanted(only, lsp.CodeActionKind.QuickFix)
        if want_fix_all and result.fixable:
            edit, fixed = await loop.run_in_executor(ls.executor, _fix_all_edit, ls, doc, result)
            if edit is not None:
                if _wanted(only, lsp.CodeActionKind.QuickFix) and len(fixed) > 1:
                    actions.append(
                        lsp.CodeAction(
                            title=f"{FIX_ALL_TITLE} ({len(fixed)} fixes)",
                            kind=lsp.CodeActionKind.QuickFix,
                            edit=edit,
                        )
                    )
                if _wanted(only, FIX_ALL_KIND) and only:
                    # source.fixAll is asked for explicitly (on save, or by a command)
                    actions.append(lsp.CodeAction(title=f"artifact-lsp: {FIX_ALL_TITLE.lower()}", kind=FIX_ALL_KIND, edit=edit))
        return actions

    @ls.command(FIX_ALL_COMMAND)
    async def fix_all_command(ls: ArtifactLanguageServer, *args):
        """``artifact-lsp.fixAll`` with a document URI (or ``{"uri": ...}``): applies the edit."""
        uri = _uri_arg(args)
        if uri is None:
            return {"applied": False, "fixed": 0, "message": "give the document URI"}
        found = await ls.current_result(uri)
        if found is None:
            return {"applied": False, "fixed": 0, "message": "not an artifact-lsp document (open it first)"}
        doc, result = found
        loop = asyncio.get_running_loop()
        edit, fixed = await loop.run_in_executor(ls.executor, _fix_all_edit, ls, doc, result)
        if edit is None:
            return {"applied": False, "fixed": 0, "message": "nothing to fix"}
        response = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label=FIX_ALL_TITLE))
        return {"applied": bool(response.applied), "fixed": len(fixed), "message": response.failure_reason or ""}


def _uri_arg(args):
    for value in args:
        if isinstance(value, (list, tuple)):
            found = _uri_arg(value)
            if found:
                return found
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("uri"), str):
            return value["uri"]
    return None


__all__ = ["register", "FIX_ALL_KIND", "FIX_ALL_COMMAND"]
