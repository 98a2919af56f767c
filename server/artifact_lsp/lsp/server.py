"""The language server class: every piece of state the handlers share is declared here.

Handlers (``handlers/``) are wired to it by the routing table in ``routes.py``; no rule logic
lives here. Linting runs on worker threads (it reads other files and hashes templates); the
event loop only schedules, converts and sends. ``invalidate`` is the one way cached results
go stale (settings, configuration, files, regeneration).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import os
import re
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..engine import files
from ..engine.config import DEFAULT_INCLUDE, Config, ConfigCache, ConfigError
from ..engine.linter import LintResult, kind_of, lint_text, not_checked
from . import workspace_lint
from .convert import encoding_of
from .state import TRIM_AFTER_CHARS, Doc, is_config_file, trim_memory

log = logging.getLogger("artifact_lsp.server")

SECTION = "artifactLsp"
# settings that are the server's own; everything else is an engine config key
SERVER_KEYS = {"documentGlobs", "document-globs", "trace", "regenerate"}


def kebab(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "-" + m.group(1).lower(), key)


@dataclass
class Settings:
    engine: dict = field(default_factory=dict)
    globs: tuple[str, ...] = DEFAULT_INCLUDE
    raw: dict = field(default_factory=dict)


Reason = Literal["saved", "settings", "configuration", "files", "regenerated"]


class ArtifactLanguageServer(LanguageServer):
    """The server and all its state (documents, settings, the workspace index, running
    regenerations); handlers read and change it, nothing attaches more from outside."""

    def __init__(self) -> None:
        from .documents import ArtifactProtocol  # documents split lines as LSP does

        super().__init__(
            "artifact-lsp",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=ArtifactProtocol,
        )
        self.docs: dict[str, Doc] = {}
        self.settings = Settings()
        self.configs = ConfigCache()
        self.epoch = 0  # bumps on every invalidation: cached results go stale
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="artifact-lsp-lint")
        # big documents lint in their own lane: small documents' requests never queue behind them
        self.big_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact-lsp-big")
        self.pull = False  # the client pulls document diagnostics
        self.workspace_pull_seen = False  # the client sends workspace/diagnostic requests
        self.pushed_workspace: set[str] = set()  # unopened files we pushed diagnostics for
        # unopened workspace files: uri -> (diagnostics as sent, result id); no trees kept
        self.workspace_results: dict[str, tuple[list, str]] = {}
        self.workspace_task: asyncio.Task | None = None
        self._merged: dict = {}
        self.untrusted = False  # initializationOptions.workspaceTrusted == false
        self.settings_ready = asyncio.Event()  # set once workspace/configuration answered
        # the workspace lint (scheduler.lint_workspace)
        self.ws_index = workspace_lint.WorkspaceIndex()
        self.ws_pending = workspace_lint.Work()
        self.ws_cancel = threading.Event()
        self.ws_unreadable: set[str] = set()  # folders already reported as unreadable
        self.doc_stamps: dict[str, int] = {}  # uri -> serial of its last open/close
        self.doc_serial = 0
        # its own thread: a keystroke's lint (self.executor) never queues behind a workspace pass
        self.workspace_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact-lsp-workspace")
        self.workspace_ready = asyncio.Event()  # the first full pass is done
        # running regenerations (handlers.regenerate)
        self.regen_cancels: dict[int | str, asyncio.Event] = {}  # progress token -> cancel
        self.regen_active: dict[asyncio.Event, asyncio.Future] = {}  # cancel -> done when restored

    # ------------------------------------------------------------------ errors

    def report_server_error(self, error: Exception, source) -> None:
        """An exception in a handler is logged (and shown in the client's log), never fatal."""
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        log.error("internal error (%s): %s", getattr(source, "__name__", source), tb)
        with contextlib.suppress(Exception):  # the transport itself may be gone
            self.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Error, message=f"artifact-lsp internal error: {error!r}\n{tb}"
                )
            )

    # ------------------------------------------------------------------ client facts

    @property
    def encoding(self) -> str:
        return encoding_of(self.workspace.position_encoding)

    def client_supports(self, path: str) -> bool:
        node: Any = self.client_capabilities
        for part in path.split("."):
            node = getattr(node, part, None)
            if node is None:
                return False
        return bool(node)

    @property
    def document_changes(self) -> bool:
        return self.client_supports("workspace.workspace_edit.document_changes")

    def folders(self) -> list[Path]:
        out = []
        for folder in (self.workspace.folders or {}).values():
            path = to_fs_path(folder.uri)
            if path:
                out.append(Path(path))
        if not out and self.workspace.root_path:
            out.append(Path(self.workspace.root_path))
        return out

    # ------------------------------------------------------------------ documents

    def serves(self, uri: str) -> tuple[Path, str] | None:
        """(path, kind) when ``uri`` is a document of ours, else None: other YAML is never touched."""
        if not uri.startswith("file:"):
            return None
        fs = to_fs_path(uri)
        if not fs:
            return None
        path = Path(fs)
        posix = path.as_posix()
        for pattern in self.settings.globs:
            if fnmatch.fnmatchcase(posix, pattern) or fnmatch.fnmatchcase(posix, "*/" + pattern.lstrip("*/")):
                return path, kind_of(path) or _kind_from_name(path.name)
        return None

    def config_for(self, path: Path | None) -> Config:
        base = self.configs.for_path(path) if path is not None else Config()
        key = (id(base), self.epoch)
        hit = self._merged.get(key)
        if hit is None:
            hit = base
            if self.settings.engine:
                try:
                    hit = base.merged(self.settings.engine, "settings (artifactLsp)")
                except ConfigError as exc:
                    self.show_error(str(exc))
            self._merged[key] = hit
        return hit

    def show_error(self, message: str) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"artifact-lsp: {message}"))

    def lint_now(self, text: str, path: Path | None, kind: str, previous: list | None = None) -> LintResult:
        """The blocking lint (call it on a worker thread). ``previous``: ``[the result of an
        earlier text]``, re-used for what the edit did not touch (``engine.incremental``);
        emptied before a full lint, so a big document's two trees are never held at once."""
        config = self.config_for(path)
        if len(text) > config.max_file_size:
            if previous:
                previous.clear()
            return not_checked(
                path or Path("document"),
                kind,
                config,
                f"not checked: {len(text)} characters is over max-file-size ({config.max_file_size})",
            )
        if previous:
            from ..engine import incremental

            result = incremental.relint(previous[0], text, path=path, kind=kind, config=config)
            previous.clear()
            if result is not None:
                return result
        return lint_text(text, path=path, kind=kind, config=config)

    async def lint_doc(self, doc: Doc) -> LintResult | None:
        """The lint result for the document's current version (cached per version and epoch).

        Returns None when the document changed while it was being linted (a newer lint is
        on its way): stale results are never published over newer ones. Callers asking for
        the same version at once share one lint.
        """
        if doc.result is not None and doc.result_version == doc.version and doc.result_epoch == self.epoch:
            return doc.result
        key = (doc.version, self.epoch)
        pending = doc.pending
        if pending is None or pending[0] != key or pending[1].done():
            pending = doc.pending = (key, asyncio.ensure_future(self._lint_doc(doc)))
        result = await asyncio.shield(pending[1])
        if doc.version != key[0] or self.epoch != key[1]:
            return None  # moved on while this caller waited for the shared lint
        return result

    async def _lint_doc(self, doc: Doc) -> LintResult | None:
        document = self.workspace.get_text_document(doc.uri)
        text, version, epoch = document.source, doc.version, self.epoch
        big = len(text) > TRIM_AFTER_CHARS
        # the result of an earlier version, for an incremental lint (same settings and files)
        previous = [doc.result] if doc.result is not None and doc.result_epoch == epoch else None
        if big:
            doc.result = None  # the worker drops `previous` before a full lint: one tree at a time
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self.big_executor if big else self.executor, self.lint_now, text, doc.path, doc.kind, previous
        )
        previous = None
        doc.last_cost = time.perf_counter() - started
        if big and result.materialized:
            trim_memory()  # (a full lint: the tree before it is garbage now)
        if doc.version != version or self.epoch != epoch or self.docs.get(doc.uri) is not doc:
            return None
        doc.result, doc.result_version, doc.result_epoch = result, version, epoch
        if result.reused:  # pushed or pulled: its reused disk findings are freshened when idle
            from . import scheduler

            scheduler.freshen_later(self, doc, result)
        return result

    async def current_result(self, uri: str, *, tree: bool = True) -> tuple[Doc, LintResult] | None:
        """Lint result matching the document as it is now (waits for an in-flight lint).

        ``tree``: with its tree built (``LintResult.parsed``, on a worker thread), for anything
        that reads the tree or the findings' fix plans; the diagnostics alone need none."""
        doc = self.docs.get(uri)
        if doc is None:
            return None
        for _ in range(50):
            result = await self.lint_doc(doc)
            if result is not None:
                if tree and not result.materialized:
                    await self.materialize(result)
                return doc, result
        return None

    async def materialize(self, result: LintResult) -> LintResult:
        """``result`` with its tree built (off the event loop)."""
        if not result.materialized:
            loop = asyncio.get_running_loop()
            lane = self.big_executor if len(result.text) > TRIM_AFTER_CHARS else self.executor
            await loop.run_in_executor(lane, lambda: result.parsed)
        return result

    # ------------------------------------------------------------------ settings

    async def fetch_settings(self) -> None:
        try:
            await self._fetch_settings()
        finally:
            self.settings_ready.set()

    async def _fetch_settings(self) -> None:
        if not self.client_supports("workspace.configuration"):
            return
        try:
            items = [lsp.ConfigurationItem(section=SECTION)]
            values = await self.workspace_configuration_async(lsp.ConfigurationParams(items=items))
        except Exception as exc:  # a client may refuse: keep the defaults
            log.warning("workspace/configuration failed: %s", exc)
            return
        self.apply_settings(values[0] if values else None)

    def apply_settings(self, raw) -> None:
        raw = raw if isinstance(raw, dict) else {}
        engine = {}
        globs = DEFAULT_INCLUDE
        for key, value in raw.items():
            if key in SERVER_KEYS:
                if (
                    key in ("documentGlobs", "document-globs")
                    and isinstance(value, list)
                    and all(isinstance(v, str) for v in value)
                ):
                    globs = tuple(value) or DEFAULT_INCLUDE
                continue
            if value is None:
                continue
            engine[kebab(key)] = value
        try:
            Config().merged(engine, "settings (artifactLsp)")
        except ConfigError as exc:
            self.show_error(f"{exc}; these settings are ignored until fixed")
            engine = {}
        self.settings = Settings(engine=engine, globs=globs, raw=raw)
        self.invalidate("settings")

    # ------------------------------------------------------------------ invalidation

    def invalidate(self, reason: Reason, paths: list[str] | None = None) -> None:
        """The one way cached results go stale.

        - ``saved``: open documents at ``paths`` were saved; disk facts are dropped and the
          workspace files that depend on them (a matrix naming a manifest) are re-linted; the
          open documents' own results stay.
        - ``settings``: new editor settings were applied; cached results and merged configs
          go stale, nothing is re-linted (``initialize`` and ``initialized`` lint afterwards).
        - ``configuration``: ``workspace/didChangeConfiguration``; as ``settings``, then the
          open documents and the whole workspace are re-linted.
        - ``files``: ``paths`` changed on disk; disk facts are dropped (and the config files,
          when one of them changed), then the open documents and what the changes touch (and
          what depends on them) are re-linted.
        - ``regenerated``: a regeneration (or its undo) rewrote fixtures; disk facts are
          dropped, then the open documents and the whole workspace are re-linted.
        """
        from . import scheduler

        if reason == "saved":
            files.clear_facts()
            dependents: set[str] = set()
            for path in paths or ():
                dependents.update(self.ws_index.dependents(os.path.normpath(os.path.abspath(path))))
            if dependents:
                scheduler.schedule_workspace(self, workspace_lint.Work(paths=dependents))
            return
        self.epoch += 1
        if reason in ("settings", "configuration"):
            self._merged.clear()
        if reason in ("files", "regenerated"):
            files.clear_facts()
        if reason == "files" and any(is_config_file(p) for p in paths or ()):
            self.configs = ConfigCache()
            self._merged.clear()
        if reason == "settings":
            return
        scheduler.relint_open(self)
        work = scheduler.changed_paths_work(paths or ()) if reason == "files" else None
        scheduler.schedule_workspace(self, work)

    # ------------------------------------------------------------------ regenerations

    async def stop_regenerations(self, timeout: float) -> None:
        """Cancel the running regenerations and wait (up to ``timeout``) until they restored."""
        if not self.regen_active:
            return
        for cancel in list(self.regen_active):
            cancel.set()
        await asyncio.wait(list(self.regen_active.values()), timeout=timeout)


def _kind_from_name(name: str) -> str:
    if name.endswith(".json"):
        return "json"
    if "matrix" in name:
        return "matrix"
    return "manifest"
