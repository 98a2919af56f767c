"""The contract's shape (schema_version "1"), with the upstream validator's wording."""

from __future__ import annotations

import posixpath
import re

from ..model import Rule, Severity
from ..yamlmodel import Alias, Mapping, Scalar, Sequence, deref, merged_pairs
from .base import Context, head_span, is_blank_or_null, value_span

_M = ("manifest", "json")

AL301 = Rule(
    "AL301", "missing-required-key", Severity.ERROR,
    "A required key is missing, null or blank (`schema_version`, `project`, `env`, `mode`, `artifact_root`, `runtime_config_dir`).",
    "The deploy tool refuses the manifest with `<key> is required`. `null` counts as missing, and so "
    "does a string of spaces.", files=_M,
)
AL302 = Rule(
    "AL302", "unsupported-schema-version", Severity.ERROR,
    '`schema_version` must be `"1"` (the integer `1` is accepted too).',
    "Any other value is an unsupported major version: `unsupported schema_version: \"2\" (supported: \"1\")`.",
    files=_M,
)
AL303 = Rule(
    "AL303", "not-a-string", Severity.ERROR,
    "A key that must hold a string holds a mapping or a list.",
    "`project`, `env`, `mode`, `artifact_root`, `runtime_config_dir`, `source_template.path` and "
    "`source_template.sha256` are strings.", files=_M,
)
AL304 = Rule(
    "AL304", "invalid-mode", Severity.ERROR,
    "`mode` is `docker` or `containerd` (firecracker is a containerd runtime, not a mode).",
    "Only two modes exist. `firecracker` runs under `containerd` (set the containerd runtime), so "
    "`mode: firecracker` is an error.", files=_M,
)
AL305 = Rule(
    "AL305", "invalid-artifacts", Severity.ERROR,
    "The manifest is a mapping and `artifacts` a non-empty list of mappings.",
    "`artifacts[]` holds at least one entry; its order is the deploy and merge order. Upstream "
    "wording: `artifacts must contain at least one entry`.", files=_M,
)
AL306 = Rule(
    "AL306", "invalid-runtime-config-dir", Severity.ERROR,
    "`runtime_config_dir` is relative to `artifact_root`, not `.`, and does not escape it.",
    "After lexical normalisation (`a/../b` is `b`) the path must not be absolute, must not be `.` "
    "and must not start with `..` (`..`, `../x`, `a/../../x` all escape the artifact root). "
    "Absolute means starting with `/`: ESB's readers are POSIX, so `C:\\x` or `\\\\server\\share` "
    "is a relative name to them, not an error (AL313 warns about it).",
    files=_M,
)
AL307 = Rule(
    "AL307", "invalid-source-template", Severity.ERROR,
    "`source_template` is a mapping; `path` not blank; `sha256` 64 lowercase hex characters.",
    "`source_template` is optional and checked only when present: `path must not be blank`, "
    "`sha256 must not be blank`, `sha256 must be 64 lowercase hex characters`.", files=_M,
)
AL308 = Rule(
    "AL308", "unknown-key", Severity.INFO,
    "A key the contract does not define (the deploy tool ignores it).",
    "Unknown keys are ignored on purpose (forward compatibility), which is exactly why a typo or a "
    "stale key goes unnoticed. A top-level `id` or a `parameters` outside `source_template` is "
    "reported here, not as a legacy key.", files=_M,
)
AL309 = Rule(
    "AL309", "invalid-producer-metadata", Severity.WARNING,
    "`generated_at` is an RFC 3339 UTC time such as `\"2026-02-27T18:28:02Z\"`.",
    "Producer metadata is optional and no reader checks its format, but the producer writes "
    '`generated_at: "2026-02-27T18:28:02Z"` (UTC, quoted). This is format advice; a value of '
    "the wrong type (a mapping, a list, an unquoted timestamp) or a `generator` that is not a "
    "mapping of `name` and `version` strings is an error, AL310.", files=_M,
)

RULES = (AL301, AL302, AL303, AL304, AL305, AL306, AL307, AL308, AL309)

TOP_KEYS = ("schema_version", "project", "env", "mode", "artifacts", "generated_at", "generator", "merge_policy")
ENTRY_KEYS = ("artifact_root", "runtime_config_dir", "source_template")
TEMPLATE_KEYS = ("path", "sha256")
GENERATOR_KEYS = ("name", "version")
MODES = ("docker", "containerd")
SHA256 = re.compile(r"^[a-f0-9]{64}$")
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?[Zz]$", re.ASCII)  # ASCII digits only
_ABS = re.compile(r"^/")  # ESB's readers are POSIX: `C:\x` is a relative name (AL313 warns)


def lookup(mapping: Mapping, name: str):
    """(key, value) for ``name`` in ``mapping``, following ``<<`` merges; None if absent."""
    pair = mapping.get_pair(name)
    if pair is not None or not mapping.has_merge:
        return pair
    for key, value, _via in merged_pairs(mapping):
        if key.value == name:
            return key, value
    return None


def check(ctx: Context) -> None:
    root = ctx.root
    if root is None or (type(root) is Scalar and root.is_null() and not root.value):
        ctx.report(AL305, "the manifest is empty: it must be a mapping with schema_version, project, env, mode and artifacts", 0, 0)
        return
    if type(root) is not Mapping:
        start, end = head_span(root)
        ctx.report(AL305, "the manifest must be a mapping (schema_version, project, env, mode, artifacts)", start, end)
        return
    anchor = head_span(root)
    legacy_keys = ctx.legacy_keys

    pair = lookup(root, "schema_version")
    if pair is None or is_blank_or_null(pair[1]):
        _missing(ctx, "schema_version is required", pair, anchor)
    else:
        value = deref(pair[1])
        if type(value) is not Scalar:
            ctx.report(AL302, "schema_version must be a string", *value_span(*pair))
        elif value.value.strip() != "1":
            ctx.report(AL302, f'unsupported schema_version: "{value.value.strip()}" (supported: "1")', *value_span(*pair))

    for name in ("project", "env", "mode"):
        pair = lookup(root, name)
        if pair is None or is_blank_or_null(pair[1]):
            _missing(ctx, f"{name} is required", pair, anchor)
            continue
        value = deref(pair[1])
        if type(value) is not Scalar:
            ctx.report(AL303, f"{name} must be a string", *value_span(*pair))
        elif name == "mode" and value.value.strip() not in MODES:
            extra = "; firecracker is a containerd runtime, not a mode" if "firecracker" in value.value else ""
            ctx.report(
                AL304,
                f'unsupported mode: "{value.value.strip()}" (supported: "docker", "containerd"{extra})',
                *value_span(*pair),
            )

    _unknown(ctx, root, TOP_KEYS, "", legacy_keys)
    _producer(ctx, root)

    pair = lookup(root, "artifacts")
    if pair is None or is_blank_or_null(pair[1]):
        _missing(ctx, "artifacts must contain at least one entry", pair, anchor, rule=AL305)
        return
    artifacts = deref(pair[1])
    if type(artifacts) is not Sequence:
        ctx.report(AL305, "artifacts must be a list of entries", *value_span(*pair))
        return
    if not artifacts.items:
        ctx.report(AL305, "artifacts must contain at least one entry", *value_span(*pair))
        return
    for i, item in enumerate(artifacts.items):
        entry = deref(item)
        if type(entry) is not Mapping:
            span = (item.start, item.end) if type(item) in (Scalar, Alias) else head_span(item)
            ctx.report(AL305, f"artifacts[{i}] must be a mapping", *span)
            continue
        _entry(ctx, entry, i, item, legacy_keys)


def _missing(ctx, message, pair, anchor, rule=AL301):
    if pair is not None:
        ctx.report(rule, message, pair[0].start, pair[0].end)
    else:
        ctx.report(rule, message, *anchor)


def _entry(ctx: Context, entry: Mapping, i: int, item, legacy_keys) -> None:
    prefix = f"artifacts[{i}]"
    anchor = head_span(entry) if entry.pairs else (item.start, item.end)
    for name in ("artifact_root", "runtime_config_dir"):
        pair = lookup(entry, name)
        if pair is None or is_blank_or_null(pair[1]):
            _missing(ctx, f"{prefix}.{name} is required", pair, anchor)
            continue
        value = deref(pair[1])
        if type(value) is not Scalar:
            ctx.report(AL303, f"{prefix}.{name} must be a string", *value_span(*pair))
            continue
        if name == "runtime_config_dir":
            problem = relative_path_problem(value.value)
            if problem:
                ctx.report(AL306, f"{prefix}.runtime_config_dir {problem}", *value_span(*pair))
    _unknown(ctx, entry, ENTRY_KEYS, prefix, legacy_keys)

    pair = lookup(entry, "source_template")
    if pair is None:
        return
    template = deref(pair[1])
    if type(template) is Scalar and template.is_null():
        return
    if type(template) is not Mapping:
        ctx.report(AL307, f"{prefix}.source_template must be a mapping", *value_span(*pair))
        return
    tprefix = f"{prefix}.source_template"
    path_pair = lookup(template, "path")
    if path_pair is not None:
        value = deref(path_pair[1])
        if type(value) in (Mapping, Sequence):
            ctx.report(AL303, f"{tprefix}.path must be a string", *value_span(*path_pair))
        elif is_blank_or_null(value):
            ctx.report(AL307, f"{tprefix}.path must not be blank", *value_span(*path_pair))
    sha_pair = lookup(template, "sha256")
    if sha_pair is not None:
        value = deref(sha_pair[1])
        if type(value) in (Mapping, Sequence):
            ctx.report(AL303, f"{tprefix}.sha256 must be a string", *value_span(*sha_pair))
        elif is_blank_or_null(value):
            ctx.report(AL307, f"{tprefix}.sha256 must not be blank", *value_span(*sha_pair))
        elif not SHA256.match(value.value.strip()):
            ctx.report(AL307, f"{tprefix}.sha256 must be 64 lowercase hex characters", *value_span(*sha_pair))
    _unknown(ctx, template, TEMPLATE_KEYS, tprefix, legacy_keys)


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


def _unknown(ctx: Context, mapping: Mapping, known, prefix: str, legacy_keys) -> None:
    for key, _value in mapping.pairs:
        if type(key) is not Scalar or key.value in known or key.value == "<<" or key.start in legacy_keys:
            continue
        where = f"in {prefix}" if prefix else "at the top level"
        ctx.report(AL308, f"unknown key '{key.value}' {where} (the deploy tool ignores it)", key.start, key.end, key=key.value)


def _producer(ctx: Context, root: Mapping) -> None:
    """Format advice only: wrong types of producer metadata are errors (AL310, manifest_types)."""
    pair = lookup(root, "generated_at")
    if pair is not None and not is_blank_or_null(pair[1]):
        value = deref(pair[1])
        if type(value) is Scalar and value.is_str() and not RFC3339_UTC.match(value.value.strip()):
            ctx.report(AL309, 'generated_at must be an RFC 3339 UTC time such as "2026-02-27T18:28:02Z"', *value_span(*pair))
