"""The one entry point both adapters use: lint a text (or a file) and fix it.

``lint_text`` never raises on bad input: YAML errors, odd encodings and rule bugs all become
findings. ``fix_text`` applies every proven fix, pass after pass, until none is left.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from . import files
from .config import ALWAYS_SKIPPED_DIRS, CONFIG_MARKERS, DEFAULT_INCLUDE, Config
from .model import Finding, Rule
from .rules import RULES
from .rules import al0xx_document as document_rules
from .rules import run as run_checks
from .rules.base import Context
from .suppress import directives, is_suppressed
from .text import LineIndex
from .yamlmodel import ParsedYaml, YamlProblem, parse

if TYPE_CHECKING:  # imported lazily at run time: `check` never needs the fix engine
    from .fixes import Fixer

FILE_KINDS = {"artifact.yml": "manifest", "artifact.json": "json", "test_matrix.yaml": "matrix"}


def kind_of(path: str | os.PathLike | None) -> str | None:
    """The kind of file a path names (by file name), or None when it is not one of ours."""
    if path is None:
        return None
    return FILE_KINDS.get(os.path.basename(os.fspath(path)))


class LintResult:
    """One lint of one text: its findings, and the tree they were found in.

    ``parsed`` of a result made by ``incremental.relint`` is built on first use (the entries
    an edit did not touch keep their nodes from the lint before, with offsets that moved):
    the diagnostics need only ``findings``; a fix, a hover or the outline read ``parsed``.
    Read a finding's ``plan`` only through ``fixable`` or ``fixer``, or after ``parsed``:
    until then the plans of untouched entries point at nodes whose offsets moved.
    """

    __slots__ = (
        "text",
        "path",
        "kind",
        "findings",
        "docs_url",
        "config",
        "generation",
        "checked_at",
        "reused",
        "_parsed",
        "_layout",
        "_raw",
        "_lock",
        "_index",
        "_fixer",
        "_lsp_items",
    )

    def __init__(
        self,
        text: str,
        path: str | os.PathLike | None,
        kind: str,
        parsed: ParsedYaml | None,
        findings: list[Finding] | None = None,
        docs_url: str | None = None,
        *,
        layout=None,
    ):
        self.text = text
        self.path = path  # as given
        self.kind = kind
        self.findings: list[Finding] = findings if findings is not None else []
        self.docs_url = docs_url  # the config's docs-url (link template) the findings are shown with
        self.config: Config | None = None  # the configuration it was linted with
        self.generation = -1  # ``files.generation()`` when its disk facts began to be read
        # ``time.monotonic()`` when the last of its disk facts was read (a cached fact of it
        # expires at the latest ``files`` facts TTL after this)
        self.checked_at = 0.0
        self.reused = False  # findings of an earlier text's lint are in it (``incremental.relint``)
        self._parsed = parsed
        # ``incremental.Layout``: None = not built yet, False = the document has none
        self._layout = layout
        self._raw: list[Finding] | None = None  # the findings before suppression, when they differ
        self._lock = threading.Lock() if parsed is None else None
        self._index: LineIndex | None = None
        self._fixer: Fixer | None = None
        self._lsp_items: Any = None  # the language server's conversion of ``findings``

    @property
    def parsed(self) -> ParsedYaml:
        parsed = self._parsed
        if parsed is None:
            parsed = self._materialize()
        return parsed

    @property
    def materialized(self) -> bool:
        return self._parsed is not None

    def _materialize(self) -> ParsedYaml:
        assert self._lock is not None, "a result without a tree is made with a lock"
        with self._lock:
            if self._parsed is None:
                parsed, findings = self._layout.materialize(self.findings)
                self.findings = findings
                self._parsed = parsed
            return self._parsed

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    @property
    def fixer(self) -> Fixer:
        if self._fixer is None:
            from .fixes import Fixer

            parsed = self.parsed  # first: it may replace the findings' plans
            self._fixer = Fixer(self.text, parsed, self.index)
        return self._fixer

    @property
    def fixable(self) -> list[Finding]:
        """Findings with a fix plan (proving happens when a fix is asked for)."""
        if self.kind == "json":
            return []
        if self._parsed is None:
            self._materialize()
        return [f for f in self.findings if f.plan is not None]

    @property
    def raw_findings(self) -> list[Finding]:
        """The findings before inline suppression (sorted like ``findings``)."""
        return self._raw if self._raw is not None else self.findings


def lint_text(
    text: str,
    *,
    path: str | os.PathLike | None = None,
    kind: str | None = None,
    config: Config | None = None,
    disk: bool = True,
) -> LintResult:
    """Lint one document. ``disk=False`` skips every rule that looks at other files."""
    config = config or Config()
    kind = kind or kind_of(path) or "manifest"
    generation = files.generation()
    parsed = parse(text)
    ctx = Context(text, parsed, path if disk else None, kind, config)
    run_checks(ctx)
    result = LintResult(text, path, kind, parsed, docs_url=config.docs_url)
    # (after the checks: the facts of a big document's last entries are read well after its first)
    result.config, result.generation, result.checked_at = config, generation, time.monotonic()
    findings = ctx.findings
    findings.sort(key=_order)
    result.findings = suppressed(result, findings)
    if result.findings is not findings:
        result._raw = findings
    return result


def _order(f: Finding) -> tuple:
    return (f.start, f.end, f.code)


def suppressed(result: LintResult, findings: list[Finding]) -> list[Finding]:
    """``findings`` (of ``result``'s text) without those an inline directive silences; the
    same list when there is nothing to silence."""
    text = result.text
    if not findings or "artifact-lsp:" not in text:
        return findings
    table = directives(text, result.index, result.parsed)
    if not table:
        return findings
    index = result.index
    return [f for f in findings if not is_suppressed(table, index.line_of(f.start), f.code)]


def not_checked(path, kind: str, config: Config, message: str, *, rule: Rule = document_rules.AL004) -> LintResult:
    parsed = ParsedYaml(root=None, problems=[YamlProblem("syntax", message, 0, 0)])
    finding = Finding(rule, message, 0, 0, config.severity_of(rule.code, rule.severity))
    return LintResult("", path, kind, parsed, [finding] if config.enabled(rule.code) else [], docs_url=config.docs_url)


def decode(data: bytes) -> tuple[str, None] | tuple[None, str]:
    """(text, None) or (None, problem) for the bytes of a file."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})"


def lint_path(path: str | os.PathLike, config: Config, *, disk: bool = True) -> LintResult:
    """Lint a file on disk. Raises ``OSError`` only when it cannot be opened at all."""
    kind = kind_of(path) or "manifest"
    try:
        data = files.read_manifest_bytes(path, config.max_file_size)
    except files.FileTooLarge as exc:
        return not_checked(
            path, kind, config, f"not checked: {exc.args[0]} bytes is over max-file-size ({config.max_file_size})"
        )
    except files.NotRegularFile:
        if not os.path.lexists(path):
            raise FileNotFoundError(2, "No such file or directory", str(path)) from None
        return not_checked(path, kind, config, f"not checked: {_not_regular_reason(path)}")
    decoded = decode(data)
    if decoded[0] is None:  # (None, problem)
        return not_checked(path, kind, config, decoded[1], rule=document_rules.AL001)
    return lint_text(decoded[0], path=path, kind=kind, config=config, disk=disk)


def _not_regular_reason(path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "a broken symbolic link"
        return f"cannot be read ({exc.strerror or exc})"
    return "not a regular file"


def unreadable(path, config: Config, exc: OSError) -> LintResult:
    """An AL004 result for a file that exists but cannot be read (the language server reports
    it as a finding; the CLI reports an error and exits 2)."""
    kind = kind_of(path) or "manifest"
    return not_checked(path, kind, config, f"not checked: cannot read the file ({exc.strerror or exc})")


def fix_text(
    text: str,
    *,
    path=None,
    kind: str | None = None,
    config: Config | None = None,
    max_passes: int = 16,
    result: LintResult | None = None,
):
    """Apply every proven fix. Returns ``(new_text, fixed findings)``."""
    new_text, fixed, _edits = fix_edits(text, path=path, kind=kind, config=config, max_passes=max_passes, result=result)
    return new_text, fixed


def fix_edits(
    text: str,
    *,
    path=None,
    kind: str | None = None,
    config: Config | None = None,
    max_passes: int = 16,
    result: LintResult | None = None,
):
    """Apply every proven fix. Returns ``(new_text, fixed findings, edits)``: ``edits`` turn
    ``text`` into ``new_text`` (one set, on the original text, for one workspace edit).

    A pass applies every fix that does not overlap another as one edit set, proven with one
    re-parse (``fixes.combine``). Only what had to wait (two edits touching, the last key of
    a mapping) costs another pass: a lint of the new text and one more proof. ``result``, a
    lint of ``text`` already at hand, saves the first pass its lint.
    """
    from .fixes import combine, compose_edits

    kind = kind or kind_of(path) or "manifest"
    fixed: list[Finding] = []
    edits: list = []
    if kind == "json":
        return text, fixed, edits
    original = text
    for n in range(max_passes):
        if n == 0 and result is not None and result.text == text and result.kind == kind:
            current = result
        else:
            current = lint_text(text, path=path, kind=kind, config=config, disk=False)
        candidates = current.fixable
        if not candidates:
            break
        by_plan: dict[tuple[int, int], list[Finding]] = {}
        for finding in candidates:
            if finding.plan is not None:  # always so: `fixable` are the findings with a plan
                by_plan.setdefault((id(finding.plan.mapping), id(finding.plan.key)), []).append(finding)
        new_text, applied, pass_edits = combine(
            text, current.parsed, current.index, [f.plan for f in candidates], with_edits=True
        )
        if not applied:
            break
        for plan in applied:
            fixed.extend(by_plan[(id(plan.mapping), id(plan.key))])
        edits = pass_edits if text is original else compose_edits(edits, pass_edits, text, new_text)
        text = new_text
        if len(applied) == len(by_plan):
            break  # all done: the data lost exactly those keys, so no new fix can appear
    return text, fixed, edits


def discover(paths, config: Config, *, on_folder=None, on_error=None):
    """Yield the files to check under ``paths`` as path strings (files named directly are
    always checked, as given).

    Folders are walked for ``artifact.yml``, ``artifact.json`` and ``test_matrix.yaml``,
    skipping ``.git``, ``node_modules``, ``.venv`` and the configured excludes. Paths below a
    folder are joined onto it as given (absolute in, absolute out).

    ``on_folder(folder, markers)`` is called for every folder walked, before its files are
    yielded, with the names in it that mark a config or repository root (``CONFIG_MARKERS``):
    a config cache uses it to know where config files are without asking the disk again.

    ``on_error(folder, exc)`` is called for a folder that cannot be listed (its files are
    not checked: the caller must say so, never pass silently).
    """
    seen = set()
    default_include = config.include == DEFAULT_INCLUDE
    excludes = bool(config.exclude)
    for raw in paths:
        top = os.fspath(raw)
        if os.path.isfile(top) or (not os.path.isdir(top) and kind_of(top) and os.path.lexists(top)):
            if top not in seen:
                seen.add(top)
                yield top
            continue
        if not os.path.isdir(top):
            raise FileNotFoundError(2, "No such file or directory", top)
        for folder, dirs, found, markers in _walk(top, on_error):
            if on_folder is not None:
                on_folder(folder, markers)
            if excludes:
                dirs[:] = [d for d in dirs if not config.is_excluded(d)]
            found.sort()
            for candidate in found:
                if candidate in seen:
                    continue
                if excludes and config.is_excluded(candidate):
                    continue
                if not default_include and not config.is_included(candidate):
                    continue
                seen.add(candidate)
                yield candidate


def _walk(top: str, on_error=None):
    """Walk folders depth first in name order, without following symlinked folders and
    without an ``lstat`` per entry (the directory entry says what it is).

    Yields ``(folder, subfolders, files of ours, markers)``: full paths for the subfolders and
    files, sorted subfolders the caller may prune in place (as with ``os.walk``), and the
    names of config files and ``.git`` found in the folder.
    """
    stack = [top]
    skipped = ALWAYS_SKIPPED_DIRS
    kinds = FILE_KINDS
    marker_names = CONFIG_MARKERS
    while stack:
        folder = stack.pop()
        dirs, found = [], []
        markers = []
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    name = entry.name
                    if name in marker_names:
                        markers.append(name)
                    if name in kinds:
                        try:
                            if not entry.is_dir(follow_symlinks=False):
                                found.append(entry.path)
                                continue
                        except OSError:
                            continue
                    if name in skipped:
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            dirs.append(entry.path)
                    except OSError:
                        continue
        except OSError as exc:
            if on_error is not None:
                on_error(folder, exc)
            continue
        dirs.sort()
        yield folder, dirs, found, markers
        stack.extend(reversed(dirs))


def all_rules() -> list[Rule]:
    return list(RULES.values())
