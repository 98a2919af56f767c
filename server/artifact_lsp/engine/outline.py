"""Document symbols (the outline), as plain data.

One symbol per top-level key. The entries of the manifest's entry list (``spec.ENTRIES``; the
matrix's ``spec.MATRIX_ENTRIES``) are named by their ``spec.ENTRY_NAME`` key (matrix:
``spec.MATRIX_ENTRY_NAME``, the first that is set) with ``entry <i>`` as detail; keys
below are children in turn, down to ``MAX_LEVELS`` levels. Aliases are leaves (never followed
into), and the whole outline holds at most ``MAX_SYMBOLS`` symbols, so neither deep nesting
nor alias bombs cost more than the text itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import spec
from .yamlmodel import Alias, Mapping, Node, Scalar, Sequence

__all__ = ["Symbol", "symbols", "MAX_LEVELS", "MAX_SYMBOLS"]

MAX_LEVELS = 5  # top-level key, entry, entry key, its keys, theirs
MAX_SYMBOLS = 5000
DETAIL_WIDTH = 60

_ENTRY_LISTS = {"manifest": (spec.ENTRIES, spec.ENTRY_NAME), "matrix": (spec.MATRIX_ENTRIES, spec.MATRIX_ENTRY_NAME)}
_ENTRY_LISTS["json"] = _ENTRY_LISTS["manifest"]

_TAG_KINDS = {
    "tag:yaml.org,2002:str": "string",
    "tag:yaml.org,2002:int": "number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
}


@dataclass
class Symbol:
    name: str
    detail: str
    kind: str  # object, array, string, number, boolean, null, key
    start: int
    end: int
    selection_start: int
    selection_end: int
    children: list[Symbol] = field(default_factory=list)


def content_end(node: Node) -> int:
    """Where the content of ``node`` ends.

    The end mark of a block collection runs on over trailing comments and blank lines up to
    the next token; the end of its last key or item does not. Iterative: any depth is fine.
    """
    floor = node.start
    while True:
        if type(node) is Mapping and not node.flow and node.pairs:
            key, node = node.pairs[-1]
            floor = max(floor, key.end)
        elif type(node) is Sequence and not node.flow and node.items:
            node = node.items[-1]
        else:
            return max(floor, node.end)


def _kind(node: Node) -> str:
    if type(node) is Mapping:
        return "object"
    if type(node) is Sequence:
        return "array"
    if type(node) is Scalar:
        return _TAG_KINDS.get(node.resolved_tag(), "string")
    if type(node) is Alias:
        target = node.target
        return _kind(target) if target is not None and type(target) is not Alias else "null"
    return "null"


def _short(text: str) -> str:
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return text if len(text) <= DETAIL_WIDTH else text[: DETAIL_WIDTH - 1] + "…"


def _detail(node: Node) -> str:
    if type(node) is Scalar:
        return _short(node.value)
    if type(node) is Alias:
        return f"*{node.name}"
    if type(node) is Mapping:
        n = len(node.pairs)
        return f"{n} key" if n == 1 else f"{n} keys"
    if type(node) is Sequence:
        n = len(node.items)
        return f"{n} item" if n == 1 else f"{n} items"
    return ""


def _key_name(key: Node) -> str:
    if type(key) is Scalar:
        return key.value if key.value.strip() else repr(key.value)
    if type(key) is Alias:
        return f"*{key.name}"
    return "(complex key)"


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int):
        self.left = left

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def symbols(root: Node | None, kind: str) -> list[Symbol]:
    """The outline of a document: one symbol per top-level key (root must be a mapping)."""
    if type(root) is not Mapping:
        return []
    budget = _Budget(MAX_SYMBOLS)
    entry_list, name_keys = _ENTRY_LISTS.get(kind, (None, ()))
    out = []
    for key, value in root.pairs:
        if not budget.take():
            break
        named = name_keys if type(key) is Scalar and key.value == entry_list else ()
        out.append(_pair_symbol(key, value, 1, budget, named))
    return out


def _pair_symbol(key: Node, value: Node, level: int, budget: _Budget, entry_names=()) -> Symbol:
    end = max(key.end, content_end(value) if value is not None else key.end)
    symbol = Symbol(_key_name(key), _detail(value), _kind(value), key.start, end, key.start, key.end)
    if level < MAX_LEVELS:
        symbol.children = _children(value, level + 1, budget, entry_names)
    return symbol


def _children(node: Node, level: int, budget: _Budget, entry_names=()) -> list[Symbol]:
    out: list[Symbol] = []
    if type(node) is Mapping:
        for key, value in node.pairs:
            if not budget.take():
                break
            out.append(_pair_symbol(key, value, level, budget))
    elif type(node) is Sequence:
        for i, item in enumerate(node.items):
            if not budget.take():
                break
            out.append(_item_symbol(item, i, level, budget, entry_names))
    return out


def _item_symbol(item: Node, index: int, level: int, budget: _Budget, entry_names) -> Symbol:
    start, end = item.start, content_end(item)
    name, detail = f"[{index}]", _detail(item)
    selection = None
    if entry_names:
        detail = f"entry {index}"
        if type(item) is Mapping:
            for wanted in entry_names:
                pair = item.get_pair(wanted)
                if pair is not None and type(pair[1]) is Scalar and pair[1].value.strip():
                    name = _short(pair[1].value.strip())
                    selection = (pair[1].start, pair[1].end)
                    break
    if selection is None:
        if type(item) is Mapping and item.pairs:
            first = item.pairs[0][0]
            selection = (first.start, first.end)
        else:
            selection = (start, max(start, min(end, item.end)))
    symbol = Symbol(name, detail, _kind(item), start, max(end, selection[1]), selection[0], selection[1])
    if level < MAX_LEVELS:
        symbol.children = _children(item, level + 1, budget)
    return symbol
