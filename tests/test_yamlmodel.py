"""The YAML position model: exact spans, problems instead of exceptions, aliases kept as aliases."""

from __future__ import annotations

import contextlib
import itertools
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fixgen import manifest_doc, matrix_doc, rendered
from artifact_lsp.engine import yamlmodel
from artifact_lsp.engine.yamlmodel import (
    Alias,
    Mapping,
    Scalar,
    Sequence,
    TooDeep,
    canonical,
    deref,
    iter_nodes,
    mapping_problem,
    merged_pairs,
    parse,
)

PARSERS = [pytest.param(False, id="libyaml"), pytest.param(True, id="pure")]
if not yamlmodel.HAVE_LIBYAML:  # pragma: no cover - depends on the PyYAML build
    PARSERS = [pytest.param(True, id="pure")]


def span(text, node):
    return text[node.start : node.end]


def pairs_text(text, mapping):
    return [(span(text, k), span(text, v)) for k, v in mapping.pairs]


def all_spans(parsed):
    return [(type(n).__name__, n.start, n.end) for n in iter_nodes(parsed.root)]


# --------------------------------------------------------------------------- spans


@pytest.mark.parametrize("pure", PARSERS)
def test_block_mapping_spans(pure):
    text = "schema_version: '1'\nproject: esb\nartifacts:\n  - artifact_root: r\n    id: 日本\n"
    p = parse(text, pure=pure)
    assert p.problems == []
    root = p.root
    assert type(root) is Mapping and not root.flow
    assert pairs_text(text, root)[:2] == [("schema_version", "'1'"), ("project", "esb")]
    k, v = root.pairs[2]
    assert span(text, k) == "artifacts"
    assert type(v) is Sequence and not v.flow
    entry = v.items[0]
    assert type(entry) is Mapping
    assert pairs_text(text, entry) == [("artifact_root", "r"), ("id", "日本")]
    assert root.start == 0


@pytest.mark.parametrize("pure", PARSERS)
def test_flow_mapping_spans(pure):
    text = "x: {a: 1, 'b c': \"two\", d: [1, {e: f}]}\n"
    p = parse(text, pure=pure)
    flow = p.root.pairs[0][1]
    assert type(flow) is Mapping and flow.flow
    assert span(text, flow) == "{a: 1, 'b c': \"two\", d: [1, {e: f}]}"
    assert pairs_text(text, flow)[:2] == [("a", "1"), ("'b c'", '"two"')]
    seq = flow.pairs[2][1]
    assert type(seq) is Sequence and seq.flow
    assert span(text, seq) == "[1, {e: f}]"
    assert span(text, seq.items[1]) == "{e: f}"


@pytest.mark.parametrize("pure", PARSERS)
def test_quoted_keys_span_includes_the_quotes(pure):
    text = '"id": x\n\'image_prewarm\': all\n"esc\\taped": y\n'
    p = parse(text, pure=pure)
    keys = [k for k, _ in p.root.pairs]
    assert [span(text, k) for k in keys] == ['"id"', "'image_prewarm'", '"esc\\taped"']
    assert [k.value for k in keys] == ["id", "image_prewarm", "esc\taped"]
    assert [k.style for k in keys] == ['"', "'", '"']
    assert not keys[0].plain


@pytest.mark.parametrize("pure", PARSERS)
def test_crlf_spans(pure):
    text = 'a: 1\r\nb:\r\n  c: 日本\r\n  d: "x"\r\n'
    p = parse(text, pure=pure)
    assert pairs_text(text, p.root)[0] == ("a", "1")
    inner = p.root.pairs[1][1]
    assert pairs_text(text, inner) == [("c", "日本"), ("d", '"x"')]


@pytest.mark.parametrize("pure", PARSERS)
def test_lone_cr_spans(pure):
    text = "a: 1\rb: 😀\r"
    p = parse(text, pure=pure)
    assert pairs_text(text, p.root) == [("a", "1"), ("b", "😀")]


@pytest.mark.parametrize("pure", PARSERS)
def test_non_ascii_spans_are_code_point_offsets(pure):
    # libyaml is fed UTF-8 bytes: its marks must still come back as str indices
    text = '名前: 😀😀 値\nキー:\n  - 🎉: "é"\nlast: x\n'
    p = parse(text, pure=pure)
    assert pairs_text(text, p.root)[0] == ("名前", "😀😀 値")
    item = p.root.pairs[1][1].items[0]
    assert pairs_text(text, item) == [("🎉", '"é"')]
    assert pairs_text(text, p.root)[2] == ("last", "x")


@pytest.mark.parametrize("pure", PARSERS)
def test_bom_offsets_index_the_original_text(pure):
    text = "\ufeffa: 日本\nid: 😀\n"
    p = parse(text, pure=pure)
    assert p.problems == []
    assert pairs_text(text, p.root) == [("a", "日本"), ("id", "😀")]
    assert p.root.pairs[0][0].start == 1


@pytest.mark.parametrize("pure", PARSERS)
def test_bom_shifts_problem_offsets_too(pure):
    text = "\ufeffa: 1\na: 2\nb: *nope\n"
    p = parse(text, pure=pure)
    kinds = {pr.kind: pr for pr in p.problems}
    assert text[kinds["alias"].start : kinds["alias"].end] == "*nope"
    text2 = "\ufeffa: 1\na: 2\n"
    dup = parse(text2, pure=pure).problems
    assert [(pr.kind, text2[pr.start : pr.end]) for pr in dup] == [("duplicate", "a")]
    assert dup[0].start == text2.index("a: 2")


def test_block_scalar_span_starts_at_the_indicator():
    text = "k: |\n  line1\n  line2\nz: 1\n"
    p = parse(text)
    value = p.root.pairs[0][1]
    assert value.style == "|"
    assert value.value == "line1\nline2\n"
    assert span(text, value).startswith("|\n  line1\n  line2")


def test_properties_are_part_of_the_node_span():
    text = "a: &anc !!str value\nb: *anc\n"
    p = parse(text)
    value = p.root.pairs[0][1]
    assert value.anchor == "anc" and value.tag == "tag:yaml.org,2002:str"
    assert span(text, value) == "&anc !!str value"
    alias = p.root.pairs[1][1]
    assert type(alias) is Alias and span(text, alias) == "*anc"


def test_scalar_tags_resolve_like_safe_loader():
    text = "a: ~\nb: '1'\nc: 1\nd: yes\ne: 2026-02-27\nf: text\ng: null\nh: ''\n"
    values = [v for _k, v in parse(text).root.pairs]
    assert [v.is_null() for v in values] == [True, False, False, False, False, False, True, False]
    assert [v.is_str() for v in values] == [False, True, False, False, False, True, False, True]
    assert values[3].resolved_tag() == "tag:yaml.org,2002:bool"
    assert values[4].resolved_tag() == "tag:yaml.org,2002:timestamp"


def test_empty_and_comment_only_texts_have_no_root():
    for text in ("", "\n\n", "# only a comment\n", "\ufeff"):
        p = parse(text)
        assert p.root is None and p.problems == [], text


# --------------------------------------------------------------------------- aliases


def test_aliases_are_nodes_pointing_at_their_anchor():
    text = "base: &b {x: 1}\nuse: *b\nagain: *b\n"
    p = parse(text)
    target = p.root.pairs[0][1]
    uses = [p.root.pairs[1][1], p.root.pairs[2][1]]
    assert all(type(a) is Alias and a.target is target and a.name == "b" for a in uses)
    assert p.anchors == {"b": [target]}
    assert p.aliases == uses
    assert deref(uses[0]) is target
    assert canonical(p.root)[3][1][1] == ("*", "b")


def test_redefined_anchor_aliases_the_latest_definition():
    text = "a: &x 1\nb: *x\nc: &x 2\nd: *x\n"
    p = parse(text)
    v = [val for _k, val in p.root.pairs]
    assert v[1].target is v[0]
    assert v[3].target is v[2]
    assert p.anchors["x"] == [v[0], v[2]]


@pytest.mark.parametrize("pure", PARSERS)
def test_billion_laughs_is_not_expanded(pure):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghij"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    p = parse(text, pure=pure)
    picture = canonical(p.root)
    elapsed = time.perf_counter() - started
    assert p.problems == []
    assert elapsed < 2.0
    # 10 keys, 9 scalars and 81 aliases: nothing is copied
    assert sum(1 for _ in iter_nodes(p.root)) < 150
    assert len(p.aliases) == 81
    assert len(repr(picture)) < 10_000


def test_undefined_alias_is_a_fatal_problem():
    text = "a: 1\nb: *missing\n"
    p = parse(text)
    assert [pr.kind for pr in p.problems] == ["alias"]
    assert text[p.problems[0].start : p.problems[0].end] == "*missing"
    assert "missing" in p.problems[0].message
    assert p.fatal
    assert p.root.pairs[1][1].target is None
    assert deref(p.root.pairs[1][1]) is None


def test_alias_used_before_its_anchor_is_undefined():
    text = "a: *later\nb: &later 1\n"
    p = parse(text)
    assert [pr.kind for pr in p.problems] == ["alias"]
    assert p.problems[0].start == text.index("*later")


# --------------------------------------------------------------------------- merge keys


def test_merge_keys_stay_pairs_and_merged_pairs_lists_what_they_bring():
    text = "base: &b\n  id: x\n  image_prewarm: all\nentry:\n  <<: *b\n  id: own\n  artifact_root: r\n"
    p = parse(text)
    assert p.problems == []
    entry = p.root.pairs[1][1]
    merge_key, merge_value = entry.pairs[0]
    assert merge_key.value == "<<" and type(merge_value) is Alias
    merged = [(k.value, span(text, via)) for k, _v, via in merged_pairs(entry)]
    assert merged == [("image_prewarm", "*b")]  # own "id" overrides the merged one
    # the picture keeps the merge as written
    assert canonical(entry)[3][0] == (("s", None, "tag:yaml.org,2002:merge", "<<"), ("*", "b"))


def test_merge_key_list_and_inline_mapping():
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b, {z: 3}]\n  x: 0\n"
    entry = parse(text).root.pairs[2][1]
    assert sorted(k.value for k, _v, _via in merged_pairs(entry)) == ["y", "z"]


def test_repeated_merge_keys_are_not_duplicates():
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n"
    assert parse(text).problems == []


def test_quoted_merge_key_is_a_plain_string_key():
    text = "a: &a {x: 1}\nc:\n  '<<': *a\n"
    entry = parse(text).root.pairs[1][1]
    assert list(merged_pairs(entry)) == []


# --------------------------------------------------------------------------- problems


@pytest.mark.parametrize("pure", PARSERS)
def test_duplicate_keys_are_reported_at_the_later_key(pure):
    text = "a: 1\nb: 2\na: 3\nm: {k: 1, k: 2}\n"
    p = parse(text, pure=pure)
    dups = sorted((pr for pr in p.problems if pr.kind == "duplicate"), key=lambda pr: pr.start)
    assert [(text[d.start : d.end], d.start) for d in dups] == [("a", text.index("a: 3")), ("k", text.rindex("k"))]
    assert dups[0].related is p.root.pairs[0][0]
    assert "'a'" in dups[0].message
    assert not p.fatal


def test_three_times_the_same_key_is_two_problems():
    text = "a: 1\na: 2\na: 3\n"
    p = parse(text)
    assert [pr.start for pr in p.problems] == [5, 10]
    assert all(pr.related.start == 0 for pr in p.problems)


def test_quoted_and_plain_spellings_of_a_key_are_duplicates():
    text = "id: 1\n'id': 2\n"
    assert [pr.kind for pr in parse(text).problems] == ["duplicate"]


@pytest.mark.parametrize("pure", PARSERS)
def test_second_document_is_reported(pure):
    text = "a: 1\n---\nb: 2\n"
    p = parse(text, pure=pure)
    assert [pr.kind for pr in p.problems] == ["document"]
    assert p.problems[0].start == text.index("---")
    assert p.problems[0].end > p.problems[0].start
    assert not p.fatal
    assert [k.value for k, _ in p.root.pairs] == ["a"]


def test_second_document_after_an_end_marker_is_reported():
    text = "---\na: 1\n...\n---\nb: 2\n"
    p = parse(text)
    assert [pr.kind for pr in p.problems] == ["document"]
    assert p.problems[0].start == text.rindex("---")


def test_a_single_explicit_document_is_fine():
    assert parse("---\na: 1\n...\n").problems == []
    assert parse("%YAML 1.1\n---\na: 1\n").problems == []


@pytest.mark.parametrize("pure", PARSERS)
@pytest.mark.parametrize(
    "text, where",
    [
        ("a: b: c\n", ": c"),  # mapping values are not allowed here
        ("a: 1\n b: 2\nc: [1, 2\n", None),
        ("a: 'unterminated\n", None),
        ("a:\n\t- x\n", None),  # a tab for indentation
        ("key: value\n- item\n", "- item"),
        ("{a: 1\n", None),
    ],
)
def test_syntax_errors_become_problems_with_offsets(pure, text, where):
    p = parse(text, pure=pure)
    assert p.fatal
    syntax = [pr for pr in p.problems if pr.kind == "syntax"]
    assert len(syntax) == 1
    problem = syntax[0]
    assert problem.message and "\n" not in problem.message
    assert 0 <= problem.start <= problem.end <= len(text)
    if where is not None:
        assert problem.start == text.index(where)


@pytest.mark.parametrize("pure", PARSERS)
def test_syntax_error_offsets_count_code_points(pure):
    text = "名前: 😀😀\nキー: b: c\n"
    p = parse(text, pure=pure)
    assert [pr.kind for pr in p.problems] == ["syntax"]
    assert p.problems[0].start == text.index(": c")


@pytest.mark.parametrize("pure", PARSERS)
@pytest.mark.parametrize(
    "text, bad",
    [
        ("a: 1\nb: \x00\n", "\x00"),
        ("a: 日本😀\nb: \x01\n", "\x01"),
        ("a: é\x7f", "\x7f"),
        ("ok: 日本\nb: [\udcff]\n", "\udcff"),  # a lone surrogate (from a JSON \\udcff escape)
    ],
)
def test_bad_characters_are_problems_at_their_offset(pure, text, bad):
    p = parse(text, pure=pure)
    assert [pr.kind for pr in p.problems] == ["syntax"]
    assert p.problems[0].start == text.index(bad)
    assert p.fatal


@pytest.mark.parametrize("pure", PARSERS)
def test_binary_junk_does_not_raise(pure):
    junk = bytes(range(256)).decode("latin-1") * 4
    for text in (
        junk,
        "\x00" * 100,
        "a: 1\n" + junk,
        "\ufeff\x00",
        "- [{\x00",
        bytes(range(256)).decode("utf-8", "replace"),
    ):
        p = parse(text, pure=pure)
        assert p.problems, repr(text[:20])
        assert all(0 <= pr.start <= len(text) for pr in p.problems)


@pytest.mark.parametrize("pure", PARSERS)
@pytest.mark.parametrize(
    "text",
    [
        "[" * 20_000,
        "[" * 20_000 + "]" * 20_000,
        "{" * 20_000,
        "{a: " * 20_000,
        "- " * 20_000 + "x",
        "".join("  " * i + "a:\n" for i in range(1_100)),  # a:\n  a:\n    a: ... (1.2 MB)
    ],
    ids=["open-brackets", "balanced-brackets", "braces", "flow-mappings", "dashes", "block-mappings"],
)
def test_deep_nesting_does_not_raise_and_is_fast(pure, text):
    started = time.perf_counter()
    p = parse(text, pure=pure)
    assert time.perf_counter() - started < 10
    assert p.fatal
    assert p.max_depth <= 1_000
    assert all(0 <= pr.start <= len(text) for pr in p.problems)


@pytest.mark.parametrize("pure", PARSERS)
def test_deep_block_sequences_of_mappings(pure):
    # 20,000 block levels would need 400 MB of indentation; 3,000 levels are past every limit
    text = "".join("  " * i + "- a:\n" for i in range(3_000))
    p = parse(text, pure=pure)
    assert p.fatal and p.max_depth <= 1_000


def test_nesting_within_the_limit_is_fine():
    depth = 999
    text = "[" * depth + "]" * depth
    for pure in (False, True):
        p = parse(text, pure=pure)
        assert p.problems == []
        assert p.max_depth == depth
    # canonical() refuses to walk that deep (it is recursive): TooDeep, not RecursionError
    with pytest.raises(TooDeep):
        canonical(parse(text).root)
    shallow = "[" * 150 + "]" * 150
    assert canonical(parse(shallow).root) is not None


# --------------------------------------------------------------------------- canonical


def test_canonical_skip_and_rename():
    text = "a: 1\nid: x\nesb_env: e\n"
    p = parse(text)
    _, (kid, _), (kenv, _) = p.root.pairs
    expected = parse("a: 1\nenv: e\n").root
    assert canonical(p.root, skip={id(kid)}, rename={id(kenv): "env"}) == canonical(expected)
    assert canonical(p.root) != canonical(expected)


def test_canonical_distinguishes_types_and_styles_that_change_data():
    def pic(text):
        return canonical(parse(text).root)

    assert pic("a: 1\n") != pic("a: '1'\n")
    assert pic("a: 1\n") == pic("a:   1   # comment\n")
    assert pic("a: x\n") == pic("'a': \"x\"\n")
    assert pic("a: [1]\n") != pic("a: {1: null}\n")
    assert pic("a: &x 1\n") != pic("a: 1\n")  # anchors are part of the picture


def test_iter_nodes_visits_each_physical_node_once_in_document_order():
    text = "a: &x [1, 2]\nb: *x\nc: {d: e}\n"
    nodes = list(iter_nodes(parse(text).root))
    starts = [n.start for n in nodes]
    assert starts == sorted(starts)
    assert sum(1 for n in nodes if type(n) is Alias) == 1
    assert len(nodes) == 1 + 4 + 2 + 4  # root; a + seq + 2 items; b + alias; c + map + d + e


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(rendered(manifest_doc()), rendered(matrix_doc())))
def test_generated_documents_spans_agree_between_parsers(doc):
    text = doc.text
    fast = parse(text)
    assert fast.problems == []
    for node in iter_nodes(fast.root):
        assert 0 <= node.start <= node.end <= len(text)
        if type(node) is Scalar and node.anchor is None and node.tag is None:
            raw = span(text, node)
            if node.style is None and "\n" not in raw and "\r" not in raw:
                assert raw == node.value
            elif node.style in ("'", '"'):
                assert raw[0] == raw[-1] == node.style
            elif node.style in ("|", ">"):
                assert raw[0] == node.style
    assert canonical(fast.root) is not None
    if yamlmodel.HAVE_LIBYAML:
        slow = parse(text, pure=True)
        assert all_spans(slow) == all_spans(fast)
        assert canonical(slow.root) == canonical(fast.root)


_fuzz_chars = st.sampled_from(
    list("ab:-?[]{},&*!|>'\"#% \t@`") + ["\n", "\r\n", "\r", "日", "😀", "\x00", "\ufeff", "---", "..."]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_fuzz_chars, max_size=60).map("".join), st.booleans())
def test_parse_never_raises(text, pure):
    p = parse(text, pure=pure)
    for pr in p.problems:
        assert pr.kind in ("syntax", "document", "alias", "duplicate")
        assert 0 <= pr.start <= pr.end <= len(text)
    for node in iter_nodes(p.root):
        assert 0 <= node.start <= node.end <= len(text)
    if not p.fatal and not any(pr.kind == "document" for pr in p.problems):
        # what parses cleanly here is what yaml.safe_load reads (and it never blows up)
        loader = yaml.CSafeLoader if yamlmodel.HAVE_LIBYAML and not pure else yaml.SafeLoader
        with contextlib.suppress(
            yaml.constructor.ConstructorError
        ):  # e.g. an unhashable key: a data problem, not a syntax one
            yaml.load(text, Loader=loader)


_MAPPING_SAMPLES = [
    "functions: {}\n",
    "",
    "# only a comment\n",
    "- a\n",
    "a: [\n",
    "a: 1\nb: 2\n",
    "x",
    "a: 1\n...\n",
    "a: 1\n...\nb: 2\n",
    "a: 1\n...\n# c\n",
    "\ta: 1",
    "a:\n  - b\n c: d\n",
    "? a\n: b\n",
    "!!map {a: 1}",
    "&r {a: 1}",
    "a: b: c\n",
    "{a: 1}",
    "[1]",
    "a: 'x\n",
    "a: &x 1\nb: *x\n",
    "a: *x\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: |\n  x\n",
    "a: 1\r\nb: 日本\r\n",
    "\ufeffa: 1\n",
]


@pytest.mark.skipif(not yamlmodel.HAVE_LIBYAML, reason="the fast path needs libyaml")
@pytest.mark.parametrize("text", _MAPPING_SAMPLES)
def test_mapping_problem_fast_path_agrees_with_the_event_scan(text):
    assert mapping_problem(text) == yamlmodel._mapping_problem_events(text)


@pytest.mark.skipif(not yamlmodel.HAVE_LIBYAML, reason="the fast path needs libyaml")
@settings(max_examples=400, deadline=None)
@given(st.lists(_fuzz_chars, max_size=40).map("".join))
def test_mapping_problem_fast_path_agrees_on_fuzzed_text(text):
    assert mapping_problem(text) == yamlmodel._mapping_problem_events(text)
