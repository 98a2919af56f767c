"""The workspace's unopened manifests: linted once at start, then only what a change touches.

Each linted file remembers the paths its rules looked at on disk (config folders, template
files, ``runtime-base`` folders, the manifests a matrix names: ``engine.files.recording``).
A change then re-lints:

- the changed file itself, when it is one of ours (created, changed or deleted);
- every indexed file that looked at the changed path, or at a folder above or below it
  (a config folder's ``functions.yml``, a template, a manifest a matrix names);
- everything under the folder of a changed config file (``.artifact-lsp.toml``,
  ``pyproject.toml``), re-discovered with the new config;
- everything, for a settings change (``full``).

Work runs on the server's own workspace thread (``ls.workspace_executor``), never on the one
open documents use, so a keystroke's lint never waits behind it. Requests that arrive while a
pass runs are merged into the next pass (a burst of saves is one pass); a full rescan stops
a running pass at the next file.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import files, linter
from ..engine.config import ALWAYS_SKIPPED_DIRS, DEFAULT_INCLUDE

log = logging.getLogger("artifact_lsp.server")


def uri_of(path) -> str:
    """The URI of a path as the workspace names it (symlinks are not resolved: a symlinked
    manifest is served under its own name, as the CLI checks it)."""
    return Path(os.path.abspath(os.fspath(path))).as_uri()


@dataclass
class Entry:
    uri: str
    items: list
    rid: str
    deps: frozenset = frozenset()


@dataclass
class Work:
    """What the next pass must do (merged from every request since the last pass began)."""

    full: bool = False
    folders: set = field(default_factory=set)  # re-discover under these
    paths: set = field(default_factory=set)  # changed paths (any file or folder)

    def empty(self) -> bool:
        return not (self.full or self.folders or self.paths)

    def merge(self, other: Work) -> None:
        self.full = self.full or other.full
        self.folders |= other.folders
        self.paths |= other.paths


class WorkspaceIndex:
    """path -> Entry for unopened files, with a reverse index from each looked-at path."""

    def __init__(self):
        self.entries: dict[str, Entry] = {}
        self.by_dep: dict[str, set[str]] = {}
        self.serial = 0

    def next_rid(self) -> str:
        self.serial += 1
        return f"disk:{self.serial}"

    def put(self, path: str, entry: Entry) -> None:
        self.remove(path)
        self.entries[path] = entry
        for dep in entry.deps:
            self.by_dep.setdefault(dep, set()).add(path)

    def remove(self, path: str) -> Entry | None:
        old = self.entries.pop(path, None)
        if old is not None:
            for dep in old.deps:
                users = self.by_dep.get(dep)
                if users is not None:
                    users.discard(path)
                    if not users:
                        del self.by_dep[dep]
        return old

    def under(self, folder: str) -> list[str]:
        prefix = folder.rstrip(os.sep) + os.sep
        return [p for p in self.entries if p.startswith(prefix)]

    def dependents(self, changed: str) -> set[str]:
        """Indexed files that looked at ``changed``, at a path inside it (a deleted or created
        folder), or at a folder holding it (a config file in a config folder)."""
        out: set[str] = set()
        current = changed
        while True:
            users = self.by_dep.get(current)
            if users:
                out |= users
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        prefix = changed.rstrip(os.sep) + os.sep
        for dep, users in self.by_dep.items():
            if dep.startswith(prefix):
                out |= users
        return out


def plan(index: WorkspaceIndex, work: Work, folders: list[Path]) -> tuple[list[str], set[str]]:
    """(folders to discover, files to re-lint) for one pass (runs on the event loop: cheap)."""
    roots = [os.path.abspath(f) for f in folders]
    if work.full:
        return roots, set()
    discover_in = []
    for folder in work.folders:
        if any(folder == r or folder.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            discover_in.append(folder)
    relint: set[str] = set()
    for path in work.paths:
        if linter.kind_of(path):
            relint.add(path)
        relint |= index.dependents(path)
    return discover_in, relint


def _skipped(path: str, config, roots) -> bool:
    """A changed file the walk would not have yielded (an always-skipped folder such as
    ``node_modules`` on the way, an exclude, or outside every workspace folder)."""
    for root in roots:
        prefix = root.rstrip(os.sep) + os.sep
        if path.startswith(prefix):
            parts = path[len(prefix) :].split(os.sep)
            if any(part in ALWAYS_SKIPPED_DIRS for part in parts[:-1]):
                return True
            if config.exclude and any(
                config.is_excluded(os.path.join(root, *parts[: i + 1])) for i in range(len(parts))
            ):
                return True
            return bool(config.include != DEFAULT_INCLUDE and not config.is_included(path))
    return True


def run_pass(
    ls,
    discover_in: list[str],
    relint: set[str],
    known_under: dict[str, list[str]],
    open_uris: set[str],
    cancel: threading.Event,
    convert,
):
    """Blocking (the workspace thread): ``(results, unreadable folders)`` where results maps
    path -> ``(uri, diagnostics, paths looked at)``, or None when the file is gone or no
    longer ours. ``results`` is None when ``cancel`` stopped the pass."""
    results: dict[str, tuple | None] = {}
    problems: list[tuple[str, str]] = []
    todo: list[str] = []
    seen: set[str] = set()
    for folder in discover_in:
        if not os.path.isdir(folder):
            for path in known_under.get(folder, ()):
                results[path] = None
            continue
        config = ls.config_for(Path(folder) / "_")
        found = []
        try:
            for path in linter.discover(
                [folder], config, on_error=lambda f, exc: problems.append((f, exc.strerror or str(exc)))
            ):
                found.append(path)
        except OSError as exc:
            problems.append((folder, exc.strerror or str(exc)))
            continue
        seen.update(found)
        todo.extend(found)
        for path in known_under.get(folder, ()):
            if path not in seen:
                results[path] = None
    found_set = set(seen)
    known_roots = [os.path.abspath(f) for f in ls.folders()]
    for path in relint:
        if path not in seen:
            seen.add(path)
            todo.append(path)
    for path in todo:
        if cancel.is_set():
            return None, problems
        uri = uri_of(path)
        if uri in open_uris:
            continue
        if ls.serves(uri) is None:
            results[path] = None
            continue
        config = ls.config_for(Path(path))
        if path not in found_set and _skipped(path, config, known_roots):
            results[path] = None
            continue
        with files.recording() as deps:
            try:
                result = linter.lint_path(path, config)
            except FileNotFoundError:
                results[path] = None
                continue
            except OSError as exc:  # exists but cannot be read: say so, never skip silently
                result = linter.unreadable(path, config, exc)
            except Exception as exc:  # one bad file must not hide every other one
                log.exception("linting %s failed", path)
                result = linter.not_checked(
                    path, linter.kind_of(path) or "manifest", config, f"not checked: internal error {exc!r}"
                )
        deps.discard(os.path.normpath(path))
        results[path] = (uri, convert(result, uri), frozenset(deps))
    return results, problems
