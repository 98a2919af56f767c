"""What every rule module shares: the lint context, span helpers and the ``check`` decorator.

A rule is a unit: its ``Rule`` (code, docs, fix), and the function that checks it, decorated
with ``@check(RULE)``. ``rules/__init__.py`` runs the checks of a file's kind in module order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Finding, Related, Rule, Severity
from ..yamlmodel import Alias, Mapping, Node, ParsedYaml, Scalar, Sequence, deref, merged_pairs

if TYPE_CHECKING:  # the config is handed in; rules never load one
    from ..config import Config

SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "hint": Severity.HINT}


def check(*rules: Rule, files: tuple[str, ...] | None = None):
    """Mark a function as the check of ``rules`` (run for ``files``, default: the rules' files)."""

    def mark(fn):
        fn.rules = rules
        fn.files = files if files is not None else tuple(dict.fromkeys(k for r in rules for k in r.files))
        return fn

    return mark


# An entry left out of an incremental lint (``engine/incremental.py``): it stands at its index
# in the list so indices and counts stay true, ``Context.entries`` skips it, and a walk over
# the tree finds nothing in it (an empty mapping, at no offset of the text).
ELIDED = Mapping(False, -1, None, None)


class Context:
    """One document being linted: its text, tree, path, kind and config; collects findings."""

    __slots__ = ("text", "parsed", "path", "kind", "config", "findings", "_seen", "legacy_keys", "folder", "_memo")

    def __init__(self, text: str, parsed: ParsedYaml, path: str | os.PathLike[str] | None, kind: str, config: Config):
        self.text = text
        self.parsed = parsed
        self.path = path
        self.kind = kind
        self.config = config
        self.findings: list[Finding] = []
        self._seen: set = set()
        # offsets of keys at a legacy position, reported or not (a rule may be disabled):
        # shape never calls them unknown keys
        self.legacy_keys: set[int] = set()
        # the manifest's folder, as a string: disk rules join paths under it for every entry
        self.folder: str | None = os.path.dirname(os.fspath(path)) if path is not None else None
        self._memo: dict = {}

    @property
    def root(self) -> Node | None:
        return deref(self.parsed.root)

    def entries(self, name: str) -> list:
        """``[(index, item node, entry mapping)]`` of the list ``name`` of the root mapping
        (the manifest's ``artifacts``, the matrix's ``matrix``); items that are no mapping are
        left out; [] when there is no such list. Computed once per document."""
        hit = self._memo.get(("entries", name))
        if hit is None:
            out: list = []
            root = self.root
            pair = lookup(root, name) if type(root) is Mapping else None
            items = deref(pair[1]) if pair else None
            if type(items) is Sequence:
                for i, item in enumerate(items.items):
                    if item is ELIDED:
                        continue
                    entry = deref(item)
                    if type(entry) is Mapping:
                        out.append((i, item, entry))
            hit = self._memo[("entries", name)] = out
        return hit

    def memo(self, name: str, compute):
        """``compute(self)``, once per document (what several rules of a family share)."""
        hit = self._memo.get(name)
        if hit is None:
            hit = self._memo[name] = compute(self)
        return hit

    @property
    def repo_root(self) -> Path | None:
        if self.config.root is not None:
            return self.config.root
        return Path(self.folder) if self.folder is not None else None

    def report(self, rule: Rule, message: str, start: int, end: int, *, plan=None, related=(), key=None):
        config = self.config
        if not config.enabled(rule.code):
            return
        ident = (rule.code, start, end, message)
        if ident in self._seen:
            return
        self._seen.add(ident)
        self.findings.append(
            Finding(
                rule,
                message,
                start,
                end,
                config.severity_of(rule.code, rule.severity),
                plan,
                tuple(related),
                key,
            )
        )


def value_span(key: Node, value: Node | None) -> tuple[int, int]:
    """Where to point for a problem with a value: the value when it sits on one line."""
    if value is None:
        return key.start, key.end
    if type(value) is Alias or (type(value) is Scalar and value.end > value.start and value.style not in ("|", ">")):
        return value.start, value.end
    if (type(value) is Mapping or type(value) is Sequence) and value.flow:
        return value.start, value.end
    return key.start, key.end


def head_span(node: Node | None) -> tuple[int, int]:
    """A short span at the start of a collection: its first key, else its first character."""
    node = deref(node)
    while type(node) is Sequence and node.items:  # a loop: nesting can be 20,000 deep
        node = deref(node.items[0])
    if type(node) is Mapping and node.pairs:
        first = node.pairs[0][0]
        return first.start, first.end
    if node is None:
        return 0, 0
    return node.start, max(node.start + 1, min(node.end, node.start + 1))


def is_blank_or_null(value: Node | None) -> bool:
    value = deref(value)
    if value is None:
        return True
    if type(value) is Scalar:
        return value.is_null() or not value.value.strip()
    return False


def string_value(value: Node | None) -> str | None:
    """The text of a scalar (any scalar: upstream reads them into Go strings), else None."""
    value = deref(value)
    if type(value) is Scalar and not value.is_null():
        return value.value
    return None


def related_to(message: str, node: Node) -> Related:
    return Related(message, node.start, node.end)


def lookup(mapping: Mapping, name: str):
    """(key, value) for ``name`` in ``mapping``, following ``<<`` merges; None if absent."""
    pair = mapping.get_pair(name)
    if pair is not None or not mapping.has_merge:
        return pair
    for key, value, _via in merged_pairs(mapping):
        if key.value == name:
            return key, value
    return None
