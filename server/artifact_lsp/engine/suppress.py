"""Inline suppression: ``# artifact-lsp: ignore[AL104]`` on the line or the line above.

A comment at the end of a line silences that line; a comment on a line of its own silences
the line below it.

``# artifact-lsp: ignore`` with no codes silences every rule on that line (and the next).
Several codes are separated by commas: ``ignore[AL104, AL105]``.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from .text import LineIndex

DIRECTIVE = re.compile(r"#\s*artifact-lsp:\s*ignore(?:\[([^\]]*)\])?")
ALL = "*"


def directives(text: str, index: LineIndex, parsed=None) -> dict[int, set[str]]:
    """Line -> codes suppressed on it (``*`` for all).

    With ``parsed`` (the document's ``ParsedYaml``), a directive inside a quoted or block
    scalar is text, not a comment, and is skipped.
    """
    if "artifact-lsp:" not in text:
        return {}
    spans = _scalar_spans(parsed, text) if parsed is not None else []
    starts = [s for s, _ in spans]
    out: dict[int, set[str]] = {}
    for m in DIRECTIVE.finditer(text):
        start = m.start()
        if start > 0 and text[start - 1] not in " \t\r\n" and not (start == 1 and text[0] == "\ufeff"):
            continue  # not a comment: '#' must start a token
        i = bisect_right(starts, start) - 1
        if i >= 0 and start < spans[i][1]:
            continue  # inside a scalar's text
        line = index.line_of(start)
        codes = {c.strip().upper() for c in m.group(1).split(",")} if m.group(1) is not None else {ALL}
        codes.discard("")
        before = text[index.line_start(line) : start]
        if line == 0:
            before = before.removeprefix("\ufeff")  # a byte order mark is no content
        own_line = not before.strip()
        for target in (line, line + 1) if own_line else (line,):
            out.setdefault(target, set()).update(codes or {ALL})
    return out


def _scalar_spans(parsed, text: str) -> list[tuple[int, int]]:
    """Sorted spans of the scalars that can hold a '#' that is not a comment."""
    from .yamlmodel import Scalar, iter_nodes

    if "'" not in text and '"' not in text and "|" not in text and ">" not in text:
        return []
    spans = [
        (node.start, node.end)
        for node in iter_nodes(parsed.root)
        if type(node) is Scalar and node.style is not None and node.end > node.start
    ]
    spans.sort()
    return spans


def is_suppressed(table: dict[int, set[str]], line: int, code: str) -> bool:
    codes = table.get(line)
    if not codes:
        return False
    return ALL in codes or code in codes


def comment_for(code: str) -> str:
    return f"# artifact-lsp: ignore[{code}]"
