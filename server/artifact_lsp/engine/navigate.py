"""Positions in the node tree and in (possibly broken) text.

- ``key_at(root, offset)``: the innermost mapping key under a character offset, with its
  concrete path (keys and list indexes) and its value node. Walks physical nodes only (never
  through an ``Alias``), iteratively, so any nesting depth is fine.
- ``completion_context(text, offset)``: where the cursor is, from the text alone, because the
  text being typed usually does not parse. Block YAML is read by indentation (parent keys,
  ``- `` items, sibling keys); a document that starts with ``{`` or ``[`` (``artifact.json``, flow
  YAML) is read by a small bracket scanner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .yamlmodel import Mapping, Node, Scalar, Sequence

__all__ = ["key_at", "CompletionContext", "completion_context"]


# --------------------------------------------------------------------------- tree


def key_at(root: Node | None, offset: int) -> tuple[tuple, Node, Node] | None:
    """``(path, key, value)`` of the innermost mapping key whose span holds ``offset``.

    ``key.start <= offset <= key.end``; ``path`` ends with the key's own name. Only scalar keys
    are considered; aliases are leaves.
    """
    if root is None:
        return None
    best = None  # (depth, link, key, value); link = (parent link, path element)
    stack: list = [(root, None, 0)]
    while stack:
        node, link, depth = stack.pop()
        t = type(node)
        if t is Mapping:
            for key, value in node.pairs:
                if type(key) is not Scalar:
                    continue
                if key.start <= offset <= key.end and (best is None or depth + 1 > best[0]):
                    best = (depth + 1, (link, key.value), key, value)
                vt = type(value)
                if (vt is Mapping or vt is Sequence) and value.start <= offset <= value.end:
                    stack.append((value, (link, key.value), depth + 1))
        elif t is Sequence:
            for i, item in enumerate(node.items):
                it = type(item)
                if (it is Mapping or it is Sequence) and item.start <= offset <= item.end:
                    stack.append((item, (link, i), depth + 1))
    if best is None:
        return None
    parts = []
    link = best[1]
    while link is not None:
        link, element = link
        parts.append(element)
    parts.reverse()
    return tuple(parts), best[2], best[3]


# --------------------------------------------------------------------------- text


@dataclass
class CompletionContext:
    path: tuple  # the mapping the cursor is in (list indexes as ints)
    existing: set[str] = field(default_factory=set)  # keys already in that mapping
    prefix: str = ""  # the partial word before the cursor
    replace_start: int = 0  # where that word starts
    value_of: str | None = None  # the key whose value the cursor is in (same line, after ':')
    value_path: tuple | None = None  # path + (value_of,)


# a mapping key at the start of a line's content: quoted, or plain up to ': ' / ':' at the end
_KEY = re.compile(
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},&*!|>%@`?-][^#]*?|[-?][^\s#][^#]*?)"""
    r"""[ \t]*:(?=[ \t]|$)"""
)
_BLOCK_HEADER = re.compile(r"^(?:[&!][^\s]*[ \t]+)*[|>][0-9+-]*[ \t]*(?:#.*)?$")
_WORD = re.compile(r"""["']?[^\s"'#:,\[\]{}]*$""")


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] == '"':
        body = key[1:-1]
        return re.sub(r"\\(.)", r"\1", body)
    if len(key) >= 2 and key[0] == key[-1] == "'":
        return key[1:-1].replace("''", "'")
    return key


class _Line:
    __slots__ = ("indent", "dashes", "kc", "key", "rest", "skip", "boundary")

    def __init__(self, line: str):
        n = len(line)
        i = 0
        while i < n and line[i] == " ":
            i += 1
        self.indent = i
        self.dashes: list[int] = []
        self.key: str | None = None
        self.rest = ""
        self.boundary = (
            i == 0 and (line.startswith("---") or line.startswith("...")) and (len(line) == 3 or line[3] in " \t")
        )
        self.skip = i >= n or line[i] == "#" or line[i:].strip() == ""
        j = i
        while j < n and line[j] == "-" and (j + 1 == n or line[j + 1] in " \t") and not self.boundary:
            self.dashes.append(j)
            j += 1
            while j < n and line[j] in " \t":
                j += 1
        self.kc = j
        content = line[j:]
        if content.startswith("#"):
            content = ""
        match = _KEY.match(content)
        if match is not None:
            self.key = _unquote(match.group("key"))
            self.rest = content[match.end() :].strip()
        else:
            self.rest = content.strip()


def _block_scalar_lines(infos: list[_Line]) -> set[int]:
    """Indexes of lines that are the content of a block scalar (``key: |`` ...)."""
    inside: set[int] = set()
    column = -1  # content lines are indented deeper than this; -1: not in a block scalar
    for i, info in enumerate(infos):
        if column >= 0:
            if (info.skip and not info.boundary) or info.indent > column:
                inside.add(i)
                continue
            column = -1
        if info.skip or info.boundary:
            continue
        if _BLOCK_HEADER.match(info.rest) and (info.key is not None or info.dashes):
            column = info.kc if info.key is not None else info.dashes[-1]
    return inside


def completion_context(text: str, offset: int) -> CompletionContext:
    """What the cursor at ``offset`` is completing; works on text that does not parse."""
    offset = max(0, min(offset, len(text)))
    if _is_flow_document(text):
        return _flow_context(text, offset)
    return _block_context(text, offset)


def _is_flow_document(text: str) -> bool:
    for line in text.lstrip("\ufeff").split("\n", 200)[:200]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        return stripped[0] in "{["
    return False


def _block_context(text: str, offset: int) -> CompletionContext:
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[0].startswith("\ufeff"):
        raw_lines[0] = raw_lines[0][1:]
    cursor_line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    if cursor_line == 0 and text.startswith("\ufeff"):
        line_start = min(1, offset)
    before = text[line_start:offset]
    if before.endswith("\r"):
        before = before[:-1]
    infos = [_Line(line[:-1] if line.endswith("\r") else line) for line in raw_lines]
    ignored = _block_scalar_lines(infos)

    # the cursor line, up to the cursor
    n = len(before)
    i = 0
    while i < n and before[i] == " ":
        i += 1
    dashes = []
    j = i
    while j < n and before[j] == "-" and (j + 1 == n or before[j + 1] in " \t"):
        dashes.append(j)
        j += 1
        while j < n and before[j] in " \t":
            j += 1
    column = j
    content = before[j:]
    value_of = None
    match = _KEY.match(content) if not content.startswith("#") else None
    if match is not None:
        value_of = _unquote(match.group("key"))
        value_text = content[match.end() :].lstrip(" \t")
        if value_text[:1] == "[":  # an inline list (suites: [smoke, sta): the last item
            cut = max(value_text.rfind("["), value_text.rfind(",")) + 1
            value_text = value_text[cut:].lstrip(" \t")
        prefix = value_text
        replace_start = line_start + n - len(value_text)
    else:
        word = _WORD.search(content)
        prefix = word.group(0) if word else ""
        replace_start = line_start + n - len(prefix)

    existing: set[str] = set()
    if value_of is not None:
        existing.add(value_of)
    _siblings_below(infos, ignored, cursor_line, column, existing)
    path = _resolve(infos, ignored, cursor_line, column, dashes, existing)
    return CompletionContext(
        path=path,
        existing=existing,
        prefix=prefix,
        replace_start=replace_start,
        value_of=value_of,
        value_path=path + (value_of,) if value_of is not None else None,
    )


def _siblings_below(infos, ignored, cursor_line: int, column: int, existing: set[str]) -> None:
    for k in range(cursor_line + 1, len(infos)):
        info = infos[k]
        if info.boundary:
            return
        if info.skip or k in ignored or info.indent > column:
            continue
        if info.indent < column:
            return
        if not info.dashes and info.key is not None:
            existing.add(info.key)


def _resolve(infos, ignored, cursor_line: int, column: int, dashes: list[int], existing: set[str]) -> tuple:
    """The path of the mapping at ``column`` that holds the cursor line, read upward."""
    rev: list = []  # the path, innermost first
    if dashes:  # a new item (and, for '- - ', new first items of nested sequences)
        rev.extend([0] * (len(dashes) - 1))
        in_seq, col, count, collect = True, dashes[0], 1, False
    else:
        in_seq, col, count, collect = False, column, 0, True
    for k in range(cursor_line - 1, -1, -1):
        info = infos[k]
        if info.boundary:
            break
        if info.skip or k in ignored:
            continue
        ind = info.indent
        if ind > col:
            continue
        line_dashes = info.dashes
        if not in_seq:  # looking for the start of the mapping at column ``col``
            if not line_dashes:
                if ind == col:
                    if collect and info.key is not None:
                        existing.add(info.key)
                    continue
                if info.key is None:
                    continue  # a shallower line that is no key: stray text, look further up
                rev.append(info.key)  # the parent key
                col, collect = ind, False
                continue
            if ind >= col:
                continue  # items of a sibling's indentless sequence
            below = [d for d in line_dashes if d < col]
            if info.key is not None and info.kc < col:
                rev.append(info.key)  # '- key:' whose value holds the cursor
            elif info.key is not None and collect:
                existing.add(info.key)  # the item's first key, on the dash line
            rev.extend([0] * (len(below) - 1))
            in_seq, col, count, collect = True, below[0], 1, False
            continue
        # counting the items of the sequence whose dashes are at column ``col``
        if line_dashes and line_dashes[0] == col:
            count += 1
            continue
        if not line_dashes:
            if info.key is None:
                continue
            rev.append(count - 1)
            rev.append(info.key)  # the key holding the sequence (indentless when ind == col)
            in_seq, col = False, ind
            continue
        # a dash line shallower than the sequence: it opens the item holding the sequence
        rev.append(count if col in line_dashes else count - 1)
        below = [d for d in line_dashes if d < col]
        if col not in line_dashes and info.key is not None and info.kc <= col:
            rev.append(info.key)
        rev.extend([0] * (len(below) - 1))
        col, count = below[0], 1
    if in_seq:
        rev.append(count - 1)  # the document itself is a sequence
    rev.reverse()
    return tuple(rev)


# --------------------------------------------------------------------------- flow / JSON


_PUNCT = "{}[],:"


def _flow_tokens(text: str):
    """(kind, start, end, value): kind is a punctuation character, 'str' or 'plain'."""
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c in " \t\r\n\ufeff":
            i += 1
        elif c == "#" and (i == 0 or text[i - 1] in " \t\r\n"):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == ":" and (i + 1 < n and text[i + 1] not in " \t\r\n" + _PUNCT):
            j = _plain_end(text, i)
            yield "plain", i, j, text[i:j]
            i = j
        elif c in _PUNCT:
            yield c, i, i + 1, c
            i += 1
        elif c == '"' or c == "'":
            j = i + 1
            closed = False
            while j < n and text[j] != "\n":
                if c == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text[j] == c:
                    if c == "'" and j + 1 < n and text[j + 1] == "'":
                        j += 2
                        continue
                    closed = True
                    j += 1
                    break
                j += 1
            j = min(j, n)
            body = text[i + 1 : j - 1] if closed else text[i + 1 : j].rstrip("\r")
            yield "str", i, j, _unquote(c + body + c)
            i = j
        else:
            j = _plain_end(text, i)
            if j == i:
                j = i + 1
            yield "plain", i, j, text[i:j]
            i = j


def _plain_end(text: str, i: int) -> int:
    n = len(text)
    j = i
    while j < n:
        c = text[j]
        if c in ",[]{}\r\n":
            break
        if c == ":" and (j + 1 == n or text[j + 1] in " \t\r\n" + _PUNCT):
            break
        if c == "#" and text[j - 1] in " \t":
            break
        j += 1
    while j > i and text[j - 1] in " \t":
        j -= 1
    return j


class _Frame:
    __slots__ = ("is_map", "element", "keys", "key", "expect", "index")

    def __init__(self, is_map: bool, element):
        self.is_map = is_map
        self.element = element
        self.keys: set[str] = set()
        self.key: str | None = None
        self.expect = "key"  # key, value, after
        self.index = 0


def _flow_context(text: str, offset: int) -> CompletionContext:
    stack: list[_Frame] = []
    context: CompletionContext | None = None
    target_depth = 0  # the scan stops once the cursor's container closes

    def snapshot(prefix: str, start: int) -> CompletionContext:
        frame = stack[-1] if stack else None
        path = tuple(f.element for f in stack[1:])
        if frame is None:
            return CompletionContext((), set(), prefix, start)
        if not frame.is_map:
            return CompletionContext(path + (frame.index,), set(), prefix, start)
        ctx = CompletionContext(path, frame.keys, prefix, start)
        if frame.expect == "value" and frame.key is not None:
            ctx.value_of = frame.key
            ctx.value_path = path + (frame.key,)
        return ctx

    for kind, start, end, value in _flow_tokens(text):
        current = False
        if context is None:
            if start >= offset:
                context = snapshot("", offset)
                target_depth = len(stack)
            elif kind in ("str", "plain") and start < offset <= end:
                context = snapshot(text[start:offset], start)
                target_depth = len(stack)
                current = True
        elif len(stack) < target_depth or not target_depth:
            break
        top = stack[-1] if stack else None
        if kind == "{" or kind == "[":
            element: str | int | None
            if top is None:
                element = None
            elif top.is_map:
                element = top.key
            else:
                element = top.index
            stack.append(_Frame(kind == "{", element))
        elif kind == "}" or kind == "]":
            if stack:
                stack.pop()
            if stack and stack[-1].is_map:
                stack[-1].expect = "after"
        elif kind == ",":
            if top is not None:
                if top.is_map:
                    top.expect, top.key = "key", None
                else:
                    top.index += 1
        elif kind == ":":
            if top is not None and top.is_map:
                top.expect = "value"
        elif top is not None and top.is_map:
            if top.expect == "key":
                top.key = value
                if not current:
                    top.keys.add(value)
            elif top.expect == "value":
                top.expect = "after"
    if context is None:
        context = snapshot("", offset)
    return context
