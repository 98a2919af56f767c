"""Engine data -> LSP data. Nothing else in the server knows how offsets become positions.

Diagnostics are built as plain JSON dicts: they are sent as they are (hundreds of them go
out on every keystroke in a big manifest, and lsprotocol's cattrs round trip costs ~10x more).
"""

from __future__ import annotations

import json

from lsprotocol import types as lsp

from ..engine.model import Finding, Severity, docs_link
from ..engine.text import UTF8, UTF16, UTF32, LineIndex

SOURCE = "artifact-lsp"

_ENCODINGS = {
    lsp.PositionEncodingKind.Utf8: UTF8,
    lsp.PositionEncodingKind.Utf16: UTF16,
    lsp.PositionEncodingKind.Utf32: UTF32,
    "utf-8": UTF8,
    "utf-16": UTF16,
    "utf-32": UTF32,
}
_LSP_SEVERITY = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3, Severity.HINT: 4}
DEPRECATED = int(lsp.DiagnosticTag.Deprecated)


def encoding_of(kind) -> str:
    return _ENCODINGS.get(kind, UTF16)


def position(index: LineIndex, offset: int, encoding: str) -> dict:
    line, character = index.position(offset, encoding)
    return {"line": line, "character": character}


def range_dict(index: LineIndex, start: int, end: int, encoding: str) -> dict:
    return {"start": position(index, start, encoding), "end": position(index, end, encoding)}


def lsp_range(index: LineIndex, start: int, end: int, encoding: str) -> lsp.Range:
    sl, sc = index.position(start, encoding)
    el, ec = index.position(end, encoding)
    return lsp.Range(start=lsp.Position(line=sl, character=sc), end=lsp.Position(line=el, character=ec))


def offset_of(index: LineIndex, pos: lsp.Position, encoding: str) -> int:
    return index.offset(pos.line, pos.character, encoding)


def diagnostic(
    finding: Finding, index: LineIndex, encoding: str, uri: str, related: bool = True, docs_url: str | None = None
) -> dict:
    """``docs_url``: the ``docs-url`` setting (a link template); None links the shipped docs."""
    rule = finding.rule
    out = {
        "range": range_dict(index, finding.start, finding.end, encoding),
        "severity": _LSP_SEVERITY[finding.severity],
        "code": rule.code,
        "codeDescription": {"href": rule.url if docs_url is None else docs_link(docs_url, rule.code)},
        "source": SOURCE,
        "message": finding.message,
    }
    if rule.deprecated:
        out["tags"] = [DEPRECATED]
    if related and finding.related:
        out["relatedInformation"] = [
            {"location": {"uri": uri, "range": range_dict(index, r.start, r.end, encoding)}, "message": r.message}
            for r in finding.related
        ]
    return out


_TAILS: dict = {}  # (code, message, severity, docs-url setting) -> the JSON of a diagnostic after its range
_TAILS_MAX = 100_000


def encode_diagnostics(
    findings, index: LineIndex, encoding: str, uri: str, related: bool = True, docs_url: str | None = None
) -> str:
    """The JSON array text of ``[diagnostic(f, ...) for f in findings]``, built from pieces.

    Everything but the range of a diagnostic is the same from one edit to the next (the
    messages name the entry, not the line), so its JSON is encoded once and kept; each edit
    only formats the ranges. A finding with related information is encoded whole."""
    tails = _TAILS
    if len(tails) > _TAILS_MAX:
        tails.clear()
    position = index.position
    parts = []
    for f in findings:
        if related and f.related:
            parts.append(json.dumps(diagnostic(f, index, encoding, uri, related, docs_url)))
            continue
        rule = f.rule
        key = (rule.code, f.message, f.severity, docs_url)
        tail = tails.get(key)
        if tail is None:
            head = {
                "severity": _LSP_SEVERITY[f.severity],
                "code": rule.code,
                "codeDescription": {"href": rule.url if docs_url is None else docs_link(docs_url, rule.code)},
                "source": SOURCE,
                "message": f.message,
            }
            if rule.deprecated:
                head["tags"] = [DEPRECATED]
            tail = tails[key] = json.dumps(head)[1:]
        sl, sc = position(f.start, encoding)
        el, ec = position(f.end, encoding)
        parts.append(
            f'{{"range": {{"start": {{"line": {sl}, "character": {sc}}}, "end": {{"line": {el}, "character": {ec}}}}}, {tail}'
        )
    return "[" + ", ".join(parts) + "]"


def to_lsp_diagnostic(data: dict) -> lsp.Diagnostic:
    """A typed Diagnostic from our dict (for code actions, which lsprotocol serialises)."""
    r = data["range"]
    return lsp.Diagnostic(
        range=lsp.Range(
            start=lsp.Position(**r["start"]),
            end=lsp.Position(**r["end"]),
        ),
        message=data["message"],
        severity=lsp.DiagnosticSeverity(data["severity"]),
        code=data["code"],
        code_description=lsp.CodeDescription(href=data["codeDescription"]["href"]),
        source=data["source"],
        tags=[lsp.DiagnosticTag(t) for t in data.get("tags", [])] or None,
    )


def text_edits(index: LineIndex, edits, encoding: str) -> list[lsp.TextEdit]:
    return [
        lsp.TextEdit(range=lsp_range(index, e.start, e.end, encoding), new_text=e.new_text)
        for e in sorted(edits, key=lambda e: (e.start, e.end))
    ]


def workspace_edit(
    uri: str, version: int | None, edits: list[lsp.TextEdit], document_changes: bool
) -> lsp.WorkspaceEdit:
    """Versioned ``documentChanges`` when the client supports them: an edit computed for one
    version is then refused by the client if the document moved on."""
    if document_changes:
        return lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=edits,
                )
            ]
        )
    return lsp.WorkspaceEdit(changes={uri: edits})


__all__ = [
    "SOURCE",
    "diagnostic",
    "encode_diagnostics",
    "encoding_of",
    "lsp_range",
    "offset_of",
    "position",
    "range_dict",
    "text_edits",
    "to_lsp_diagnostic",
    "workspace_edit",
]
