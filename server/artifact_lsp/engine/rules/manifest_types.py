"""Manifest values as each of ESB's gates types them (docs/gates.md says which rule mirrors which gate).

- the Go deploy reader decodes ``generated_at`` and ``generator{name,version}`` into Go strings
  and a struct: a mapping, a list or a non-mapping ``generator`` fails (AL310);
- the esb-ctl Python reader ``str()``-s every field after YAML 1.1 typing (AL311, in
  ``yamltypes``), and fails on tags yaml.v3 cannot decode into a string either (AL005);
- the regeneration check wants ``source_template.path``/``sha256`` as real strings (an
  unquoted number is "blank") and matches ``sha256`` without stripping it (AL307);
- none of them is Windows-aware: ``C:\\x`` is a relative folder name to all of them (AL313).
"""

from __future__ import annotations

import re

from ..model import QuoteValue, Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence, deref
from . import yamltypes
from .base import Context, value_span
from .shape import AL307, SHA256, lookup, relative_path_problem

_M = ("manifest", "json")

AL310 = Rule(
    "AL310", "producer-metadata-type", Severity.ERROR,
    "`generated_at`, `generator.name` or `generator.version` is not a string, or `generator` not a mapping.",
    "The Go deploy reader decodes producer metadata into a string and a struct of two strings: "
    "`generator: 5` fails with ``cannot unmarshal !!int `5` into artifactcore.ArtifactGenerator``, "
    "and a mapping or list where a string belongs with `cannot unmarshal !!map into string`. The "
    "producer writes these values quoted, so an unquoted timestamp, boolean or number is a hand "
    "edit; quote it (the fix does, where the text is the value). `null` is allowed (the field "
    "is then empty). Format advice (an RFC 3339 time) is AL309.",
    fix="Quotes an unquoted scalar value.", files=_M,
)
AL313 = Rule(
    "AL313", "windows-path", Severity.WARNING,
    "A path in the manifest looks like a Windows path (`C:\\x`, `C:/x`, `\\\\server\\share`, backslashes).",
    "ESB's readers are POSIX programs (the Go reader's `filepath` and the Python reader's `Path` on "
    "Linux): for them `C:\\x` is not absolute but one relative folder named `C:\\x` inside the "
    "artifact root, and a backslash is an ordinary character, not a separator. So the manifest is "
    "accepted, but the folder it names is almost certainly not the one meant. Write a relative "
    "path with `/`. (It is a warning, not AL306's error: no gate rejects it.)",
    files=_M,
)

RULES = (AL310, AL313)

_WINDOWS = re.compile(r"^([A-Za-z]:[\\/]|\\\\)|\\")


def _go_only_tag_problem(node: Scalar) -> str | None:
    """yaml.v3's complaint about ``node``'s tag when PyYAML can read it (else AL005 is reported already)."""
    problem = yamltypes.go_tag_problem(node)
    if problem is None:
        return None
    try:
        yamltypes.python_value(node)
    except yamltypes.Unreadable:
        return None
    return problem


def check(ctx: Context) -> None:
    root = ctx.root
    if type(root) is not Mapping:
        return
    for name in ("schema_version", "project", "env", "mode"):
        pair = lookup(root, name)
        if pair is not None:
            _string_field(ctx, root, pair, name, _schema_consequence if name == "schema_version" else None)
    _producer(ctx, root)
    pair = lookup(root, "artifacts")
    artifacts = deref(pair[1]) if pair else None
    if type(artifacts) is not Sequence:
        return
    for i, item in enumerate(artifacts.items):
        entry = deref(item)
        if type(entry) is Mapping:
            _entry(ctx, entry, f"artifacts[{i}]")


def _schema_consequence(read: str) -> str | None:
    read = read.strip()
    return None if read == "1" else f'unsupported schema_version: "{read}" (supported: "1")'


def _string_field(ctx: Context, mapping, pair, label: str, consequence=None) -> None:
    key, value = pair
    node = deref(value)
    if type(node) is not Scalar:
        return
    problem = _go_only_tag_problem(node)
    if problem is not None:
        tag = yamltypes.short_tag(node.tag)
        ctx.report(
            yamltypes.AL005,
            f"{label}: the Go deploy reader cannot decode the tag '{tag}' here: \"{problem}\"",
            value.start, value.end,
        )
        return
    yamltypes.typed_string(ctx, mapping, key, value, label, consequence)


def _entry(ctx: Context, entry: Mapping, prefix: str) -> None:
    for name in ("artifact_root", "runtime_config_dir"):
        pair = lookup(entry, name)
        if pair is None:
            continue
        label = f"{prefix}.{name}"
        consequence = (lambda read, label=label: f"{label} {relative_path_problem(read)}" if relative_path_problem(read) else None)
        _string_field(ctx, entry, pair, label, consequence if name == "runtime_config_dir" else None)
        _windows(ctx, pair, label)
    pair = lookup(entry, "source_template")
    template = deref(pair[1]) if pair else None
    if type(template) is not Mapping:
        return
    tprefix = f"{prefix}.source_template"
    for name in ("path", "sha256"):
        pair = lookup(template, name)
        if pair is None:
            continue
        _template_value(ctx, template, pair, f"{tprefix}.{name}", name)


def _template_value(ctx: Context, template: Mapping, pair, label: str, name: str) -> None:
    key, value = pair
    node = deref(value)
    if type(node) is not Scalar or node.is_null():
        return  # collections: AL303; null or blank: AL307 already
    problem = _go_only_tag_problem(node)
    if problem is not None:
        ctx.report(yamltypes.AL005, f"{label}: the Go deploy reader cannot decode the tag '{yamltypes.short_tag(node.tag)}' here: \"{problem}\"", value.start, value.end)
        return
    try:
        read = yamltypes.python_value(node)
    except yamltypes.Unreadable:
        return  # AL005
    if not isinstance(read, str):
        if name == "sha256" and not SHA256.match(node.value.strip()):
            return  # not hex whatever the type: shape's AL307 says so
        message = (
            f"{label} must not be blank: the regeneration check reads the unquoted "
            f"`{ctx.text[node.start:node.end] if type(value) is Scalar else node.value}` as {yamltypes.describe_python(read)}, "
            f"not a string"
        )
        if name == "sha256" and str(read) != node.value:
            message += f", and the esb-ctl reader says \"{label} must be 64 lowercase hex characters\""
        plan = QuoteValue(template, key, node) if type(value) is Scalar and yamltypes._quotable(node) else None
        ctx.report(AL307, message + "; quote it", value.start, value.end, plan=plan)
        return
    if name == "sha256" and read.strip() and read != read.strip() and SHA256.match(read.strip()):
        ctx.report(
            AL307,
            f"{label} must be 64 lowercase hex characters without surrounding blanks: the regeneration "
            f"check matches it without stripping (the deploy readers strip it first)",
            *value_span(key, value),
        )


def _windows(ctx: Context, pair, label: str) -> None:
    key, value = pair
    node = deref(value)
    if type(node) is not Scalar or node.is_null() or not _WINDOWS.search(node.value.strip()):
        return
    ctx.report(
        AL313,
        f"{label} '{node.value.strip()}' looks like a Windows path: ESB's readers are POSIX and read "
        f"it as a relative name with '\\' as an ordinary character (not a drive or separator); "
        f"write a relative path with '/'",
        *value_span(key, value),
    )


def _producer(ctx: Context, root: Mapping) -> None:
    pair = lookup(root, "generated_at")
    if pair is not None:
        _metadata_string(ctx, root, pair, "generated_at")
    pair = lookup(root, "generator")
    if pair is None:
        return
    key, value = pair
    generator = deref(value)
    if type(generator) is Scalar and generator.is_null():
        return
    if type(generator) is not Mapping:
        if type(generator) is Scalar:
            kind = yamltypes.short_tag(generator.resolved_tag())
            what = f"{kind} `{generator.value}`"
        else:
            what = "!!seq"
        ctx.report(
            AL310,
            f"generator must be a mapping of name and version: the Go deploy reader fails with "
            f"\"cannot unmarshal {what} into artifactcore.ArtifactGenerator\"",
            *value_span(key, value),
        )
        return
    for name in ("name", "version"):
        sub = lookup(generator, name)
        if sub is not None:
            _metadata_string(ctx, generator, sub, f"generator.{name}")


def _metadata_string(ctx: Context, mapping, pair, label: str) -> None:
    key, value = pair
    node = deref(value)
    if type(node) in (Mapping, Sequence):
        kind = "!!map" if type(node) is Mapping else "!!seq"
        ctx.report(AL310, f"{label} must be a string: the Go deploy reader fails with \"cannot unmarshal {kind} into string\"", *value_span(key, value))
        return
    if type(node) is not Scalar or node.is_null() or node.resolved_tag() == yamltypes.STR:
        return
    problem = _go_only_tag_problem(node)
    if problem is not None:
        ctx.report(yamltypes.AL005, f"{label}: the Go deploy reader cannot decode the tag '{yamltypes.short_tag(node.tag)}' here: \"{problem}\"", value.start, value.end)
        return
    try:
        read = yamltypes.python_value(node)
    except yamltypes.Unreadable:
        return  # AL005
    if isinstance(read, str):
        return
    written = ctx.text[node.start : node.end] if type(value) is Scalar else node.value
    plan = QuoteValue(mapping, key, node) if type(value) is Scalar and yamltypes._quotable(node) and node.tag in (None, "!") else None
    ctx.report(
        AL310,
        f"{label} must be a string: unquoted `{written}` is {yamltypes.describe_python(read).replace('the ', 'a ', 1)} "
        f"in YAML, and the producer writes it as a quoted string; quote it",
        value.start, value.end, plan=plan,
    )
