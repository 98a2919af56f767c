"""Line index over a text: character offsets <-> (line, column) in any LSP position encoding.

Offsets are Python ``str`` indices (code points), which is what PyYAML marks report.
Lines end at ``\\r\\n``, ``\\n`` or a lone ``\\r`` (as in YAML and in LSP).
Columns are available as UTF-16 code units (the LSP default), UTF-8 bytes or code points.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

UTF16 = "utf-16"
UTF8 = "utf-8"
UTF32 = "utf-32"  # code points
ENCODINGS = (UTF16, UTF8, UTF32)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _width(chunk: str, encoding: str) -> int:
    if encoding == UTF32 or chunk.isascii():
        return len(chunk)
    if encoding == UTF16:
        return len(chunk) + sum(1 for ch in chunk if ord(ch) > 0xFFFF)
    return len(chunk.encode("utf-8", "surrogatepass"))


class LineIndex:
    """Maps offsets to positions and back for one text."""

    __slots__ = ("text", "line_starts", "_ascii")

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
        return line, _width(self.text[start:offset], encoding)

    def offset(self, line: int, column: int, encoding: str = UTF16) -> int:
        """Offset of a (line, column) position; out-of-range values are clamped as LSP asks."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.text)
        start = self.line_starts[line]
        end = self.line_end(line)
        if self._ascii or encoding == UTF32:
            return min(start + max(column, 0), end)
        units = 0
        for i in range(start, end):
            if units >= column:
                return i
            units += _width(self.text[i], encoding)
        return end


def newline_of(text: str) -> str:
    """The line break the text uses (first one found), ``\\n`` when it has none."""
    m = _LINE_BREAK.search(text)
    return m.group(0) if m else "\n"
