"""Lifecycle and workspace events: ``initialize``, ``initialized``, ``shutdown``,
``workspace/didChangeConfiguration`` and ``workspace/didChangeWatchedFiles``.

(``exit`` and ``workspace/didChangeWorkspaceFolders`` are pygls's own: folders are read from
``ls.workspace`` when a pass starts.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from .. import scheduler
from ..server import ArtifactLanguageServer

log = logging.getLogger("artifact_lsp.server")

WATCH_GLOBS = (
    "**/artifact.yml",
    "**/artifact.json",
    "**/test_matrix.yaml",
    "**/.artifact-lsp.toml",
    "**/pyproject.toml",
    "**/*.{yml,yaml}",  # config folders' files and the templates manifests hash
    "**/runtime-base",
)
SHUTDOWN_WAIT = 20.0  # shutdown waits this long for running regenerations to restore


def initialize(ls: ArtifactLanguageServer, params: lsp.InitializeParams) -> None:
    caps = params.capabilities
    ls.pull = bool(caps.text_document and caps.text_document.diagnostic)
    options = params.initialization_options
    if isinstance(options, dict):
        if isinstance(options.get("settings"), dict):
            ls.apply_settings(options["settings"])
        # an editor that knows the workspace is untrusted says so: no regeneration then
        ls.untrusted = options.get("workspaceTrusted") is False


async def initialized(ls: ArtifactLanguageServer, params: lsp.InitializedParams) -> None:
    install_sigterm(ls)
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
            scheduler.schedule(ls, doc)
    scheduler.schedule_workspace(ls)


async def shutdown(ls: ArtifactLanguageServer, params: None) -> None:
    """Stop running regenerations and let them restore before the server goes away."""
    await ls.stop_regenerations(SHUTDOWN_WAIT)


async def did_change_configuration(ls: ArtifactLanguageServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("artifactLsp"), dict):
        ls.apply_settings(settings["artifactLsp"])
    else:
        await ls.fetch_settings()
    for uri in list(ls.docs):
        served = ls.serves(uri)
        if served is None:  # no longer ours under the new globs
            doc = ls.docs.pop(uri)
            if not ls.pull:
                scheduler.publish(ls, doc.uri, [])
    ls.invalidate("configuration")


def did_change_watched_files(ls: ArtifactLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    paths = [p for p in (to_fs_path(change.uri) for change in params.changes) if p]
    ls.invalidate("files", paths)


def install_sigterm(ls: ArtifactLanguageServer) -> None:
    """SIGTERM (an editor killing its server) during a regeneration: stop the run, restore
    the fixtures, then exit. Without a run, exit at once as before."""
    loop = asyncio.get_running_loop()

    async def terminate() -> None:
        await ls.stop_regenerations(SHUTDOWN_WAIT)
        os._exit(128 + signal.SIGTERM)

    # not the main thread / platform: no handler
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(terminate()))
