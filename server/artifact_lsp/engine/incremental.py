"""Incremental lint: after an edit, re-parse and re-check only the list entries it touched.

A manifest is mostly its ``artifacts`` list, and an edit almost always lands inside one entry.
``relint(previous, text, ...)`` finds the lines the edit changed, re-parses only the entries
they fall in (as a small YAML document of their own), runs every rule on a *skeleton* of the
document (its real top level, the re-parsed entries, and every other entry replaced by
``ELIDED``, an empty mapping that ``Context.entries`` skips), and keeps the findings of the
untouched entries from ``previous``, moved by the number of characters the edit added.

**What the rules promise for it** (``tests/test_incremental.py`` compares every result with a
full lint, on generated manifests and edits and on the corpus):

- a finding inside an entry's lines depends only on that entry, the document outside the
  list, the configuration and the disk;
- a finding outside every entry depends on the entries only through their number (and that
  each is a mapping).

A rule reaches entries through ``Context.entries`` (which skips ``ELIDED``) or by walking the
tree (``ELIDED`` has nothing in it); a rule that compares entries with each other would break
the first promise and must make ``Layout.of`` refuse the documents it applies to.

**When it does not apply** ``relint`` returns None and the caller lints in full: the document
is not a manifest, does not parse, has anchors or aliases, a problem outside an entry, a
flow-style or tagged top level or list, line breaks other than ``\\n`` and ``\\r\\n``; the edit
touches a line outside the list or the first line of an entry's region is not ``- key``;
the re-parsed lines are not as many entries at the list's column (an entry added or removed:
the findings of the entries after it name their index; a dedent, a document marker), or
the configuration or the disk facts (``files.generation``) changed since ``previous``.

**Offsets.** An entry the edit did not touch keeps its node objects, so after an edit above
it their offsets are off by what the edit added (``Layout.shifts``; findings are moved, the
nodes are not). ``LintResult.parsed`` builds the exact tree on first use
(``Layout.materialize``), cloning the entries whose offsets moved and pointing the findings'
fix plans at the clones. Publishing diagnostics never needs it; a fix, a hover or the outline
does. Nothing is ever changed in a tree another result holds.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from . import files, spec
from .fixes import MAX_FIX_DEPTH
from .model import Finding, Related
from .rules import run as run_checks
from .rules.base import ELIDED, Context
from .yamlmodel import Mapping, Node, ParsedYaml, Scalar, Sequence, YamlProblem, parse
from .yamlmodel import shift as shift_tree

if TYPE_CHECKING:
    from .config import Config
    from .linter import LintResult

# line breaks YAML knows besides \n and \r\n: offsets of lines would not match ours
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029", "\ufeff")
_DASH = re.compile(r"( *)- +")
_CHUNK = 4096


class Layout:
    """A manifest as ``relint`` sees it: the top level, and its list's entries as regions of
    lines (each from its ``-`` line to the next one's) with the findings inside each.

    Never changed once made (results on several threads read it); ``relint`` makes a new one.
    """

    __slots__ = (
        "root",
        "seq",
        "before",
        "key",
        "after",
        "indent",
        "items",
        "shifts",
        "starts",
        "end",
        "buckets",
        "problems",
        "depth",
    )

    root: Mapping  # the result's root (a skeleton's until ``materialize``)
    seq: Sequence  # the result's list node (its items are ELIDED but the re-parsed ones until then)
    before: list  # the top-level pairs before the list's (exact offsets)
    key: Node  # the list's key
    after: list  # the top-level pairs after the list's (exact offsets)
    indent: int  # the column of the entries' dashes
    items: list  # every entry's node; add ``shifts[i]`` to the offsets of entry i's nodes
    shifts: list[int]
    starts: list[int]  # where each entry's region starts (the start of its ``-`` line)
    end: int  # where the last region ends (the line of the next top-level key, or the end)
    buckets: list[list[Finding]]  # each entry's findings (exact offsets; plans as ``items``)
    problems: list[list[YamlProblem]]  # each entry's duplicate keys (exact offsets)
    depth: int  # at least the tree's nesting depth (exact when at most ``MAX_FIX_DEPTH``)

    @classmethod
    def of(cls, result: LintResult) -> Layout | None:
        """The layout of a fully linted result, or None when ``relint`` cannot apply to it."""
        text, parsed = result.text, result.parsed
        if result.kind != "manifest" or parsed.anchors or parsed.aliases or parsed.max_depth > MAX_FIX_DEPTH:
            return None
        if any(p.kind != "duplicate" for p in parsed.problems) or not _plain_breaks(text):
            return None
        root = parsed.root
        if type(root) is not Mapping or root.flow or root.tag is not None or root.anchor is not None:
            return None
        at = [i for i, (k, _v) in enumerate(root.pairs) if type(k) is Scalar and k.value == spec.ENTRIES]
        if len(at) != 1 or root.has_merge:
            return None
        key, seq = root.pairs[at[0]]
        if type(seq) is not Sequence or seq.flow or seq.tag is not None or seq.anchor is not None or not seq.items:
            return None
        starts: list[int] = []
        indent = -1
        for item in seq.items:
            found = _dash_line(text, item)
            if found is None or (indent >= 0 and found[1] != indent):
                return None
            starts.append(found[0])
            indent = found[1]
        after = root.pairs[at[0] + 1 :]
        if after:
            first = after[0][0]
            end = text.rfind("\n", 0, first.start) + 1
            if text[end : first.start].strip(" ") or end <= starts[-1]:
                return None
        else:
            end = len(text)
        layout = cls()
        layout.root, layout.seq, layout.key = root, seq, key
        layout.before, layout.after = root.pairs[: at[0]], after
        layout.indent, layout.items, layout.shifts = indent, seq.items, [0] * len(seq.items)
        layout.starts, layout.end, layout.depth = starts, end, parsed.max_depth
        buckets = _split(result.raw_findings, starts, end)
        problems = _split(parsed.problems, starts, end)
        if buckets is None or problems is None or problems[1]:
            return None
        layout.buckets, layout.problems = buckets[0], problems[0]
        return layout

    def region_end(self, i: int) -> int:
        return self.starts[i + 1] if i + 1 < len(self.starts) else self.end

    def materialize(self, findings: list[Finding]) -> tuple[ParsedYaml, list[Finding]]:
        """The exact tree of this layout's text, and ``findings`` with their plans on its nodes.

        Fills the skeleton's list (``seq``, owned by one result) with every entry, cloning
        those whose offsets moved."""
        remap: dict[int, Node] = {}
        self.seq.items = [
            item if not shift else _clone(item, shift, remap)
            for item, shift in zip(self.items, self.shifts, strict=True)
        ]
        problems = [
            p
            if p.related is None or id(p.related) not in remap
            else dataclasses.replace(p, related=remap[id(p.related)])
            for bucket in self.problems
            for p in bucket
        ]
        parsed = ParsedYaml(self.root, problems, {}, [], self.depth)
        if remap:
            findings = [_replanned(f, remap) if f.plan is not None else f for f in findings]
        return parsed, findings


REFUSED: dict[int, int] = {}  # line of ``relint`` -> how often it refused there (to see why edits lint in full)


def _refused() -> LintResult | None:
    line = sys._getframe(1).f_lineno
    REFUSED[line] = REFUSED.get(line, 0) + 1
    return None


def layout_of(result: LintResult) -> Layout | None:
    """``result``'s layout (made once, kept on the result)."""
    layout = result._layout
    if layout is None:
        layout = result._layout = Layout.of(result) or False
    return layout or None


def relint(
    previous: LintResult,
    text: str,
    *,
    path: Any = None,
    kind: str | None = None,
    config: Config | None = None,
) -> LintResult | None:
    """The lint of ``text``, an edit of ``previous.text``, from ``previous`` and the entries the
    edit touched; None when that cannot be done exactly (lint in full then)."""
    from .linter import LintResult, _order, suppressed

    kind = kind or previous.kind
    if (
        kind != previous.kind
        or path != previous.path
        or previous.config is None
        or (config is not None and config is not previous.config and config != previous.config)
        or previous.generation != files.generation()
    ):
        return _refused()
    config = previous.config
    layout = layout_of(previous)
    if layout is None:
        return _refused()
    old = previous.text
    if text == old:
        return previous
    p, old_end, new_end = changed(old, text)
    delta = new_end - old_end
    starts, n = layout.starts, len(layout.items)
    line = old.rfind("\n", 0, p) + 1
    if line < starts[0] or old_end > layout.end or (line == layout.end and old_end > p):
        return _refused()
    lo = min(bisect_right(starts, line) - 1, n - 1)
    hi = max(lo, bisect_right(starts, max(old_end - 1, line)) - 1)
    if line == starts[lo] and lo > 0:
        lo -= 1  # a change on an entry's first line may as well end the entry before it
    start, stop = starts[lo], layout.region_end(hi) + delta
    piece = text[start:stop]
    if (stop < len(text) and text[stop - 1] != "\n") or not _plain_lines(piece, layout.indent):
        return _refused()
    sub = parse(piece)
    fresh = sub.root
    if (
        sub.anchors
        or sub.aliases
        or any(problem.kind != "duplicate" for problem in sub.problems)
        or type(fresh) is not Sequence
        or fresh.flow
        or fresh.tag is not None
        or fresh.anchor is not None
        or not fresh.items
    ):
        return _refused()
    if len(fresh.items) != hi - lo + 1:
        return _refused()  # entries added or removed: the later entries' findings name their index
    depth = max(layout.depth, sub.max_depth + 1)
    if depth > MAX_FIX_DEPTH:
        return _refused()
    shift_tree(sub, start)
    new_items = fresh.items
    new_starts = []
    for item in new_items:
        found = _dash_line(text, item)
        if found is None or found[1] != layout.indent:
            return _refused()
        new_starts.append(found[0])
    if new_starts[0] != start:
        return _refused()
    # a block collection ends at the next token: the piece's last ones at the end of the piece,
    # in the document at the next entry's dash or the next top-level key
    if hi + 1 < n:
        following = stop + layout.indent
    elif layout.after:
        following = layout.after[0][0].start + delta
    else:
        following = stop
    if following != stop:
        _end_at(fresh, stop, following)
    seq_end, root_end = _moved_end(layout.seq.end, p, old_end, delta), _moved_end(layout.root.end, p, old_end, delta)
    if seq_end is None or root_end is None:
        return _refused()

    # the skeleton: the real top level, the re-parsed entries, ELIDED for the others
    after = layout.after if not delta else [(_clone(k, delta, None), _clone(v, delta, None)) for k, v in layout.after]
    root = layout.root
    seq = Sequence(False, layout.seq.start, None, None)
    seq.end = seq_end
    seq.items = [ELIDED] * lo + new_items + [ELIDED] * (n - hi - 1)
    skeleton = Mapping(False, root.start, None, None)
    skeleton.end = root_end
    skeleton.pairs = [*layout.before, (layout.key, seq), *after]
    ctx = Context(text, ParsedYaml(skeleton, sub.problems, {}, [], depth), path, kind, config)
    run_checks(ctx)

    # where each entry's region starts now, and which findings are whose
    all_starts = starts[:lo] + new_starts + ([s + delta for s in starts[hi + 1 :]] if delta else starts[hi + 1 :])
    end = layout.end + delta
    split = _split(ctx.findings, new_starts, stop)
    problems = _split(sub.problems, new_starts, stop)
    if split is None or problems is None or problems[1]:
        return _refused()
    fresh_buckets, top = split
    if _inside_any(top, all_starts, end):
        return _refused()  # a finding outside the re-parsed entries but inside another: not ours to keep

    later_buckets = layout.buckets[hi + 1 :]
    later_problems = layout.problems[hi + 1 :]
    if delta:
        later_buckets = [_moved(bucket, delta) if bucket else bucket for bucket in later_buckets]
        later_problems = [[_moved_problem(q, delta) for q in bucket] if bucket else bucket for bucket in later_problems]
    new = Layout()
    new.root, new.seq, new.key, new.before, new.after = skeleton, seq, layout.key, layout.before, after
    new.indent, new.depth, new.starts, new.end = layout.indent, depth, all_starts, end
    new.items = layout.items[:lo] + new_items + layout.items[hi + 1 :]
    new.shifts = (
        layout.shifts[:lo]
        + [0] * len(new_items)
        + ([s + delta for s in layout.shifts[hi + 1 :]] if delta else layout.shifts[hi + 1 :])
    )
    new.buckets = layout.buckets[:lo] + fresh_buckets + later_buckets
    new.problems = layout.problems[:lo] + problems[0] + later_problems

    findings = top
    for bucket in new.buckets:
        if bucket:
            findings += bucket
    findings.sort(key=_order)
    result = LintResult(text, path, kind, None, findings, config.docs_url, layout=new)
    result.config, result.generation, result.checked_at = config, previous.generation, previous.checked_at
    result.reused = True
    kept = suppressed(result, findings)  # (builds the tree when a directive is in the text)
    if kept is not findings:
        ids = {id(f) for f in kept}
        # ``result.findings``: ``findings`` with their plans on the tree, one for one
        result._raw = result.findings
        result.findings = [r for f, r in zip(findings, result._raw, strict=True) if id(f) in ids]
    return result


# --------------------------------------------------------------------------- the change


def changed(old: str, new: str) -> tuple[int, int, int]:
    """``(start, old_end, new_end)``: ``old[start:old_end]`` became ``new[start:new_end]`` (the
    longest common prefix and suffix around it), at C speed: chunks compared as slices."""
    n = min(len(old), len(new))
    p = _prefix(old, new, n)
    s = _suffix(old, new, n - p)
    return p, len(old) - s, len(new) - s


def _prefix(a: str, b: str, limit: int) -> int:
    lo = 0
    while lo < limit:
        hi = min(limit, lo + _CHUNK)
        if a[lo:hi] != b[lo:hi]:
            break
        lo = hi
    else:
        return limit
    low, high = lo, hi  # a[lo:low] == b[lo:low]; a[lo:high] != b[lo:high]
    while high - low > 1:
        mid = (low + high) // 2
        if a[lo:mid] == b[lo:mid]:
            low = mid
        else:
            high = mid
    return low


def _suffix(a: str, b: str, limit: int) -> int:
    la, lb = len(a), len(b)
    lo = 0
    while lo < limit:
        hi = min(limit, lo + _CHUNK)
        if a[la - hi : la - lo] != b[lb - hi : lb - lo]:
            break
        lo = hi
    else:
        return limit
    low, high = lo, hi  # the last `low` characters agree, the last `high` do not
    while high - low > 1:
        mid = (low + high) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            low = mid
        else:
            high = mid
    return low


# --------------------------------------------------------------------------- lines


def _plain_breaks(text: str) -> bool:
    """Lines end only at ``\\n`` (or ``\\r\\n``): the only breaks ``rfind("\\n")`` sees."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return False
    return not any(ch in text for ch in _OTHER_BREAKS[:3]) and "\ufeff" not in text[1:]


def _plain_lines(piece: str, indent: int) -> bool:
    """Whole lines of list entries at column ``indent``: every line with content is indented
    at least that far, and one indented exactly that far starts an entry (``-``). A comment
    line may be anywhere. So nothing in them can end the list or the document."""
    return bool(piece) and _plain_breaks(piece) and "\ufeff" not in piece and _lines_ok(piece, indent)


def _lines_ok(piece: str, indent: int) -> bool:
    for line in piece.split("\n"):
        content = line.lstrip(" ")
        if not content or content[0] == "#" or content == "\r":
            continue
        column = len(line) - len(content)
        if column < indent:
            return False
        if column == indent and not (content.startswith("- ") or content.rstrip("\r") == "-"):
            return False
    return True


def _dash_line(text: str, item: Node) -> tuple[int, int] | None:
    """(start of the line, column of the dash) when ``item`` is a block mapping that starts on
    its ``-`` line with nothing else before it; else None."""
    if type(item) is not Mapping or item.flow or item.tag is not None or item.anchor is not None or not item.pairs:
        return None
    line = text.rfind("\n", 0, item.start) + 1
    m = _DASH.fullmatch(text, line, item.start)
    if m is None:
        return None
    return line, len(m.group(1))


# --------------------------------------------------------------------------- findings


def _split(findings, starts: list[int], end: int):
    """``([findings of each region], findings outside every region)`` for findings or parser
    problems; None when one of them (or what it relates to) straddles regions."""
    buckets: list[list] = [[] for _ in starts]
    top = []
    first = starts[0]
    last = len(starts) - 1
    for f in findings:
        s = f.start
        if s < first or s >= end:
            if f.end > first and s < end:
                return None
            top.append(f)
            continue
        i = bisect_right(starts, s) - 1
        low, high = starts[i], (starts[i + 1] if i < last else end)
        if f.end > high:
            return None
        related = f.related
        if related:
            spans = [(r.start, r.end) for r in related] if type(related) is tuple else [(related.start, related.end)]
            if any(a < low or b > high for a, b in spans):
                return None
        buckets[i].append(f)
    return buckets, top


def _inside_any(findings: list[Finding], starts: list[int], end: int) -> bool:
    first = starts[0]
    return any(not (f.end <= first or f.start >= end) for f in findings)


def _moved(bucket: list[Finding], d: int) -> list[Finding]:
    return [
        Finding(
            f.rule,
            f.message,
            f.start + d,
            f.end + d,
            f.severity,
            f.plan,
            tuple(Related(r.message, r.start + d, r.end + d) for r in f.related) if f.related else (),
            f.key,
        )
        for f in bucket
    ]


def _moved_problem(p: YamlProblem, d: int) -> YamlProblem:
    return YamlProblem(p.kind, p.message, p.start + d, p.end + d, p.related)


def _replanned(f: Finding, remap: dict[int, Node]) -> Finding:
    plan: Any = f.plan
    changes = {}
    for field in dataclasses.fields(plan):
        value = getattr(plan, field.name)
        if isinstance(value, Node) and id(value) in remap:
            changes[field.name] = remap[id(value)]
    if not changes:
        return f
    return Finding(
        f.rule, f.message, f.start, f.end, f.severity, dataclasses.replace(plan, **changes), f.related, f.key
    )


# --------------------------------------------------------------------------- nodes

_new = object.__new__


def _clone(node: Any, d: int, remap: dict[int, Node] | None) -> Node:
    """A copy of ``node``'s subtree with every offset moved by ``d`` (``remap``: id of each
    original -> its copy). The tree has no aliases (``Layout.of``) and is at most
    ``MAX_FIX_DEPTH`` deep."""
    t = type(node)
    copy: Any = _new(t)
    copy.start = node.start + d
    copy.end = node.end + d
    copy.anchor = node.anchor
    copy.tag = node.tag
    if t is Scalar:
        copy.value = node.value
        copy.style = node.style
        copy._rtag = node._rtag
    elif t is Mapping:
        copy.flow = node.flow
        copy.has_merge = node.has_merge
        copy._index = None
        copy.pairs = [(_clone(k, d, remap), _clone(v, d, remap)) for k, v in node.pairs]
    elif t is Sequence:
        copy.flow = node.flow
        copy.items = [_clone(i, d, remap) for i in node.items]
    else:  # pragma: no cover - Layout.of refuses trees with aliases
        raise TypeError(f"cannot clone {node!r}")
    if remap is not None:
        remap[id(node)] = copy
    return copy


def _moved_end(offset: int, start: int, old_end: int, delta: int) -> int | None:
    """Where an offset of the old text is in the new one (None: inside the change)."""
    if offset >= old_end:
        return offset + delta
    return offset if offset <= start else None


def _end_at(top: Node, old: int, new: int) -> None:
    """Block collections of a fresh tree that end at ``old`` end at ``new``."""
    stack: list[Any] = [top]
    while stack:
        node = stack.pop()
        t = type(node)
        if t is Mapping:
            if node.end == old and not node.flow:
                node.end = new
            for k, v in node.pairs:
                stack.append(k)
                stack.append(v)
        elif t is Sequence:
            if node.end == old and not node.flow:
                node.end = new
            stack.extend(node.items)
