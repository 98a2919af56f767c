"""LineIndex: character offsets <-> (line, column) in UTF-16, UTF-8 and code-point columns."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_lsp.engine.text import ENCODINGS, UTF8, UTF16, UTF32, LineIndex, newline_of

JA = "名前: 日本語のテキスト\n"  # 3 + 8 code points after the key
EMOJI = "icon: 😀🎉x\n"  # two astral characters: 2 UTF-16 units and 4 UTF-8 bytes each
MIXED = JA + EMOJI + "é: ü\n"


def _reference(text: str, offset: int, encoding: str) -> tuple[int, int]:
    """An independent (slow) model of position(): split lines, encode the prefix."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    line = max(i for i, s in enumerate(starts) if s <= offset)
    prefix = text[starts[line] : offset]
    if encoding == UTF16:
        return line, len(prefix.encode("utf-16-le", "surrogatepass")) // 2
    if encoding == UTF8:
        return line, len(prefix.encode("utf-8", "surrogatepass"))
    return line, len(prefix)


# --------------------------------------------------------------------------- columns


def test_utf16_columns_count_astral_characters_as_two_units():
    text = MIXED
    index = LineIndex(text)
    x = text.index("x")
    # "icon: " is 6 units, each emoji 2 units
    assert index.position(x, UTF16) == (1, 10)
    assert index.position(x, UTF32) == (1, 8)
    assert index.position(x, UTF8) == (1, 14)
    # the second emoji starts after one astral character
    party = text.index("🎉")
    assert index.position(party, UTF16) == (1, 8)
    assert index.position(party, UTF8) == (1, 10)
    assert index.position(party, UTF32) == (1, 7)


def test_japanese_columns():
    index = LineIndex(JA)
    te = JA.index("テ")
    # "名前: " = 4 code points, "日本語の" = 4 more: BMP characters are one UTF-16 unit each
    assert index.position(te, UTF16) == (0, 8)
    assert index.position(te, UTF32) == (0, 8)
    assert index.position(te, UTF8) == (0, 2 * 3 + 2 + 4 * 3)  # 3 bytes per kana/kanji
    assert index.offset(0, 8, UTF16) == te
    assert index.offset(0, 20, UTF8) == te


def test_default_encoding_is_utf16():
    index = LineIndex(EMOJI)
    assert index.position(EMOJI.index("x")) == (0, 10)
    assert index.offset(0, 10) == EMOJI.index("x")


def test_utf8_two_byte_characters():
    text = "é: ü\n"
    index = LineIndex(text)
    assert index.position(text.index("ü"), UTF8) == (0, 4)
    assert index.position(text.index("ü"), UTF16) == (0, 3)
    assert index.offset(0, 4, UTF8) == text.index("ü")


def test_offset_from_column_in_every_encoding():
    index = LineIndex(MIXED)
    x = MIXED.index("x")
    assert index.offset(1, 10, UTF16) == x
    assert index.offset(1, 14, UTF8) == x
    assert index.offset(1, 8, UTF32) == x


def test_ascii_text_columns_equal_offsets_in_every_encoding():
    text = "a: 1\nbb: 22\n"
    index = LineIndex(text)
    for encoding in ENCODINGS:
        assert index.position(text.index("22"), encoding) == (1, 4)
        assert index.offset(1, 4, encoding) == text.index("22")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_round_trip_every_offset(encoding):
    text = "k: 日本\r\nv: 😀a😀\rw: é\n\nlast 🎉 line"
    index = LineIndex(text)
    for offset in range(len(text) + 1):
        if offset > 0 and text[offset - 1] == "\r" and text[offset : offset + 1] == "\n":
            continue  # between \r and \n is no position of its own
        line, col = index.position(offset, encoding)
        assert (line, col) == _reference(text, offset, encoding)
        assert index.offset(line, col, encoding) == offset


def test_a_column_inside_a_surrogate_pair_lands_on_a_character_boundary():
    text = "😀x"
    index = LineIndex(text)
    assert index.offset(0, 1, UTF16) in (0, 1)
    assert index.offset(0, 2, UTF16) == 1
    # inside a multi-byte UTF-8 sequence too
    assert index.offset(0, 2, UTF8) in (0, 1)
    assert index.offset(0, 4, UTF8) == 1


# --------------------------------------------------------------------------- line breaks


def test_crlf_line_breaks():
    text = "a: 1\r\nb: 2\r\nc: 3"
    index = LineIndex(text)
    assert index.line_starts == [0, 6, 12]
    assert index.line_count == 3
    assert index.line_text(0) == "a: 1"
    assert index.line_text(1) == "b: 2"
    assert index.line_end(0) == 4
    assert index.line_end(0, keep_break=True) == 6
    assert index.position(text.index("b"), UTF16) == (1, 0)
    assert index.position(text.index("3"), UTF16) == (2, 3)
    assert index.offset(1, 3) == text.index("2")


def test_lone_cr_is_a_line_break():
    text = "a: 1\rb: 2\rc: 3\r"
    index = LineIndex(text)
    assert index.line_starts == [0, 5, 10, 15]
    assert [index.line_text(i) for i in range(index.line_count)] == ["a: 1", "b: 2", "c: 3", ""]
    assert index.position(text.index("c"), UTF16) == (2, 0)
    assert index.line_end(1) == 9
    assert index.line_end(1, keep_break=True) == 10


def test_mixed_line_breaks():
    text = "a\nb\r\nc\rd"
    index = LineIndex(text)
    assert [index.line_text(i) for i in range(index.line_count)] == ["a", "b", "c", "d"]
    assert index.position(len(text) - 1) == (3, 0)


def test_unicode_line_separators_are_not_lsp_line_breaks():
    # LSP knows \n, \r\n and \r only: U+2028, U+2029 and NEL stay inside their line
    text = "a\u2028b\u2029c\x85d\ne"
    index = LineIndex(text)
    assert index.line_count == 2
    assert index.position(text.index("d")) == (0, 6)


def test_double_crlf_gives_an_empty_line():
    text = "a\r\n\r\nb"
    index = LineIndex(text)
    assert index.line_count == 3
    assert index.line_text(1) == ""
    assert index.line_start(2) == 5


def test_last_line_without_newline():
    text = "a: 1\nb: 日本"
    index = LineIndex(text)
    assert index.line_count == 2
    assert index.line_text(1) == "b: 日本"
    assert index.line_end(1) == len(text)
    assert index.line_end(1, keep_break=True) == len(text)
    assert index.position(len(text), UTF16) == (1, 5)
    assert index.position(len(text), UTF8) == (1, 9)


def test_text_ending_with_newline_has_an_empty_last_line():
    text = "a: 1\n"
    index = LineIndex(text)
    assert index.line_count == 2
    assert index.line_text(1) == ""
    assert index.position(len(text)) == (1, 0)
    assert index.offset(1, 0) == len(text)


def test_empty_text():
    index = LineIndex("")
    assert index.line_count == 1
    assert index.position(0) == (0, 0)
    assert index.offset(0, 0) == 0
    assert index.offset(3, 3) == 0
    assert index.line_text(0) == ""


def test_line_of():
    text = "ab\ncd\r\nef"
    index = LineIndex(text)
    assert [index.line_of(i) for i in range(len(text) + 1)] == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]


# --------------------------------------------------------------------------- clamping


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_out_of_range_positions_are_clamped(encoding):
    text = "名前: 😀\nb: 2\n"
    index = LineIndex(text)
    first_end = text.index("\n")
    # a column past the end of a line stays on that line (never runs into the next one)
    assert index.offset(0, 10_000, encoding) == first_end
    assert index.offset(1, 10_000, encoding) == text.rindex("\n")
    # a negative column is the line start
    assert index.offset(1, -5, encoding) == first_end + 1
    # lines before the first / after the last
    assert index.offset(-1, 3, encoding) == 0
    assert index.offset(99, 0, encoding) == len(text)
    # offsets outside the text
    assert index.position(-10, encoding) == (0, 0)
    assert index.position(len(text) + 50, encoding) == index.position(len(text), encoding)


def test_column_past_crlf_line_end_does_not_land_inside_the_break():
    text = "ab\r\ncd"
    index = LineIndex(text)
    assert index.offset(0, 3) == 2
    assert index.offset(0, 99, UTF8) == 2


def test_position_between_cr_and_lf_maps_back_to_the_line_end():
    text = "ab\r\ncd"
    index = LineIndex(text)
    line, col = index.position(3)  # the \n of \r\n
    assert line == 0
    assert index.offset(line, col) == 2


# --------------------------------------------------------------------------- newline_of


@pytest.mark.parametrize(
    "text, expected",
    [("a\r\nb\n", "\r\n"), ("a\nb\r\n", "\n"), ("a\rb", "\r"), ("no break", "\n"), ("", "\n")],
)
def test_newline_of(text, expected):
    assert newline_of(text) == expected


# --------------------------------------------------------------------------- properties

_chars = st.sampled_from(list("ab: -#\t") + ["\n", "\r", "\r\n", "日", "本", "é", "😀", "🎉", "\u2028", "\x85"])
texts = st.lists(_chars, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from(ENCODINGS), st.data())
def test_position_matches_reference_and_round_trips(text, encoding, data):
    index = LineIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    if offset > 0 and text[offset - 1] == "\r" and text[offset : offset + 1] == "\n":
        offset -= 1
    line, col = index.position(offset, encoding)
    assert (line, col) == _reference(text, offset, encoding)
    assert index.offset(line, col, encoding) == offset


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from(ENCODINGS), st.integers(-3, 50), st.integers(-3, 50))
def test_offset_is_always_a_valid_offset_on_the_requested_line(text, encoding, line, col):
    index = LineIndex(text)
    offset = index.offset(line, col, encoding)
    assert 0 <= offset <= len(text)
    if 0 <= line < index.line_count:
        assert index.line_start(line) <= offset <= index.line_end(line)
        # and it is the first offset whose column reaches the requested one (or the line end)
        got_line, got_col = index.position(offset, encoding)
        assert got_line == line
        assert got_col >= min(max(col, 0), index.position(index.line_end(line), encoding)[1])


@settings(max_examples=200, deadline=None)
@given(texts)
def test_lines_reassemble_the_text(text):
    index = LineIndex(text)
    rebuilt = "".join(text[index.line_start(i) : index.line_end(i, keep_break=True)] for i in range(index.line_count))
    assert rebuilt == text
    for i in range(index.line_count):
        assert "\n" not in index.line_text(i) and "\r" not in index.line_text(i)


# --------------------------------------------------------------------------- long lines


class _CountingStr(str):
    """A str that counts the characters its slices copy (how often a line is rescanned)."""

    copied = 0

    def __getitem__(self, key):
        out = str.__getitem__(self, key)
        _CountingStr.copied += len(out)
        return out


@pytest.mark.parametrize("encoding", [UTF16, UTF8])
def test_columns_on_a_long_non_ascii_line_do_not_rescan_the_line(encoding):
    """One flow line of many entries and one non-ASCII character (issue 10, item 8): every
    position on it must not cost a scan of the line up to it (that was quadratic; the figures
    are in benchmarks/fix_bench.py)."""
    items = ", ".join(f"{{id: e{i}, artifact_root: r{i}, runtime_config_dir: c}}" for i in range(400))
    plain = f"{{project: é😀, artifacts: [{items}]}}\n"
    text = _CountingStr(plain)
    index = LineIndex(text)
    offsets = [m.start() for m in re.finditer(r"id:", plain)]
    _CountingStr.copied = 0
    positions = [index.position(o, encoding) for o in offsets]
    back = [index.offset(line, col, encoding) for line, col in positions]
    assert back == offsets
    assert positions[0] == _reference(plain, offsets[0], encoding)
    assert positions[-1] == _reference(plain, offsets[-1], encoding)
    assert _CountingStr.copied < 4 * len(plain)  # about one pass over the line, not 2,000


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
def test_findings_after_unicode_separators_count_only_lsp_line_breaks(separator):
    """U+2028, NEL, VT, FF, FS/GS/RS are no line break for LSP: a finding after one is on the
    line that counts only \\n, \\r\\n and \\r (issue 10, item 5; the engine's own index)."""
    from artifact_lsp.engine.linter import lint_text

    text = f'schema_version: "1"\nproject: "p{separator}q"\nenv: e\nmode: docker\nartifacts:\n  - id: x\n    artifact_root: r\n    runtime_config_dir: c\n'
    result = lint_text(text, kind="manifest", disk=False)
    if separator.isprintable() or separator in "\u2028\u2029\x85":
        # YAML allows it in a quoted scalar: the legacy key below is found where LSP counts it
        (finding,) = [f for f in result.findings if f.code == "AL104"]
        assert result.index.position(finding.start, UTF16) == (5, 4)
    else:
        # a control character YAML refuses: the syntax error points at it
        (finding,) = result.findings
        assert finding.code == "AL001"
        assert result.index.position(finding.start, UTF16) == (1, 11)
