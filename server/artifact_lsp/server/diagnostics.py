"""Diagnostics: push or pull for open documents, and the whole workspace for the rest.

- A client that can pull (``textDocument/diagnostic``) pulls; others get
  ``publishDiagnostics`` with the document version. Never both for the same document.
- Unopened manifests in the workspace folders are linted at start and after config or
  file-system changes: answered to ``workspace/diagnostic`` when the client asks for it,
  pushed otherwise (so even a pull-only editor shows stale fixtures nobody opened).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ..engine import files, linter
from .app import ArtifactLanguageServer, Doc, is_config_file, uri_of
from .convert import diagnostic

log = logging.getLogger("artifact_lsp.server")

WATCH_GLOBS = (
    "**/artifact.yml",
    "**/artifact.json",
    "**/test_matrix.yaml",
    "**/.artifact-lsp.toml",
    "**/pyproject.toml",
    "**/{functions,routing,resources}.yml",
)


def diagnostics_of(ls: ArtifactLanguageServer, result: linter.LintResult, uri: str) -> list[dict]:
    index, encoding = result.index, ls.encoding
    related = ls.client_supports("text_document.publish_diagnostics.related_information") or ls.pull
    if not result.findings:
        return []
    return [diagnostic(f, index, encoding, uri, related, result.docs_url) for f in result.findings]


def publish(ls: ArtifactLanguageServer, uri: str, items: list[dict], version: int | None = None) -> None:
    """Send ``textDocument/publishDiagnostics`` as plain JSON (no cattrs round trip)."""
    params = {"uri": uri, "diagnostics": items}
    if version is not None:
        params["version"] = version
    ls.protocol._send_data({"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})


def result_id(ls: ArtifactLanguageServer, doc: Doc) -> str:
    return f"{doc.version}:{ls.epoch}"


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
                publish(ls, doc.uri, diagnostics_of(ls, result, doc.uri), doc.result_version)
            return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # never let a lint kill the server
        ls.report_server_error(exc, lint_and_push)


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


def _scan(ls: ArtifactLanguageServer, folders: list[Path], open_uris: set[str]) -> dict[str, tuple]:
    """Blocking: lint every manifest under the workspace folders that is not open."""
    out: dict[str, tuple] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        config = ls.config_for(folder / "_")
        try:
            paths = list(linter.discover([folder], config))
        except OSError as exc:
            log.warning("cannot walk %s: %s", folder, exc)
            continue
        for path in paths:
            uri = uri_of(path)
            if uri in open_uris or ls.serves(uri) is None:
                continue
            try:
                result = linter.lint_path(path, ls.config_for(path))
            except OSError:
                continue
            out[uri] = (diagnostics_of(ls, result, uri), f"disk:{ls.epoch}")
    return out


async def lint_workspace(ls: ArtifactLanguageServer) -> None:
    try:
        loop = asyncio.get_running_loop()
        epoch = ls.epoch
        results = await loop.run_in_executor(ls.executor, _scan, ls, ls.folders(), set(ls.docs))
        if epoch != ls.epoch:
            return  # settings changed meanwhile: a newer scan is coming
        stale = set(ls.workspace_results) - set(results)
        ls.workspace_results = results
        if ls.workspace_pull_seen:
            if ls.client_supports("workspace.diagnostics.refresh_support"):
                ls.workspace_diagnostic_refresh(None)
            return
        for uri in stale:
            if uri not in ls.docs:
                publish(ls, uri, [])
                ls.pushed_workspace.discard(uri)
        for uri, (items, _rid) in results.items():
            if uri in ls.docs:
                continue
            if items or uri in ls.pushed_workspace:
                publish(ls, uri, items)
                ls.pushed_workspace.add(uri)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        ls.report_server_error(exc, lint_workspace)


def schedule_workspace(ls: ArtifactLanguageServer) -> None:
    if ls.workspace_task is not None and not ls.workspace_task.done():
        ls.workspace_task.cancel()
    ls.workspace_task = asyncio.ensure_future(lint_workspace(ls))


# --------------------------------------------------------------------------- handlers


def register(ls: ArtifactLanguageServer) -> None:
    @ls.feature(lsp.INITIALIZE)
    def on_initialize(ls: ArtifactLanguageServer, params: lsp.InitializeParams):
        caps = params.capabilities
        ls.pull = bool(caps.text_document and caps.text_document.diagnostic)
        options = params.initialization_options
        if isinstance(options, dict):
            if isinstance(options.get("settings"), dict):
                ls.apply_settings(options["settings"])
            # an editor that knows the workspace is untrusted says so: no regeneration then
            ls.untrusted = options.get("workspaceTrusted") is False

    @ls.feature(lsp.INITIALIZED)
    async def on_initialized(ls: ArtifactLanguageServer, params: lsp.InitializedParams):
        for hook in ls.initialized_hooks:
            hook(ls)
        await ls.fetch_settings()
        if ls.client_supports("workspace.did_change_watched_files.dynamic_registration"):
            watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]
            try:
                await ls.client_register_capability_async(
                    lsp.RegistrationParams(
                        registrations=[
                            lsp.Registration(
                                id="artifact-lsp-watch",
                                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                            )
                        ]
                    )
                )
            except Exception as exc:
                log.warning("could not register file watchers: %s", exc)
        for doc in ls.docs.values():
            if not ls.pull:
                schedule(ls, doc)
        schedule_workspace(ls)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ArtifactLanguageServer, params: lsp.DidOpenTextDocumentParams):
        item = params.text_document
        served = ls.serves(item.uri)
        if served is None:
            return
        path, kind = served
        doc = Doc(item.uri, path, kind, item.version)
        ls.docs[item.uri] = doc
        if item.uri in ls.pushed_workspace:
            ls.pushed_workspace.discard(item.uri)
            if ls.pull:
                # a pull client keeps pushed and pulled diagnostics apart: clear what we pushed
                # while the file was closed, or it stays beside the pulled ones (and goes stale)
                publish(ls, item.uri, [])
        if ls.pull:
            # start linting now: the pull that follows finds the result ready (or in flight)
            doc.task = asyncio.ensure_future(_prime(ls, doc))
        else:
            schedule(ls, doc)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArtifactLanguageServer, params: lsp.DidChangeTextDocumentParams):
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            return
        doc.version = params.text_document.version
        if not ls.pull:
            schedule(ls, doc)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ArtifactLanguageServer, params: lsp.DidSaveTextDocumentParams):
        files.clear_facts()
        doc = ls.docs.get(params.text_document.uri)
        if doc is not None and doc.kind == "matrix":
            return
        # a saved manifest may change what other files report (a matrix naming it)
        if doc is not None:
            schedule_workspace(ls)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ArtifactLanguageServer, params: lsp.DidCloseTextDocumentParams):
        doc = ls.docs.pop(params.text_document.uri, None)
        if doc is None:
            return
        if doc.task is not None and not doc.task.done():
            doc.task.cancel()
        if not ls.pull:
            publish(ls, doc.uri, [])

    @ls.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(identifier="artifact-lsp", inter_file_dependencies=True, workspace_diagnostics=True),
    )
    async def pull_document(ls: ArtifactLanguageServer, params: lsp.DocumentDiagnosticParams):
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
        found = await ls.current_result(uri)
        if found is None:
            return {"kind": "full", "items": []}
        doc, result = found
        rid = result_id(ls, doc)
        if params.previous_result_id == rid:
            return {"kind": "unchanged", "resultId": rid}
        return {"kind": "full", "resultId": rid, "items": diagnostics_of(ls, result, uri)}

    @ls.feature(lsp.WORKSPACE_DIAGNOSTIC)
    async def pull_workspace(ls: ArtifactLanguageServer, params: lsp.WorkspaceDiagnosticParams):
        if not ls.workspace_pull_seen:
            ls.workspace_pull_seen = True
            for uri in list(ls.pushed_workspace):  # the client pulls now: drop what we pushed
                publish(ls, uri, [])
            ls.pushed_workspace.clear()
        if ls.workspace_task is not None and not ls.workspace_task.done():
            try:
                await asyncio.shield(ls.workspace_task)
            except asyncio.CancelledError:
                pass
        previous = {p.uri: p.value for p in (params.previous_result_ids or [])}
        items = []
        for uri, (diags, rid) in ls.workspace_results.items():
            if uri in ls.docs:
                continue
            if previous.get(uri) == rid:
                items.append({"kind": "unchanged", "uri": uri, "resultId": rid, "version": None})
            else:
                items.append({"kind": "full", "uri": uri, "resultId": rid, "version": None, "items": diags})
        return {"items": items}

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: ArtifactLanguageServer, params: lsp.DidChangeConfigurationParams):
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get("artifactLsp"), dict):
            ls.apply_settings(settings["artifactLsp"])
        else:
            await ls.fetch_settings()
            ls.invalidate()
        for uri in list(ls.docs):
            served = ls.serves(uri)
            if served is None:  # no longer ours under the new globs
                doc = ls.docs.pop(uri)
                if not ls.pull:
                    publish(ls, doc.uri, [])
        relint_open(ls)
        schedule_workspace(ls)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: ArtifactLanguageServer, params: lsp.DidChangeWatchedFilesParams):
        files.clear_facts()
        config_changed = False
        for change in params.changes:
            path = to_fs_path(change.uri) or ""
            if is_config_file(path):
                config_changed = True
        if config_changed:
            ls.configs = type(ls.configs)()
            ls.invalidate()
        else:
            ls.epoch += 1  # other files changed: disk rules may say something else now
        relint_open(ls)
        schedule_workspace(ls)


async def _prime(ls: ArtifactLanguageServer, doc: Doc) -> None:
    try:
        await ls.lint_doc(doc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        ls.report_server_error(exc, _prime)


__all__ = ["register", "publish", "diagnostics_of", "schedule", "schedule_workspace", "relint_open"]
