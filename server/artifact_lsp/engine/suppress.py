"""Inline suppression: ``# artifact-lsp: ignore[AL104]`` on the line or the line above.

A comment at the end of a line silences that line; a comment on a line of its own silences
the line below it.

``# artifact-lsp: ignore`` with no codes silences every rule on that line (and the next).
Several codes are separated by commas: ``ignore[AL104, AL105]``.
"""

from __future__ import annotations

import re

from .text import LineIndex

DIRECTIVE = re.compile(r"#\s*artifact-lsp:\s*ignore(?:\[([^\]]*)\])?")
ALL = "*"


def directives(text: str, index: LineIndex) -> dict[int, set[str]]:
    """Line -> codes suppressed on it (``*`` for all)."""
    if "artifact-lsp:" not in text:
        return {}
    out: dict[int, set[str]] = {}
    for m in DIRECTIVE.finditer(text):
        start = m.start()
        if start > 0 and text[start - 1] not in " \t\r\n":
            continue  # not a comment: '#' must start a token
        line = index.line_of(start)
        codes = {c.strip().upper() for c in m.group(1).split(",")} if m.group(1) is not None else {ALL}
        codes.discard("")
        own_line = not text[index.line_start(line) : start].strip()
        for target in (line, line + 1) if own_line else (line,):
            out.setdefault(target, set()).update(codes or {ALL})
    return out


def is_suppressed(table: dict[int, set[str]], line: int, code: str) -> bool:
    codes = table.get(line)
    return bool(codes) and (ALL in codes or code in codes)


def comment_for(code: str) -> str:
    return f"# artifact-lsp: ignore[{code}]"
