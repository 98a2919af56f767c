"""Positions: key_at on the node tree, completion_context on (possibly broken) text."""

from __future__ import annotations

import time

import pytest

from artifact_lsp.engine.navigate import CompletionContext, completion_context, key_at
from artifact_lsp.engine.yamlmodel import Alias, Mapping, Scalar, iter_nodes, parse

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
    "      sha256: f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b\n"
    "    # a comment inside the entry\n"
    "\n"
    "  - artifact_root: entries/second\n"
    "    runtime_config_dir: config\n"
    "    id: legacy-id\n"
    'generated_at: "2026-02-27T18:28:02Z"\n'
    "generator:\n"
    "  name: esb\n"
    "  version: 997b036 (dirty)\n"
)

MATRIX = (
    "suites:\n"
    "  smoke:\n"
    "    description: Fast connectivity tests\n"
    "    targets:\n"
    "    - ../scenarios/smoke/\n"
    "    exclude: []\n"
    "  standard:\n"
    "    description: |\n"
    "      Standard scenarios\n"
    "      note: not a key\n"
    "    targets: [../scenarios/standard/]\n"
    "\n"
    "matrix:\n"
    "# docker runtime\n"
    "- env: e2e-docker\n"
    "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"
    "  suites:\n"
    "  - smoke\n"
    "  - standard\n"
    "- esb_env: e2e-containerd\n"
    "  deploy_driver: artifact\n"
    "  suites:\n"
    "  - smoke\n"
)

JSON = (
    "{\n"
    '  "schema_version": "1",\n'
    '  "mode": "docker",\n'
    '  "artifacts": [\n'
    "    {\n"
    '      "id": "x",\n'
    '      "artifact_root": "entries/a",\n'
    '      "source_template": {"path": "t.yaml", "sha256": "abc"}\n'
    "    },\n"
    '    {"artifact_root": "entries/b"}\n'
    "  ]\n"
    "}\n"
)


def at(text: str, marker: str = "§") -> tuple[str, int]:
    offset = text.index(marker)
    return text.replace(marker, "", 1), offset


def ctx(text: str) -> CompletionContext:
    clean, offset = at(text)
    result = completion_context(clean, offset)
    assert clean[result.replace_start : offset] == result.prefix
    return result


# --------------------------------------------------------------------------- key_at


def test_key_at_exact_paths():
    root = parse(MANIFEST).root
    cases = {
        "schema_version": ("schema_version",),
        "sha256": ("artifacts", 0, "source_template", "sha256"),
        "id": ("artifacts", 1, "id"),
        "version": ("generator", "version"),
    }
    for name, path in cases.items():
        start = MANIFEST.index(name) if name == "schema_version" else MANIFEST.index(f" {name}:") + 1
        for offset in (start, start + 1, start + len(name)):  # start <= offset <= end
            found = key_at(root, offset)
            assert found is not None, (name, offset)
            got_path, key, value = found
            assert got_path == path
            assert type(key) is Scalar and key.value == name
            assert type(value) is Scalar
    path, key, value = key_at(root, MANIFEST.index("source_template"))
    assert path == ("artifacts", 0, "source_template") and type(value) is Mapping


def test_key_at_second_entry_and_boundaries():
    root = parse(MANIFEST).root
    second = MANIFEST.index("artifact_root: entries/second")
    assert key_at(root, second)[0] == ("artifacts", 1, "artifact_root")
    # a block mapping's end mark is the next key's start: the next key wins
    gen = MANIFEST.index("generated_at")
    assert key_at(root, gen)[0] == ("generated_at",)


def test_key_at_off_keys_is_none():
    root = parse(MANIFEST).root
    assert key_at(root, MANIFEST.index("docker") + 2) is None  # inside a value
    assert key_at(root, 3) is None  # in the comment
    assert key_at(None, 0) is None
    assert key_at(parse("- a\n- b\n").root, 2) is None
    assert key_at(parse("just text").root, 2) is None


def test_key_at_flow_and_matrix():
    root = parse(JSON).root
    offset = JSON.index('"sha256"') + 2
    assert key_at(root, offset)[0] == ("artifacts", 0, "source_template", "sha256")
    root = parse(MATRIX).root
    offset = MATRIX.index("deploy_driver") + 3
    assert key_at(root, offset)[0] == ("matrix", 1, "deploy_driver")
    offset = MATRIX.index("exclude")
    assert key_at(root, offset)[0] == ("suites", "smoke", "exclude")


@pytest.mark.parametrize("text, count", [(MANIFEST, 17), (MATRIX, 15), (JSON, 9)], ids=["manifest", "matrix", "json"])
def test_key_at_every_key_of_a_document(text, count):
    parsed = parse(text)
    found = 0
    for node in iter_nodes(parsed.root):
        if type(node) is Mapping:
            for key, value in node.pairs:
                path, got_key, got_value = key_at(parsed.root, key.start)
                assert got_key is key and got_value is value and path[-1] == key.value
                found += 1
    assert found == count


def test_key_at_does_not_follow_aliases():
    text = "base: &b\n  inner: 1\nother: *b\n"
    root = parse(text).root
    alias_at = text.index("*b")
    assert key_at(root, alias_at + 1) is None
    assert key_at(root, text.index("inner"))[0] == ("base", "inner")
    # an alias that points at its own ancestor (hand-built cycle) is a leaf, not a loop
    mapping = Mapping(False, 0, "a", None)
    key = Scalar("self", None, 0, 4, None, None)
    mapping.pairs.append((key, Alias("a", 6, 8, mapping)))
    mapping.end = 8
    assert key_at(mapping, 7) is None
    assert key_at(mapping, 2)[0] == ("self",)


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_key_at_alias_bomb_is_cheap():
    text = _billion_laughs()
    root = parse(text).root
    started = time.perf_counter()
    for offset in range(0, len(text), 7):
        key_at(root, offset)
    assert time.perf_counter() - started < 2
    assert key_at(root, text.index("i:"))[0] == ("i",)


def _deep_chain(depth: int):
    """Hand-built mapping chain k:k:k:... ``depth`` deep, each key at offset i."""
    total = 2 * depth + 2
    root = mapping = Mapping(False, 0, None, None)
    for i in range(depth):
        key = Scalar("k", None, i, i + 1, None, None)
        mapping.end = total - i
        value = Scalar("v", None, i + 1, i + 2, None, None) if i == depth - 1 else Mapping(False, i + 1, None, None)
        mapping.pairs.append((key, value))
        mapping = value
    return root


def test_key_at_20000_deep_does_not_raise():
    depth = 20_000
    root = _deep_chain(depth)
    path, _key, value = key_at(root, depth - 1)
    assert len(path) == depth and set(path) == {"k"}
    assert type(value) is Scalar and value.value == "v"
    assert key_at(root, 5)[0] == ("k",) * 6


def test_key_at_on_deep_parsed_text():
    text = "[" * 20_000 + "]" * 20_000
    parsed = parse(text)
    assert key_at(parsed.root, 10_000) is None
    text = "{a: " * 900 + "1" + "}" * 900
    parsed = parse(text)
    path = key_at(parsed.root, text.index("1") - 3)[0]
    assert path == ("a",) * 900


# --------------------------------------------------------------------------- completion_context: block YAML


def test_value_position_top_level():
    c = ctx('schema_version: "1"\nmode: do§\nproject: x\n')
    assert c.path == () and c.value_of == "mode" and c.value_path == ("mode",)
    assert c.prefix == "do"
    assert c.existing == {"schema_version", "mode", "project"}


def test_value_position_right_after_colon_and_on_an_item_line():
    c = ctx("mode:§")
    assert (c.value_of, c.prefix, c.path) == ("mode", "", ())
    c = ctx("artifacts:\n  - runtime_config_dir: con§\n")
    assert c.path == ("artifacts", 0) and c.value_of == "runtime_config_dir"
    assert c.value_path == ("artifacts", 0, "runtime_config_dir") and c.prefix == "con"


def test_value_position_in_an_inline_list():
    c = ctx("matrix:\n- env: x\n  suites: [smoke, sta§\n")
    assert c.value_of == "suites" and c.prefix == "sta" and c.value_path == ("matrix", 0, "suites")
    c = ctx("matrix:\n- env: x\n  suites: [§")
    assert c.value_of == "suites" and c.prefix == ""


def test_new_item_of_an_entry_suites_list():
    c = ctx("matrix:\n- env: x\n  suites:\n  - smoke\n  - sta§\n")
    assert c.path == ("matrix", 0, "suites", 1) and c.prefix == "sta" and c.value_of is None


def test_top_level_empty_line_and_empty_document():
    c = ctx('schema_version: "1"\n§\nmode: docker\nartifacts:\n  - artifact_root: x\n')
    assert c.path == () and c.value_of is None and c.prefix == ""
    assert c.existing == {"schema_version", "mode", "artifacts"}
    c = ctx("§")
    assert (c.path, c.existing, c.prefix, c.replace_start, c.value_of, c.value_path) == ((), set(), "", 0, None, None)


def test_empty_line_inside_an_entry():
    c = ctx("artifacts:\n  - artifact_root: x\n    §\n    source_template:\n      path: a\n  - artifact_root: y\n")
    assert c.path == ("artifacts", 0)
    assert c.existing == {"artifact_root", "source_template"}


def test_empty_line_inside_source_template():
    c = ctx("artifacts:\n  - artifact_root: x\n    source_template:\n      path: a\n      §\n")
    assert c.path == ("artifacts", 0, "source_template") and c.existing == {"path"}


def test_new_sequence_item():
    c = ctx("artifacts:\n  - artifact_root: x\n    runtime_config_dir: c\n  - §\n")
    assert c.path == ("artifacts", 1) and c.existing == set() and c.prefix == ""
    c = ctx("artifacts:\n  - artifact_root: x\n  - artifact_root: y\n  - art§\n")
    assert c.path == ("artifacts", 2) and c.prefix == "art" and c.existing == set()
    c = ctx("artifacts:\n§- \n")  # cursor before the dash: top level
    assert c.path == ()


def test_continuation_keys_at_the_item_key_column():
    c = ctx("artifacts:\n  - artifact_root: x\n    §")
    assert c.path == ("artifacts", 0) and c.existing == {"artifact_root"}
    c = ctx("artifacts:\n  - artifact_root: a\n    runtime_config_dir: c\n  - artifact_root: b\n    §\n")
    assert c.path == ("artifacts", 1) and c.existing == {"artifact_root"}


def test_partially_typed_key():
    c = ctx("artifacts:\n  - artifact_root: x\n    runt§\n")
    assert c.path == ("artifacts", 0) and c.prefix == "runt" and c.value_of is None
    assert "runt" not in c.existing
    c = ctx("artifacts:\n  - artifact_root: x\n    runt§ime_config_dir: c\n")  # in the middle of a key
    assert c.prefix == "runt" and c.value_of is None and c.existing == {"artifact_root"}
    c = ctx("mo§")
    assert c.path == () and c.prefix == "mo" and c.replace_start == 0


def test_indentless_sequences_and_matrix_entries():
    text = MATRIX.replace("  deploy_driver: artifact\n", "  deploy_driver: artifact\n  §\n")
    c = ctx(text)
    assert c.path == ("matrix", 1) and c.existing == {"esb_env", "deploy_driver", "suites"}
    c = ctx(MATRIX + "- env: x\n  §")
    assert c.path == ("matrix", 2) and c.existing == {"env"}
    c = ctx(MATRIX + "§")
    assert c.path == () and c.existing == {"suites", "matrix"}


def test_suite_definitions_and_block_scalars():
    c = ctx(MATRIX.replace("    exclude: []\n", "    exclude: []\n    §\n", 1))
    assert c.path == ("suites", "smoke") and c.existing == {"description", "targets", "exclude"}
    # the lines of a block scalar are not keys
    c = ctx(MATRIX.replace("    targets: [../scenarios/standard/]\n", "    targets: [../scenarios/standard/]\n    §\n"))
    assert c.path == ("suites", "standard") and c.existing == {"description", "targets"}
    c = ctx("suites:\n  §\n  smoke: {}\n")
    assert c.path == ("suites",) and c.existing == {"smoke"}


def test_block_scalar_lines_are_not_keys():
    # the cursor is inside the block scalar: its lines are text, not sibling keys
    c = ctx("x:\n  desc: |\n    text: 1\n    - item\n    §\n")
    assert c.path == ("x", "desc") and c.existing == set()
    c = ctx("x:\n  desc: >-\n    text: 1\n\n    more: 2\n  §\n")
    assert c.path == ("x",) and c.existing == {"desc"}


def test_comments_and_blank_lines_are_ignored():
    text = (
        "# head\n"
        "artifacts: # the entries\n"
        "  # before the first entry\n"
        "  - artifact_root: x  # trailing\n"
        "\n"
        "    # a comment at the key column\n"
        "\n"
        "    §\n"
        "    runtime_config_dir: y\n"
        "  - artifact_root: z\n"
    )
    c = ctx(text)
    assert c.path == ("artifacts", 0) and c.existing == {"artifact_root", "runtime_config_dir"}


def test_nested_sequences_on_one_line():
    assert ctx("- - a\n  - b\n  - §").path == (0, 2)
    assert ctx("x:\n- key:\n  - a\n  - §").path == ("x", 0, "key", 1)
    assert ctx("- a: 1\n- §").path == (1,)


def test_quoted_keys_and_document_markers():
    c = ctx("\"quoted key\": 1\n'b': 2\n§")
    assert c.existing == {"quoted key", "b"}
    c = ctx('artifacts:\n  - "runt§')
    assert c.prefix == '"runt' and c.path == ("artifacts", 0)
    c = ctx("---\nmode: docker\n§\n...\n")
    assert c.path == () and c.existing == {"mode"}


BROKEN = [
    # (text, path, existing, prefix, value_of)
    (
        'schema_version: "1\nartifacts:\n  - artifact_root: x\n    runt§\n',
        ("artifacts", 0),
        {"artifact_root"},
        "runt",
        None,
    ),
    ("mode: [docker\nartifacts:\n  - artifact_root: x\n    §\n", ("artifacts", 0), {"artifact_root"}, "", None),
    (
        "artifacts:\n  - artifact_root: x\n    source_template:\n      pa§\n  bad: [\n",
        ("artifacts", 0, "source_template"),
        set(),
        "pa",
        None,
    ),
    ("artifacts:\n\t- artifact_root: x\n  - §\n", ("artifacts", 0), set(), "", None),
    (
        "artifacts:\n  - artifact_root: x\n    mode: do§\n: : :\n",
        ("artifacts", 0),
        {"artifact_root", "mode"},
        "do",
        "mode",
    ),
    (
        "artifacts:\n  - artifact_root: x\n  - artifact_root: x\n    §\n  - {\n",
        ("artifacts", 1),
        {"artifact_root"},
        "",
        None,
    ),
]


@pytest.mark.parametrize("text, path, existing, prefix, value_of", BROKEN)
def test_broken_yaml(text, path, existing, prefix, value_of):
    assert parse(text.replace("§", "")).fatal  # the text really does not parse
    c = ctx(text)
    assert (c.path, c.existing, c.prefix, c.value_of) == (path, existing, prefix, value_of)


CASES = [
    "artifacts:\n  - artifact_root: x\n    runt§\n",
    "artifacts:\n  - artifact_root: x\n    §\n",
    "artifacts:\n  - artifact_root: x\n  - §\n",
    "schema_version: '1'\nmode: do§\n",
    "artifacts:\n  - artifact_root: x\n    source_template:\n      path: a\n      sh§\n",
    MATRIX + "- env: x\n  §",
]


@pytest.mark.parametrize("text", CASES)
def test_crlf_gives_the_same_context(text):
    lf = ctx(text)
    crlf_text = text.replace("\n", "\r\n")
    crlf = ctx(crlf_text)
    assert (crlf.path, crlf.existing, crlf.prefix, crlf.value_of, crlf.value_path) == (
        lf.path,
        lf.existing,
        lf.prefix,
        lf.value_of,
        lf.value_path,
    )
    lines_before = text[: text.index("§")].count("\n")
    assert crlf.replace_start == lf.replace_start + lines_before


def test_crlf_cursor_just_before_the_line_break():
    text = "mode: do\r\nproject: x\r\n"
    offset = text.index("\r")
    c = completion_context(text, offset)
    assert c.value_of == "mode" and c.prefix == "do"
    c = completion_context(text, offset + 1)  # between \r and \n: same line
    assert c.value_of == "mode" and c.prefix == "do"


def test_bom():
    text = '\ufeffschema_version: "1"\nmo'
    c = completion_context(text, len(text))
    assert c.prefix == "mo" and c.existing == {"schema_version"}
    c = completion_context("\ufeffmo", 3)
    assert c.prefix == "mo" and c.replace_start == 1


# --------------------------------------------------------------------------- cross-check with the parser


def _keys_by_mapping(text):
    parsed = parse(text)
    assert not parsed.fatal
    out = []
    for node in iter_nodes(parsed.root):
        if type(node) is Mapping and not node.flow:
            names = {k.value for k, _ in node.pairs if type(k) is Scalar}
            for key, _ in node.pairs:
                if type(key) is Scalar and key.style is None:
                    path = key_at(parsed.root, key.start)[0]
                    out.append((key, path, names))
    return out


@pytest.mark.parametrize("text", [MANIFEST, MATRIX], ids=["manifest", "matrix"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_text_context_agrees_with_the_tree_at_every_key(text, newline):
    text = text.replace("\n", newline)
    checked = 0
    for key, path, names in _keys_by_mapping(text):
        # cursor at the end of the key: the key is the word being typed
        c = completion_context(text, key.end)
        assert c.path == path[:-1], key.value
        assert c.prefix == key.value and c.replace_start == key.start
        assert c.value_of is None
        assert c.existing == names - {key.value}
        # cursor after 'key: ': the value position of that key
        after = text.index(":", key.end) + 1
        c = completion_context(text, after)
        assert c.value_of == key.value and c.value_path == path and c.path == path[:-1]
        assert c.existing == names
        checked += 1
    assert checked > 10


def test_corpus_agrees_with_the_tree(corpus_file):
    text = corpus_file.read_text(encoding="utf-8")
    for key, path, _names in _keys_by_mapping(text):
        c = completion_context(text, key.end)
        assert (c.path, c.prefix) == (path[:-1], key.value), (corpus_file.name, key.value)


@pytest.mark.parametrize("text", [MANIFEST, MATRIX, JSON, MANIFEST.replace("\n", "\r\n"), "- [a, {b: 1\n  c: §"])
def test_every_offset_is_safe(text):
    text = text.replace("§", "")
    for offset in range(-1, len(text) + 2):
        c = completion_context(text, offset)
        clamped = max(0, min(offset, len(text)))
        if text[clamped - 1 : clamped + 1] == "\r\n":
            clamped -= 1  # between \r and \n: the word ends before the \r
        assert c.replace_start <= clamped
        assert text[c.replace_start : clamped] == c.prefix
        assert isinstance(c.path, tuple) and isinstance(c.existing, set)
        assert (c.value_path is None) == (c.value_of is None)


# --------------------------------------------------------------------------- flow / JSON


def test_json_key_position():
    text = JSON.replace('"artifact_root": "entries/a",', '"artifact_root": "entries/a", "runt§",')
    c = ctx(text)
    assert c.path == ("artifacts", 0) and c.prefix == '"runt'
    assert c.existing == {"id", "artifact_root", "source_template"}
    assert c.value_of is None


def test_json_value_position_and_nested_objects():
    c = ctx(JSON.replace('"mode": "docker"', '"mode": "do§"'))
    assert c.path == () and c.value_of == "mode" and c.prefix == '"do'
    assert c.existing == {"schema_version", "mode", "artifacts"}
    c = ctx(JSON.replace('{"path": "t.yaml",', '{"path": "t.yaml", §'))
    assert c.path == ("artifacts", 0, "source_template") and c.existing == {"path", "sha256"}
    c = ctx(JSON.replace('{"artifact_root": "entries/b"}', '{"artifact_root": "entries/b", §}'))
    assert c.path == ("artifacts", 1) and c.existing == {"artifact_root"}


def test_json_broken_and_flow_yaml():
    c = ctx('{"schema_version": "1", "artifacts": [{"artifact_root": "x", "ru§')
    assert c.path == ("artifacts", 0) and c.prefix == '"ru' and c.existing == {"artifact_root"}
    c = ctx("{mode: do§, artifacts: [{artifact_root: x}]}")
    assert c.value_of == "mode" and c.prefix == "do" and c.existing == {"mode", "artifacts"}
    c = ctx('{"artifacts": [§')
    assert c.path == ("artifacts", 0) and c.existing == set()
    c = ctx('§{"a": 1}')
    assert c.path == ()


def test_deep_text_does_not_raise():
    deep = "[" * 20_000 + "]" * 20_000
    c = completion_context(deep, 10_000)
    assert len(c.path) == 10_000
    deep_block = "".join(" " * i + "k:\n" for i in range(3000)) + " " * 3000
    c = completion_context(deep_block, len(deep_block))
    assert c.path == ("k",) * 3000
