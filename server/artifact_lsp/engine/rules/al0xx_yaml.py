"""AL005, AL006: what the YAML readers of ESB's gates make of the text (tags and keys), and
the helpers other gate rules share: what PyYAML (YAML 1.1) and yaml.v3 make of a scalar.

ESB's Python gates (the esb-ctl manifest reader, the regeneration check, the E2E runner) read
with PyYAML's ``safe_load``; the retired Go deploy reader with yaml.v3. Both fail on a tag they
cannot construct and on a mapping key that is a list or a mapping, wherever it is in the file
(AL005, AL006). PyYAML also applies YAML 1.1's implicit types, so an unquoted ``0755`` is the
integer 493 to the esb-ctl reader while the Go reader keeps the text ``0755`` (AL311, in
``al3xx_types``).

``python_value(scalar)`` is what ``safe_load`` makes of one scalar; ``go_tag_problem`` is
yaml.v3's complaint about an explicit core tag on a value it decodes into a string.
"""

from __future__ import annotations

import base64
import binascii
import re

import yaml
from yaml.constructor import SafeConstructor

from ..model import RemoveTag, Rule, Severity
from ..yamlmodel import Alias, Mapping, Node, Scalar, Sequence, deref, iter_nodes
from .base import Context, check

ALL_FILES = ("manifest", "json", "matrix")

AL005 = Rule(
    "AL005",
    "unreadable-tag",
    Severity.ERROR,
    "A tag ESB's YAML readers cannot construct (`!custom x`, `!!python/...`, `!!int x`).",
    "ESB's Python gates read with PyYAML's `safe_load`, which knows only the YAML core tags "
    "(`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!timestamp`, `!!binary`, `!!seq`, "
    "`!!map`, `!!set`, `!!omap`, `!!pairs`): any other tag fails with `could not determine a "
    "constructor for the tag`, wherever it is in the file. A core tag on a value it cannot hold "
    "fails too (`!!int x`: every reader; the Go reader: `cannot decode !!str `x` as a !!int`). "
    "The fix removes the tag.",
    fix="Removes the tag; the value is then read as plain YAML.",
    files=ALL_FILES,
)
AL006 = Rule(
    "AL006",
    "non-scalar-key",
    Severity.ERROR,
    "A mapping key that is a list or a mapping (`? [a]`).",
    "PyYAML fails with `found unhashable key` and the Go reader with `cannot unmarshal !!seq into "
    "string`, wherever the key is: keys are names.",
    files=ALL_FILES,
)
RULES = (AL005, AL006)

CORE = "tag:yaml.org,2002:"
STR = CORE + "str"
NULL = CORE + "null"
_SCALAR_TAGS = {CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_SEQ_TAGS = {CORE + t for t in ("seq", "omap", "pairs")}
_MAP_TAGS = {CORE + t for t in ("map", "set")}
_PYTHON_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    bytes: "binary value",
    type(None): "null",
}


def short_tag(tag: str) -> str:
    return "!!" + tag[len(CORE) :] if tag.startswith(CORE) else tag


class Unreadable(Exception):
    """``safe_load`` would fail on this scalar; the message is PyYAML's (or Python's)."""


def python_value(node: Scalar):
    """What PyYAML's ``safe_load`` makes of ``node`` (raises ``Unreadable`` when it fails)."""
    tag = node.resolved_tag()
    if tag == STR:  # the common case, without building a constructor
        return node.value
    if tag == NULL:
        return None
    if tag not in _SCALAR_TAGS:
        raise Unreadable(
            _no_constructor(tag)
            if tag not in _SEQ_TAGS | _MAP_TAGS
            else f"expected a {'sequence' if tag in _SEQ_TAGS else 'mapping'} node, but found scalar"
        )
    try:  # a constructor per call: it caches what it built, and lints run on several threads
        return SafeConstructor().construct_object(yaml.ScalarNode(tag, node.value, style=node.style), deep=True)
    except yaml.YAMLError as exc:
        raise Unreadable(str(getattr(exc, "problem", None) or exc).splitlines()[0]) from None
    except Exception as exc:  # any exception: int("x"), a KeyError for !!bool x, ...
        raise Unreadable(f"{type(exc).__name__}: {exc}") from None


def _no_constructor(tag: str) -> str:
    return f"could not determine a constructor for the tag '{short_tag(tag)}'"


def type_name(value) -> str:
    if isinstance(value, str):
        return "string"
    for kind, name in _PYTHON_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__ if not hasattr(value, "isoformat") else "timestamp"


def describe_python(value) -> str:
    """How the Python reader sees ``value`` and what its ``str()`` is, e.g.
    ``the integer 493 ("493")`` or ``a timestamp ("2026-02-27 18:28:02+00:00")``."""
    text = str(value)
    if len(text) > 24:
        text = text[:20] + "…"
    kind = type_name(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return f'the {kind} {text} ("{text}")'
    return f'a {kind} ("{text}")'


# --------------------------------------------------------------------------- yaml.v3 (Go)

_V3_BOOL = {"true", "True", "TRUE", "false", "False", "FALSE"}
_V3_NULL = {"", "~", "null", "Null", "NULL"}
_V3_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_V3_SPECIAL = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}
_V3_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$"
)
_V3_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")


def v3_kind(text: str) -> str:
    """yaml.v3's implicit type of a plain scalar (YAML 1.2 core schema)."""
    if text in _V3_NULL:
        return "null"
    if text in _V3_BOOL:
        return "bool"
    plain = text.replace("_", "")
    if _V3_INT.match(plain):
        return "int"
    if text in _V3_SPECIAL or _V3_FLOAT.match(plain):
        return "float"
    if _V3_TIME.match(text):
        return "timestamp"
    return "str"


def go_tag_problem(node: Scalar) -> str | None:
    """yaml.v3's error for an explicit core tag on ``node`` decoded into a Go string."""
    tag = node.tag
    if not tag or tag == "!" or not tag.startswith(CORE):
        return None
    short = tag[len(CORE) :]
    if short in ("int", "float", "bool", "timestamp"):
        got = v3_kind(node.value)
        if got != short and not (short == "float" and got == "int"):
            return f"cannot decode !!{got} `{node.value}` as a !!{short}"
    elif short == "binary":
        try:
            base64.b64decode("".join(node.value.split()), validate=True)
        except (binascii.Error, ValueError):
            return "!!binary value contains invalid base64 data"
    return None


# --------------------------------------------------------------------------- checks


# an unquoted date: four digits, not after a quote, word character, "." or "-", then "-" and a
# digit; written to start with the "-" (the lookbehinds check the digits before it), so the
# search skips to each "-" instead of trying a lookbehind at every character of the text
_DATE = re.compile(r"-(?<=[0-9]{4}-)(?<![\"'\w.-][0-9]{4}-)[0-9]")


def _walk(ctx: Context) -> tuple[list, list]:
    """(tagged or date-like nodes, keys that are collections): one walk for AL005 and AL006,
    only when the text can hold one (a tag needs "!", a collection key "?", "[" or "{")."""
    tagged: list[Node] = []
    keys: list[Node] = []
    text = ctx.text
    if "!" not in text and "?" not in text and "[" not in text and "{" not in text and not _DATE.search(text):
        return tagged, keys
    for node in iter_nodes(ctx.parsed.root):
        t = type(node)
        if t is Mapping:
            for key, _value in node.pairs:
                tk = type(key)
                if tk in (Mapping, Sequence) or (tk is Alias and type(deref(key)) in (Mapping, Sequence)):
                    keys.append(key)
        if t is Alias:
            continue
        if node.tag not in (None, "!") or (
            t is Scalar and node.style is None and node.value[4:5] == "-" and node.value[:1].isdigit()
        ):
            tagged.append(node)
    return tagged, keys


@check(AL005)
def unreadable_tag(ctx: Context) -> None:
    tagged, _keys = ctx.memo("yaml-walk", _walk)
    for node in tagged:
        if node.tag in (None, "!"):
            _implicit_timestamp(ctx, node)
            continue
        problem = _tag_problem(node)
        if problem is not None:
            tag = short_tag(node.tag)
            ctx.report(
                AL005,
                f"the tag '{tag}' cannot be read: PyYAML's safe_load (the esb-ctl reader, the "
                f'regeneration check, the E2E runner) fails with "{problem}"',
                *_head(ctx.text, node),
                plan=RemoveTag(node, tag),
            )


@check(AL006)
def non_scalar_key(ctx: Context) -> None:
    _tagged, keys = ctx.memo("yaml-walk", _walk)
    for key in keys:
        kind = "!!seq" if type(deref(key)) is Sequence else "!!map"
        ctx.report(
            AL006,
            f"a mapping key must be a scalar, not a {'list' if kind == '!!seq' else 'mapping'}: "
            f'PyYAML fails with "found unhashable key" and the Go reader with '
            f'"cannot unmarshal {kind} into string"',
            *_head(ctx.text, key),
        )


def _implicit_timestamp(ctx: Context, node: Scalar) -> None:
    """An unquoted date PyYAML resolves as a timestamp but cannot build (``2026-02-30``)."""
    if node.resolved_tag() != CORE + "timestamp":
        return
    try:
        python_value(node)
    except Unreadable as exc:
        ctx.report(
            AL005,
            f"unquoted `{node.value}` is a YAML timestamp that does not exist: PyYAML's safe_load "
            f'(the esb-ctl reader, the regeneration check, the E2E runner) fails with "{exc}"; quote it',
            node.start,
            node.end,
        )


def _single_pair(item: Node) -> bool:
    """Whether ``item`` (aliases followed) is a mapping of one pair: an omap or pairs entry."""
    target = deref(item)
    return type(target) is Mapping and len(target.pairs) == 1


def _tag_problem(node) -> str | None:
    tag = node.tag
    t = type(node)
    if t is Scalar:
        try:
            python_value(node)
        except Unreadable as exc:
            return str(exc)
        return None
    if tag in _SEQ_TAGS:
        if t is not Sequence:
            return "expected a sequence node, but found mapping"
        if tag != CORE + "seq" and not all(_single_pair(i) for i in node.items):
            return f"expected a single mapping item in each {short_tag(tag)} entry"
        return None
    if tag in _MAP_TAGS:
        return None if t is Mapping else "expected a mapping node, but found sequence"
    if tag in _SCALAR_TAGS:
        return f"expected a scalar node, but found {'mapping' if t is Mapping else 'sequence'}"
    return _no_constructor(tag)


def _head(text: str, node) -> tuple[int, int]:
    """The node's first line (a block collection spans many)."""
    end = node.end
    newline = text.find("\n", node.start, end)
    if newline != -1:
        end = newline
    while end > node.start and text[end - 1] in " \t\r":
        end -= 1
    return node.start, max(end, node.start + 1 if node.start < len(text) else node.start)


def quotable(node: Scalar) -> bool:
    """Whether quoting ``node``'s text keeps what it means to yaml.v3 (no anchor, no tag but a core scalar one)."""
    tag = node.tag
    return node.anchor is None and (
        tag in (None, "!") or tag in {CORE + t for t in ("int", "float", "bool", "null", "timestamp", "str")}
    )
