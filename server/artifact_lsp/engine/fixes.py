"""The fix engine: turn a finding's fix plan into text edits, and prove them.

A plan (``RemoveKey`` / ``RenameKey`` / ``QuoteValue`` / ``RemoveTag``) becomes the smallest edit that keeps the document
valid in its own style:

- block mapping, key alone on its line: the key's lines go, with its value, the comment lines
  inside the value and the inline comment, and nothing else;
- first key of a ``- `` sequence item: the next key moves up onto the dash line;
- only key of its mapping: the mapping becomes ``{}``;
- flow mapping: the pair and one separating comma go.

Every edit is then *proven*: the edited text is parsed again and must be one document whose
data equals the original data minus exactly that key (aliases compared by name, never
expanded). An edit that fails (say, the value holds an anchor aliased elsewhere) is not
offered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .model import Finding, Fix, QuoteValue, RemoveKey, RemoveTag, RenameKey, TextEdit, apply_edits
from .suppress import DIRECTIVE, comment_for
from .text import LineIndex, newline_of
from .yamlmodel import Mapping, Node, ParsedYaml, Scalar, Sequence, TooDeep, canonical, parse

MAX_FIX_DEPTH = 100


# --------------------------------------------------------------------------- edits for one plan


def _last_leaf(node: Node) -> Node:
    for _ in range(10_000):
        t = type(node)
        if t is Mapping and not node.flow and node.pairs:
            key, value = node.pairs[-1]
            node = value if value.end > value.start or type(value) is not Scalar else key
        elif t is Sequence and not node.flow and node.items:
            node = node.items[-1]
        else:
            return node
    return node


def _content_end(text: str, key: Node, value: Node) -> int:
    """Offset just past the last character of the pair's own content."""
    leaf = _last_leaf(value)
    end = leaf.end
    while end > leaf.start and text[end - 1] in " \t\r\n":
        end -= 1
    return max(end, key.end)


def _indent(line_text: str) -> int:
    return len(line_text) - len(line_text.lstrip(" \t"))


def _extend_over_inner_comments(text: str, index: LineIndex, end_line: int, column: int) -> int:
    """Comment lines right after the value, indented deeper than the key, belong to it.

    Blank lines between them and the value do not end the value (blank lines after the last
    such comment are left alone).
    """
    line = probe = end_line
    while probe + 1 < index.line_count:
        nxt = index.line_text(probe + 1)
        stripped = nxt.lstrip(" \t")
        probe += 1
        if not stripped:
            continue
        if not stripped.startswith("#") or _indent(nxt) <= column:
            break
        line = probe
    return line


_BLOCK_HEADER = re.compile(r"[|>][1-9+-]{0,2}[ \t]*(?:#.*)?$")


def _keeps_trailing_lines(text: str, node: Node) -> bool:
    """True when ``node`` ends with a ``|+`` / ``>+`` block scalar: blank lines after it are its content."""
    leaf = _last_leaf(node)
    if type(leaf) is not Scalar or leaf.style not in ("|", ">"):
        return False
    header = re.split(r"\r\n|\r|\n", text[leaf.start : leaf.end], maxsplit=1)[0]
    m = _BLOCK_HEADER.search(header)
    return m is not None and "+" in m.group(0)


def _pair_start(text: str, key: Node) -> int:
    """Where the pair of ``key`` starts: its ``?`` indicator when the key is explicit (``? id``)."""
    line_start = max(text.rfind("\n", 0, key.start), text.rfind("\r", 0, key.start)) + 1
    head = text[line_start : key.start].rstrip(" \t")
    if head.endswith("?") and (len(head) == 1 or head[-2] in " \t-{[,"):
        return line_start + len(head) - 1
    return key.start


def remove_key_edits(text: str, index: LineIndex, plan: RemoveKey) -> list[TextEdit] | None:
    mapping, key = plan.mapping, plan.key
    pairs = mapping.pairs
    pos = next((i for i, (k, _v) in enumerate(pairs) if k is key), None)
    if pos is None or type(key) is not Scalar:
        return None
    value = pairs[pos][1]
    if mapping.flow:
        return _remove_flow(text, pairs, pos, mapping)

    start = _pair_start(text, key)
    kline = index.line_of(start)
    line_start = index.line_start(kline)
    prefix = text[line_start:start]
    column = len(prefix)
    end_line = index.line_of(_content_end(text, key, value))
    end_line = _extend_over_inner_comments(text, index, end_line, column)
    only = len(pairs) == 1

    if not prefix.strip():
        if only:
            return [TextEdit(start, index.line_end(end_line), "{}")]
        end = index.line_end(end_line, keep_break=True)
        if pos > 0 and _keeps_trailing_lines(text, pairs[pos - 1][1]):
            # the blank lines below would join the "keep" block scalar above: they go too
            line = end_line + 1
            while line < index.line_count and not index.line_text(line).strip(" \t"):
                end = index.line_end(line, keep_break=True)
                line += 1
        return [TextEdit(line_start, end, "")]

    # the key shares its line with what opens the item ("- ", "- - ", "&anchor ")
    if only:
        return [TextEdit(start, index.line_end(end_line), "{}")]
    if pos + 1 >= len(pairs):
        return None  # nothing known opens this line: no edit to offer
    next_start = _pair_start(text, pairs[pos + 1][0])
    nline = index.line_of(next_start)
    between_clean = nline == end_line + 1 and not text[index.line_start(nline) : next_start].strip()
    if between_clean:
        return [TextEdit(start, next_start, "")]
    # something of its own sits between (a comment about the next key, blank lines): keep it,
    # and leave the dash alone on its line ("-" then the mapping below it) instead
    dash_end = line_start + len(prefix.rstrip())
    return [TextEdit(dash_end, index.line_end(end_line), "")]


def _remove_flow(text: str, pairs, pos: int, mapping=None) -> list[TextEdit] | None:
    key, value = pairs[pos]
    value_end = max(value.end, key.end)
    start = _pair_start(text, key)
    if len(pairs) == 1:
        if mapping is not None and text[mapping.start : mapping.start + 1] == "{" and text[mapping.end - 1 : mapping.end] == "}":
            return [TextEdit(mapping.start + 1, mapping.end - 1, "")]  # `{ id: x }` -> `{}`
        return [TextEdit(start, value_end, "")]
    if pos + 1 < len(pairs):
        return [TextEdit(start, _pair_start(text, pairs[pos + 1][0]), "")]
    prev_key, prev_value = pairs[pos - 1]
    return [TextEdit(max(prev_value.end, prev_key.end), value_end, "")]


def rename_key_edits(text: str, plan: RenameKey) -> list[TextEdit] | None:
    key = plan.key
    raw = text[key.start : key.end]
    if key.anchor is not None or (key.tag not in (None, "!")):
        return None
    if key.style is None and raw == key.value:
        return [TextEdit(key.start, key.end, plan.new)]
    if key.style in ("'", '"') and raw == f"{key.style}{key.value}{key.style}":
        return [TextEdit(key.start, key.end, f"{key.style}{plan.new}{key.style}")]
    return None


def quote_value_edits(text: str, plan: QuoteValue) -> list[TextEdit] | None:
    """The plain scalar (with its tag, if one is written) becomes a double-quoted string of
    its text."""
    node = plan.value
    if type(node) is not Scalar or node.anchor is not None or node.style is not None or node.end <= node.start:
        return None
    raw = text[node.start : node.end]
    if "\n" in raw or "\r" in raw or not raw.endswith(node.value):
        return None  # a multi-line plain scalar: its text is not its value
    return [TextEdit(node.start, node.end, json.dumps(node.value, ensure_ascii=False))]


_PROPERTY = re.compile(r"[&!][^ \t\r\n,\[\]{}]*[ \t]*")


def remove_tag_edits(text: str, plan: RemoveTag) -> list[TextEdit] | None:
    """Remove the tag token (and the blanks after it) from the node's properties."""
    node = plan.node
    pos = node.start
    for _ in range(2):  # at most an anchor and a tag, in either order
        m = _PROPERTY.match(text, pos)
        if m is None:
            return None
        token = m.group(0).rstrip(" \t")
        if token.startswith("!"):
            if token == "!":
                return None  # the non-specific tag changes nothing
            start, end = pos, m.end()
            if end >= len(text) or text[end] in "\r\n#":
                # the value starts on the next line: the blanks before the tag go, not the break
                end = pos + len(token)
                while start > 0 and text[start - 1] in " \t":
                    start -= 1
            return [TextEdit(start, end, "")]
        pos = m.end()
    return None


def plan_edits(text: str, index: LineIndex, plan) -> list[TextEdit] | None:
    if isinstance(plan, RemoveKey):
        return remove_key_edits(text, index, plan)
    if isinstance(plan, RenameKey):
        return rename_key_edits(text, plan)
    if isinstance(plan, QuoteValue):
        return quote_value_edits(text, plan)
    if isinstance(plan, RemoveTag):
        return remove_tag_edits(text, plan)
    return None


# --------------------------------------------------------------------------- proof


def _expected(parsed: ParsedYaml, plans) -> object:
    removed = {id(p.key) for p in plans if isinstance(p, RemoveKey)}
    renames = {id(p.key): p.new for p in plans if isinstance(p, RenameKey)}
    quote = {id(p.value) for p in plans if isinstance(p, QuoteValue)}
    untag = {id(p.node) for p in plans if isinstance(p, RemoveTag)}
    return canonical(parsed.root, skip=removed, rename=renames, limit=MAX_FIX_DEPTH, untag=untag, quote=quote)


def prove(parsed: ParsedYaml, plans, new_text: str) -> bool:
    """True when ``new_text`` is the original data with exactly ``plans`` applied."""
    if parsed.max_depth > MAX_FIX_DEPTH:
        return False
    after = parse(new_text)
    if after.fatal or after.root is None:
        return False
    counts = {}
    for p in parsed.problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    for p in after.problems:
        counts[p.kind] = counts.get(p.kind, 0) - 1
        if counts[p.kind] < 0 and p.kind != "duplicate":
            return False
    try:
        return _expected(parsed, plans) == canonical(after.root, limit=MAX_FIX_DEPTH)
    except TooDeep:
        return False


# --------------------------------------------------------------------------- public API


@dataclass
class Fixer:
    """Computes and proves fixes for the findings of one lint result (with a cache)."""

    text: str
    parsed: ParsedYaml
    index: LineIndex

    def __post_init__(self):
        self._cache: dict = {}

    def edits_for(self, plan) -> list[TextEdit] | None:
        key = (type(plan), id(plan.mapping), id(plan.key))
        if key in self._cache:
            return self._cache[key]
        edits = plan_edits(self.text, self.index, plan)
        if edits is not None and not prove(self.parsed, [plan], apply_edits(self.text, edits)):
            edits = None
        self._cache[key] = edits
        return edits

    def fix_for(self, finding: Finding) -> Fix | None:
        if finding.plan is None:
            return None
        edits = self.edits_for(finding.plan)
        if edits is None:
            return None
        return Fix(finding.plan.title, tuple(edits))

    def suppression(self, finding: Finding) -> Fix:
        return suppression_fix(self.text, self.index, finding)


def suppression_fix(text: str, index: LineIndex, finding: Finding) -> Fix:
    """Insert ``# artifact-lsp: ignore[CODE]`` on its own line above the finding's line.

    When that line above already holds a directive with codes, the code joins it instead.
    """
    code = finding.code
    line = index.line_of(finding.start)
    title = f"Ignore {code} on this line"
    if line > 0:
        above = index.line_text(line - 1)
        m = DIRECTIVE.search(above)
        if m and not above[: m.start()].strip() and m.group(1) is not None:
            codes = [c.strip() for c in m.group(1).split(",") if c.strip()]
            if code not in codes:
                start = index.line_start(line - 1) + m.start(1)
                return Fix(title, (TextEdit(start, start + len(m.group(1)), ", ".join([*codes, code])),), False)
    current = index.line_text(line)
    indent = current[: _indent(current)]
    start = index.line_start(line)
    return Fix(title, (TextEdit(start, start, f"{indent}{comment_for(code)}{newline_of(text)}"),), False)


def combine(text: str, parsed: ParsedYaml, index: LineIndex, plans) -> tuple[str, list]:
    """Apply as many of ``plans`` as can go together in one proven pass.

    Returns the new text and the plans applied. Overlapping edits wait for a later pass.
    """
    chosen: list = []
    edits: list[TextEdit] = []
    seen = set()
    fixer = Fixer(text, parsed, index)
    for plan in plans:
        ident = (id(plan.mapping), id(plan.key))
        if ident in seen:
            continue
        seen.add(ident)
        plan_edits_ = fixer.edits_for(plan)
        if not plan_edits_:
            continue
        if any(e.start < o.end and o.start < e.end or (e.start == o.start and e.end == o.end) for e in plan_edits_ for o in edits):
            continue
        # two edits in the same mapping may empty it: leave the rest for the next pass
        if any(isinstance(p, RemoveKey) and p.mapping is plan.mapping for p in chosen):
            continue
        chosen.append(plan)
        edits.extend(plan_edits_)
    if not chosen:
        return text, []
    new_text = apply_edits(text, edits)
    if len(chosen) > 1 and not prove(parsed, chosen, new_text):
        first = chosen[0]
        return apply_edits(text, fixer.edits_for(first)), [first]
    return new_text, chosen


def diff_edits(old: str, new: str) -> list[TextEdit]:
    """Line-level minimal edits turning ``old`` into ``new`` (for one workspace edit)."""
    import difflib

    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    offsets = [0]
    for line in a:
        offsets.append(offsets[-1] + len(line))
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out.append(TextEdit(offsets[i1], offsets[i2], "".join(b[j1:j2])))
    return out
