"""Line index over a text: character offsets <-> (line, column) in any LSP position encoding.

Offsets are Python ``str`` indices (code points), which is what PyYAML marks report.
Lines end at ``\\r\\n``, ``\\n`` or a lone ``\\r`` (as in YAML and in LSP).
Columns are available as UTF-16 code units (the LSP default), UTF-8 bytes or code points.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate

UTF16 = "utf-16"
UTF8 = "utf-8"
UTF32 = "utf-32"  # code points
ENCODINGS = (UTF16, UTF8, UTF32)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


_WIDE = {
    # characters wider than one unit in each encoding, and how many units more they take
    UTF16: re.compile("[\U00010000-\U0010ffff]"),
    UTF8: re.compile(r"[^\x00-\x7f]"),
}


def _extra(ch: str, encoding: str) -> int:
    if encoding == UTF16:
        return 1
    code = ord(ch)
    return 1 if code < 0x800 else 2 if code < 0x10000 else 3


class LineIndex:
    """Maps offsets to positions and back for one text.

    Columns of a non-ASCII line come from a table built once per line and encoding (where its
    wide characters are, and the units they add up to), so converting many positions on one
    long line costs a bisect each, never a rescan of the line.
    """

    __slots__ = ("text", "line_starts", "_ascii", "_tables")

    def __init__(self, text: str):
        self.text = text
        if "\r" not in text:
            # the common case, at C speed: each line starts one past the previous one's end
            starts = [0, *accumulate(map((1).__add__, map(len, text.split("\n")[:-1])))]
        else:
            starts = [0]
            starts.extend(m.end() for m in _LINE_BREAK.finditer(text))
        self.line_starts = starts
        self._ascii = text.isascii()
        self._tables: dict = {}

    def _table(self, line: int, encoding: str) -> tuple[list[int], list[int], list[int]]:
        """For ``line`` in ``encoding``: the offsets of its wide characters, the extra units of
        the wide characters before each of them (one more item: all of them), and the column
        each of them starts at."""
        key = (line, encoding)
        table = self._tables.get(key)
        if table is None:
            start = self.line_starts[line]
            end = self.line_end(line)
            where: list[int] = []
            extra = [0]
            columns: list[int] = []
            if not self.text[start:end].isascii():
                total = 0
                for m in _WIDE[encoding].finditer(self.text, start, end):
                    offset = m.start()
                    where.append(offset)
                    columns.append(offset - start + total)
                    total += _extra(m.group(), encoding)
                    extra.append(total)
            table = self._tables[key] = (where, extra, columns)
        return table

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset) - 1

    def line_start(self, line: int) -> int:
        return self.line_starts[line]

    def line_end(self, line: int, *, keep_break: bool = False) -> int:
        """Offset of the end of ``line`` (before its line break unless ``keep_break``)."""
        starts = self.line_starts
        if line + 1 < len(starts):
            end = starts[line + 1]
            if keep_break:
                return end
            text = self.text
            if end >= 2 and text[end - 2 : end] == "\r\n":
                return end - 2
            return end - 1
        return len(self.text)

    def line_text(self, line: int) -> str:
        return self.text[self.line_starts[line] : self.line_end(line)]

    def position(self, offset: int, encoding: str = UTF16) -> tuple[int, int]:
        """Zero-based (line, column) of ``offset``; the column counted in ``encoding`` units."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        if self._ascii or encoding == UTF32:
            return line, offset - start
        where, extra, _columns = self._table(line, encoding)
        if not where:
            return line, offset - start
        return line, offset - start + extra[bisect_left(where, offset)]

    def offset(self, line: int, column: int, encoding: str = UTF16) -> int:
        """Offset of a (line, column) position; out-of-range values are clamped as LSP asks."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.text)
        start = self.line_starts[line]
        end = self.line_end(line)
        column = max(column, 0)
        if self._ascii or encoding == UTF32:
            return min(start + column, end)
        where, extra, columns = self._table(line, encoding)
        # the first offset whose column is >= ``column`` (a column inside a wide character
        # lands after it)
        k = bisect_right(columns, column)  # wide characters starting at or before the column
        if k == 0:
            return min(start + column, end)
        if columns[k - 1] == column:
            return where[k - 1]
        return min(max(start + column - extra[k], where[k - 1] + 1), end)


def newline_of(text: str) -> str:
    """The line break the text uses (first one found), ``\\n`` when it has none."""
    m = _LINE_BREAK.search(text)
    return m.group(0) if m else "\n"


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks, split where LSP and YAML split them
    (``\\r\\n``, ``\\n``, ``\\r``; never at U+2028, NEL, form feed and the others
    ``str.splitlines`` also takes)."""
    lines = _SPLIT.split(text)
    out = [lines[i] + lines[i + 1] for i in range(0, len(lines) - 1, 2)]
    if lines[-1]:
        out.append(lines[-1])
    return out


_SPLIT = re.compile(r"(\r\n|\r|\n)")
