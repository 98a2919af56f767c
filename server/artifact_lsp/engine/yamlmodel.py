"""The YAML position model.

``parse(text)`` composes the YAML event stream into a light node tree that keeps the exact
span (character offsets) of every key and value, anchors, aliases as their own nodes (never
expanded, so alias bombs cost nothing), flow/block style and quoting. Syntax errors become
``YamlProblem`` records with an offset instead of exceptions; so do a second document,
undefined aliases and duplicate keys.

The event stream comes from libyaml (``CParser``) when PyYAML was built with it and from
PyYAML's pure-Python parser otherwise; both report the same marks.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as _ev
from yaml.resolver import Resolver

try:  # libyaml: roughly 10x faster than the pure-Python scanner
    from yaml._yaml import CParser as _CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    # never called then: every use is behind HAVE_LIBYAML, which the type checker cannot tie to it
    _CParser = None  # type: ignore[assignment,misc]
    HAVE_LIBYAML = False

__all__ = [
    "Node",
    "Scalar",
    "Mapping",
    "Sequence",
    "Alias",
    "YamlProblem",
    "ParsedYaml",
    "parse",
    "shift",
    "HAVE_LIBYAML",
]


class Node:
    __slots__ = ("start", "end", "anchor", "tag")

    def __init__(self, start: int, end: int, anchor: str | None, tag: str | None):
        self.start = start
        self.end = end
        self.anchor = anchor
        self.tag = tag


class Scalar(Node):
    __slots__ = ("value", "style", "_rtag")

    def __init__(self, value, style, start, end, anchor, tag):
        # attributes set inline (no super() call): this runs for every scalar of every file
        self.start = start
        self.end = end
        self.anchor = anchor
        self.tag = tag
        self.value: str = value
        self._rtag = None  # resolved tag, computed on first use
        self.style: str | None = style or None  # None = plain; ' " | >

    @property
    def plain(self) -> bool:
        return self.style is None and self.tag in (None, "!")

    def resolved_tag(self) -> str:
        """The YAML 1.1 core tag of this scalar (as PyYAML's SafeLoader resolves it)."""
        tag = self._rtag
        if tag is None:
            if self.tag and self.tag != "!":
                tag = self.tag
            elif self.style is not None:
                tag = "tag:yaml.org,2002:str"
            else:
                tag = resolve_plain(self.value)
            self._rtag = tag
        return tag

    def is_null(self) -> bool:
        tag = self._rtag  # resolved_tag() inline when it is known (a hot path)
        return (tag if tag is not None else self.resolved_tag()) == "tag:yaml.org,2002:null"

    def is_str(self) -> bool:
        return self.resolved_tag() == "tag:yaml.org,2002:str"

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}@{self.start})"


class Mapping(Node):
    __slots__ = ("pairs", "flow", "has_merge", "_index")

    def __init__(self, flow, start, anchor, tag):
        self.start = self.end = start
        self.anchor = anchor
        self.tag = tag
        self.pairs: list[tuple[Node, Node]] = []
        self.flow: bool = flow
        self.has_merge = False  # a "<<" key is among the pairs
        self._index: dict | None = None  # scalar key -> its last pair, built on first lookup

    def get(self, key: str) -> Node | None:
        """The value of the last pair whose key is the scalar ``key`` (own pairs only)."""
        pair = self.get_pair(key)
        return pair[1] if pair is not None else None

    def key_index(self) -> dict[str, tuple[Node, Node]]:
        """Scalar key -> its last pair (own pairs only), built on the first question (the rules
        ask a mapping for several keys)."""
        index = self._index
        if index is None:
            index = {}
            for pair in self.pairs:
                k = pair[0]
                if type(k) is Scalar:
                    index[k.value] = pair
            self._index = index
        return index

    def get_pair(self, key: str) -> tuple[Node, Node] | None:
        """The last pair whose key is the scalar ``key`` (own pairs only)."""
        index = self._index
        if index is None:
            index = self.key_index()
        return index.get(key)

    def __repr__(self) -> str:
        return f"Mapping({len(self.pairs)} pairs@{self.start})"


class Sequence(Node):
    __slots__ = ("items", "flow")

    def __init__(self, flow, start, anchor, tag):
        self.start = self.end = start
        self.anchor = anchor
        self.tag = tag
        self.items: list[Node] = []
        self.flow: bool = flow

    def __repr__(self) -> str:
        return f"Sequence({len(self.items)} items@{self.start})"


class Alias(Node):
    __slots__ = ("name", "target")

    def __init__(self, name, start, end, target):
        super().__init__(start, end, None, None)
        self.name: str = name
        self.target: Node | None = target

    def __repr__(self) -> str:
        return f"Alias(*{self.name}@{self.start})"


@dataclass(slots=True)
class YamlProblem:
    """A problem found while composing: ``kind`` is syntax, document, alias or duplicate."""

    kind: str
    message: str
    start: int
    end: int
    related: Node | None = None  # duplicate: the first occurrence of the key


@dataclass(slots=True)
class ParsedYaml:
    root: Node | None
    problems: list[YamlProblem] = field(default_factory=list)
    anchors: dict[str, list[Node]] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)
    max_depth: int = 0

    @property
    def fatal(self) -> bool:
        """True when the text is not one well-formed document (no rule should run on it)."""
        return any(p.kind in ("syntax", "alias") for p in self.problems)


_intern = sys.intern


def resolve_plain(value: str) -> str:
    resolvers = Resolver.yaml_implicit_resolvers.get(value[:1] if value else "", ())
    for tag, regexp in resolvers:
        if regexp.match(value):
            return tag
    return "tag:yaml.org,2002:str"


def _event_source(text: str, pure: bool):
    """(get_event, dispose) for ``text``: libyaml's parser when available."""
    if HAVE_LIBYAML and not pure:
        parser = _CParser(text)
        return parser.get_event, parser.dispose
    loader = yaml.SafeLoader(text)
    return loader.get_event, loader.dispose


def _events_c(text: str):
    parser = _CParser(text)
    get = parser.get_event
    end = _ev.StreamEndEvent
    try:
        while True:
            event = get()
            yield event
            if type(event) is end:
                return
    finally:
        parser.dispose()


def _events_py(text: str):
    return yaml.parse(text, Loader=yaml.SafeLoader)


def events(text: str, *, pure: bool = False):
    if HAVE_LIBYAML and not pure:
        return _events_c(text)
    return _events_py(text)


_MARK_LINE = re.compile(r"\s+in \"<\w+>\", line \d+, column \d+")

# libyaml refuses documents nested deeper than this; the pure-Python parser has no limit and
# slows down quadratically on deep flow nesting, so ``parse`` stops at the same depth for both
MAX_DEPTH = 1000


def _error_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "invalid YAML").strip()
    context = (exc.context or "").strip()
    if context and context not in problem:
        return f"{problem} ({context})"
    return problem


def parse(text: str, *, pure: bool = False) -> ParsedYaml:
    """Compose ``text`` into a node tree; never raises on bad input."""
    out = ParsedYaml(root=None)
    if text.startswith("\ufeff"):
        # libyaml drops a byte order mark and counts offsets without it: parse without it and
        # shift every offset by one so spans stay offsets into the text we were given
        shifted = parse(text[1:], pure=pure)
        shift(shifted, 1)
        return shifted
    anchors = out.anchors
    problems = out.problems
    depth = max_depth = 0
    documents = 0
    Sc, MS, SS, ME, SE, AL, DS = (
        _ev.ScalarEvent,
        _ev.MappingStartEvent,
        _ev.SequenceStartEvent,
        _ev.MappingEndEvent,
        _ev.SequenceEndEvent,
        _ev.AliasEvent,
        _ev.DocumentStartEvent,
    )
    End = _ev.StreamEndEvent
    dispose = None
    intern_keys = len(text) > 65536  # a big document repeats its keys thousands of times
    try:
        # inside the try: the pure-Python reader refuses bad characters in its constructor
        try:
            get_event, dispose = _event_source(text, pure)
        except UnicodeEncodeError:  # libyaml is fed UTF-8: a lone surrogate cannot be encoded
            pure = True  # the pure-Python reader reports the character where it is
            get_event, dispose = _event_source(text, pure)
        # the collection being filled, kept in locals (this loop runs for every event of
        # every file): is it a mapping, its pending key, and the append of its pairs/items.
        # `cur` and `node` are typed Any: which node class they hold follows from `is_map` and
        # the event's type `t` (compared with `is`, not isinstance, for speed), a link the type
        # checker cannot follow.
        cur: Any = None
        is_map = False
        key: Node | None = None
        add: Any = None
        node: Any
        saved: list = []  # (cur, is_map, key, add) of each enclosing collection
        while True:
            event = get_event()
            t = type(event)
            if t is Sc:
                node = Scalar(
                    event.value,
                    event.style,
                    event.start_mark.index,
                    event.end_mark.index,
                    event.anchor,
                    event.tag,
                )
            elif t is MS or t is SS:
                if depth >= MAX_DEPTH:
                    start = event.start_mark.index
                    problems.append(YamlProblem("syntax", "exceeded maximum nesting depth", start, start))
                    break
                node = (Mapping if t is MS else Sequence)(
                    bool(event.flow_style), event.start_mark.index, event.anchor, event.tag
                )
            elif t is ME or t is SE:
                cur.end = event.end_mark.index
                depth -= 1
                if is_map and len(cur.pairs) > 1:
                    _check_duplicates(cur, problems)
                cur, is_map, key, add = saved.pop()
                continue
            elif t is AL:
                targets = anchors.get(event.anchor)
                start, end = event.start_mark.index, event.end_mark.index
                node = Alias(event.anchor, start, end, targets[-1] if targets else None)
                if not targets:
                    problems.append(YamlProblem("alias", f"found undefined alias '*{event.anchor}'", start, end))
                out.aliases.append(node)
            elif t is End or event is None:
                break
            elif t is DS:
                documents += 1
                if documents > 1:
                    start = event.start_mark.index
                    problems.append(
                        YamlProblem(
                            "document",
                            "a manifest holds exactly one YAML document; a second one starts here",
                            start,
                            max(event.end_mark.index, start + 1),
                        )
                    )
                    break
                continue
            else:
                continue
            if node.anchor is not None:
                anchors.setdefault(node.anchor, []).append(node)
            if is_map:
                if key is None:
                    if t is Sc:
                        if intern_keys:
                            node.value = _intern(node.value)  # keys repeat: keep one copy each
                        if node.value == "<<" and not node.style:
                            cur.has_merge = True
                    key = node
                else:
                    add((key, node))
                    key = None
            elif cur is not None:
                add(node)
            else:
                out.root = node
            if t is MS or t is SS:
                saved.append((cur, is_map, key, add))
                cur = node
                is_map = t is MS
                key = None
                add = node.pairs.append if is_map else node.items.append
                depth += 1
                if depth > max_depth:
                    max_depth = depth
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        offset = mark.index if mark is not None else 0
        offset = max(0, min(offset, len(text)))
        problems.append(YamlProblem("syntax", _error_message(exc), offset, offset))
    except yaml.YAMLError as exc:  # reader errors: a position instead of a mark
        offset = _reader_offset(text, exc, pure)
        problems.append(YamlProblem("syntax", str(exc).splitlines()[0], offset, offset))
    except RecursionError:  # pragma: no cover - the composer is iterative; defensive
        problems.append(YamlProblem("syntax", "document nests too deeply", 0, 0))
    finally:
        if dispose is not None:
            dispose()
    out.max_depth = max_depth
    return out


def mapping_problem(text: str) -> str | None:
    """Why ``text`` is not one YAML document holding a mapping (None when it is).

    Scans events without building nodes: cheaper than ``parse`` for files whose content
    does not matter beyond that.
    """
    if HAVE_LIBYAML and "*" not in text and "---" not in text:
        # no alias can be undefined and a second document needs "---": the root's first
        # events decide the shape, and libyaml checks the rest without making Python objects
        try:
            parser = _CParser(text)
        except UnicodeEncodeError:
            parser = None
        if parser is not None:
            try:
                get = parser.get_event
                get()  # stream start
                event = get()
                if type(event) is _ev.DocumentStartEvent:
                    event = get()
                    parser.raw_parse()
                    if type(event) is not _ev.MappingStartEvent:
                        return "must parse to a mapping"
                    return None
                return "must parse to a mapping"  # no document at all
            except yaml.YAMLError as exc:
                message = _error_message(exc) if isinstance(exc, yaml.MarkedYAMLError) else str(exc).splitlines()[0]
                return f"is not valid YAML: {message}"
            finally:
                parser.dispose()
    return _mapping_problem_events(text)


def _mapping_problem_events(text: str, *, pure: bool = False) -> str | None:
    """``mapping_problem`` from the whole event stream (any text)."""
    first = None
    documents = 0
    anchors = set()
    try:
        for event in events(text, pure=pure):
            t = type(event)
            anchor = getattr(event, "anchor", None)
            if t is _ev.AliasEvent:
                if anchor not in anchors:
                    return f"is not valid YAML: found undefined alias '*{anchor}'"
            elif anchor is not None:
                anchors.add(anchor)
            if t is _ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    return "holds more than one YAML document"
            elif first is None and t in (
                _ev.MappingStartEvent,
                _ev.SequenceStartEvent,
                _ev.ScalarEvent,
                _ev.AliasEvent,
            ):
                first = t
    except yaml.YAMLError as exc:
        message = _error_message(exc) if isinstance(exc, yaml.MarkedYAMLError) else str(exc).splitlines()[0]
        return f"is not valid YAML: {message}"
    if first is not _ev.MappingStartEvent:
        return "must parse to a mapping"
    return None


def _reader_offset(text: str, exc: Exception, pure: bool) -> int:
    """Character offset of a reader error (libyaml counts bytes of the UTF-8 text it was fed)."""
    position = getattr(exc, "position", None)
    if not isinstance(position, int) or position < 0:
        return 0
    if HAVE_LIBYAML and not pure and not text.isascii():
        position = len(text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore"))
    return min(position, len(text))


def shift(parsed: ParsedYaml, delta: int) -> None:
    """Move every offset of a tree (one nobody else holds) and of its problems by ``delta``."""
    for node in iter_nodes(parsed.root):
        node.start += delta
        node.end += delta
    for problem in parsed.problems:
        problem.start += delta
        problem.end += delta


def _check_duplicates(node: Mapping, problems: list[YamlProblem]) -> None:
    pairs = node.pairs
    if len({k.value if type(k) is Scalar else id(k) for k, _ in pairs}) == len(pairs):
        return  # the common case, decided without a Python-level loop body
    seen: dict[str, Node] = {}
    for key, _value in node.pairs:
        if type(key) is not Scalar:
            continue
        first = seen.get(key.value)
        if first is None:
            seen[key.value] = key
        elif key.value != "<<":
            problems.append(
                YamlProblem(
                    "duplicate",
                    f"duplicate key '{key.value}' (the last one wins; the first is ignored)",
                    key.start,
                    key.end,
                    related=first,
                )
            )


# --------------------------------------------------------------------------- data views


class TooDeep(Exception):
    """Raised by ``canonical`` on trees deeper than it is willing to walk."""


def canonical(
    node: Node | None, *, skip=frozenset(), rename=None, limit: int = 200, untag=frozenset(), quote=frozenset()
):
    """A comparable, alias-preserving picture of the data under ``node``.

    Mappings keep their order and duplicates (as tuples of pairs), aliases stay references by
    name, anchors are part of the picture. ``skip`` holds ``id()`` of key nodes whose pairs are
    left out; ``rename`` maps ``id()`` of key nodes to new names; nodes whose ``id()`` is in
    ``untag`` are pictured without their tag, scalars in ``quote`` as quoted strings. Used to
    prove that a fix changed exactly what it was meant to change.
    """
    rename = rename or {}
    str_tag = "tag:yaml.org,2002:str"

    def walk(n, level):
        if level > limit:
            raise TooDeep
        t = type(n)
        if t is Scalar:
            if untag or quote:
                ident = id(n)
                if ident in quote:
                    return ("s", n.anchor, str_tag, n.value)
                if ident in untag:
                    return ("s", n.anchor, str_tag if n.style is not None else resolve_plain(n.value), n.value)
            return ("s", n.anchor, n.resolved_tag(), n.value)
        if t is Alias:
            return ("*", n.name)
        if t is Mapping:
            pairs = []
            for k, v in n.pairs:
                ident = id(k)
                if ident in skip:
                    continue
                if ident in rename:
                    pairs.append((("s", k.anchor, str_tag, rename[ident]), walk(v, level + 1)))
                else:
                    pairs.append((walk(k, level + 1), walk(v, level + 1)))
            return ("m", n.anchor, None if id(n) in untag else n.tag, tuple(pairs))
        if t is Sequence:
            return ("q", n.anchor, None if id(n) in untag else n.tag, tuple(walk(i, level + 1) for i in n.items))
        return None

    return walk(node, 0)


def iter_nodes(root: Node | None):
    """Every node physically present in the tree, once, without following aliases."""
    if root is None:
        return
    stack: list[Any] = [root]  # Nodes; `t is Mapping` below narrows nothing for the type checker
    while stack:
        node = stack.pop()
        yield node
        t = type(node)
        if t is Mapping:
            for k, v in reversed(node.pairs):
                stack.append(v)
                stack.append(k)
        elif t is Sequence:
            stack.extend(reversed(node.items))


def deref(node: Node | None, limit: int = 16) -> Node | None:
    """Follow an alias (and alias-of-alias) to the node it names."""
    while type(node) is Alias and limit > 0:
        node = node.target
        limit -= 1
    return None if type(node) is Alias else node


def merged_pairs(mapping: Mapping):
    """Pairs that ``<<`` merge keys bring into ``mapping`` and its own pairs do not override.

    Yields ``(key, value, via)`` where ``via`` is the alias (or inline mapping) that merged it.
    Only one level of merges is followed per source (merges inside merged mappings are
    followed too, bounded), never expanding aliases into copies.
    """
    if not mapping.has_merge:
        return
    own = {k.value for k, _ in mapping.pairs if type(k) is Scalar and k.value != "<<"}
    seen_keys = set(own)
    for key, value in mapping.pairs:
        if not (type(key) is Scalar and key.value == "<<" and key.style is None):
            continue
        sources = value.items if type(value) is Sequence else [value]
        for via in sources:
            yield from _merged_from(deref(via), via, seen_keys, 0)


def _merged_from(source, via, seen_keys, level):
    if type(source) is not Mapping or level > 8:
        return
    for key, value in source.pairs:
        if type(key) is not Scalar:
            continue
        if key.value == "<<":
            continue
        if key.value in seen_keys:
            continue
        seen_keys.add(key.value)
        yield key, value, via
    for key, value in source.pairs:
        if type(key) is Scalar and key.value == "<<":
            inner = value.items if type(value) is Sequence else [value]
            for v in inner:
                yield from _merged_from(deref(v), via, seen_keys, level + 1)
