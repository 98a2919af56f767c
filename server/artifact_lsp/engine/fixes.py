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
from bisect import bisect_left
from dataclasses import dataclass

from .model import Finding, Fix, QuoteValue, RemoveKey, RemoveTag, RenameKey, TextEdit, apply_edits
from .suppress import DIRECTIVE, comment_for
from .text import LineIndex, newline_of, split_lines
from .yamlmodel import Mapping, Node, ParsedYaml, Scalar, Sequence, TooDeep, canonical, parse

MAX_FIX_DEPTH = 100
MAX_PROOFS = 40  # re-parses one pass may spend looking for the plans that prove together
BOM = "\ufeff"


# --------------------------------------------------------------------------- edits for one plan


def _last_leaf(node: Node) -> Node:
    for _ in range(10_000):
        if type(node) is Mapping and not node.flow and node.pairs:
            key, value = node.pairs[-1]
            node = value if value.end > value.start or type(value) is not Scalar else key
        elif type(node) is Sequence and not node.flow and node.items:
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


def _keeps_final_break(text: str, node: Node) -> bool:
    """True when ``node`` ends with a ``|`` / ``>`` block scalar that keeps its last line break
    (clip or keep chomping): that break is its content, so it stays even where the file ends."""
    leaf = _last_leaf(node)
    if type(leaf) is not Scalar or leaf.style not in ("|", ">"):
        return False
    header = re.split(r"\r\n|\r|\n", text[leaf.start : leaf.end], maxsplit=1)[0]
    m = _BLOCK_HEADER.search(header)
    return m is None or "-" not in m.group(0).split("#")[0]


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
    if line_start == 0 and text.startswith(BOM):
        line_start = 1  # the byte order mark stays first in the file
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
        if (
            end == len(text)
            and kline > 0
            and not text.endswith(("\n", "\r"))
            and not (pos > 0 and _keeps_final_break(text, pairs[pos - 1][1]))
        ):
            # the last lines of a file without a final line break: the break before them
            # (and the blank lines above) go too, so the file still ends without one
            above = kline - 1
            while above > 0 and not index.line_text(above).strip(" \t"):
                above -= 1
            return [TextEdit(index.line_end(above), end, "")]
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
        if (
            mapping is not None
            and text[mapping.start : mapping.start + 1] == "{"
            and text[mapping.end - 1 : mapping.end] == "}"
        ):
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
    counts: dict[str, int] = {}
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
        if line == 1:
            above = above.removeprefix(BOM)
        m = DIRECTIVE.search(above)
        if m and not above[: m.start()].strip() and m.group(1) is not None:
            codes = [c.strip() for c in m.group(1).split(",") if c.strip()]
            if code not in codes:
                start = index.line_end(line - 1) - len(above) + m.start(1)
                return Fix(title, (TextEdit(start, start + len(m.group(1)), ", ".join([*codes, code])),), False)
    current = index.line_text(line)
    start = index.line_start(line)
    if start == 0 and current.startswith(BOM):
        current = current[1:]
        start = 1  # after the byte order mark, which must stay first
    indent = current[: _indent(current)]
    return Fix(title, (TextEdit(start, start, f"{indent}{comment_for(code)}{newline_of(text)}"),), False)


def combine(text: str, parsed: ParsedYaml, index: LineIndex, plans, *, with_edits: bool = False):
    """Apply as many of ``plans`` as can go together in one proven pass.

    Returns the new text and the plans applied. Every plan's edit is computed on ``text``;
    those that do not overlap (and do not empty a mapping between them) go together, and the
    result is proven once, as a whole: one re-parse for the lot, not one per key. When that
    proof fails (rare: say, a removed value holds an anchor aliased elsewhere), the plans are
    split in halves and each half proven, so one bad plan costs a few re-parses, not one per
    plan. What overlaps waits for a later pass. ``with_edits`` adds the edits applied.
    """
    chosen: list = []
    if parsed.max_depth <= MAX_FIX_DEPTH:  # else never proven: nothing to try
        chosen, edits = select(text, index, plans)
        if chosen:
            chosen = _proven(text, parsed, chosen, edits, [MAX_PROOFS])
    if not chosen:
        return (text, [], []) if with_edits else (text, [])
    applied = sorted((e for plan in chosen for e in edits[id(plan)]), key=lambda e: (e.start, e.end))
    new_text = apply_edits(text, applied)
    return (new_text, chosen, applied) if with_edits else (new_text, chosen)


def select(text: str, index: LineIndex, plans) -> tuple[list, dict]:
    """The plans whose edits can be applied together, in order, and ``id(plan) -> edits``."""
    chosen: list = []
    edits: dict[int, list[TextEdit]] = {}
    seen = set()
    starts: list[int] = []  # the chosen edits, sorted and non-overlapping
    spans: list[tuple[int, int]] = []
    removed: dict[int, int] = {}  # id(mapping) -> keys removed from it
    for plan in plans:
        ident = (id(plan.mapping), id(plan.key))
        if ident in seen:
            continue
        seen.add(ident)
        plan_edits_ = plan_edits(text, index, plan)
        if not plan_edits_:
            continue
        remove = isinstance(plan, RemoveKey)
        if remove:
            # removing every key of a mapping one edit at a time leaves no valid mapping:
            # the last one waits for the next pass (which makes it ``{}``)
            count = removed.get(id(plan.mapping), 0)
            if count and count + 1 >= len(plan.mapping.pairs):
                continue
        if any(_collides(starts, spans, e.start, e.end) for e in plan_edits_):
            continue
        for e in plan_edits_:
            i = bisect_left(starts, e.start)
            starts.insert(i, e.start)
            spans.insert(i, (e.start, e.end))
        if remove:
            removed[id(plan.mapping)] = removed.get(id(plan.mapping), 0) + 1
        chosen.append(plan)
        edits[id(plan)] = plan_edits_
    return chosen, edits


def _collides(starts: list[int], spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True when [start, end) overlaps a chosen edit (or replaces the very same range)."""
    j = max(bisect_left(starts, start) - 1, 0)
    while j < len(spans) and spans[j][0] <= end:
        s, e = spans[j]
        if (start < e and s < end) or (s == start and e == end):
            return True
        j += 1
    return False


def _proven(text: str, parsed: ParsedYaml, plans: list, edits: dict, budget: list[int]) -> list:
    """The largest run of ``plans`` found (by halves) whose edits prove together, within
    ``budget[0]`` proofs (what is not proven in time waits: it is never applied unproven)."""
    if budget[0] <= 0:
        return []
    budget[0] -= 1
    if prove(parsed, plans, apply_edits(text, [e for plan in plans for e in edits[id(plan)]])):
        return plans
    if len(plans) == 1:
        return []
    half = len(plans) // 2
    left = _proven(text, parsed, plans[:half], edits, budget)
    right = _proven(text, parsed, plans[half:], edits, budget)
    if left and right and budget[0] > 0:
        budget[0] -= 1
        both = left + right
        if prove(parsed, both, apply_edits(text, [e for plan in both for e in edits[id(plan)]])):
            return both
    return left if len(left) >= len(right) else right


def compose_edits(first: list[TextEdit], second: list[TextEdit], text1: str, text2: str) -> list[TextEdit]:
    """Edits on the original text that do ``first`` (original -> ``text1``) and then ``second``
    (``text1`` -> ``text2``) in one go. Linear: both lists are swept once in order.

    Where an edit of ``second`` touches what one of ``first`` wrote, the two become one edit.
    """
    first = sorted(first, key=lambda e: (e.start, e.end))
    second = sorted(second, key=lambda e: (e.start, e.end))
    # every edit as a span of text1: (start, end, which, edit)
    items = []
    shift = 0
    for e in first:
        start1 = e.start + shift
        items.append((start1, start1 + len(e.new_text), 0, e))
        shift += len(e.new_text) - (e.end - e.start)
    items.extend((e.start, e.end, 1, e) for e in second)
    items.sort(key=lambda item: (item[0], item[1]))
    out: list[TextEdit] = []
    d1 = d2 = 0  # text0 -> text1 and text1 -> text2 shifts of the edits before the group
    i = 0
    while i < len(items):
        a1, b1 = items[i][0], items[i][1]
        g1 = g2 = 0
        j = i
        while j < len(items) and items[j][0] <= b1:
            _start, end, which, edit = items[j]
            b1 = max(b1, end)
            if which == 0:
                g1 += len(edit.new_text) - (edit.end - edit.start)
            else:
                g2 += len(edit.new_text) - (edit.end - edit.start)
            j += 1
        a0, b0 = a1 - d1, b1 - d1 - g1
        a2, b2 = a1 + d2, b1 + d2 + g2
        out.append(TextEdit(a0, b0, text2[a2:b2]))
        d1 += g1
        d2 += g2
        i = j
    return out


def diff_edits(old: str, new: str) -> list[TextEdit]:
    """Line-level minimal edits turning ``old`` into ``new`` (for one workspace edit)."""
    import difflib

    a = split_lines(old)
    b = split_lines(new)
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
