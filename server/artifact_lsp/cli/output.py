"""CLI report formats: text (ruff-like), json, sarif (2.1.0) and github (workflow commands)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from .. import __version__
from ..engine.linter import LintResult, all_rules
from ..engine.model import DOCS_URL, Severity, docs_link

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}
GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}


class Row(NamedTuple):
    """One finding, ready to print: positions are 1-based; ``col``/``end_col`` count code
    points, ``col16``/``end_col16`` UTF-16 code units. A plain tuple (severity as an int) so
    that worker processes send it back cheaply."""

    path: str
    code: str
    severity: int
    message: str
    line: int
    col: int
    end_line: int
    end_col: int
    col16: int
    end_col16: int
    fixable: bool


def rows_of(result: LintResult, shown_path: str) -> list[Row]:
    if not result.findings:
        return []
    index = result.index
    json_file = result.kind == "json"
    ascii_text = result.text.isascii()
    # a UTF-8 byte order mark is not a column: editors and viewers hide it
    bom = result.text.startswith("\ufeff")
    out = []
    for f in result.findings:
        line, col = index.position(f.start, "utf-32")
        end_line, end_col = index.position(f.end, "utf-32")
        if ascii_text:
            col16, end_col16 = col, end_col
        else:
            col16 = index.position(f.start, "utf-16")[1]
            end_col16 = index.position(f.end, "utf-16")[1]
        if bom:
            if line == 0 and col:
                col, col16 = col - 1, col16 - 1
            if end_line == 0 and end_col:
                end_col, end_col16 = end_col - 1, end_col16 - 1
        out.append(
            Row(
                shown_path,
                f.code,
                int(f.severity),
                f.message,
                line + 1,
                col + 1,
                end_line + 1,
                end_col + 1,
                col16 + 1,
                end_col16 + 1,
                f.plan is not None and not json_file,
            )
        )
    return out


_CWD: list = []


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the current folder when it is below it (cheap: runs per file)."""
    raw = os.fspath(path)
    if not _CWD or _CWD[0][0] != os.getcwd():
        cwd = os.getcwd()
        _CWD[:] = [(cwd, cwd.rstrip(os.sep) + os.sep)]
    cwd, prefix = _CWD[0]
    if os.path.isabs(raw):
        if raw.startswith(prefix):
            return raw[len(prefix) :]
    elif not raw.startswith(".."):
        return os.path.normpath(raw)
    try:
        return os.path.relpath(raw)
    except ValueError:  # another drive on Windows
        return raw


# --------------------------------------------------------------------------- text

_COLOURS = {
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[34m",
    Severity.HINT: "\x1b[2m",
}
BOLD, DIM, RESET, CYAN = "\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[36m"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(rows: list[Row], files: int, unchecked: int = 0) -> str:
    """The last line of the text report. ``unchecked``: paths given that could not be checked
    (missing, unreadable); then it never says "All checks passed!"."""
    if unchecked:
        what = f"{_plural(unchecked, 'path')} could not be checked (errors above)"
        if not rows:
            return f"No problems in {_plural(files, 'file')} checked, but {what}."
        return summary_line(rows, files).replace(" checked.", f" checked; {what}.", 1)
    if not rows:
        return f"All checks passed! ({_plural(files, 'file')} checked)"
    by: dict[int, int] = {s: 0 for s in Severity}  # a Row has its severity as an int
    for r in rows:
        by[r.severity] += 1
    parts = [
        _plural(by[s], s.label if s is not Severity.INFO else "info") for s in sorted(Severity, reverse=True) if by[s]
    ]
    parts = [p.replace("infos", "info") for p in parts]
    touched = len({r.path for r in rows})
    fixable = sum(r.fixable for r in rows)
    text = (
        f"Found {_plural(len(rows), 'problem')} ({', '.join(parts)}) in {_plural(touched, 'file')} of {files} checked."
    )
    if fixable:
        text += f"\n[*] {fixable} fixable with `artifact-lsp fix`."
    return text


def format_text(rows: list[Row], files: int, colour: bool, unchecked: int = 0) -> str:
    lines = []
    for r in rows:
        mark = " [*]" if r.fixable else ""
        if colour:
            sev = _COLOURS[Severity(r.severity)]
            lines.append(
                f"{BOLD}{r.path}{RESET}{CYAN}:{RESET}{r.line}{CYAN}:{RESET}{r.col}{CYAN}:{RESET} "
                f"{sev}{BOLD}{r.code}{RESET}{mark} {r.message}"
            )
        else:
            lines.append(f"{r.path}:{r.line}:{r.col}: {r.code}{mark} {r.message}")
    lines.append(summary_line(rows, files, unchecked))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- json


try:  # the C encoder of one JSON string (what json.dumps(..., ensure_ascii=False) uses)
    from json.encoder import c_encode_basestring as _encode_str  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - json without its C speedups
    from json.encoder import py_encode_basestring as _encode_str

if _encode_str is None:  # pragma: no cover
    from json.encoder import py_encode_basestring as _encode_str

_RULE_PARTS: dict = {}  # docs-url -> code -> ('"code": ..., "name": ..., ', '"url": ...')
_LABELS = {int(s): s.label for s in Severity}


def json_items(rows: list[Row], docs_url: str | None = None) -> str:
    """The findings of ``rows`` as comma-separated JSON objects (no brackets).

    The same text ``json.dumps(items, ensure_ascii=False)`` writes, built from pieces: tens
    of thousands of findings are normal on a big repository, and worker processes encode
    their own share. Strings go through json's C string encoder. ``docs_url``: the config's
    ``docs-url`` link template (None: the shipped docs).
    """
    if not rows:
        return ""
    parts = _RULE_PARTS.get(docs_url)
    if parts is None:
        parts = _RULE_PARTS[docs_url] = {}
        for rule in all_rules():
            parts[rule.code] = (
                f'"code": {_encode_str(rule.code)}, "name": {_encode_str(rule.name)}, ',
                f'"url": {_encode_str(docs_link(docs_url, rule.code))}',
            )
    labels = _LABELS
    out = []
    last_path = encoded_path = None
    for r in rows:
        if r.path is not last_path:
            last_path, encoded_path = r.path, _encode_str(r.path)
        head, url = parts[r.code]
        out.append(
            f'{{"path": {encoded_path}, {head}"severity": "{labels[r.severity]}", '
            f'"message": {_encode_str(r.message)}, '
            f'"start": {{"line": {r.line}, "column": {r.col}}}, '
            f'"end": {{"line": {r.end_line}, "column": {r.end_col}}}, '
            f'"fixable": {"true" if r.fixable else "false"}, {url}}}'
        )
    return ", ".join(out)


def format_json(rows: list[Row], files: int, encoded: list[str] | None = None) -> str:
    """The JSON report; ``encoded`` holds fragments from ``json_items`` already made."""
    parts = [p for p in (encoded if encoded is not None else [json_items(rows)]) if p]
    return f'{{"files_checked": {files}, "findings": [{", ".join(parts)}]}}\n'


# --------------------------------------------------------------------------- sarif


def format_sarif(rows: list[Row], files: int, base: Path, docs_url: str | None = None) -> str:
    """SARIF 2.1.0; ``docs_url``: the ``docs-url`` link template of the run (None: the
    shipped docs)."""
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    driver_rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": _plain(rule.summary)},
            "fullDescription": {"text": _plain(rule.docs)},
            "help": {"text": _plain(rule.docs), "markdown": rule.docs},
            "helpUri": docs_link(docs_url, rule.code),
            "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
            "properties": {"tags": ["deprecated"] if rule.deprecated else []},
        }
        for rule in rules
    ]
    results = []
    for r in rows:
        # a relative URI reference: percent-encode (a space, '%', '#', ':' are not allowed as is)
        uri = quote(Path(r.path).as_posix()) if not os.path.isabs(r.path) else Path(r.path).as_uri()
        location = {"uri": uri}
        if not os.path.isabs(r.path):
            location["uriBaseId"] = "%SRCROOT%"
        results.append(
            {
                "ruleId": r.code,
                "ruleIndex": index[r.code],
                "level": SARIF_LEVEL[Severity(r.severity)],
                "message": {"text": r.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": location,
                            "region": {
                                "startLine": r.line,
                                "startColumn": r.col16,
                                "endLine": r.end_line,
                                "endColumn": r.end_col16,
                            },
                        }
                    }
                ],
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "artifact-lsp",
                        "version": __version__,
                        "semanticVersion": __version__,
                        **({"informationUri": DOCS_URL} if docs_url is None else {}),
                        "rules": driver_rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _plain(markdown: str) -> str:
    return markdown.replace("`", "")


# --------------------------------------------------------------------------- github


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(rows: list[Row], files: int) -> str:
    lines = []
    for r in rows:
        props = (
            f"file={_gh_prop(r.path)},line={r.line},col={r.col},endLine={r.end_line},"
            f"endColumn={r.end_col},title={_gh_prop(r.code)}"
        )
        lines.append(f"::{GITHUB_LEVEL[Severity(r.severity)]} {props}::{_gh_data(f'{r.code} {r.message}')}")
    return "\n".join(lines) + ("\n" if lines else "")
