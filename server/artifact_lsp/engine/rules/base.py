"""What every rule module shares: the lint context and span helpers."""

from __future__ import annotations

import os
from pathlib import Path

from ..config import Config
from ..model import Finding, Related, Rule
from ..yamlmodel import Alias, Mapping, Node, ParsedYaml, Scalar, Sequence, deref


class Context:
    """One document being linted: its text, tree, path, kind and config; collects findings."""

    __slots__ = ("text", "parsed", "path", "kind", "config", "findings", "_seen", "legacy_keys", "folder")

    def __init__(self, text: str, parsed: ParsedYaml, path: Path | None, kind: str, config: Config):
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

    @property
    def root(self) -> Node | None:
        return deref(self.parsed.root)

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
    t = type(value)
    if t is Alias or (t is Scalar and value.end > value.start and value.style not in ("|", ">")):
        return value.start, value.end
    if t in (Mapping, Sequence) and value.flow:
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
