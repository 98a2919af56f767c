"""Plain data the engine hands to its adapters: rules, findings, fix plans and text edits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the plans hold nodes of the tree; model stays importable without it
    from .yamlmodel import Mapping, Node, Scalar

# The rules reference the installed package ships (``artifact_lsp/rules.md``, generated from
# the rules like ``docs/rules.md``): every docs link opens without a network. A team that hosts
# the docs points ``docs-url`` at them instead (``Config.rule_url``).
DOCS_FILE = Path(__file__).resolve().parent.parent / "rules.md"
DOCS_URL = DOCS_FILE.as_uri()
_DEFAULT_LINK = re.compile(re.escape(DOCS_URL) + r"#(al[0-9]+)")


class Severity(IntEnum):
    HINT = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        return _SEVERITY_NAMES[name.lower()]

    @property
    def label(self) -> str:
        return self.name.lower()


_SEVERITY_NAMES = {
    "hint": Severity.HINT,
    "info": Severity.INFO,
    "information": Severity.INFO,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "error": Severity.ERROR,
}
SEVERITY_NAMES = ("error", "warning", "info", "hint")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: stable code, default severity, docs. Its check lives next to it."""

    code: str
    name: str
    severity: Severity
    summary: str  # one line for tables and hovers
    docs: str  # markdown: why, what replaced it, how to fix
    fix: str | None = None  # what the automatic fix does, when there is one
    deprecated: bool = False  # the finding marks dead contract data (LSP tag Deprecated)
    files: tuple[str, ...] = ("manifest",)  # manifest, matrix, json

    @property
    def anchor(self) -> str:
        return self.code.lower()

    @property
    def url(self) -> str:
        """The default docs link: the rule's anchor in the shipped ``rules.md``."""
        return f"{DOCS_URL}#{self.anchor}"


def docs_link(template: str | None, code: str) -> str:
    """The docs link of rule ``code``: ``template`` (the ``docs-url`` setting) with ``{code}``
    (``AL101``) and ``{anchor}`` (``al101``) filled in, or the shipped file's when unset."""
    if not template:
        return f"{DOCS_URL}#{code.lower()}"
    return template.replace("{code}", code).replace("{anchor}", code.lower())


def relink(text: str, template: str | None) -> str:
    """``text`` (markdown) with every default docs link rewritten for ``template``."""
    if not template or DOCS_URL not in text:
        return text
    return _DEFAULT_LINK.sub(lambda m: docs_link(template, m.group(1).upper()), text)


@dataclass(frozen=True, slots=True)
class RemoveKey:
    """Fix plan: remove ``key`` (and its value) from ``mapping``."""

    mapping: Mapping
    key: Scalar
    what: str = "legacy key"  # how the title names the key

    @property
    def title(self) -> str:
        return f"Remove {self.what} '{self.key.value}'"


@dataclass(frozen=True, slots=True)
class RenameKey:
    """Fix plan: rename ``key`` in ``mapping`` to ``new``."""

    mapping: Mapping
    key: Scalar
    new: str

    @property
    def title(self) -> str:
        return f"Rename '{self.key.value}' to '{self.new}'"


@dataclass(frozen=True, slots=True)
class QuoteValue:
    """Fix plan: write the plain (or tagged) scalar ``value`` of ``key`` in ``mapping`` as a
    double-quoted string with the same text, so every YAML reader reads that text."""

    mapping: Mapping
    key: Scalar
    value: Scalar

    @property
    def title(self) -> str:
        return f"Quote '{self.key.value}' as the string \"{self.value.value}\""


@dataclass(frozen=True, slots=True)
class RemoveTag:
    """Fix plan: remove the tag written on ``node`` (``!custom x`` becomes ``x``)."""

    node: Node
    tag_text: str  # the tag as written, for the title

    @property
    def mapping(self) -> Node:  # the identity fix_text and combine key plans by
        return self.node

    @property
    def key(self) -> Node:
        return self.node

    @property
    def title(self) -> str:
        return f"Remove the tag '{self.tag_text}'"


@dataclass(frozen=True, slots=True)
class Related:
    message: str
    start: int
    end: int


@dataclass(slots=True)
class Finding:
    rule: Rule
    message: str
    start: int  # character offsets into the text
    end: int
    severity: Severity
    plan: RemoveKey | RenameKey | QuoteValue | RemoveTag | None = None
    related: tuple[Related, ...] = ()
    key: str | None = None  # the key the finding is about, for hovers and messages

    @property
    def code(self) -> str:
        return self.rule.code


@dataclass(frozen=True, slots=True)
class TextEdit:
    start: int
    end: int
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool = True


def apply_edits(text: str, edits) -> str:
    """Apply non-overlapping edits (any order) to ``text``."""
    out = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError("overlapping edits")
        out.append(text[pos : edit.start])
        out.append(edit.new_text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)
