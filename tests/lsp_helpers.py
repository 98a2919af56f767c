"""Shared helpers for the language-server tests (pytest-lsp sessions)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

DATA = Path(__file__).parent / "data" / "ws"
PROFILES = ["visual_studio_code", "neovim"]
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "artifact_lsp", "serve"])


def copy_workspace(tmp: Path) -> Path:
    target = tmp / "ws"
    shutil.copytree(DATA, target)
    return target


def _accept_registrations(client: LanguageClient) -> None:
    """Real editors answer client/registerCapability (file watchers); so does this client."""
    if getattr(client, "_registrations", None) is not None:
        return
    client._registrations = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams):
        client._registrations.extend(params.registrations)
        return None


async def start(
    client: LanguageClient,
    profile: str,
    root: Path,
    settings: dict | None = None,
    capabilities: lsp.ClientCapabilities | None = None,
) -> lsp.InitializeResult:
    """Initialize a session as ``profile`` (or with ``capabilities`` when given)."""
    _accept_registrations(client)
    if settings is not None:
        client.set_configuration(settings, section="artifactLsp")
    caps = capabilities if capabilities is not None else client_capabilities(profile)
    params = lsp.InitializeParams(
        capabilities=caps,
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    )
    return await client.initialize_session(params)


async def raw_request(client: LanguageClient, method: str, params):
    """Send a request and return its result as plain JSON, without lsprotocol's structuring
    (which, for one, reads a CodeAction carrying a ``command`` as a Command)."""
    msg_id = f"raw-{uuid.uuid4()}"
    future = client.protocol.send_request(method, params, msg_id=msg_id)
    client.protocol._result_types[msg_id] = None  # nothing is received before the next await
    return await asyncio.wrap_future(future)


def is_pull(client: LanguageClient) -> bool:
    caps = client.capabilities
    return bool(caps and caps.text_document and caps.text_document.diagnostic)


def encoding(result: lsp.InitializeResult) -> str:
    return str(result.capabilities.position_encoding or "utf-16")


def column(line: str, char_index: int, enc: str) -> int:
    """The column of ``line[char_index]`` in the negotiated encoding."""
    prefix = line[:char_index]
    if enc == "utf-8":
        return len(prefix.encode("utf-8"))
    if enc == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri,
                language_id="json" if path.suffix == ".json" else "yaml",
                version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_pushed(client: LanguageClient, uri: str, predicate=lambda d: True, timeout: float = 10.0):
    """Wait until the pushed diagnostics for ``uri`` satisfy ``predicate``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        diags = client.diagnostics.get(uri)
        if diags is not None and predicate(diags):
            return list(diags)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no matching diagnostics for {uri}: {diags!r}")
        await asyncio.sleep(0.02)


async def diagnostics(client: LanguageClient, uri: str, predicate=lambda d: True, timeout: float = 10.0):
    """The diagnostics of an open document, pulled or pushed as the client does it."""
    if is_pull(client):
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            report = await client.text_document_diagnostic_async(
                lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
            )
            items = list(report.items)
            if predicate(items):
                return items
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no matching pulled diagnostics for {uri}: {items!r}")
            await asyncio.sleep(0.02)
    return await wait_pushed(client, uri, predicate, timeout)


def apply_edit(text: str, edit: lsp.WorkspaceEdit, uri: str, enc: str) -> str:
    """Apply a workspace edit for ``uri`` to ``text`` the way an editor does."""
    edits: list[lsp.TextEdit] = []
    if edit.document_changes:
        for change in edit.document_changes:
            assert isinstance(change, lsp.TextDocumentEdit)
            assert change.text_document.uri == uri
            edits.extend(change.edits)
    if edit.changes:
        edits.extend(edit.changes.get(uri, []))
    from artifact_lsp.engine.text import LineIndex

    index = LineIndex(text)
    spans = []
    for e in edits:
        start = index.offset(e.range.start.line, e.range.start.character, enc)
        end = index.offset(e.range.end.line, e.range.end.character, enc)
        spans.append((start, end, e.new_text))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text
