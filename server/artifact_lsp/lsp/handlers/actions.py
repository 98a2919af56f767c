"""Code actions and commands: quick fixes, suppressions, fix-all (also on save).

Every edit comes from the engine, computed against the exact text of one lint result, and
already proven by it (re-parsed, data compared) before it is offered; workspace edits carry
the version of that text (taken with it, never read again after an await) when the client
supports ``documentChanges``.

"Remove all legacy keys in this file" is not computed for the lightbulb: it is offered with
``data`` and computed in ``codeAction/resolve`` when the client picks it (clients without
resolve support get it computed; the engine builds it as one edit set with one proof).
"""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from ...engine.linter import fix_edits
from ..commands import FIX_ALL_COMMAND, FIX_ALL_KIND, regenerate_actions
from ..convert import diagnostic, offset_of, text_edits, to_lsp_diagnostic, workspace_edit
from ..server import ArtifactLanguageServer
from ..state import Doc

FIX_ALL_TITLE = "Remove all legacy keys in this file"
# more fixable findings than this in the requested range (a select-all): their quick fixes are
# proven when picked (resolve), not all in the request
EAGER_FIXES = 8


def _wanted(only, kind: str) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


async def snapshot(ls: ArtifactLanguageServer, uri: str):
    """``(doc, result, version)``: the current lint result and the version of its text.

    The version is read right after the result is obtained, with no await in between: it is
    the version the result's text was taken at, whatever arrives while the handler goes on.
    """
    found = await ls.current_result(uri)
    if found is None:
        return None
    doc, result = found
    return doc, result, doc.result_version


def _fix_all_edit(ls: ArtifactLanguageServer, doc, result, version):
    """The fix-all workspace edit on ``result``'s text, labelled ``version`` (worker thread)."""
    new_text, fixed, edits = fix_edits(
        result.text, path=doc.path, kind=doc.kind, config=ls.config_for(doc.path), result=result
    )
    if not fixed or new_text == result.text:
        return None, fixed
    return workspace_edit(doc.uri, version, text_edits(result.index, edits, ls.encoding), ls.document_changes), fixed


def _moved_on(ls: ArtifactLanguageServer, doc: Doc, version: int | None) -> bool:
    """For a client without versioned edits: the document changed while the edits were being
    computed (they would be applied to a text they were not computed on)."""
    return not ls.document_changes and (ls.docs.get(doc.uri) is not doc or doc.version != version)


def _lazy_supported(ls: ArtifactLanguageServer) -> bool:
    """The client keeps ``data`` and resolves a code action's ``edit``."""
    code_action = getattr(getattr(ls.client_capabilities, "text_document", None), "code_action", None)
    if code_action is None or not code_action.data_support or code_action.resolve_support is None:
        return False
    return "edit" in (code_action.resolve_support.properties or [])


OPTIONS = lsp.CodeActionOptions(
    code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
    resolve_provider=True,
)


async def code_action(ls: ArtifactLanguageServer, params: lsp.CodeActionParams):
    uri = params.text_document.uri
    found = await snapshot(ls, uri)
    if found is None:
        return None
    doc, result, version = found  # every edit below is on result.text, of this version
    only = params.context.only
    encoding = ls.encoding
    index = result.index
    actions: list[lsp.CodeAction] = []
    loop = asyncio.get_running_loop()
    lazy = _lazy_supported(ls)

    def edit_of(edits):
        return workspace_edit(uri, version, text_edits(index, edits, encoding), ls.document_changes)

    if _wanted(only, lsp.CodeActionKind.QuickFix):
        start = offset_of(index, params.range.start, encoding)
        end = offset_of(index, params.range.end, encoding)
        fixer = result.fixer
        in_range = [f for f in result.findings if not (f.end < start or f.start > end)]
        prove_later = lazy and sum(1 for f in in_range if f.plan) > EAGER_FIXES
        for finding in in_range:
            diag = to_lsp_diagnostic(diagnostic(finding, index, encoding, uri, related=False, docs_url=result.docs_url))
            if finding.plan is not None and prove_later:
                actions.append(
                    lsp.CodeAction(
                        title=f"{finding.plan.title} ({finding.code})",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=True,
                        data={
                            "action": "fix",
                            "uri": uri,
                            "version": version,
                            "start": finding.start,
                            "end": finding.end,
                            "code": finding.code,
                        },
                    )
                )
            elif finding.plan is not None:
                fix = await loop.run_in_executor(ls.executor, fixer.fix_for, finding)
                if fix is not None:
                    actions.append(
                        lsp.CodeAction(
                            title=f"{fix.title} ({finding.code})",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[diag],
                            is_preferred=True,
                            edit=edit_of(fix.edits),
                        )
                    )
            suppress = fixer.suppression(finding)
            actions.append(
                lsp.CodeAction(
                    title=suppress.title,
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=False,
                    edit=edit_of(suppress.edits),
                )
            )

        actions.extend(regenerate_actions(doc, [f for f in result.findings if f.start <= end and f.end >= start]))

    fixable = result.fixable
    quick_fix_all = _wanted(only, lsp.CodeActionKind.QuickFix) and len(fixable) > 1
    source_fix_all = bool(only) and _wanted(only, FIX_ALL_KIND)  # asked for: on save, a command
    if quick_fix_all and lazy and not source_fix_all:
        # the lightbulb does not pay for it: computed when picked (codeAction/resolve)
        actions.append(
            lsp.CodeAction(
                title=f"{FIX_ALL_TITLE} ({len(fixable)} fixes)",
                kind=lsp.CodeActionKind.QuickFix,
                data={"action": "fixAll", "uri": uri, "version": version},
            )
        )
    elif (quick_fix_all or source_fix_all) and fixable:
        edit, fixed = await loop.run_in_executor(ls.executor, _fix_all_edit, ls, doc, result, version)
        if edit is not None:
            if quick_fix_all and len(fixed) > 1:
                actions.append(
                    lsp.CodeAction(
                        title=f"{FIX_ALL_TITLE} ({len(fixed)} fixes)", kind=lsp.CodeActionKind.QuickFix, edit=edit
                    )
                )
            if source_fix_all:
                actions.append(
                    lsp.CodeAction(title=f"artifact-lsp: {FIX_ALL_TITLE.lower()}", kind=FIX_ALL_KIND, edit=edit)
                )
    if _moved_on(ls, doc, version):
        return []  # unversioned edits for an older text: none (the client asks again)
    return actions


async def resolve(ls: ArtifactLanguageServer, action: lsp.CodeAction):
    """Compute the edit of an action offered lazily, on the document as it is now (and
    labelled with that version: an editor refuses it if the document moved on)."""
    data = action.data
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return action
    found = await snapshot(ls, data["uri"])
    if found is None:
        return action
    doc, result, version = found
    loop = asyncio.get_running_loop()
    if data.get("action") == "fixAll":
        edit, _fixed = await loop.run_in_executor(ls.executor, _fix_all_edit, ls, doc, result, version)
        action.edit = edit
    elif data.get("action") == "fix":
        finding = _same_finding(result, data) if version == data.get("version") else None
        fix = await loop.run_in_executor(ls.executor, result.fixer.fix_for, finding) if finding is not None else None
        if fix is not None:
            action.edit = workspace_edit(
                doc.uri, version, text_edits(result.index, fix.edits, ls.encoding), ls.document_changes
            )
    if _moved_on(ls, doc, version):
        action.edit = None
    return action


async def fix_all(ls: ArtifactLanguageServer, *args):
    """``artifact-lsp.fixAll`` with a document URI (or ``{"uri": ...}``): applies the edit."""
    uri = _uri_arg(args)
    if uri is None:
        return {"applied": False, "fixed": 0, "message": "give the document URI"}
    found = await snapshot(ls, uri)
    if found is None:
        return {"applied": False, "fixed": 0, "message": "not an artifact-lsp document (open it first)"}
    doc, result, version = found
    loop = asyncio.get_running_loop()
    edit, fixed = await loop.run_in_executor(ls.executor, _fix_all_edit, ls, doc, result, version)
    if edit is None:
        return {"applied": False, "fixed": 0, "message": "nothing to fix"}
    if _moved_on(ls, doc, version):
        return {"applied": False, "fixed": 0, "message": "the document changed meanwhile: run it again"}
    response = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label=FIX_ALL_TITLE))
    return {"applied": bool(response.applied), "fixed": len(fixed), "message": response.failure_reason or ""}


def _same_finding(result, data: dict):
    for finding in result.findings:
        if (
            finding.start == data.get("start")
            and finding.end == data.get("end")
            and finding.code == data.get("code")
            and finding.plan
        ):
            return finding
    return None


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


__all__ = ["code_action", "resolve", "fix_all", "FIX_ALL_KIND", "FIX_ALL_COMMAND"]
