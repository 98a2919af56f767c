"""JSON Schema (draft-07) of the current contract, generated from the engine's own rule data.

``manifest_schema(config)`` describes ``artifact.yml`` (and the legacy ``artifact.json``, which has
the same keys); ``matrix_schema(config)`` describes ``test_matrix.yaml``. Both are built from the
same data the linter runs on, so they cannot drift from it:

- key documentation from ``engine.contract`` (``describe``): ``description`` and
  ``markdownDescription`` of every key;
- legacy keys from ``MANIFEST_LEGACY`` / ``MATRIX_LEGACY`` plus the configuration's
  ``extra-legacy-keys`` / ``extra-matrix-legacy-keys`` (AL100), at their contract positions;
- ``runtime-base`` (plus ``extra-forbidden-path-segments``) as a pattern on every string value;
- the shape constants of ``engine.rules.shape`` (keys, modes, sha256, RFC 3339).

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

from . import __version__
from .engine import contract
from .engine.config import Config
from .engine.model import Rule, Severity
from .engine.rules.legacy import AL100, MANIFEST_LEGACY, MATRIX_LEGACY, LegacyKey
from .engine.rules.matrix import AL503, AL504, AL506
from .engine.rules.runtime_base import AL201
from .engine.rules.manifest_types import AL310
from .engine.rules.shape import (
    AL301,
    AL302,
    AL303,
    AL304,
    AL305,
    AL306,
    AL307,
    AL308,
    AL309,
    ENTRY_KEYS,
    GENERATOR_KEYS,
    MODES,
    RFC3339_UTC,
    SHA256,
    TEMPLATE_KEYS,
    TOP_KEYS,
)

__all__ = ["DRAFT", "EXPRESSED", "NOT_EXPRESSED", "dumps", "manifest_schema", "matrix_schema", "schema_for"]

DRAFT = "http://json-schema.org/draft-07/schema#"

# rules the schema mirrors fully / partly, and what it cannot see (for docs and tests)
EXPRESSED = (
    "AL100", "AL101", "AL102", "AL103", "AL104", "AL105", "AL106", "AL107", "AL108",
    "AL201", "AL301", "AL302", "AL303", "AL304", "AL305", "AL307", "AL308", "AL309", "AL310",
    "AL501", "AL502", "AL503", "AL504", "AL506",
)
PARTLY_EXPRESSED = ("AL306",)
NOT_EXPRESSED = (
    "AL000", "AL001", "AL002", "AL003", "AL004", "AL109", "AL202",
    "AL401", "AL402", "AL403", "AL505", "AL507",
    # what ESB's YAML readers make of tags, keys and YAML 1.1 types, and what the runner does
    # with values: a JSON Schema sees the data, not the text or the program (docs/gates.md)
    "AL005", "AL006", "AL311", "AL313", "AL508", "AL509", "AL510", "AL511",
)

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

    def on(self, rule: Rule | None) -> bool:
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
) -> dict:
    """A key whose value the deploy tool reads as one scalar.

    ``blank``: the rule for null / blank; ``kind_rule``: the rule for a mapping or list;
    ``enum`` / ``pattern`` (with ``value``): what a non-blank scalar must be; ``strings_only``:
    a number or boolean can never satisfy ``pattern`` (the engine matches the scalar's text).
    """
    out: dict = {}
    blank_on, kind_on, value_on = rules.on(blank), rules.on(kind_rule), rules.on(value) and (enum is not None or pattern is not None)
    types = set(_ALL_TYPES)
    if blank_on:
        types.discard("null")
    if kind_on:
        types -= {"object", "array"}
    if value_on and strings_only:
        types -= {"number", "boolean"}
    if value_on and enum is not None and not (blank_on and kind_on):
        # only a non-blank scalar is checked against the values
        out["if"] = {"type": _SCALARS, "pattern": _NOT_BLANK}
        out["then"] = {"$comment": _comment(value), "enum": enum, "errorMessage": value_message}
    elif value_on and enum is not None:
        out["enum"] = enum
    if types != set(_ALL_TYPES) and "enum" not in out:  # an enum already says it all
        out["type"] = [t for t in _ALL_TYPES if t in types]
    patterns: list[tuple[str, str, Rule]] = []
    if blank_on and "enum" not in out:
        # a value pattern that accepts blank text (AL306's) needs the non-blank one as well
        if not (value_on and pattern is not None and not re.search(pattern, " ")):
            what = "is required: null or blank counts as missing" if blank.code in ("AL301", "AL504") else "must not be blank"
            patterns.append((_NOT_BLANK, f"{name} {what} [{blank.code}]", blank))
    if value_on and pattern is not None:
        patterns.append((pattern if blank_on else f"{_BLANK}|{pattern}", value_message, value))
    if patterns:  # one pattern per schema: the others go in allOf
        out["pattern"], out["patternErrorMessage"], _ = patterns[0]
        if len(patterns) > 1:
            out["allOf"] = [
                {"$comment": _comment(rule), "pattern": p, "patternErrorMessage": m} for p, m, rule in patterns[1:]
            ]
    if value_on and value_message and "enum" in out:
        out["errorMessage"] = value_message
    codes = [r for r, on in ((blank, blank_on), (kind_rule, kind_on), (value, value_on)) if on]
    if codes:
        out["$comment"] = _comment(*dict.fromkeys(codes))
    return out


def _with_docs(kind: str, path: tuple, schema: dict) -> dict:
    return {**_docs(kind, path), **schema}


# --------------------------------------------------------------------------- legacy keys


def _split(path: str) -> list[str]:
    out = []
    for part in path.split("."):
        if part.endswith("[]"):
            out.extend((part[:-2], "[]"))
        else:
            out.append(part)
    return out


def _concrete(parts) -> tuple:
    return tuple(0 if p == "[]" else p for p in parts)


def _legacy_specs(kind: str, config: Config) -> list[LegacyKey]:
    base = MATRIX_LEGACY if kind == "matrix" else MANIFEST_LEGACY
    extras = config.extra_matrix_legacy_keys if kind == "matrix" else config.extra_legacy_keys
    custom = [
        LegacyKey(AL100, path, "listed as legacy in the configuration", "", replacement)
        for path, replacement in sorted(extras.items())
    ]
    return [*base, *custom]


def _legacy_message(spec: LegacyKey, kind: str) -> str:
    key = _split(spec.path)[-1]
    if spec.rule.code == "AL501":
        text = f"legacy field '{key}' is no longer supported in E2E matrix ('{spec.path}'); delete it"
    elif spec.rule.code == "AL502":
        text = f"legacy field '{spec.path}' was removed from the E2E matrix and is silently ignored; delete it"
    else:
        text = spec.message(spec.path)
    return f"{text} [{spec.rule.code}]"


def _legacy_schema(spec: LegacyKey, kind: str, asserted: bool, config: Config) -> dict:
    parts = _split(spec.path)
    info = contract.describe(kind, _concrete(parts)) if spec.rule is not AL100 else None
    if info is not None and info.legacy:
        docs = {"description": info.summary, "markdownDescription": info.markdown}
    else:
        where = f" in {config.source}" if config.source else " in the configuration"
        docs = {
            "description": f"Legacy ({spec.rule.code}): listed as legacy{where}; replaced by {spec.replaced_by}",
            "markdownDescription": f"**Legacy** ({spec.rule.code}): `{spec.path}` is listed as legacy{where}.\n\n"
            f"**Replaced by:** {spec.replaced_by}.\n\n[{spec.rule.code}]({spec.rule.url})",
        }
    out = {
        "$comment": _comment(spec.rule) + (" (asserted)" if asserted else " (annotation only: not an error)"),
        **docs,
        "deprecated": True,
        "deprecationMessage": _legacy_message(spec, kind),
        "doNotSuggest": True,
    }
    if asserted:
        out["not"] = {}
    return out


def _place(root: dict, parts: list[str]) -> dict:
    """The schema for ``parts`` under ``root``, creating empty (accept-anything) levels."""
    node = root
    for part in parts:
        if part == "[]":
            node = node.setdefault("items", {})
        else:
            node = node.setdefault("properties", {}).setdefault(part, {})
    return node


def _add_legacy(root: dict, kind: str, rules: _Rules) -> dict[tuple, set[str]]:
    """Put every legacy key at its contract position; returns the legacy key names per
    container path (for ``propertyNames``)."""
    names: dict[tuple, set[str]] = {}
    for spec in _legacy_specs(kind, rules.config):
        parts = _split(spec.path)
        if parts[-1] == "[]" or not rules.enabled(spec.rule):
            continue
        names.setdefault(tuple(parts[:-1]), set()).add(parts[-1])
        node = _place(root, parts)
        node.update(_legacy_schema(spec, kind, rules.on(spec.rule), rules.config))
    if kind == "matrix" and rules.enabled(AL503):
        node = _place(root, ["matrix", "[]", "esb_env"])
        info = contract.describe("matrix", ("matrix", 0, "esb_env"))
        node.update(
            {
                "$comment": _comment(AL503) + (" (asserted)" if rules.on(AL503) else " (annotation only: not an error)"),
                "description": info.summary,
                "markdownDescription": info.markdown,
                "deprecated": True,
                "deprecationMessage": "'esb_env' was renamed to 'env'; an entry with only 'esb_env' is skipped by the runner [AL503]",
                "doNotSuggest": True,
            }
        )
        if rules.on(AL503):
            node["not"] = {}
        names.setdefault(("matrix", "[]"), set()).add("esb_env")
    return names


def _property_names(schema: dict, known, legacy_names: set[str], rules: _Rules) -> None:
    """AL308 made an error by the configuration: only contract (and legacy) keys."""
    if rules.on(AL308):
        schema["propertyNames"] = {
            "$comment": _comment(AL308),
            "enum": sorted({*known, *legacy_names, "<<"}),
        }


# --------------------------------------------------------------------------- manifest

_RUNTIME_CONFIG_DIR = (
    # AL306, the part a regex can say: not absolute, not "." (after "./" folding), not "..[/...]"
    r"^(?!\s*/)(?!\s*\.(?:/+\.)*/*\s*$)(?!\s*\.\.(?:/|\s*$))"
)


def manifest_schema(config: Config | None = None) -> dict:
    """The JSON Schema of ``artifact.yml`` (schema_version "1")."""
    config = config or Config()
    rules = _Rules(config)
    k = "manifest"

    entry_props = {
        "artifact_root": _with_docs(k, ("artifacts", 0, "artifact_root"), _scalar(rules, "artifact_root", blank=AL301, kind_rule=AL303)),
        "runtime_config_dir": _with_docs(
            k,
            ("artifacts", 0, "runtime_config_dir"),
            _scalar(
                rules,
                "runtime_config_dir",
                blank=AL301,
                kind_rule=AL303,
                pattern=_RUNTIME_CONFIG_DIR,
                value=AL306,
                value_message="runtime_config_dir is relative to artifact_root: not absolute, not '.', and it must not escape the root [AL306]",
            ),
        ),
    }
    template: dict = _docs(k, ("artifacts", 0, "source_template"))
    if rules.on(AL307):
        template["type"] = ["object", "null"]
        template["$comment"] = _comment(AL307)
    path = _scalar(rules, "source_template.path", blank=AL307, kind_rule=AL303)
    if rules.on(AL307):  # the regeneration check wants a real string: a number is "blank"
        path["type"] = [t for t in path.get("type", _ALL_TYPES) if t not in ("number", "boolean")]
    template["properties"] = {
        "path": _with_docs(k, ("artifacts", 0, "source_template", "path"), path),
        "sha256": _with_docs(
            k,
            ("artifacts", 0, "source_template", "sha256"),
            _scalar(
                rules,
                "source_template.sha256",
                blank=AL307,
                kind_rule=AL303,
                pattern=f"^(?:{_anchored_core(SHA256.pattern)})$",  # not stripped: the regeneration check does not strip
                value=AL307,
                value_message="sha256 must be 64 lowercase hex characters [AL307]",
                strings_only=True,
            ),
        ),
    }
    entry_props["source_template"] = template
    entry: dict = {}
    if rules.on(AL305):
        entry["type"] = "object"
    if rules.on(AL301):
        entry["required"] = ["artifact_root", "runtime_config_dir"]
    entry["properties"] = entry_props
    codes = [r for r in (AL305, AL301) if rules.on(r)]
    if codes:
        entry["$comment"] = _comment(*codes)

    artifacts = _docs(k, ("artifacts",))
    if rules.on(AL305):
        artifacts.update({"$comment": _comment(AL305), "type": "array", "minItems": 1})
    artifacts["items"] = entry

    generated_at = _docs(k, ("generated_at",))
    generator = _docs(k, ("generator",))
    generator["properties"] = {name: _docs(k, ("generator", name)) for name in GENERATOR_KEYS}
    if rules.on(AL309):
        generated_at.update(
            _scalar(
                rules,
                "generated_at",
                pattern=_stripped(_anchored_core(RFC3339_UTC.pattern)),
                value=AL309,
                value_message='generated_at must be an RFC 3339 UTC time such as "2026-02-27T18:28:02Z" [AL309]',
                strings_only=True,
            )
        )
    else:
        generated_at["examples"] = ["2026-02-27T18:28:02Z"]
    if rules.on(AL310):
        # the Go reader decodes producer metadata into strings and a struct (AL310)
        generated_at["type"] = ["string", "null"]
        generated_at["$comment"] = _comment(*(r for r in (AL309, AL310) if rules.on(r) or r is AL310))
        generator.update({"$comment": _comment(AL310), "type": ["object", "null"]})
        for name in GENERATOR_KEYS:
            generator["properties"][name].update({"$comment": _comment(AL310), "type": ["string", "null"]})

    props = {
        "schema_version": _with_docs(
            k,
            ("schema_version",),
            _scalar(
                rules,
                "schema_version",
                blank=AL301,
                kind_rule=AL302,
                enum=["1", 1],
                value=AL302,
                value_message='unsupported schema_version (supported: "1") [AL302]',
            ),
        ),
        "project": _with_docs(k, ("project",), _scalar(rules, "project", blank=AL301, kind_rule=AL303)),
        "env": _with_docs(k, ("env",), _scalar(rules, "env", blank=AL301, kind_rule=AL303)),
        "mode": _with_docs(
            k,
            ("mode",),
            _scalar(
                rules,
                "mode",
                blank=AL301,
                kind_rule=AL303,
                enum=list(MODES),
                value=AL304,
                value_message='unsupported mode (supported: "docker", "containerd"; firecracker is a containerd runtime, not a mode) [AL304]',
            ),
        ),
        "artifacts": artifacts,
        "generated_at": generated_at,
        "generator": generator,
        "merge_policy": _docs(k, ("merge_policy",)),
    }
    assert tuple(props) == TOP_KEYS and tuple(entry_props) == ENTRY_KEYS
    assert tuple(template["properties"]) == TEMPLATE_KEYS

    required = [name for name in ("schema_version", "project", "env", "mode") if rules.on(AL301)]
    if rules.on(AL305):
        required.append("artifacts")
    root: dict = {
        "$schema": DRAFT,
        "title": 'ESB deploy artifact manifest (artifact.yml, schema_version "1")',
        "description": (
            f"Generated by artifact-lsp {__version__} from its rules (`artifact-lsp schema`). The "
            "linter is authoritative: it also checks what a schema cannot (files on disk, template "
            "hashes, duplicate keys)."
        ),
        "$comment": _root_comment(config, "manifest"),
    }
    if rules.on(AL305):
        root["type"] = "object"
    if required:
        root["required"] = required
    root["properties"] = props
    legacy_names = _add_legacy(root, k, rules)
    _property_names(root, TOP_KEYS, legacy_names.get((), set()), rules)
    _property_names(entry, ENTRY_KEYS, legacy_names.get(("artifacts", "[]"), set()), rules)
    _property_names(template, TEMPLATE_KEYS, legacy_names.get(("artifacts", "[]", "source_template"), set()), rules)
    if rules.on(AL201):
        segments = config.forbidden_segments
        shown = ", ".join(f"'{s}/'" for s in segments)
        root["allOf"] = [{"$ref": "#/definitions/anyValue"}]
        root["definitions"] = {
            "anyValue": {
                "$comment": _comment(AL201) + ": every string value, under any key, at any depth",
                "pattern": _segment_pattern(segments),
                "patternErrorMessage": f"points into {shown}, which is outside the contract since 2026-02-20; deploy must not use it [AL201]",
                "additionalProperties": {"$ref": "#/definitions/anyValue"},
                "items": {"$ref": "#/definitions/anyValue"},
            }
        }
    return root


# --------------------------------------------------------------------------- matrix

_MATRIX_ENTRY_KEYS = ("env", "artifact_manifest", "suites", "esb_project", "env_dir", "env_file")


def matrix_schema(config: Config | None = None) -> dict:
    """The JSON Schema of ``e2e/environments/test_matrix.yaml``."""
    config = config or Config()
    rules = _Rules(config)
    k = "matrix"
    entry_props = {name: _docs(k, ("matrix", 0, name)) for name in _MATRIX_ENTRY_KEYS}
    # the engine has no rule for a missing env or suites (only esb_env, AL503): not required here
    entry_props["artifact_manifest"].update(_scalar(rules, "artifact_manifest", blank=AL504, kind_rule=AL504))
    entry: dict = {}
    if rules.on(AL506):
        entry.update({"$comment": _comment(AL506), "type": "object"})
    if rules.on(AL504):
        entry["required"] = ["artifact_manifest"]
        entry["$comment"] = _comment(*(r for r in (AL506, AL504) if rules.on(r)))
    entry["properties"] = entry_props
    matrix = _docs(k, ("matrix",))
    if rules.on(AL506):
        matrix.update({"$comment": _comment(AL506), "type": "array"})
    matrix["items"] = entry
    suite = {name: _docs(k, ("suites", "<name>", name)) for name in ("description", "targets", "exclude")}
    suites = {**_docs(k, ("suites",)), "additionalProperties": {**_docs(k, ("suites", "x")), "properties": suite}}
    root: dict = {
        "$schema": DRAFT,
        "title": "ESB E2E test matrix (e2e/environments/test_matrix.yaml)",
        "description": (
            f"Generated by artifact-lsp {__version__} from its rules (`artifact-lsp schema --matrix`). "
            "The linter also checks that every artifact_manifest exists and every suite is defined."
        ),
        "$comment": _root_comment(config, "matrix"),
    }
    if rules.on(AL506):
        root.update({"type": "object", "required": ["matrix"]})
    root["properties"] = {"matrix": matrix, "suites": suites}
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
    """``kind``: ``manifest`` / ``json`` (same keys) or ``matrix``."""
    if kind == "matrix":
        return matrix_schema(config)
    if kind in ("manifest", "json"):
        return manifest_schema(config)
    raise ValueError(f"unknown kind {kind!r}")


def dumps(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
