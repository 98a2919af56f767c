"""Every LSP method, notification and command the server answers, and its handler.

One table, registered in one loop (``register``). Handlers are plain functions in
``handlers/<feature>.py``; pygls's own lifecycle (``exit``, ``$/setTrace``, workspace folders,
document storage) runs before ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsprotocol import types as lsp

from .commands import FIX_ALL_COMMAND, REGENERATE_COMMAND, UNDO_COMMAND
from .handlers import actions, diagnostics, lifecycle, reading, regenerate, sync
from .server import ArtifactLanguageServer

COMMAND = object()  # the options column of a ``workspace/executeCommand`` command

# fmt: off
ROUTES: tuple[tuple[str, Callable[..., Any], Any], ...] = (
    # method, notification or command          handler                              options
    (lsp.INITIALIZE,                            lifecycle.initialize,                None),
    (lsp.INITIALIZED,                           lifecycle.initialized,               None),
    (lsp.SHUTDOWN,                              lifecycle.shutdown,                  None),
    (lsp.WORKSPACE_DID_CHANGE_CONFIGURATION,    lifecycle.did_change_configuration,  None),
    (lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,    lifecycle.did_change_watched_files,  None),
    (lsp.TEXT_DOCUMENT_DID_OPEN,                sync.did_open,                       None),
    (lsp.TEXT_DOCUMENT_DID_CHANGE,              sync.did_change,                     None),
    (lsp.TEXT_DOCUMENT_DID_SAVE,                sync.did_save,                       None),
    (lsp.TEXT_DOCUMENT_DID_CLOSE,               sync.did_close,                      None),
    (lsp.TEXT_DOCUMENT_DIAGNOSTIC,              diagnostics.pull_document,           diagnostics.OPTIONS),
    (lsp.WORKSPACE_DIAGNOSTIC,                  diagnostics.pull_workspace,          None),
    (lsp.TEXT_DOCUMENT_CODE_ACTION,             actions.code_action,                 actions.OPTIONS),
    (lsp.CODE_ACTION_RESOLVE,                   actions.resolve,                     None),
    (FIX_ALL_COMMAND,                           actions.fix_all,                     COMMAND),
    (lsp.TEXT_DOCUMENT_HOVER,                   reading.hover,                       None),
    (lsp.TEXT_DOCUMENT_COMPLETION,              reading.completion,                  reading.COMPLETION_OPTIONS),
    (lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL,         reading.document_symbols,            None),
    (REGENERATE_COMMAND,                        regenerate.regenerate,               COMMAND),
    (UNDO_COMMAND,                              regenerate.undo,                     COMMAND),
    (lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL,      regenerate.progress_cancel,          None),
    (lsp.TEXT_DOCUMENT_CODE_LENS,               regenerate.code_lens,                regenerate.CODE_LENS_OPTIONS),
)
# fmt: on


def register(ls: ArtifactLanguageServer) -> None:
    """Wire every row of ``ROUTES`` to the server."""
    for name, handler, options in ROUTES:
        if options is COMMAND:
            ls.command(name)(handler)
        else:
            ls.feature(name, options)(handler)
