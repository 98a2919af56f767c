"""The names of the server's commands and code action kinds, and the regenerate action
that the code actions offer (shared by ``handlers.actions`` and ``handlers.regenerate``)."""

from __future__ import annotations

from lsprotocol import types as lsp

from ..engine.model import Finding
from .state import Doc

FIX_ALL_KIND = "source.fixAll.artifact-lsp"
FIX_ALL_COMMAND = "artifact-lsp.fixAll"
REGENERATE_COMMAND = "artifact-lsp.regenerate"
UNDO_COMMAND = "artifact-lsp.undoRegeneration"
REGENERATE_TITLE = "Regenerate fixtures"
REGEN_CODES = {"AL403", "AL202"}


def regenerate_argument(doc: Doc) -> tuple[str, dict]:
    """(title, argument) of the regenerate command for a manifest (its folder as target)."""
    target = doc.path.parent.name if doc.path is not None else None
    title = f"{REGENERATE_TITLE} ({target})" if target else REGENERATE_TITLE
    return title, {"uri": doc.uri, "targets": [target] if target else []}


def regenerate_actions(doc: Doc, findings: list[Finding]) -> list[lsp.CodeAction]:
    """A code action on stale-fixture (AL403) and runtime-base-folder (AL202) diagnostics."""
    if not any(f.code in REGEN_CODES for f in findings):
        return []
    title, argument = regenerate_argument(doc)
    return [
        lsp.CodeAction(
            title=title,
            kind=lsp.CodeActionKind.QuickFix,
            command=lsp.Command(title=REGENERATE_TITLE, command=REGENERATE_COMMAND, arguments=[argument]),
        )
    ]
