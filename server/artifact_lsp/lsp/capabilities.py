"""The ``initialize`` answer, without lsprotocol or pygls.

Importing lsprotocol (a thousand attrs classes) and pygls is most of the server's start-up.
The stdio transport answers ``initialize`` from this table while they import on another
thread, then hands the request to pygls as usual (its own answer is dropped). The table is
what pygls computes from the registered features: ``tests/test_capabilities.py`` checks that
they are equal for every client profile, so a feature added without updating it fails there.

Stdlib only: nothing here may import lsprotocol, pygls or the engine.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import __version__

CAPABILITIES = {
    "textDocumentSync": {"openClose": True, "change": 2, "save": True},
    "completionProvider": {"triggerCharacters": [" ", ":"]},
    "hoverProvider": True,
    "documentSymbolProvider": True,
    "codeActionProvider": {
        "codeActionKinds": ["quickfix", "source.fixAll", "source.fixAll.artifact-lsp"],
        "resolveProvider": True,
    },
    "codeLensProvider": {"resolveProvider": False},
    "executeCommandProvider": {
        "commands": ["artifact-lsp.fixAll", "artifact-lsp.regenerate", "artifact-lsp.undoRegeneration"]
    },
    "diagnosticProvider": {"interFileDependencies": True, "workspaceDiagnostics": True, "identifier": "artifact-lsp"},
    "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True}, "fileOperations": {}},
}

_ENCODINGS = ("utf-8", "utf-16", "utf-32")


def position_encoding(capabilities: dict) -> str:
    """The client's first offered encoding that we support, else UTF-16 (as pygls chooses)."""
    general = capabilities.get("general")
    offered = general.get("positionEncodings") if isinstance(general, dict) else None
    if isinstance(offered, list):
        for encoding in offered:
            if encoding in _ENCODINGS:
                return encoding
    return "utf-16"


def initialize_result(params) -> dict | None:
    """The ``initialize`` result for these params (plain JSON), or None when the params do
    not look like an ``initialize`` pygls would accept (then pygls answers, slowly)."""
    if not isinstance(params, dict):
        return None
    capabilities = params.get("capabilities")
    if not isinstance(capabilities, dict):
        return None
    general = capabilities.get("general")
    if general is not None and not isinstance(general, dict):
        return None
    if not _plausible(params):
        return None
    caps: dict[str, Any] = copy.deepcopy(CAPABILITIES)
    # pygls writes `client supports willSave and we handle it`: false (or the client's own
    # falsy value) whenever the client says anything about it
    sync = capabilities.get("textDocument")
    sync = sync.get("synchronization") if isinstance(sync, dict) else None
    if isinstance(sync, dict):
        for key in ("willSave", "willSaveWaitUntil"):
            value = sync.get(key)
            if value is not None:
                caps["textDocumentSync"][key] = False if value else value
    caps = {"positionEncoding": position_encoding(capabilities), **caps}
    return {"capabilities": caps, "serverInfo": {"name": "artifact-lsp", "version": __version__}}


def _plausible(params: dict) -> bool:
    """The few fields whose wrong type would make pygls refuse the request."""
    for key, kinds in (
        ("processId", (int, type(None))),
        ("rootUri", (str, type(None))),
        ("rootPath", (str, type(None))),
    ):
        if (key in params and not isinstance(params[key], kinds)) or isinstance(params.get(key), bool):
            return False
    folders = params.get("workspaceFolders")
    if folders is not None:
        if not isinstance(folders, list):
            return False
        for folder in folders:
            if not (
                isinstance(folder, dict) and isinstance(folder.get("uri"), str) and isinstance(folder.get("name"), str)
            ):
                return False
    return True
