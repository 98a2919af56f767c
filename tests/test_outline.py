"""Document symbols: names, details, kinds and ranges of the outline."""

from __future__ import annotations

import time

from artifact_lsp.engine.outline import MAX_LEVELS, MAX_SYMBOLS, Symbol, content_end, symbols
from artifact_lsp.engine.yamlmodel import Mapping, Scalar, parse

KINDS = {"object", "array", "string", "number", "boolean", "null", "key"}
SHA = "f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b"

MANIFEST = (
    "# the deploy manifest\n"
    'schema_version: "1"\n'
    "project: esb\n"
    "env: e2e-docker\n"
    "mode: docker\n"
    "artifacts:\n"
    "  - artifact_root: entries/template-e2e-19477f40\n"
    "    runtime_config_dir: config\n"
    "    source_template:\n"
    "      path: e2e/fixtures/template.e2e.yaml\n"
    f"      sha256: {SHA}\n"
    "    # trailing comment inside the entry\n"
    "\n"
    "  - runtime_config_dir: config\n"
    "    id: legacy-id\n"
    "    image_prewarm: true\n"
    "    runtime_meta:\n"
    "      runtime_hooks:\n"
    '        api_version: "1.0"\n'
    "        java_agent_digest: 2f097ea9\n"
    'generated_at: "2026-02-27T18:28:02Z"\n'
    "generator:\n"
    "  name: esb\n"
    "  version: 997b036 (dirty)\n"
    "# a comment after the last key\n"
    "\n"
)

MATRIX = (
    "suites:\n"
    "  smoke:\n"
    "    description: Fast connectivity tests\n"
    "    targets:\n"
    "    - ../scenarios/smoke/\n"
    "    exclude: []\n"
    "matrix:\n"
    "- env: e2e-docker\n"
    "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"
    "  suites:\n"
    "  - smoke\n"
    "- esb_env: e2e-containerd\n"
    "  deploy_driver: artifact\n"
    "- artifact_manifest: x.yml\n"
)


def outline(text: str, kind: str = "manifest") -> list[Symbol]:
    return symbols(parse(text).root, kind)


def by_name(items: list[Symbol]) -> dict[str, Symbol]:
    return {s.name: s for s in items}


def walk(items: list[Symbol], level: int = 1):
    for s in items:
        yield s, level
        yield from walk(s.children, level + 1)


def check_well_formed(items: list[Symbol], text: str) -> int:
    count = 0
    for s, level in walk(items):
        count += 1
        assert s.name, s
        assert s.kind in KINDS, s
        assert 0 <= s.start <= s.selection_start <= s.selection_end <= s.end <= len(text), s
        assert level <= MAX_LEVELS
        for child in s.children:
            assert s.start <= child.start and child.end <= s.end, (s.name, child.name)
    return count


def test_top_level_symbols_of_a_manifest():
    top = outline(MANIFEST)
    assert [s.name for s in top] == [
        "schema_version",
        "project",
        "env",
        "mode",
        "artifacts",
        "generated_at",
        "generator",
    ]
    check_well_formed(top, MANIFEST)
    for s in top:
        # range: from the key to the end of the value's last content; selection: the key
        assert MANIFEST[s.selection_start : s.selection_end] == s.name
        assert s.start == s.selection_start
        assert MANIFEST[s.start : s.end].startswith(s.name + ":")
        assert not MANIFEST[s.start : s.end].endswith(("\n", " "))
    names = by_name(top)
    assert MANIFEST[names["mode"].start : names["mode"].end] == "mode: docker"
    assert MANIFEST[names["schema_version"].start : names["schema_version"].end] == 'schema_version: "1"'
    assert MANIFEST[names["generator"].start : names["generator"].end].endswith("version: 997b036 (dirty)")
    assert MANIFEST[names["artifacts"].start : names["artifacts"].end].endswith("java_agent_digest: 2f097ea9")
    assert (names["mode"].kind, names["mode"].detail) == ("string", "docker")
    assert names["artifacts"].kind == "array" and names["artifacts"].detail == "2 items"
    assert names["generator"].kind == "object"
    assert [c.name for c in names["generator"].children] == ["name", "version"]


def test_artifact_entries_are_named_by_artifact_root():
    entries = by_name(outline(MANIFEST))["artifacts"].children
    assert [e.name for e in entries] == ["entries/template-e2e-19477f40", "[1]"]
    assert [e.detail for e in entries] == ["entry 0", "entry 1"]
    assert all(e.kind == "object" for e in entries)
    first, second = entries
    assert MANIFEST[first.selection_start : first.selection_end] == "entries/template-e2e-19477f40"
    assert MANIFEST[first.start : first.end].startswith("artifact_root:")
    assert MANIFEST[first.start : first.end].endswith(SHA)  # not the comment after it
    assert [c.name for c in first.children] == ["artifact_root", "runtime_config_dir", "source_template"]
    template = by_name(first.children)["source_template"]
    assert [c.name for c in template.children] == ["path", "sha256"]
    sha = by_name(template.children)["sha256"]
    assert sha.kind == "string" and len(sha.detail) == 60 and sha.detail.endswith("…")
    assert sha.detail[:59] == SHA[:59]
    # an entry without artifact_root: named by its index, selection on its first key
    assert MANIFEST[second.selection_start : second.selection_end] == "runtime_config_dir"
    kinds = {c.name: c.kind for c in second.children}
    assert kinds["image_prewarm"] == "boolean" and kinds["runtime_meta"] == "object"


def test_depth_is_bounded():
    entries = by_name(outline(MANIFEST))["artifacts"].children
    meta = by_name(entries[1].children)["runtime_meta"]
    hooks = by_name(meta.children)["runtime_hooks"]  # level 4
    assert [c.name for c in hooks.children] == ["api_version", "java_agent_digest"]  # level 5
    assert all(c.children == [] for c in hooks.children)
    deep = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200)) + "  " * 200 + "c: 1\n"
    top = outline(deep)
    assert MAX_LEVELS == 5
    assert max(level for _, level in walk(top)) == 5
    assert [s.name for s, _ in walk(top)] == ["a", "b", "b", "b", "b"]


def test_matrix_entries_are_named_by_env_then_esb_env():
    top = outline(MATRIX, "matrix")
    assert [s.name for s in top] == ["suites", "matrix"]
    check_well_formed(top, MATRIX)
    matrix = by_name(top)["matrix"]
    assert [e.name for e in matrix.children] == ["e2e-docker", "e2e-containerd", "[2]"]
    assert [e.detail for e in matrix.children] == ["entry 0", "entry 1", "entry 2"]
    first = matrix.children[0]
    suites = by_name(first.children)["suites"]
    assert suites.kind == "array" and [(c.name, c.detail) for c in suites.children] == [("[0]", "smoke")]
    smoke = by_name(by_name(top)["suites"].children)["smoke"]
    assert [c.name for c in smoke.children] == ["description", "targets", "exclude"]
    assert by_name(smoke.children)["exclude"].detail == "0 items"
    # a manifest's entry naming does not apply to the matrix and the other way round
    assert [e.name for e in by_name(outline(MATRIX, "manifest"))["matrix"].children] == ["[0]", "[1]", "[2]"]


def test_scalar_kinds():
    text = "s: x\nq: '1'\ni: 12\nf: 1.5\nb: false\nn: null\ne:\nl: [1]\nm: {a: 1}\n"
    kinds = {s.name: s.kind for s in outline(text)}
    assert kinds == {
        "s": "string",
        "q": "string",
        "i": "number",
        "f": "number",
        "b": "boolean",
        "n": "null",
        "e": "null",
        "l": "array",
        "m": "object",
    }
    check_well_formed(outline(text), text)


def test_json_manifest():
    text = (
        '{"schema_version": "1", "mode": "docker",\n'
        ' "artifacts": [{"artifact_root": "entries/a", "runtime_config_dir": "config"}]}\n'
    )
    top = outline(text, "json")
    check_well_formed(top, text)
    artifacts = by_name(top)["artifacts"]
    assert artifacts.children[0].name == "entries/a"
    assert text[artifacts.start : artifacts.end].endswith("}]")


def test_names_are_never_empty():
    text = '"": 1\n"  ": 2\n? [a, b]\n: 3\nartifacts:\n- artifact_root: ""\n- artifact_root: "  "\n'
    top = outline(text)
    check_well_formed(top, text)
    assert [e.name for e in by_name(top)["artifacts"].children] == ["[0]", "[1]"]


def test_non_mapping_roots():
    assert symbols(None, "manifest") == []
    assert outline("- a\n- b\n") == []
    assert outline("just text") == []
    assert outline("") == []
    assert outline("*undefined") == []


def test_multiline_details_are_one_line():
    text = "d: |\n  line one\n  line two\ne: >\n  folded\n"
    details = {s.name: s.detail for s in outline(text)}
    assert details["d"] == "line one line two"
    assert "\n" not in details["e"]


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_not_expanded():
    text = _billion_laughs()
    started = time.perf_counter()
    top = outline(text)
    assert time.perf_counter() - started < 1
    assert check_well_formed(top, text) < 200
    last = top[-1]
    assert last.name == "i" and last.detail == "9 items"
    assert all(c.detail == "*h" and c.children == [] and c.kind == "array" for c in last.children)


def test_aliases_and_merge_keys_are_leaves():
    text = "base: &b\n  artifact_root: x\nartifacts:\n- <<: *b\n  runtime_config_dir: c\n- *b\n"
    top = outline(text)
    check_well_formed(top, text)
    entries = by_name(top)["artifacts"].children
    assert entries[0].name == "[0]"  # artifact_root only comes in by the merge: not followed
    merge = by_name(entries[0].children)["<<"]
    assert merge.detail == "*b" and merge.kind == "object" and merge.children == []
    assert entries[1].name == "[1]" and entries[1].kind == "object" and entries[1].children == []
    undefined = outline("a: *nowhere\n")
    assert undefined[0].kind == "null"


def test_many_items_stay_within_the_budget():
    text = "artifacts:\n" + "".join(f"- artifact_root: e{i}\n  runtime_config_dir: c\n" for i in range(5000))
    started = time.perf_counter()
    top = outline(text)
    assert time.perf_counter() - started < 5
    assert check_well_formed(top, text) <= MAX_SYMBOLS


def _deep_chain(depth: int) -> Mapping:
    total = 2 * depth + 2
    root = mapping = Mapping(False, 0, None, None)
    for i in range(depth):
        key = Scalar("k", None, i, i + 1, None, None)
        mapping.end = total - i
        value = Scalar("v", None, i + 1, i + 2, None, None) if i == depth - 1 else Mapping(False, i + 1, None, None)
        mapping.pairs.append((key, value))
        mapping = value
    return root


def test_20000_deep_does_not_raise():
    root = _deep_chain(20_000)
    top = symbols(root, "manifest")
    assert len(top) == 1 and top[0].name == "k"
    assert top[0].end == 20_000 + 1  # the end of the innermost value, found without recursion
    assert max(level for _, level in walk(top)) == MAX_LEVELS
    assert content_end(root) == 20_001
    parsed = parse("[" * 20_000 + "]" * 20_000)
    assert symbols(parsed.root, "manifest") == []
    text = "{a: " * 900 + "1" + "}" * 900
    top = outline(text)
    assert len(top) == 1 and top[0].end == len(text) - 1  # the flow value closes one brace early


def test_crlf_ranges():
    text = MANIFEST.replace("\n", "\r\n")
    top = outline(text)
    check_well_formed(top, text)
    for s in top:
        assert not text[s.start : s.end].endswith(("\r", "\n"))
