"""The contract's key documentation: what every key is, for hovers and completions.

Derived from ``engine/spec.py`` (the contract as data), plus three lookups, all keyed by a *concrete* path of keys and list indexes, e.g.
``("artifacts", 0, "source_template", "sha256")``:

- ``describe(kind, path)``: a ``KeyInfo`` for a current-contract key, or for a legacy key at
  its contract position (built from ``spec.REMOVED``, so the rule code and removal date are
  the linter's own), or for a key inside a legacy block; ``None`` for anything else.
- ``valid_keys(kind, path)``: the current-contract keys that may appear in the mapping at
  ``path`` (never a legacy key).
- ``value_choices(kind, path)``: ``(value, description)`` for keys with enumerable values.

``kind`` is ``"manifest"``, ``"json"`` (the legacy ``artifact.json``: same keys) or
``"matrix"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import spec
from .keypath import NAME
from .keypath import parse as _parse
from .keypath import pattern_of as _pattern
from .keypath import render as _render
from .rules import RULES
from .rules.removed import rule_of

__all__ = ["KeyInfo", "describe", "valid_keys", "value_choices"]


@dataclass(frozen=True)
class KeyInfo:
    key: str
    path: str  # pattern, e.g. "artifacts[].source_template.sha256" or "suites.<name>.targets"
    required: bool
    summary: str  # one line
    markdown: str  # the full hover text
    legacy: bool = False
    rule_code: str | None = None


# --------------------------------------------------------------------------- current keys


def _current(keys) -> dict:
    out = {}
    for k in keys:
        path, required, fmt, what, more, example = k.path, k.required, k.format, k.summary, k.docs, k.example
        pattern = _parse(path)
        key = pattern[-1] if pattern[-1] is not NAME else "<name>"
        status = "required" if required else "optional"
        parts = [f"**`{key}`** · {status} · {fmt}", "", what]
        if more:
            parts += ["", more]
        parts += ["", f"`{path}`"]
        if example:
            parts += ["", "```yaml", example, "```"]
        out[pattern] = KeyInfo(key, path, required, f"{what} ({status})", "\n".join(parts))
    return out


_CURRENT = {"manifest": _current(spec.KEYS), "matrix": _current(spec.MATRIX_KEYS)}


def _containers(keys) -> dict:
    """The mappings whose keys the contract defines -> their keys, in contract order."""
    out: dict = {}
    for k in keys:
        pattern = _parse(k.path)
        out.setdefault(pattern[:-1], []).append(pattern[-1] if pattern[-1] is not NAME else "<name>")
    return {parent: tuple(names) for parent, names in out.items() if "<name>" not in names}


_CONTAINERS = {"manifest": _containers(spec.KEYS), "matrix": _containers(spec.MATRIX_KEYS)}


# --------------------------------------------------------------------------- legacy keys


def _removed(entry: spec.Removed, row: spec.Legacy) -> str:
    return f"removed {row.removed}" if row.removed else entry.removed_note


def _legacy_info(entry: spec.Removed, row: spec.Legacy, blocks: set) -> KeyInfo:
    rule = RULES.get(entry.code) or rule_of(entry)
    pattern = _parse(row.path)
    key = pattern[-1]
    removed = _removed(entry, row)
    # the fix removes the outermost legacy block the key lives in (a digest: all of runtime_meta)
    outer = next((pattern[:n] for n in range(1, len(pattern)) if pattern[:n] in blocks), None)
    target = outer[-1] if outer else key
    ending = f"{entry.effect}: delete it"
    if outer:
        ending += f" with the whole `{_render(outer)}` block"
    parts = [
        f"**Legacy** ({rule.code}): {removed} — `{row.path}`, {row.what}.",
        "",
        f"**Replaced by:** {row.replaced_by}.",
        "",
        rule.docs,
        "",
        f"{ending} (quick fix *Remove legacy key '{target}'*). [{rule.code}]({rule.url})",
    ]
    summary = f"Legacy ({rule.code}): {row.what}, {removed}; replaced by {row.replaced_by}"
    return KeyInfo(key, row.path, False, summary, "\n".join(parts), legacy=True, rule_code=rule.code)


def _renamed_info(renamed: spec.Renamed) -> KeyInfo:
    rule = RULES[renamed.code]
    path = renamed.path
    parts = [
        f"**Legacy** ({rule.code}): renamed to `{renamed.new}`, {renamed.removed_note} — `{path}`.",
        "",
        f"**Replaced by:** `{renamed.new}`.",
        "",
        rule.docs,
        "",
        f"[{rule.code}]({rule.url})",
    ]
    summary = f"Legacy ({rule.code}): {renamed.hover_summary}"
    key = path.rsplit(".", 1)[-1]
    return KeyInfo(key, path, False, summary, "\n".join(parts), legacy=True, rule_code=rule.code)


def _legacy_table(entries) -> dict:
    rows = [(entry, row) for entry in entries for row in entry.keys]
    blocks = {_parse(row.path) for _entry, row in rows}
    return {_parse(row.path): ((entry, row), _legacy_info(entry, row, blocks)) for entry, row in rows}


_LEGACY = {"manifest": _legacy_table(spec.REMOVED), "matrix": _legacy_table(spec.MATRIX_REMOVED)}
_RENAMED: dict[str, dict[tuple, tuple[spec.Renamed, KeyInfo]]] = {"manifest": {}, "matrix": {}}
for _renamed in spec.RENAMED:
    _RENAMED["matrix" if _renamed.path.startswith(spec.MATRIX_ENTRIES + "[]") else "manifest"][
        _parse(_renamed.path)
    ] = (_renamed, _renamed_info(_renamed))


def _inside_info(pattern: tuple, block: tuple, hit, renamed: spec.Renamed | None = None) -> KeyInfo:
    """A key inside the legacy block at ``block`` (``hit`` is that block's ``(entry, row)``)."""
    path = _render(pattern)
    block_path = _render(block)
    key = pattern[-1] if isinstance(pattern[-1], str) else "<name>"
    what = spec.INSIDE_REMOVED.get(path, "part of the legacy block")
    if hit is not None:
        entry, row = hit
        rule = RULES.get(entry.code) or rule_of(entry)
        code = rule.code
        removed = _removed(entry, row)
        url = rule.url
        replaced = row.replaced_by
    else:  # inside a renamed key: a scalar normally, but be total
        assert renamed is not None, "a key inside a block that is neither legacy nor renamed"
        rule = RULES[renamed.code]
        code, removed, url, replaced = rule.code, renamed.removed_note, rule.url, f"`{renamed.new}`"
    parts = [
        f"**Legacy** ({code}): {removed} — `{path}`, {what}.",
        "",
        f"It lives inside the legacy block `{block_path}`, which the contract no longer has; "
        f"readers ignore the whole block. **Replaced by:** {replaced}.",
        "",
        f"Delete the whole `{block[-1]}` block (quick fix *Remove legacy key '{block[-1]}'*). [{code}]({url})",
    ]
    summary = f"Legacy ({code}): {what}, inside {block_path} ({removed})"
    return KeyInfo(key, path, False, summary, "\n".join(parts), legacy=True, rule_code=code)


# --------------------------------------------------------------------------- lookups


def _table_kind(kind: str) -> str | None:
    if kind in ("manifest", "json"):
        return "manifest"
    if kind == "matrix":
        return "matrix"
    return None


def _candidates(kind: str, pattern: tuple):
    """``pattern`` and, in the matrix, the same with the suite name generalised."""
    yield pattern
    if kind == "matrix" and len(pattern) >= 2 and pattern[0] == "suites" and isinstance(pattern[1], str):
        yield ("suites", NAME) + pattern[2:]


def describe(kind: str, path) -> KeyInfo | None:
    """Documentation of the key at the concrete ``path`` (keys and list indexes), or None."""
    table = _table_kind(kind)
    pattern = _pattern(tuple(path)) if path is not None else None
    if table is None or not pattern or not isinstance(pattern[-1], str):
        return None
    for candidate in _candidates(table, pattern):
        info = _CURRENT[table].get(candidate)
        if info is not None:
            return info
    legacy = _LEGACY[table]
    renamed = _RENAMED[table]
    found = legacy.get(pattern)
    if found is not None:
        return found[1]
    if pattern in renamed:
        return renamed[pattern][1]
    # inside a legacy block: the outermost legacy ancestor names the block
    for n in range(1, len(pattern)):
        prefix = pattern[:n]
        if prefix in legacy:
            return _inside_info(pattern, prefix, legacy[prefix][0])
        if prefix in renamed:
            return _inside_info(pattern, prefix, None, renamed[prefix][0])
    return None


def valid_keys(kind: str, path) -> list[KeyInfo]:
    """The current-contract keys of the mapping at ``path`` (never legacy keys); [] if unknown."""
    table = _table_kind(kind)
    pattern = _pattern(tuple(path)) if path is not None else None
    if table is None or pattern is None:
        return []
    containers = _CONTAINERS[table]
    for candidate in _candidates(table, pattern):
        keys = containers.get(candidate)
        if keys is not None:
            return [_CURRENT[table][candidate + (key,)] for key in keys]
    return []


def value_choices(kind: str, path) -> list[tuple[str, str]]:
    """``(value, description)`` pairs for keys whose values are enumerable; [] otherwise."""
    table = _table_kind(kind)
    pattern = _pattern(tuple(path)) if path is not None else None
    if table is None or pattern is None:
        return []
    key = _KEYS[table].get(pattern)
    return list(key.values) if key is not None else []


_KEYS = {
    "manifest": {_parse(k.path): k for k in spec.KEYS},
    "matrix": {_parse(k.path): k for k in spec.MATRIX_KEYS},
}


# --------------------------------------------------------------------------- editor decisions
# What hover shows and what completion offers at a cursor: decided here, so that an editor
# adapter (the language server) only translates offsets and types.

SUITE_CHOICE = "a suite defined under suites"


@dataclass(frozen=True)
class Hover:
    markdown: str
    start: int  # the key's span
    end: int


def hover(kind: str, root, offset: int, findings=(), docs_url: str | None = None) -> Hover | None:
    """The key under ``offset``: its description, and the findings there (None: nothing)."""
    from .model import relink
    from .navigate import key_at

    hit = key_at(root, offset)
    if hit is None:
        return None
    path, key, _value = hit
    info = describe(kind, path)
    if info is None:
        return None
    parts = [relink(info.markdown, docs_url)]
    here = [f for f in findings if f.start <= offset <= f.end]
    if here:
        parts.append("\n".join(f"- **{f.code}** {f.message}" for f in here))
    return Hover("\n\n---\n\n".join(parts), key.start, key.end)


@dataclass(frozen=True)
class Completions:
    """What to offer at a cursor: ``values`` (text, description) when the cursor is on a
    value, else ``keys`` (the mapping's valid keys not yet in it). Either replaces the text
    from ``replace_start`` to the cursor."""

    replace_start: int
    values: list[tuple[str, str]] | None
    keys: list[KeyInfo]


def completions(kind: str, text: str, offset: int, root=None) -> Completions:
    """Completion at ``offset`` of ``text`` (which need not parse); ``root`` is the document's
    last parsed tree (for the matrix's suite names), or None."""
    from .navigate import completion_context
    from .rules.al5xx_matrix import defined_suites

    ctx = completion_context(text, offset)
    # a suite name: `suites: sm`, `suites: [sm`, or a `- sm` item of a block list
    suite_item = (
        kind == "matrix"
        and ctx.value_of is None
        and len(ctx.path) >= 4
        and ctx.path[0] == spec.MATRIX_ENTRIES
        and ctx.path[-2] == spec.SUITES
        and isinstance(ctx.path[-1], int)
    )
    if ctx.value_of is not None or suite_item:
        path = ctx.path if suite_item else (ctx.value_path or (*ctx.path, ctx.value_of))
        choices = list(value_choices(kind, path))
        names_suite = len(path) >= 3 and path[0] == spec.MATRIX_ENTRIES and path[-1] == spec.SUITES
        if kind == "matrix" and (suite_item or names_suite):
            choices.extend((name, SUITE_CHOICE) for name in defined_suites(root) or ())
        if kind == "json":  # a JSON string, replacing the typed text and its quote
            choices = [('"' + value.strip('"') + '"', description) for value, description in choices]
        return Completions(ctx.replace_start, choices, [])
    keys = [info for info in valid_keys(kind, ctx.path) if info.key not in ctx.existing]
    return Completions(ctx.replace_start, None, keys)
