"""The table-driven legacy-key family: every row of ``spec.REMOVED`` / ``spec.MATRIX_REMOVED``
(plus the configuration's extra legacy keys, AL100) is reported at its contract position and
removed by its fix. The rules themselves are declared in ``al1xx_legacy.py`` (manifest) and
``al5xx_matrix.py`` (matrix); this module is the walker they share.

A legacy key is reported only at its contract position (``artifacts[].id``, not a top-level
``id``); keys brought in by ``<<`` merge keys are reported at the merge. The fix removes the
key with its whole value (inside a legacy block: the whole block).
"""

from __future__ import annotations

from .. import keypath, spec
from ..model import RemoveKey, Rule
from ..yamlmodel import Mapping, Scalar, Sequence, deref, merged_pairs
from .base import SEVERITIES, Context, related_to

REMOVE = "Removes the key with its whole value (and the comment lines inside it)."


def rule_of(entry: spec.Removed) -> Rule:
    """The ``Rule`` of a ``spec.Removed`` entry."""
    return Rule(
        entry.code,
        entry.name,
        SEVERITIES[entry.severity],
        entry.summary,
        entry.docs,
        fix=REMOVE,
        deprecated=True,
        files=entry.files,
    )


def message(entry: spec.Removed, row: spec.Legacy, dotted: str) -> str:
    """The finding's message for ``row`` found at the concrete ``dotted`` path."""
    when = f" was removed from the contract on {row.removed}" if row.removed else " was removed from the contract"
    return entry.message.format(
        path=dotted, key=keypath.leaf(dotted), what=row.what, when=when, replaced_by=row.replaced_by
    )


def custom_entry(code: str, name: str, extras) -> spec.Removed:
    """The configuration's extra legacy keys as one ``Removed`` entry (rule AL100)."""
    rows = tuple(spec.Legacy(path, spec.CUSTOM_REMOVED_WHAT, "", replacement) for path, replacement in extras)
    return spec.Removed(code, name, "", "", rows, files=("manifest", "json", "matrix"))


def _trie(table, rules: dict) -> dict:
    """{key: [(rule, message template) or None, {children}]}; ``[]`` is the step into list
    items. A template is the finding's message with ``{path}`` left for the concrete path."""
    root: dict = {}
    for entry, row in table:
        node = root
        parts = ["[]" if p is keypath.INDEX else p for p in keypath.parse(row.path)]
        for part in parts[:-1]:
            node = node.setdefault(part, [None, {}])[1]
        when = f" was removed from the contract on {row.removed}" if row.removed else " was removed from the contract"

        def brace(text: str) -> str:
            return text.replace("{", "{{").replace("}", "}}")

        template = entry.message.format(
            path="{path}",
            key=brace(parts[-1]),
            what=brace(row.what),
            when=brace(when),
            replaced_by=brace(row.replaced_by),
        )
        node.setdefault(parts[-1], [None, {}])[0] = (rules[entry.code], template)
    return root


def rows(entries) -> tuple:
    return tuple((entry, row) for entry in entries for row in entry.keys)


_TABLES: dict = {}  # (id of the base table, the extras) -> trie: one per configuration


def walk(ctx: Context, base: tuple, rules: dict, custom: Rule, extras: dict) -> None:
    """Report every row of ``base`` (``spec.Removed`` entries; ``rules``: code -> Rule) and of
    the configuration's ``extras`` (reported as ``custom``) in the document."""
    key = (id(base), tuple(sorted(extras.items())) if extras else ())
    trie = _TABLES.get(key)
    if trie is None:
        if len(_TABLES) > 64:
            _TABLES.clear()
        table = rows(base)
        if extras:
            table += rows((custom_entry(custom.code, custom.name, key[1]),))
        trie = _TABLES[key] = _trie(table, {**rules, custom.code: custom})
    _walk(ctx, ctx.parsed.root, trie, "", 0, None)


def _walk(ctx: Context, node, trie: dict, dotted: str, level: int, outer) -> None:
    """Report legacy keys under ``node``; ``outer`` is the fix of an enclosing legacy block."""
    node = deref(node)
    if level > 32 or node is None:
        return
    t = type(node)
    if t is Sequence:
        step = trie.get("[]")
        if step is not None:
            for i, item in enumerate(node.items):
                _walk(ctx, item, step[1], f"{dotted}[{i}]", level + 1, outer)
        return
    if t is not Mapping:
        return
    for key, value in node.pairs:
        if type(key) is not Scalar:
            continue
        found = trie.get(key.value)
        if found is None:
            continue
        hit, children = found
        path = f"{dotted}.{key.value}" if dotted else key.value
        plan = outer
        if hit is not None:
            if key.start in ctx.legacy_keys:
                continue  # the same physical key reached again through an alias
            ctx.legacy_keys.add(key.start)
            plan = outer or RemoveKey(node, key)
            rule, template = hit
            ctx.report(rule, template.format(path=path), key.start, key.end, plan=plan, key=key.value)
        if children:
            _walk(ctx, value, children, path, level + 1, plan)
    if not node.has_merge:
        return
    for key, _value, via in merged_pairs(node):
        found = trie.get(key.value)
        if found is None:
            continue
        hit, children = found
        path = f"{dotted}.{key.value}" if dotted else key.value
        if hit is not None:
            rule, template = hit
            ctx.report(
                rule,
                f"{template.format(path=path)} (merged in by '<<')",
                via.start,
                via.end,
                related=(related_to(f"'{key.value}' is defined here", key),),
                key=key.value,
            )
