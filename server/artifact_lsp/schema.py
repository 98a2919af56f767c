"""JSON Schema (draft-07) of the current contract, derived from the contract spec (``engine/spec.py``).

``manifest_schema(config)`` describes ``artifact.yml`` (and the legacy ``artifact.json``, which has
the same keys); ``matrix_schema(config)`` describes ``test_matrix.yaml``. Both are built from the
same data the linter runs on, so they cannot drift from it:

- key documentation from ``engine.contract`` (``describe``): ``description`` and
  ``markdownDescription`` of every key;
- every key of ``spec.KEYS``, one builder per ``type`` (text, mapping, list, any): its
  ``rules`` say what is asserted (missing / blank / type / value: ``values``, ``pattern``, a
  named ``check``) and by which rule;
- legacy keys from ``spec.REMOVED`` / ``spec.MATRIX_REMOVED`` / ``spec.RENAMED`` plus the
  configuration's ``extra-legacy-keys`` / ``extra-matrix-legacy-keys`` (AL100), at their
  contract positions;
- ``spec.FORBIDDEN_SEGMENTS`` (plus ``extra-forbidden-path-segments``) as a pattern on every
  string value.

Choices (see ``docs/schema.md``):

- Draft-07, the draft every YAML/JSON editor integration understands (yaml-language-server,
  VS Code, JetBrains, SchemaStore). ``$comment`` on each asserting part names the rule codes it
  mirrors; the tests rely on that to compare the schema with the engine.
- A JSON Schema has no severities. A rule is *asserted* (the schema rejects the file) only when
  it is enabled and its effective severity is ``error``; an enabled rule of a lower severity is
  only *annotated* (``deprecated`` / ``deprecationMessage``, which yaml-language-server shows as
  a warning); a disabled rule is left out. So whatever the schema rejects, the engine reports as
  an error at the same place.
- A legacy key is ``{"not": {}}`` (any value fails) with ``deprecated: true``, a
  ``deprecationMessage`` (the linter's own message), ``doNotSuggest`` and its hover docs.
- Unknown keys are allowed (``additionalProperties`` is not set): the deploy tool ignores them
  and the linter reports them only as info (AL308). A configuration that makes AL308 an error
  gets a ``propertyNames`` list instead.
- Values the deploy tool reads as text (``project``, ``env``, paths) accept any scalar, as the
  engine does: ``project: 123`` is the string ``"123"`` upstream.
- What the schema cannot express: YAML-level problems (syntax, duplicate keys, several
  documents), anything on disk (config files, template hashes, ``runtime-base/`` folders,
  matrix manifest paths, AL202/AL401-AL403/AL505), cross references (AL507), lexical path
  normalisation (AL306 is only partly expressed: absolute, ``.`` and leading ``..``), and
  whitespace around ``mode`` / ``schema_version`` (the engine strips it, ``enum`` cannot).

Plain Python: no pygls, no lsprotocol.
"""

from __future__ import annotations

import json
import re
from typing import TypeGuard

from . import __version__
from .engine import contract, keypath, spec
from .engine.config import Config
from .engine.model import Rule, Severity, relink
from .engine.rules import RULES
from .engine.rules.al3xx_shape import _OPEN, CHILDREN, allowed
from .engine.rules.removed import custom_entry, message

AL100, AL201, AL308 = RULES["AL100"], RULES["AL201"], RULES["AL308"]

__all__ = ["DRAFT", "EXPRESSED", "NOT_EXPRESSED", "dumps", "manifest_schema", "matrix_schema", "schema_for"]

DRAFT = "http://json-schema.org/draft-07/schema#"

# rules the schema mirrors fully / partly, and what it cannot see (for docs and tests): derived
# from the spec, so a newly removed key's rule is expressed without a word here
PARTLY_EXPRESSED = tuple(sorted({k.rules["value"] for k in spec.KEYS if k.check}))
EXPRESSED = tuple(
    sorted(
        (
            {AL100.code, AL201.code, AL308.code, spec.ROOT_RULE, spec.MATRIX_ROOT_RULE}
            | {entry.code for entry in (*spec.REMOVED, *spec.MATRIX_REMOVED, *spec.RENAMED)}
            | {code for k in (*spec.KEYS, *spec.MATRIX_KEYS) for code in k.rules.values()}
        )
        - set(PARTLY_EXPRESSED)
    )
)
NOT_EXPRESSED = tuple(code for code in RULES if code not in EXPRESSED and code not in PARTLY_EXPRESSED)

_ALL_TYPES = ("string", "number", "boolean", "null", "object", "array")
_SCALARS = ["string", "number", "boolean"]
_NOT_BLANK = r"\S"
_BLANK = r"^\s*$"


# --------------------------------------------------------------------------- helpers


class _Rules:
    """Which rules the schema asserts (enabled and ``error``) or annotates (enabled, lower)."""

    def __init__(self, config: Config):
        self.config = config

    def enabled(self, rule: Rule) -> bool:
        return self.config.enabled(rule.code)

    def on(self, rule: Rule | None) -> TypeGuard[Rule]:
        """Whether ``rule`` is asserted (so it is not None)."""
        return (
            rule is not None
            and self.config.enabled(rule.code)
            and self.config.severity_of(rule.code, rule.severity) >= Severity.ERROR
        )


def _js_escape(text: str) -> str:
    """Escape a literal for a regex that both ECMAScript (with the ``u`` flag, as editors
    compile schema patterns) and Python read the same way: ``\\-`` is an error under ``u``."""
    return "".join("\\" + ch if ch in "\\^$.|?*+()[]{}/" else ch for ch in text)


def _segment_pattern(segments) -> str:
    """A string value that does NOT have any of ``segments`` as a ``/`` or ``\\`` separated
    path segment (the engine splits on both). ``(?![\\s\\S])`` is "end of string" in both regex
    dialects (Python's ``$`` also matches before a final newline)."""
    names = "|".join(_js_escape(s) for s in segments)
    return rf"^(?![\s\S]*?(?:^|[\\/])(?:{names})(?:[\\/]|(?![\s\S])))"


def _anchored_core(pattern: str) -> str:
    """``^core$`` of an engine regex -> ``core`` in a form JavaScript reads like Python."""
    core = pattern
    core = core.removeprefix("^")
    core = core.removesuffix("$")
    return core.replace(r"\d", "[0-9]")


def _stripped(core: str) -> str:
    """A pattern for ``value.strip()`` matching ``core`` (the engine strips before it checks)."""
    return rf"^\s*(?:{core})\s*$"


def _docs(kind: str, path: tuple) -> dict:
    info = contract.describe(kind, path)
    if info is None:
        return {}
    return {"description": info.summary, "markdownDescription": info.markdown}


def _comment(*rules: Rule) -> str:
    return ", ".join(f"{r.code} ({r.name})" for r in rules)


def _scalar(
    rules: _Rules,
    name: str,
    *,
    blank: Rule | None = None,
    kind_rule: Rule | None = None,
    enum: list | None = None,
    pattern: str | None = None,
    value: Rule | None = None,
    value_message: str = "",
    strings_only: bool = False,
    required: bool = False,
) -> dict:
    """A key whose value the deploy tool reads as one scalar.

    ``blank``: the rule for null / blank (``required``: the key is required); ``kind_rule``: the rule for a mapping or list;
    ``enum`` / ``pattern`` (with ``value``): what a non-blank scalar must be; ``strings_only``:
    a number or boolean can never satisfy ``pattern`` (the engine matches the scalar's text).
    """
    out: dict = {}
    blank_on, kind_on, value_on = (
        rules.on(blank),
        rules.on(kind_rule),
        rules.on(value) and (enum is not None or pattern is not None),
    )
    types = set(_ALL_TYPES)
    if blank_on:
        types.discard("null")
    if kind_on:
        types -= {"object", "array"}
    if value_on and strings_only:
        types -= {"number", "boolean"}
    # (``*_on`` implies the rule is not None; ``is not None`` says so to the type checker)
    if value is not None and value_on and enum is not None and not (blank_on and kind_on):
        # only a non-blank scalar is checked against the values
        out["if"] = {"type": _SCALARS, "pattern": _NOT_BLANK}
        out["then"] = {"$comment": _comment(value), "enum": enum, "errorMessage": value_message}
    elif value_on and enum is not None:
        out["enum"] = enum
    if types != set(_ALL_TYPES) and "enum" not in out:  # an enum already says it all
        out["type"] = [t for t in _ALL_TYPES if t in types]
    patterns: list[tuple[str, str, Rule]] = []
    # a value pattern that accepts blank text (AL306's) needs the non-blank one as well
    if (
        blank is not None
        and blank_on
        and "enum" not in out
        and not (value_on and pattern is not None and not re.search(pattern, " "))
    ):
        what = "is required: null or blank counts as missing" if required else "must not be blank"
        patterns.append((_NOT_BLANK, f"{name} {what} [{blank.code}]", blank))
    if value is not None and value_on and pattern is not None:
        patterns.append((pattern if blank_on else f"{_BLANK}|{pattern}", value_message, value))
    if patterns:  # one pattern per schema: the others go in allOf
        out["pattern"], out["patternErrorMessage"], _ = patterns[0]
        if len(patterns) > 1:
            out["allOf"] = [
                {"$comment": _comment(rule), "pattern": p, "patternErrorMessage": m} for p, m, rule in patterns[1:]
            ]
    if value_on and value_message and "enum" in out:
        out["errorMessage"] = value_message
    codes = [r for r, on in ((blank, blank_on), (kind_rule, kind_on), (value, value_on)) if on and r is not None]
    if codes:
        out["$comment"] = _comment(*dict.fromkeys(codes))
    return out


def _with_docs(kind: str, path: tuple, schema: dict) -> dict:
    return {**_docs(kind, path), **schema}


# --------------------------------------------------------------------------- legacy keys


def _parts(path: str) -> list[str]:
    """``artifacts[].id`` -> ``["artifacts", "[]", "id"]`` (the schema's levels)."""
    return ["[]" if p is keypath.INDEX else p for p in keypath.parse(path)]


class _Row:
    """One legacy key of the schema: a ``spec.Removed`` entry's row and its rule."""

    def __init__(self, entry, row, rule):
        self.entry, self.row, self.rule = entry, row, rule
        self.path, self.replaced_by = row.path, row.replaced_by


def _legacy_rows(kind: str, config: Config) -> list[_Row]:
    base = spec.MATRIX_REMOVED if kind == "matrix" else spec.REMOVED
    extras = config.extra_matrix_legacy_keys if kind == "matrix" else config.extra_legacy_keys
    entries = [*base]
    if extras:
        entries.append(custom_entry(AL100.code, AL100.name, sorted(extras.items())))
    return [_Row(entry, row, RULES[entry.code]) for entry in entries for row in entry.keys]


def _legacy_schema(row: _Row, kind: str, asserted: bool, config: Config) -> dict:
    info = contract.describe(kind, keypath.concrete(keypath.parse(row.path))) if row.rule is not AL100 else None
    if info is not None and info.legacy:
        docs = {"description": info.summary, "markdownDescription": info.markdown}
    else:
        where = f" in {config.source}" if config.source else " in the configuration"
        docs = {
            "description": f"Legacy ({row.rule.code}): listed as legacy{where}; replaced by {row.replaced_by}",
            "markdownDescription": f"**Legacy** ({row.rule.code}): `{row.path}` is listed as legacy{where}.\n\n"
            f"**Replaced by:** {row.replaced_by}.\n\n[{row.rule.code}]({row.rule.url})",
        }
    out = {
        "$comment": _comment(row.rule) + (" (asserted)" if asserted else " (annotation only: not an error)"),
        **docs,
        "deprecated": True,
        "deprecationMessage": f"{message(row.entry, row.row, row.path)} [{row.rule.code}]",
        "doNotSuggest": True,
    }
    if asserted:
        out["not"] = {}
    return out


def _place(root: dict, parts: list[str]) -> dict:
    """The schema for ``parts`` under ``root``, creating empty (accept-anything) levels."""
    node = root
    for part in parts:
        node = node.setdefault("items", {}) if part == "[]" else node.setdefault("properties", {}).setdefault(part, {})
    return node


def _add_legacy(root: dict, kind: str, rules: _Rules) -> dict[tuple, set[str]]:
    """Put every legacy key at its contract position; returns the legacy key names per
    container path (for ``propertyNames``)."""
    names: dict[tuple, set[str]] = {}
    for row in _legacy_rows(kind, rules.config):
        parts = _parts(row.path)
        if parts[-1] == "[]" or not rules.enabled(row.rule):
            continue
        names.setdefault(tuple(parts[:-1]), set()).add(parts[-1])
        node = _place(root, parts)
        node.update(_legacy_schema(row, kind, rules.on(row.rule), rules.config))
    for renamed in spec.RENAMED:
        rule = RULES[renamed.code]
        if (kind == "matrix") != renamed.path.startswith(spec.MATRIX_ENTRIES + "[]") or not rules.enabled(rule):
            continue
        parts = _parts(renamed.path)
        node = _place(root, parts)
        info = contract.describe(kind, keypath.concrete(keypath.parse(renamed.path)))
        assert info is not None, "the contract describes every renamed key"
        node.update(
            {
                "$comment": _comment(rule) + (" (asserted)" if rules.on(rule) else " (annotation only: not an error)"),
                "description": info.summary,
                "markdownDescription": info.markdown,
                "deprecated": True,
                "deprecationMessage": f"{renamed.schema_message} [{rule.code}]",
                "doNotSuggest": True,
            }
        )
        if rules.on(rule):
            node["not"] = {}
        names.setdefault(tuple(parts[:-1]), set()).add(parts[-1])
    return names


def _property_names(schema: dict, known, legacy_names: set[str], rules: _Rules) -> None:
    """AL308 made an error by the configuration: only contract (and legacy) keys."""
    if rules.on(AL308):
        schema["propertyNames"] = {
            "$comment": _comment(AL308),
            "enum": sorted({*known, *legacy_names, "<<"}),
        }


# --------------------------------------------------------------------------- manifest

# the named checks of ``spec.Key.check``, the part a regex can say
_CHECK_PATTERNS = {
    # AL306: not absolute, not "." (after "./" folding), not "..[/...]"
    # (absolute is a leading "/": ESB's readers are POSIX, `C:\x` is a relative name)
    "relative-inside": r"^(?!\s*/)(?!\s*\.(?:/+\.)*/*\s*$)(?!\s*\.\.(?:/|\s*$))",
}


def _rule(key: spec.Key, role: str) -> Rule | None:
    code = key.rules.get(role)
    return RULES[code] if code else None


def _text(rules: _Rules, key: spec.Key) -> dict:
    """A key whose value the deploy tool reads as one scalar (``spec.Key.type == "text"``)."""
    leaf = keypath.leaf(key.path)
    value = _rule(key, "value")
    enum = pattern = None
    message_ = ""
    if key.values:
        assert value is not None, "a key with values has a value rule"
        enum = list(key.accepted) if key.accepted else [v for v, _ in key.values]
        choices = ", ".join(f'"{c}"' for c in allowed(key))
        hints = "".join(f"; {hint}" for _word, hint in key.hints)
        message_ = f"unsupported {leaf} (supported: {choices}{hints}) [{value.code}]"
    elif key.pattern or key.check:
        assert value is not None, "a key with a pattern has a value rule"
        pattern = _stripped(_anchored_core(key.pattern)) if key.pattern else _CHECK_PATTERNS[key.check]
        if key.path == spec.TEMPLATE_SHA256:  # the regeneration check does not strip (AL307)
            pattern = f"^(?:{_anchored_core(key.pattern)})$"
        message_ = f"{leaf} {key.problem} [{value.code}]"
    out = _scalar(
        rules,
        key.path.removeprefix(spec.ENTRIES + "[]."),
        blank=_rule(key, "missing") or _rule(key, "blank"),
        required="missing" in key.rules,
        kind_rule=_rule(key, "type"),
        enum=enum,
        pattern=pattern,
        value=value if message_ else None,
        value_message=message_,
        strings_only=bool(key.pattern),
    )
    # a real string: the Go reader's producer metadata (AL310), the regeneration check's
    # template path and sha256 (AL307: a number is "blank" to it)
    strict = _rule(key, "type") if key.rules.get("type") == "AL310" else _rule(key, "blank")
    if (key.rules.get("type") == "AL310" or key.path in (spec.TEMPLATE_PATH, spec.TEMPLATE_SHA256)) and rules.on(
        strict
    ):
        out["type"] = [t for t in out.get("type", _ALL_TYPES) if t not in ("number", "boolean")]
        out["$comment"] = _comment(
            *dict.fromkeys(
                r for r in (strict, _rule(key, "type"), value if message_ else None) if r is not None and rules.on(r)
            )
        )
    return out


def _key(rules: _Rules, key: spec.Key, pattern: tuple) -> dict:
    """The schema of one ``spec.KEYS`` entry (and of the keys below it)."""
    docs = _docs("manifest", keypath.concrete(pattern))
    kind_rule = _rule(key, "type")
    if key.type == "text":
        out = {**docs, **_text(rules, key)}
        if key.examples and not rules.on(_rule(key, "value")):
            out["examples"] = list(key.examples)
        return out
    if key.type == "mapping":
        out = docs
        if key.empty == "null" and rules.on(kind_rule):
            out.update({"type": ["object", "null"], "$comment": _comment(kind_rule)})
        out["properties"] = _properties(rules, pattern)
        if key.empty == "blank" and rules.on(kind_rule) and kind_rule.code == "AL310":
            # the Go reader decodes it into a struct: a blank string fails too
            out.update({"$comment": _comment(kind_rule), "type": ["object", "null"]})
        elif key.empty == "blank" and rules.on(kind_rule):
            out.update(
                {
                    "$comment": _comment(kind_rule),
                    "type": ["object", "null", "string"],
                    "pattern": _BLANK,
                    "patternErrorMessage": f"{keypath.leaf(key.path)} {key.problem} [{kind_rule.code}]",
                }
            )
        return out
    if key.type == "list":
        out = docs
        if rules.on(kind_rule):
            out.update({"$comment": _comment(kind_rule), "type": "array"})
            if key.min_items:
                out["minItems"] = key.min_items
        if pattern + (keypath.INDEX,) in CHILDREN:
            out["items"] = _item(rules, pattern + (keypath.INDEX,), kind_rule)
        return out
    return docs  # "any"


def _item(rules: _Rules, pattern: tuple, kind_rule: Rule | None) -> dict:
    """A list item that is a mapping of contract keys (a manifest entry)."""
    out: dict = {}
    if rules.on(kind_rule):
        out["type"] = "object"
    children = CHILDREN[pattern]
    missing = [_rule(k, "missing") for k in children if "missing" in k.rules]
    required = [keypath.leaf(k.path) for k in children if rules.on(_rule(k, "missing"))]
    if required:
        out["required"] = required
    out["properties"] = _properties(rules, pattern)
    codes = [r for r in dict.fromkeys((kind_rule, *missing)) if rules.on(r)]
    if codes:
        out["$comment"] = _comment(*codes)
    return out


def _properties(rules: _Rules, pattern: tuple) -> dict:
    return {keypath.leaf(k.path): _key(rules, k, keypath.parse(k.path)) for k in CHILDREN.get(pattern, ())}


def manifest_schema(config: Config | None = None) -> dict:
    """The JSON Schema of ``artifact.yml`` (schema_version "1"), derived from ``spec.KEYS``."""
    config = config or Config()
    rules = _Rules(config)
    root_rule = RULES[spec.ROOT_RULE]
    top = CHILDREN[()]
    required = [keypath.leaf(k.path) for k in top if rules.on(_rule(k, "missing"))]
    root: dict = {
        "$schema": DRAFT,
        "title": f'ESB deploy artifact manifest (artifact.yml, {spec.SCHEMA_VERSION} "{spec.MANIFEST_SCHEMA_VERSION}")',
        "description": (
            f"Generated by artifact-lsp {__version__} from its rules (`artifact-lsp schema`). The "
            "linter is authoritative: it also checks what a schema cannot (files on disk, template "
            "hashes, duplicate keys)."
        ),
        "$comment": _root_comment(config, "manifest"),
    }
    if rules.on(root_rule):
        root["type"] = "object"
    if required:
        root["required"] = required
    root["properties"] = _properties(rules, ())
    legacy_names = _add_legacy(root, "manifest", rules)
    for pattern in CHILDREN:  # the mappings whose other keys are unknown keys (AL308)
        if pattern in _OPEN:
            continue
        parts = ["[]" if p is keypath.INDEX else p for p in pattern]
        known = [keypath.leaf(k.path) for k in CHILDREN[pattern]]
        _property_names(_place(root, parts), known, legacy_names.get(tuple(parts), set()), rules)
    if rules.on(AL201):
        segments = config.forbidden_segments
        shown = ", ".join(f"'{s}/'" for s in segments)
        root["allOf"] = [{"$ref": "#/definitions/anyValue"}]
        root["definitions"] = {
            "anyValue": {
                "$comment": _comment(AL201) + ": every string value, under any key, at any depth",
                "pattern": _segment_pattern(segments),
                "patternErrorMessage": f"points into {shown}, which is outside the contract since {spec.FORBIDDEN_SINCE}; deploy must not use it [AL201]",
                "additionalProperties": {"$ref": "#/definitions/anyValue"},
                "items": {"$ref": "#/definitions/anyValue"},
            }
        }
    return root


# --------------------------------------------------------------------------- matrix


def matrix_schema(config: Config | None = None) -> dict:
    """The JSON Schema of ``e2e/environments/test_matrix.yaml``."""
    config = config or Config()
    rules = _Rules(config)
    k = "matrix"
    shape = RULES[spec.MATRIX_ROOT_RULE]
    keys = {keypath.parse(key.path): key for key in spec.MATRIX_KEYS}
    entries = (spec.MATRIX_ENTRIES, keypath.INDEX)
    entry_props = {p[-1]: _docs(k, keypath.concrete(p)) for p in keys if p[:-1] == entries}
    # the engine has no rule for a missing env or suites (only esb_env, AL503): not required here
    required = [p[-1] for p, key in keys.items() if p[:-1] == entries and rules.on(_rule(key, "missing"))]
    for p, key in keys.items():
        if p[:-1] == entries and "missing" in key.rules:
            entry_props[p[-1]].update(
                _scalar(rules, p[-1], blank=_rule(key, "missing"), kind_rule=_rule(key, "type"), required=True)
            )
    missing = [_rule(key, "missing") for p, key in keys.items() if p[:-1] == entries and "missing" in key.rules]
    entry: dict = {}
    if rules.on(shape):
        entry.update({"$comment": _comment(shape), "type": "object"})
    if required:
        entry["required"] = required
        entry["$comment"] = _comment(*(r for r in (shape, *missing) if rules.on(r)))
    entry["properties"] = entry_props
    matrix = _docs(k, (spec.MATRIX_ENTRIES,))
    if rules.on(shape):
        matrix.update({"$comment": _comment(shape), "type": "array"})
    matrix["items"] = entry
    suite_pattern = (spec.SUITES, keypath.NAME)
    suite = {p[-1]: _docs(k, keypath.concrete(p)) for p in keys if p[:-1] == suite_pattern}
    suites = {**_docs(k, (spec.SUITES,)), "additionalProperties": {**_docs(k, (spec.SUITES, "x")), "properties": suite}}
    root: dict = {
        "$schema": DRAFT,
        "title": "ESB E2E test matrix (e2e/environments/test_matrix.yaml)",
        "description": (
            f"Generated by artifact-lsp {__version__} from its rules (`artifact-lsp schema --matrix`). "
            f"The linter also checks that every {keypath.leaf(spec.MATRIX_MANIFEST)} exists and every suite is defined."
        ),
        "$comment": _root_comment(config, "matrix"),
    }
    if rules.on(shape):
        root.update(
            {
                "type": "object",
                "required": [
                    keypath.leaf(key.path) for p, key in keys.items() if len(p) == 1 and "missing" in key.rules
                ],
            }
        )
    root["properties"] = {spec.MATRIX_ENTRIES: matrix, spec.SUITES: suites}
    _add_legacy(root, k, rules)
    return root


# --------------------------------------------------------------------------- entry points


def _root_comment(config: Config, kind: str) -> str:
    from .engine.rules import RULES

    def codes(group):
        return ", ".join(c for c in group if kind in RULES[c].files)

    origin = f"; configuration: {config.source}" if config.source else ""
    partly = codes(PARTLY_EXPRESSED)
    return (
        f"Generated by artifact-lsp {__version__}{origin}. Rules expressed: {codes(EXPRESSED)}"
        + (f"; partly: {partly} (absolute, '.' and leading '..' only)" if partly else "")
        + f"; not expressible in a schema: {codes(NOT_EXPRESSED)}. A rule is asserted only when it "
        "is enabled with severity error; a lower severity is an annotation (deprecationMessage). "
        "Unknown keys are allowed: the deploy tool ignores them."
    )


def schema_for(kind: str, config: Config | None = None) -> dict:
    """``kind``: ``manifest`` / ``json`` (same keys) or ``matrix``. The rule links in the
    docs follow the config's ``docs-url`` (else the shipped ``rules.md``)."""
    if kind == "matrix":
        schema = matrix_schema(config)
    elif kind in ("manifest", "json"):
        schema = manifest_schema(config)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    docs_url = config.docs_url if config is not None else None
    return _relinked(schema, docs_url) if docs_url else schema


def _relinked(value, docs_url: str):
    if isinstance(value, str):
        return relink(value, docs_url)
    if isinstance(value, dict):
        return {k: _relinked(v, docs_url) for k, v in value.items()}
    if isinstance(value, list):
        return [_relinked(v, docs_url) for v in value]
    return value


def dumps(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
