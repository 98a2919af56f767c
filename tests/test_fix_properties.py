"""Property tests for the fix engine on generated manifests and matrices.

The generator (``_fixgen``) writes documents in many styles: indentation 2 or 4, dash offset
2 or 4, block or flow entries and nested blocks (also ``artifacts: [{...}]``), multi-line flow
mappings, plain / single / double quoted keys and values, block scalars (``|``, ``|+``, ``>-``
...), own-line and inline comments (also inside legacy blocks), blank lines, ``---``, trailing
spaces, LF / CRLF / lone CR, Japanese and emoji in values and comments, with or without a final
line break, and legacy keys at random positions among valid keys and decoys
(``runtime_meta_notes``, a top-level ``id``, ``parameters`` outside ``source_template``).

The oracle is independent of the engine: ``yaml.safe_load`` and the contract's legacy table
applied to plain data (``strip_legacy``). The last tests check suppression comments and throw
mutated and random line soups at the fixer (it must never crash nor change other data).
"""

from __future__ import annotations

import re
from collections import Counter

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fixgen import (
    expected_after_plan,
    legacy_pairs,
    line_starts,
    manifest_doc,
    matrix_doc,
    plan_is_simple,
    rendered,
    strip_legacy,
    untouched_bounds,
)
from artifact_lsp.engine.config import Config
from artifact_lsp.engine.linter import fix_edits, fix_text, lint_text
from artifact_lsp.engine.model import RenameKey, apply_edits
from artifact_lsp.engine.yamlmodel import parse

SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

documents = st.one_of(
    st.tuples(st.just("manifest"), rendered(manifest_doc())),
    st.tuples(st.just("manifest"), rendered(manifest_doc())),
    st.tuples(st.just("matrix"), rendered(matrix_doc())),
)


def _load(text: str):
    """yaml.safe_load through libyaml when available (same SafeLoader rules, faster); the
    edited texts are read with yaml.safe_load itself."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _line_of(text: str, offset: int) -> int:
    starts = line_starts(text)
    return max(i for i, s in enumerate(starts) if s <= offset)


def _assert_line_breaks(new: str, newline: str) -> None:
    if newline == "\r":
        assert "\n" not in new, "a LF in a CR file"
    elif newline == "\r\n":
        assert "\n" not in new.replace("\r\n", ""), "a bare LF in a CRLF file"
        assert "\r" not in new.replace("\r\n", ""), "a lone CR in a CRLF file"
    else:
        assert "\r" not in new, "a CR in an LF file"


# the legacy rules only: other fixes (quoting a value, removing a tag) are checked elsewhere
LEGACY_ONLY = Config(select=("AL1", "AL501", "AL502", "AL503"))


def _assert_ending_kept(text: str, new: str) -> None:
    """The byte order mark stays first, and the file ends with a line break exactly when it
    did (issue 10, item 6)."""
    assert new.startswith("\ufeff") == text.startswith("\ufeff"), "byte order mark moved or lost"
    assert "\ufeff" not in new[1:], "text before the byte order mark"
    # (a literal or folded block scalar that keeps its last line break may end up last: that
    # break is data, and the data wins)
    if new.strip("\ufeff") and not _KEPT_BREAK_BLOCK.search(text):
        assert new.endswith(("\n", "\r")) == text.endswith(("\n", "\r")), "the file's ending changed"


_KEPT_BREAK_BLOCK = re.compile(r"[|>][1-9+]{0,2}[ \t]*(?:#[^\r\n]*)?(?=[\r\n]|\Z)")


def _legacy_findings(result):
    return [f for f in result.findings if f.rule.deprecated]


# --------------------------------------------------------------------------- one fix at a time


@settings(max_examples=200, **SETTINGS)
@given(documents)
def test_every_fix_removes_exactly_its_key(case):
    kind, doc = case
    text = doc.text
    data = _load(text)
    result = lint_text(text, kind=kind, disk=False)
    assert result.parsed.problems == []

    findings = _legacy_findings(result)
    plans = {}
    for finding in findings:
        assert finding.plan is not None, f"{finding.code} without a fix plan: {finding.message}"
        plans.setdefault(id(finding.plan.key), finding)
    # every legacy key the generator placed is found, once (digests share their block's plan)
    assert sorted(f.plan.key.value for f in plans.values()) == sorted(p.key for p in legacy_pairs(doc.doc))

    for finding in findings:
        plan = finding.plan
        fix = result.fixer.fix_for(finding)
        assert fix is not None, f"no fix offered for {finding.code} {plan.key.value!r}"
        assert fix.edits
        new = apply_edits(text, fix.edits)

        # valid YAML, one document, the original data minus exactly that key
        new_data = yaml.safe_load(new)
        assert new_data == expected_after_plan(data, result.parsed.root, plan)
        assert parse(new).problems == []

        # every line outside the edited region is byte-identical
        prefix, suffix = untouched_bounds(text, fix.edits)
        assert new.startswith(prefix)
        assert new.endswith(suffix)
        assert len(prefix) + len(suffix) <= len(new)
        _assert_line_breaks(new, doc.newline)
        _assert_ending_kept(text, new)

        # the comments inside the removed key go with it; every other comment stays
        key_line = _line_of(text, plan.key.start)
        removed = {m for m in doc.comments if m in text and m not in new}
        if isinstance(plan, RenameKey):
            expected = set()
            assert new_data is not None
        else:
            expected = {
                m
                for m, owner in doc.comments.items()
                if owner is not None and owner.key == plan.key.value and owner.line == key_line
            }
        assert removed == expected


# --------------------------------------------------------------------------- fix_text


@settings(max_examples=180, **SETTINGS)
@given(documents)
def test_fix_text_removes_every_legacy_key(case):
    kind, doc = case
    text = doc.text
    data = _load(text)
    before = lint_text(text, kind=kind, disk=False)
    legacy_before = _legacy_findings(before)

    new, fixed, edits = fix_edits(text, kind=kind, config=LEGACY_ONLY)

    assert apply_edits(text, edits) == new  # one edit set on the original text, passes composed
    assert yaml.safe_load(new) == strip_legacy(data, kind)
    after = lint_text(new, kind=kind, disk=False)
    assert after.parsed.problems == []
    assert _legacy_findings(after) == []
    assert Counter(f.code for f in fixed) == Counter(f.code for f in legacy_before)
    _assert_line_breaks(new, doc.newline)
    _assert_ending_kept(text, new)
    if not legacy_before:
        assert new == text

    for marker, owner in doc.comments.items():
        if owner is None:
            assert marker in new, f"comment {marker} outside every legacy key was lost"
        elif owner.key != "esb_env":  # esb_env is renamed or removed depending on env
            assert marker not in new, f"comment {marker} inside legacy key {owner.key!r} was kept"

    # a second run has nothing left to do
    again, fixed_again = fix_text(new, kind=kind, config=LEGACY_ONLY)
    assert again == new and fixed_again == []


# --------------------------------------------------------------------------- suppression


@settings(max_examples=80, **SETTINGS)
@given(documents)
def test_suppression_keeps_the_data_and_silences_only_that_line(case):
    kind, doc = case
    text = doc.text
    data = _load(text)
    result = lint_text(text, kind=kind, disk=False)
    for finding in _legacy_findings(result):
        fix = result.fixer.suppression(finding)
        assert len(fix.edits) == 1 and fix.edits[0].start == fix.edits[0].end  # an insertion
        new = apply_edits(text, fix.edits)
        assert yaml.safe_load(new) == data
        _assert_line_breaks(new, doc.newline)
        _assert_ending_kept(text, new)
        line = _line_of(text, finding.start)
        after = lint_text(new, kind=kind, disk=False)
        # the finding's line moved down by one: nothing of that code is left on it
        assert not [f for f in after.findings if f.code == finding.code and _line_of(new, f.start) == line + 1]
        # everything on other lines is still reported
        others_before = Counter((f.code, f.message) for f in result.findings if _line_of(text, f.start) != line)
        others_after = Counter((f.code, f.message) for f in after.findings if _line_of(new, f.start) != line + 1)
        assert others_after == others_before


# --------------------------------------------------------------------------- robustness


_KEYS = [
    "artifacts:",
    "matrix:",
    "id: x",
    "id:",
    "'id': y",
    "image_prewarm: all",
    "runtime_meta:",
    "runtime_hooks:",
    "java_agent_digest: d",
    "runtime_stack: {a: 1}",
    "runtime_stack:",
    "artifact_root: r",
    "runtime_config_dir: c",
    "source_template:",
    "parameters: {p: 1}",
    "parameters:",
    "esb_env: e",
    "env: e",
    "deploy_driver: d",
    "env_vars:",
    "a: 1",
    "b: &a {id: 1, c: 2}",
    "c: *a",
    "<<: *a",
    "d: |+",
    "e: >-",
    "text line",
    "# comment",
    "{id: x, a: 1}",
    "[{id: 1}]",
    "日本: 😀",
    "",
]


@st.composite
def fragment_documents(draw):
    """Line soup: indentation, an opener (dash, explicit key, value indicator) and a fragment."""
    lines = draw(
        st.lists(
            st.tuples(
                st.sampled_from([0, 0, 2, 2, 4, 4, 6, 8]),
                st.sampled_from(["", "", "", "- ", "- ", "? ", ": ", "- ? "]),
                st.sampled_from(_KEYS),
                st.sampled_from(["", "", "", "  # c", "\t", " "]),
            ).map(lambda t: " " * t[0] + t[1] + t[2] + t[3]),
            max_size=14,
        )
    )
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


_PAIR_LINE = re.compile(r"^( *)(- )?([^\s#:][^:#]*): ?(.*)$")


@st.composite
def mutated_documents(draw):
    """A generated document with a few line-level mutations: inserted, duplicated or deleted
    lines, explicit ``? key`` pairs, anchors with aliases elsewhere, merge keys."""
    _kind, doc = draw(documents)
    lines = doc.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for n in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[i] if lines else ""
        indent = " " * (len(line) - len(line.lstrip(" ")))
        op = draw(st.sampled_from(["insert", "duplicate", "delete", "explicit", "anchor", "merge"]))
        m = _PAIR_LINE.match(line)
        if op == "insert":
            lines.insert(i, indent + draw(st.sampled_from(_KEYS)))
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "delete" and lines:
            del lines[i]
        elif op == "explicit" and m:
            pad = indent + ("  " if m.group(2) else "")
            lines[i : i + 1] = [f"{indent}{m.group(2) or ''}? {m.group(3)}", f"{pad}: {m.group(4)}".rstrip()]
        elif op == "anchor" and m and m.group(4) and not m.group(4).startswith(("|", ">", "&", "*", "#")):
            lines[i] = f"{indent}{m.group(2) or ''}{m.group(3)}: &x{n} {m.group(4)}"
            j = draw(st.integers(0, len(lines)))
            other = lines[j - 1] if j else ""
            lines.insert(j, " " * (len(other) - len(other.lstrip(" "))) + f"alias_{n}: *x{n}")
        elif op == "merge" and m:
            pad = indent + ("  " if m.group(2) else "")
            lines.insert(i + 1, f"{pad}<<: {{id: merged, image_prewarm: none}}")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines)


@settings(max_examples=200, **SETTINGS)
@given(st.one_of(fragment_documents(), mutated_documents()), st.sampled_from(["manifest", "matrix"]))
def test_fixes_never_crash_and_never_change_other_data(text, kind):
    result = lint_text(text, kind=kind, disk=False)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    for finding in result.findings:
        fix = result.fixer.fix_for(finding)
        result.fixer.suppression(finding)
        if fix is None or data is None or not plan_is_simple(finding.plan, result.parsed.root):
            continue
        new = apply_edits(text, fix.edits)
        assert yaml.safe_load(new) == expected_after_plan(data, result.parsed.root, finding.plan)
    new, _, edits = fix_edits(text, kind=kind)
    assert apply_edits(text, edits) == new
    if data is not None and not result.parsed.fatal:
        yaml.safe_load(new)
