"""AL3xx: the contract's shape (schema_version "1"), with the upstream validator's wording.

Every check reads ``spec.KEYS``: a key's ``rules`` say which rule reports it missing, blank,
of the wrong type or with a wrong value, so a key added to the spec is checked by the rules
it names. One function per rule code.
"""

from __future__ import annotations

import posixpath
import re
from typing import NamedTuple

from .. import keypath, spec
from ..model import QuoteValue, Rule, Severity
from ..yamlmodel import Alias, Mapping, Node, Scalar, Sequence, deref
from . import al0xx_yaml
from .base import Context, check, head_span, is_blank_or_null, lookup, value_span

_M = ("manifest", "json")

# ----------------------------------------------------------------------------- the spec, indexed

# parent pattern -> the keys the contract defines in that mapping, in contract order
CHILDREN: dict[tuple, list[spec.Key]] = {}
for _key in spec.KEYS:
    _pattern = keypath.parse(_key.path)
    CHILDREN.setdefault(_pattern[:-1], []).append(_key)
KEY = {k.path: k for k in spec.KEYS}
KNOWN = {parent: frozenset(keypath.leaf(k.path) for k in keys) for parent, keys in CHILDREN.items()}
_SV, _MODE, _ENTRIES = spec.SCHEMA_VERSION, spec.MODE, spec.ENTRIES
_ROOT, _DIR = keypath.leaf(spec.ARTIFACT_ROOT), keypath.leaf(spec.RUNTIME_CONFIG_DIR)
_TEMPLATE, _PATH, _SHA = (keypath.leaf(p) for p in (spec.SOURCE_TEMPLATE, spec.TEMPLATE_PATH, spec.TEMPLATE_SHA256))
_AT, _GEN = spec.GENERATED_AT, spec.GENERATOR
_GEN_KEYS = [keypath.leaf(k.path) for k in spec.KEYS if k.path.startswith(_GEN + ".")]
_REMOVED = {entry.code: keypath.leaf(entry.keys[0].path) for entry in spec.REMOVED}
PATTERNS = {k.path: re.compile(k.pattern, re.ASCII) for k in spec.KEYS if k.pattern}  # ASCII digits only
_ABS = re.compile(r"^/")  # ESB's readers are POSIX: `C:\x` is a relative name (AL313 warns)


def _with_rule(role: str, code: str) -> list[spec.Key]:
    return [k for k in spec.KEYS if k.rules.get(role) == code]


def _shown(keys) -> list[str]:
    """Key paths as the docs show them: entry keys without the ``artifacts[].`` prefix."""
    prefix = spec.ENTRIES + "[]."
    return [f"`{k.path.removeprefix(prefix)}`" for k in keys]


_TOP_REQUIRED = [k.path for k in spec.KEYS if k.required and "." not in k.path]


# parent pattern -> [(name, its pattern, "mapping" or "list")]: the nested mappings of the contract
_NESTED: dict[tuple, list] = {}
for _key in spec.KEYS:
    _pattern = keypath.parse(_key.path)
    if (_key.type == "mapping" and _pattern in CHILDREN) or (
        _key.type == "list" and _pattern + (keypath.INDEX,) in CHILDREN
    ):
        _NESTED.setdefault(_pattern[:-1], []).append((_pattern[-1], _pattern, _key.type))


def _containers(ctx: Context) -> list:
    """``[(pattern, concrete path, mapping, node)]``: every mapping of the document whose
    keys the contract defines (the root, each entry, each entry's template, ...)."""
    root = ctx.root
    if type(root) is not Mapping:
        return []
    out: list[tuple[tuple, tuple, Mapping, Node | None]] = [((), (), root, None)]
    for pattern, path, mapping, _item in out:  # grows while it is walked: breadth first
        for name, child, kind in _NESTED.get(pattern, ()):
            if kind == "mapping":
                pair = lookup(mapping, name)
                value = deref(pair[1]) if pair else None
                if type(value) is Mapping:
                    out.append((child, path + (name,), value, pair[1]))
            elif not pattern:  # a list of entries (top-level lists only: ctx.entries)
                items = child + (keypath.INDEX,)
                out.extend((items, path + (name, i), entry, item) for i, item, entry in ctx.entries(name))
    return out


def _anchor(mapping: Mapping, item) -> tuple[int, int]:
    """Where to report a key missing from ``mapping`` (``item``: its node in its list, None for
    the root): its first key, else the item."""
    if item is None or mapping.pairs:
        return head_span(mapping)
    return item.start, item.end


def containers(ctx: Context) -> list:
    return ctx.memo("shape-containers", _containers)


class Fact(NamedTuple):
    """One contract key of one mapping of the document, looked up once for all the rules."""

    key: spec.Key
    path: tuple  # the concrete path of the mapping
    name: str
    mapping: Mapping
    item: Node | None  # the mapping's node in its list (None for the root): the anchor
    pair: tuple | None  # (key node, value node), None when the key is absent
    value: Node | None  # the value, aliases followed
    blank: bool  # null, blank text, or an alias to nothing (also when absent)
    present: bool  # present with a value (an empty one, ``spec.Key.empty``, is no value)

    @property
    def where(self) -> str:
        """Its dotted path, as messages show it: ``artifacts[0].runtime_config_dir``."""
        return keypath.dotted(self.path + (self.name,))

    @property
    def span(self) -> tuple[int, int]:
        assert self.pair is not None, "only a present key has a span"
        return value_span(*self.pair)


def _facts(ctx: Context) -> dict:
    """``(role, rule code) -> [Fact]``: the keys each role's rule has to look at, every contract
    key of the document looked up once for all the rules (a hot path: 2,000 entries). The same
    walk fills ``facts`` (every key present, by path).

    A key is a candidate of its ``missing`` rule when it is absent or blank, of its ``blank``
    rule when it is present but blank, of its ``type`` rule when its value is of the wrong kind
    (a mapping or list for text, anything else for a mapping or a list), of its ``value`` rule when it
    holds a non-blank scalar; empty values (``spec.Key.empty``) are no value at all."""
    return ctx.memo("shape-tables", _tables)[0]


def _tables(ctx: Context) -> tuple[dict, dict]:
    """(``_facts``, ``facts``): one walk over every contract key of every container."""
    out: dict = {role_code: [] for role_code in _ROLE_CODES}
    present: dict = {}
    new = tuple.__new__
    for pattern, path, mapping, item in containers(ctx):
        keys = _CHECKED.get(pattern)
        if not keys:
            continue
        index = mapping.key_index() if not mapping.has_merge else None
        for (
            key,
            name,
            key_path,
            ruled,
            empty_null,
            empty_blank,
            wrong,
            missing,
            blank_rule,
            type_rule,
            value_rule,
        ) in keys:
            pair = index.get(name) if index is not None else lookup(mapping, name)
            if pair is None:
                if missing:
                    out[missing].append(new(Fact, (key, path, name, mapping, item, None, None, True, False)))
                continue
            value = pair[1]
            if type(value) is Alias:
                value = deref(value)
            kind = type(value)
            # is_blank_or_null, inline (a hot path)
            blank = (value.is_null() or not value.value.strip()) if kind is Scalar else value is None
            fact = new(Fact, (key, path, name, mapping, item, pair, value, blank, True))
            found = present.get(key_path)
            if found is None:
                present[key_path] = [fact]
            else:
                found.append(fact)
            if not ruled:
                continue
            if (empty_null and kind is Scalar and value.is_null()) or (empty_blank and blank):
                if missing:  # (an empty value of a required key: not a case the spec has)
                    out[missing].append(new(Fact, (key, path, name, mapping, item, pair, value, blank, False)))
                continue
            # the common case, a key with a fine scalar, makes a fact for its value rule only
            if blank:
                if missing:
                    out[missing].append(fact)
                if blank_rule:
                    out[blank_rule].append(fact)
            elif kind is Scalar and value_rule:
                out[value_rule].append(fact)
            if type_rule and (kind is not wrong if wrong is not None else (kind is Mapping or kind is Sequence)):
                out[type_rule].append(fact)
    return out, present


def _candidates(ctx: Context, role: str, code: str) -> list:
    """The keys the rule ``code`` has to look at in its ``role`` (see ``_facts``)."""
    return ctx.memo("shape-facts", _facts).get((role, code), ())


_KINDS = {"mapping": Mapping, "list": Sequence}  # a "text" value is wrong as a mapping or a list
# parent pattern -> [(key, its name, its path, whether it has rules, empty flags, the kind its value must be, then its
# (role, rule code) for missing, blank, type and value, or None)]: every contract key (those
# without rules for ``facts`` only), in ``spec.KEYS`` order
_CHECKED: dict[tuple, list] = {}
for _key in spec.KEYS:
    _parsed = keypath.parse(_key.path)
    _CHECKED.setdefault(_parsed[:-1], []).append(
        (
            _key,
            _parsed[-1],
            _key.path,
            bool(_key.rules),
            _key.empty == "null",
            _key.empty == "blank" and _key.type != "text",
            _KINDS.get(_key.type),  # what the value must be (None: a scalar, for "text")
            *(
                (_role, _key.rules[_role]) if _role in _key.rules else None
                for _role in ("missing", "blank", "type", "value")
            ),
        )
    )
_ROLE_CODES = {(role, code) for key in spec.KEYS for role, code in key.rules.items()}


# ----------------------------------------------------------------------------- AL301

AL301 = Rule(
    "AL301",
    "missing-required-key",
    Severity.ERROR,
    f"A required key is missing, null or blank ({', '.join(_shown(_with_rule('missing', 'AL301')))}).",
    "The deploy tool refuses the manifest with `<key> is required`. `null` counts as missing, and so "
    "does a string of spaces.",
    files=_M,
)


def _missing(ctx: Context, code: str, rule: Rule) -> None:
    for fact in _candidates(ctx, "missing", code):
        if fact.blank:
            pair = fact.pair
            span = (pair[0].start, pair[0].end) if pair is not None else _anchor(fact.mapping, fact.item)
            ctx.report(rule, f"{fact.where} {fact.key.missing or 'is required'}", *span)


@check(AL301)
def missing_required_key(ctx: Context) -> None:
    _missing(ctx, "AL301", AL301)


# ----------------------------------------------------------------------------- AL302, AL304: values

AL302 = Rule(
    "AL302",
    "unsupported-schema-version",
    Severity.ERROR,
    f'`{_SV}` must be `"{spec.MANIFEST_SCHEMA_VERSION}"` (the integer `{spec.MANIFEST_SCHEMA_VERSION}` is accepted too).',
    f'Any other value is an unsupported major version: `unsupported {_SV}: "2" (supported: "{spec.MANIFEST_SCHEMA_VERSION}")`.',
    files=_M,
)
AL304 = Rule(
    "AL304",
    "invalid-mode",
    Severity.ERROR,
    f"`{_MODE}` is {' or '.join(f'`{v}`' for v, _doc in spec.MODES)} (firecracker is a containerd runtime, not a mode).",
    "Only two modes exist. `firecracker` runs under `containerd` (set the containerd runtime), so "
    f"`{_MODE}: firecracker` is an error.",
    files=_M,
)


def allowed(key: spec.Key) -> list[str]:
    """The texts a key with ``values`` may hold."""
    if key.accepted:
        return [a for a in key.accepted if isinstance(a, str)]
    return [value for value, _doc in key.values]


def _values(ctx: Context, code: str, rule: Rule) -> None:
    for fact in _candidates(ctx, "value", code):
        key, value = fact.key, fact.value
        if not key.values or fact.blank or type(value) is not Scalar:
            continue
        text = value.value.strip()
        choices = allowed(key)
        if text in choices:
            continue
        extra = "".join(f"; {hint}" for word, hint in key.hints if word in value.value)
        supported = ", ".join(f'"{c}"' for c in choices)
        ctx.report(rule, f'unsupported {fact.where}: "{text}" (supported: {supported}{extra})', *fact.span)


@check(AL302)
def unsupported_schema_version(ctx: Context) -> None:
    _types(ctx, "AL302", AL302)
    _values(ctx, "AL302", AL302)


@check(AL304)
def invalid_mode(ctx: Context) -> None:
    _values(ctx, "AL304", AL304)


# ----------------------------------------------------------------------------- AL303: types

AL303 = Rule(
    "AL303",
    "not-a-string",
    Severity.ERROR,
    "A key that must hold a string holds a mapping or a list.",
    f"{', '.join(_shown(_with_rule('type', 'AL303'))[:-1])} and {_shown(_with_rule('type', 'AL303'))[-1]} are strings.",
    files=_M,
)


def _types(ctx: Context, code: str, rule: Rule) -> None:
    for fact in _candidates(ctx, "type", code):
        key, value = fact.key, fact.value
        if key.type == "text":
            if type(value) not in (Mapping, Sequence):
                continue  # a scalar (blank ones are the ``missing`` / ``blank`` rule's)
            same = key.problem and key.rules.get("value") == code
            ctx.report(rule, f"{fact.where} {key.problem if same else 'must be a string'}", *fact.span)
        elif key.type == "mapping" and type(value) is not Mapping:
            ctx.report(rule, f"{fact.where} {key.problem or 'must be a mapping'}", *fact.span)


@check(AL303)
def not_a_string(ctx: Context) -> None:
    _types(ctx, "AL303", AL303)


# ----------------------------------------------------------------------------- AL305

AL305 = Rule(
    "AL305",
    "invalid-artifacts",
    Severity.ERROR,
    f"The manifest is a mapping and `{_ENTRIES}` a non-empty list of mappings.",
    f"`{_ENTRIES}[]` holds at least one entry; its order is the deploy and merge order. Upstream "
    f"wording: `{_ENTRIES} must contain at least one entry`.",
    files=_M,
)


@check(AL305)
def invalid_artifacts(ctx: Context) -> None:
    root = ctx.root
    if root is None or (type(root) is Scalar and root.is_null() and not root.value):
        listed = f"{', '.join(_TOP_REQUIRED[:-1])} and {_TOP_REQUIRED[-1]}"
        ctx.report(AL305, f"the manifest is empty: it must be a mapping with {listed}", 0, 0)
        return
    if type(root) is not Mapping:
        start, end = head_span(root)
        ctx.report(AL305, f"the manifest must be a mapping ({', '.join(_TOP_REQUIRED)})", start, end)
        return
    _missing(ctx, "AL305", AL305)
    name = spec.ENTRIES
    pair = lookup(root, name)
    if pair is None or is_blank_or_null(pair[1]):
        return
    artifacts = deref(pair[1])
    if type(artifacts) is not Sequence:
        ctx.report(AL305, f"{name} must be a list of entries", *value_span(*pair))
        return
    if len(artifacts.items) < KEY[name].min_items:
        ctx.report(AL305, f"{name} {KEY[name].missing}", *value_span(*pair))
        return
    for i, item in enumerate(artifacts.items):
        if type(deref(item)) is not Mapping:
            span = (item.start, item.end) if type(item) in (Scalar, Alias) else head_span(item)
            ctx.report(AL305, f"{name}[{i}] must be a mapping", *span)


# ----------------------------------------------------------------------------- AL306

AL306 = Rule(
    "AL306",
    "invalid-runtime-config-dir",
    Severity.ERROR,
    f"`{_DIR}` is relative to `{_ROOT}`, not `.`, and does not escape it.",
    "After lexical normalisation (`a/../b` is `b`) the path must not be absolute, must not be `.` "
    "and must not start with `..` (`..`, `../x`, `a/../../x` all escape the artifact root). "
    "Absolute means starting with `/`: ESB's readers are POSIX, so `C:\\x` or `\\\\server\\share` "
    "is a relative name to them, not an error (AL313 warns about it).",
    files=_M,
)


def relative_path_problem(raw: str) -> str | None:
    """The upstream validator's complaint about a path that must stay inside the root."""
    value = raw.strip()
    if not value:
        return "is required"
    if _ABS.match(value):
        return "must be a relative path"
    cleaned = posixpath.normpath(value)
    if cleaned == ".":
        return "must not be '.'"
    if cleaned == ".." or cleaned.startswith("../"):
        return "must not escape artifact root"
    return None


@check(AL306)
def invalid_runtime_config_dir(ctx: Context) -> None:
    for fact in _candidates(ctx, "value", "AL306"):
        if fact.key.check != "relative-inside" or fact.blank or type(fact.value) is not Scalar:
            continue
        problem = relative_path_problem(fact.value.value)
        if problem:
            ctx.report(AL306, f"{fact.where} {problem}", *fact.span)


# ----------------------------------------------------------------------------- AL307

AL307 = Rule(
    "AL307",
    "invalid-source-template",
    Severity.ERROR,
    f"`{_TEMPLATE}` is a mapping; `{_PATH}` not blank; `{_SHA}` 64 lowercase hex characters.",
    f"`{_TEMPLATE}` is optional and checked only when present: `{_PATH} must not be blank`, "
    f"`{_SHA} must not be blank`, `{_SHA} must be 64 lowercase hex characters`.",
    files=_M,
)


def _patterns(ctx: Context, code: str, rule: Rule) -> None:
    for fact in _candidates(ctx, "value", code):
        key = fact.key
        if not key.pattern or fact.blank or type(fact.value) is not Scalar:
            continue
        if not PATTERNS[key.path].match(fact.value.value.strip()):
            ctx.report(rule, f"{fact.where} {key.problem}", *fact.span)


@check(AL307)
def invalid_source_template(ctx: Context) -> None:
    _types(ctx, "AL307", AL307)
    for fact in _candidates(ctx, "blank", "AL307"):
        ctx.report(AL307, f"{fact.where} must not be blank", *fact.span)
    for fact in _candidates(ctx, "value", "AL307"):
        _regeneration_check(ctx, fact)
    _patterns(ctx, "AL307", AL307)


def _regeneration_check(ctx: Context, fact: Fact) -> None:
    """The regeneration check's stricter reading: a real string (an unquoted number is "blank")
    and a sha256 matched without stripping."""
    assert fact.pair is not None, "a value candidate is a present key"
    key, value = fact.pair
    node = fact.value
    if type(node) is not Scalar or node.is_null():
        return
    try:
        read = al0xx_yaml.python_value(node)
    except al0xx_yaml.Unreadable:
        return  # AL005
    pattern = PATTERNS.get(fact.key.path)
    if not isinstance(read, str):
        if pattern is not None and not pattern.match(node.value.strip()):
            return  # not the pattern whatever its type: _patterns says so
        written = ctx.text[node.start : node.end] if type(value) is Scalar else node.value
        message = (
            f"{fact.where} must not be blank: the regeneration check reads the unquoted `{written}` as "
            f"{al0xx_yaml.describe_python(read)}, not a string"
        )
        if pattern is not None and str(read) != node.value:
            message += f', and the esb-ctl reader says "{fact.where} {fact.key.problem}"'
        plan = QuoteValue(fact.mapping, key, node) if type(value) is Scalar and al0xx_yaml.quotable(node) else None
        ctx.report(AL307, message + "; quote it", value.start, value.end, plan=plan)
    elif pattern is not None and read.strip() and read != read.strip() and pattern.match(read.strip()):
        ctx.report(
            AL307,
            f"{fact.where} {fact.key.problem} without surrounding blanks: the regeneration check "
            f"matches it without stripping (the deploy readers strip it first)",
            *fact.span,
        )


# ----------------------------------------------------------------------------- AL308

AL308 = Rule(
    "AL308",
    "unknown-key",
    Severity.INFO,
    "A key the contract does not define (the deploy tool ignores it).",
    "Unknown keys are ignored on purpose (forward compatibility), which is exactly why a typo or a "
    f"stale key goes unnoticed. A top-level `{_REMOVED['AL104']}` or a `{_REMOVED['AL108']}` outside `{_TEMPLATE}` is "
    "reported here, not as a legacy key.",
    files=_M,
)
_OPEN = {keypath.parse(k.path) for k in spec.KEYS if not k.closed}


@check(AL308)
def unknown_key(ctx: Context) -> None:
    legacy_keys = ctx.legacy_keys  # reported by the legacy rules (which run first)
    for pattern, path, mapping, _item in containers(ctx):
        if pattern in _OPEN:
            continue
        known = KNOWN[pattern]
        for key, _value in mapping.pairs:
            if type(key) is not Scalar or key.value in known or key.value == "<<" or key.start in legacy_keys:
                continue
            where = f"in {keypath.dotted(path)}" if path else "at the top level"
            ctx.report(
                AL308,
                f"unknown key '{key.value}' {where} (the deploy tool ignores it)",
                key.start,
                key.end,
                key=key.value,
            )


# ----------------------------------------------------------------------------- AL309

AL309 = Rule(
    "AL309",
    "invalid-producer-metadata",
    Severity.WARNING,
    f'`{_AT}` is an RFC 3339 UTC time such as `"{spec.TIME_EXAMPLE}"`.',
    "Producer metadata is optional and no reader checks its format, but the producer writes "
    f'`{_AT}: "{spec.TIME_EXAMPLE}"` (UTC, quoted). This is format advice; a value of the wrong '
    f"type (a mapping, a list, an unquoted timestamp) or a `{_GEN}` that is not a mapping of "
    f"{' and '.join(f'`{k}`' for k in _GEN_KEYS)} strings is an error, AL310.",
    files=_M,
)


@check(AL309)
def invalid_producer_metadata(ctx: Context) -> None:
    for fact in _candidates(ctx, "value", "AL309"):
        key, value = fact.key, fact.value
        if not key.pattern or fact.blank or type(value) is not Scalar or not value.is_str():
            continue  # another type is AL310's
        if not PATTERNS[key.path].match(value.value.strip()):
            ctx.report(AL309, f"{fact.where} {key.problem}", *fact.span)


def facts(ctx: Context) -> dict:
    """``key path -> [Fact]`` of every contract key present in the document (the gate rules of
    ``al3xx_types`` look at values of every type)."""
    return ctx.memo("shape-tables", _tables)[1]


RULES = (AL301, AL302, AL303, AL304, AL305, AL306, AL307, AL308, AL309)
