"""AL310, AL311, AL313 (and AL005 for the Go reader's tags): manifest values as each of ESB's
gates types them. docs/gates.md says which rule mirrors which gate.

- the Go deploy reader decodes the producer metadata (``spec.GENERATED_AT``, ``spec.GENERATOR``)
  into a string and a struct of two strings: a mapping, a list or a non-mapping generator fails
  (AL310), and it cannot decode a core tag its YAML 1.2 reading disagrees with (AL005);
- the esb-ctl Python reader ``str()``-s every field after YAML 1.1 typing: an unquoted ``0755``
  is "493" to it and "0755" to the Go reader (AL311);
- none of them is Windows-aware: ``C:\\x`` is a relative folder name to all of them (AL313).

The keys come from ``spec.KEYS`` through the shape rules' facts (``al3xx_shape.facts``).
"""

from __future__ import annotations

import re

from .. import keypath, spec
from ..model import QuoteValue, Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence
from . import al0xx_yaml
from .al0xx_yaml import AL005
from .al3xx_shape import facts, relative_path_problem
from .base import Context, check, value_span

_M = ("manifest", "json")
_AT, _GEN = spec.GENERATED_AT, spec.GENERATOR
_GEN_KEYS = [keypath.leaf(k.path) for k in spec.KEYS if k.path.startswith(_GEN + ".")]
_SV = spec.SCHEMA_VERSION
_PATHS = (spec.ARTIFACT_ROOT, spec.RUNTIME_CONFIG_DIR)
_TEXT_KEYS = [k.path for k in spec.KEYS if k.type == "text"]
# the text keys whose wrong scalar types other rules report: producer metadata (AL310) and the
# template's path and sha256 (the regeneration check, AL307)
_OWN_RULE = {k.path for k in spec.KEYS if k.rules.get("type") == "AL310"} | {spec.TEMPLATE_PATH, spec.TEMPLATE_SHA256}
_OWN_META = [k for k in _OWN_RULE if k.startswith((_AT, _GEN + "."))]  # AL310's scalar keys
_PLAIN_TEXT = [k for k in _TEXT_KEYS if k not in _OWN_RULE]  # AL311's keys

AL310 = Rule(
    "AL310",
    "producer-metadata-type",
    Severity.ERROR,
    f"`{_AT}`, {' or '.join(f'`{_GEN}.{k}`' for k in _GEN_KEYS)} is not a string, or `{_GEN}` not a mapping.",
    "The Go deploy reader decodes producer metadata into a string and a struct of two strings: "
    f"`{_GEN}: 5` fails with ``cannot unmarshal !!int `5` into artifactcore.ArtifactGenerator``, "
    "and a mapping or list where a string belongs with `cannot unmarshal !!map into string`. The "
    "producer writes these values quoted, so an unquoted timestamp, boolean or number is a hand "
    "edit; quote it (the fix does, where the text is the value). `null` is allowed (the field "
    "is then empty). Format advice (an RFC 3339 time) is AL309.",
    fix="Quotes an unquoted scalar value.",
    files=_M,
)
AL311 = Rule(
    "AL311",
    "yaml11-typed-value",
    Severity.ERROR,
    "A string field whose unquoted value YAML 1.1 reads as another type, so the Python reader sees other text.",
    "The esb-ctl reader (PyYAML, YAML 1.1) turns every field into a string with `str()` after "
    'reading it: an unquoted `0755` is the octal integer 493 (`"493"`), `1.10` the float 1.1, '
    f'`yes`/`on` the boolean True (`"True"`), `!!float 1` the float 1.0 (`unsupported {_SV}: '
    '"1.0"`). The Go reader keeps the text. Quote the value so both read the same string.',
    fix="Quotes the value (same text, now a string for every reader).",
    files=_M,
)
AL313 = Rule(
    "AL313",
    "windows-path",
    Severity.WARNING,
    "A path in the manifest looks like a Windows path (`C:\\x`, `C:/x`, `\\\\server\\share`, backslashes).",
    "ESB's readers are POSIX programs (the Go reader's `filepath` and the Python reader's `Path` on "
    "Linux): for them `C:\\x` is not absolute but one relative folder named `C:\\x` inside the "
    "artifact root, and a backslash is an ordinary character, not a separator. So the manifest is "
    "accepted, but the folder it names is almost certainly not the one meant. Write a relative "
    "path with `/`. (A warning, not AL306's error: no gate rejects it.)",
    files=_M,
)

RULES = (AL310, AL311, AL313)

_WINDOWS = re.compile(r"^([A-Za-z]:[\\/]|\\\\)|\\")


def _facts(ctx: Context, paths) -> list:
    table = facts(ctx)
    return [fact for path in paths for fact in table.get(path, ()) if fact.pair is not None]


def _written(ctx: Context, fact) -> str:
    node = fact.value
    return ctx.text[node.start : node.end] if type(fact.pair[1]) is Scalar else node.value


def _quote_plan(fact):
    node = fact.value
    return (
        QuoteValue(fact.mapping, fact.pair[0], node)
        if type(fact.pair[1]) is Scalar and al0xx_yaml.quotable(node)
        else None
    )


def _readable(node):
    """(True, value) when PyYAML reads ``node``; (False, None) when it cannot (AL005)."""
    try:
        return True, al0xx_yaml.python_value(node)
    except al0xx_yaml.Unreadable:
        return False, None


# ----------------------------------------------------------------------------- AL005 (Go)


@check(AL005, files=_M)
def go_reader_tags(ctx: Context) -> None:
    """A core tag yaml.v3 cannot decode into a string field PyYAML reads fine (``!!bool yes``)."""
    for fact in _facts(ctx, _TEXT_KEYS):
        node = fact.value
        if type(node) is not Scalar or node.tag is None:  # (no tag, no problem)
            continue
        problem = al0xx_yaml.go_tag_problem(node)
        if problem is not None and node.tag is not None and _readable(node)[0]:  # (a problem has a tag)
            tag = al0xx_yaml.short_tag(node.tag)
            ctx.report(
                AL005,
                f"{fact.where}: the Go deploy reader cannot decode the tag '{tag}' here: \"{problem}\"",
                fact.pair[1].start,
                fact.pair[1].end,
            )


# ----------------------------------------------------------------------------- AL310


@check(AL310)
def producer_metadata_type(ctx: Context) -> None:
    for fact in _facts(ctx, [_GEN]):
        node = fact.value
        if type(node) is Mapping or (type(node) is Scalar and node.is_null()):
            continue
        what = f"{al0xx_yaml.short_tag(node.resolved_tag())} `{node.value}`" if type(node) is Scalar else "!!seq"
        ctx.report(
            AL310,
            f"{fact.where} {fact.key.problem}: the Go deploy reader fails with "
            f'"cannot unmarshal {what} into artifactcore.ArtifactGenerator"',
            *fact.span,
        )
    for fact in _facts(ctx, _OWN_META):
        node = fact.value
        if type(node) in (Mapping, Sequence):
            kind = "!!map" if type(node) is Mapping else "!!seq"
            ctx.report(
                AL310,
                f'{fact.where} must be a string: the Go deploy reader fails with "cannot unmarshal {kind} into string"',
                *fact.span,
            )
            continue
        if type(node) is not Scalar or node.is_null() or node.resolved_tag() == al0xx_yaml.STR:
            continue
        ok, read = _readable(node)
        if not ok or isinstance(read, str) or al0xx_yaml.go_tag_problem(node):
            continue  # AL005
        plan = _quote_plan(fact) if node.tag in (None, "!") else None
        ctx.report(
            AL310,
            f"{fact.where} must be a string: unquoted `{_written(ctx, fact)}` is "
            f"{al0xx_yaml.describe_python(read).replace('the ', 'a ', 1)} in YAML, and the producer writes "
            f"it as a quoted string; quote it",
            fact.pair[1].start,
            fact.pair[1].end,
            plan=plan,
        )


# ----------------------------------------------------------------------------- AL311


def _consequence(fact, read: str) -> str | None:
    """What the esb-ctl reader then says about the text it read."""
    read = read.strip()
    if fact.key.path == _SV:
        return (
            None
            if read == spec.MANIFEST_SCHEMA_VERSION
            else f'unsupported {_SV}: "{read}" (supported: "{spec.MANIFEST_SCHEMA_VERSION}")'
        )
    if fact.key.check == "relative-inside":
        problem = relative_path_problem(read)
        return f"{fact.where} {problem}" if problem else None
    return None


@check(AL311)
def yaml11_typed_value(ctx: Context) -> None:
    for fact in _facts(ctx, _PLAIN_TEXT):
        node = fact.value
        if type(node) is not Scalar:
            continue
        resolved = node.resolved_tag()
        if resolved == al0xx_yaml.STR or resolved == al0xx_yaml.NULL:
            continue
        ok, read = _readable(node)
        if not ok or isinstance(read, str) or str(read) == node.value or al0xx_yaml.go_tag_problem(node):
            continue
        message = (
            f"{fact.where}: the esb-ctl reader (PyYAML, YAML 1.1) reads `{_written(ctx, fact)}` as "
            f'{al0xx_yaml.describe_python(read)}, the Go reader as "{node.value}"'
        )
        extra = _consequence(fact, str(read))
        if extra:
            message += f", so it says {extra}"
        ctx.report(AL311, message + "; quote it", fact.pair[1].start, fact.pair[1].end, plan=_quote_plan(fact))


# ----------------------------------------------------------------------------- AL313


@check(AL313)
def windows_path(ctx: Context) -> None:
    for fact in _facts(ctx, _PATHS):
        node = fact.value
        if type(node) is not Scalar or node.is_null() or not _WINDOWS.search(node.value.strip()):
            continue
        ctx.report(
            AL313,
            f"{fact.where} '{node.value.strip()}' looks like a Windows path: ESB's readers are POSIX and "
            f"read it as a relative name with '\\' as an ordinary character (not a drive or separator); "
            f"write a relative path with '/'",
            *value_span(*fact.pair),
        )
