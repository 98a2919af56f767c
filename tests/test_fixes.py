"""The fix engine: exact edits for every shape of a legacy key, proofs, suppression, diffs, corpus."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
import yaml

from _fixgen import corpus_files, corpus_kind, expected_after_plan, strip_legacy, untouched_bounds
from artifact_lsp.engine.config import Config
from artifact_lsp.engine.fixes import combine, diff_edits, prove, suppression_fix
from artifact_lsp.engine.linter import fix_edits, fix_text, lint_text
from artifact_lsp.engine.model import RemoveKey, RenameKey, TextEdit, apply_edits

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\nartifacts:\n'


def lint(text, kind="manifest"):
    return lint_text(text, kind=kind, disk=False)


def finding_for(result, key, nth=0):
    """The ``nth`` finding whose fix plan targets ``key``."""
    found = [f for f in result.findings if f.plan is not None and f.plan.key.value == key]
    assert len(found) > nth, f"no finding with a plan for {key!r}: {result.findings}"
    return found[nth]


def fixed(text, key, kind="manifest", nth=0):
    """The text after the quick fix for ``key`` (asserting one is offered and it is sound)."""
    result = lint(text, kind)
    finding = finding_for(result, key, nth)
    fix = result.fixer.fix_for(finding)
    assert fix is not None, f"no fix for {key!r}"
    new = apply_edits(text, fix.edits)
    # whatever the shape: the data is the original minus exactly that key
    assert yaml.safe_load(new) == expected_after_plan(yaml.safe_load(text), result.parsed.root, finding.plan)
    prefix, suffix = untouched_bounds(text, fix.edits)
    assert new.startswith(prefix) and new.endswith(suffix)
    return new


# --------------------------------------------------------------------------- block mappings


def test_remove_block_key_with_its_value_and_inner_comments_only():
    text = HEAD + (
        "  - artifact_root: entries/t\n"
        "    runtime_meta:   # the legacy block\n"
        "      # hooks first\n"
        "      runtime_hooks:\n"
        '        api_version: "1.0"\n'
        "        # a digest\n"
        "        python_sitecustomize_digest: a867  # inline\n"
        "      template_renderer:\n"
        "        name: esb\n"
        "      # trailing comment inside the block\n"
        "    # about runtime_config_dir\n"
        "    runtime_config_dir: config\n"
        "  - artifact_root: other\n"
    )
    expected = HEAD + (
        "  - artifact_root: entries/t\n"
        "    # about runtime_config_dir\n"
        "    runtime_config_dir: config\n"
        "  - artifact_root: other\n"
    )
    assert fixed(text, "runtime_meta") == expected


def test_digest_findings_share_the_fix_of_their_block():
    text = HEAD + (
        "  - artifact_root: r\n"
        "    runtime_meta:\n"
        "      runtime_hooks:\n"
        "        java_agent_digest: 2f09\n"
        "        java_wrapper_digest: 2b78\n"
        "    runtime_config_dir: c\n"
    )
    result = lint(text)
    codes = Counter(f.code for f in result.findings if f.rule.deprecated)
    assert codes == Counter({"AL101": 1, "AL102": 2})
    fixes = {apply_edits(text, result.fixer.fix_for(f).edits) for f in result.findings if f.rule.deprecated}
    assert fixes == {HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n"}
    titles = {result.fixer.fix_for(f).title for f in result.findings if f.rule.deprecated}
    assert titles == {"Remove legacy key 'runtime_meta'"}


def test_remove_middle_and_last_keys_of_an_entry():
    text = HEAD + "  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n    image_prewarm: all\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n    image_prewarm: all\n"
    assert fixed(text, "image_prewarm") == HEAD + "  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n"


def test_remove_top_level_block_with_a_sequence_value():
    text = HEAD + "  - artifact_root: r\nruntime_stack:\n- a\n- b\ngenerated_at: now\n"
    assert fixed(text, "runtime_stack") == HEAD + "  - artifact_root: r\ngenerated_at: now\n"


def test_remove_first_top_level_key():
    text = "runtime_stack:\n  api_version: '1'\n  mode: docker\n" + HEAD + "  - artifact_root: r\n"
    assert fixed(text, "runtime_stack") == HEAD + "  - artifact_root: r\n"


@pytest.mark.parametrize("quoted", ['"id"', "'id'"])
def test_quoted_keys(quoted):
    text = HEAD + f"  - artifact_root: r\n    {quoted}: x\n    runtime_config_dir: c\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n"
    first = HEAD + f"  - {quoted}: x\n    runtime_config_dir: c\n"
    assert fixed(first, "id") == HEAD + "  - runtime_config_dir: c\n"


def test_inline_comment_after_the_key_goes_with_it():
    text = HEAD + "  - artifact_root: r # root\n    id: x  # the old id\n    runtime_config_dir: c # dir\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r # root\n    runtime_config_dir: c # dir\n"


def test_comment_at_the_key_column_after_the_block_is_kept():
    text = (
        HEAD + "  - artifact_root: r\n    image_prewarm: all\n    # next is the config dir\n    runtime_config_dir: c\n"
    )
    assert (
        fixed(text, "image_prewarm")
        == HEAD + "  - artifact_root: r\n    # next is the config dir\n    runtime_config_dir: c\n"
    )


def test_comment_above_the_key_is_kept():
    text = HEAD + "  - artifact_root: r\n    # entry id (legacy)\n    id: x\n    runtime_config_dir: c\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r\n    # entry id (legacy)\n    runtime_config_dir: c\n"


def test_comment_after_a_blank_line_inside_the_block_goes_with_it():
    text = HEAD + (
        "  - artifact_root: r\n"
        "    runtime_meta:\n"
        "      runtime_hooks:\n"
        "        api_version: '1'\n"
        "\n"
        "      # still inside runtime_meta\n"
        "\n"
        "    runtime_config_dir: c\n"
    )
    assert fixed(text, "runtime_meta") == HEAD + "  - artifact_root: r\n\n    runtime_config_dir: c\n"


def test_blank_lines_after_the_block_are_kept():
    text = HEAD + "  - artifact_root: r\n    runtime_meta:\n      a: 1\n\n\n    runtime_config_dir: c\n"
    assert fixed(text, "runtime_meta") == HEAD + "  - artifact_root: r\n\n\n    runtime_config_dir: c\n"


def test_block_scalar_value_is_removed_whole():
    text = (
        HEAD
        + "  - artifact_root: r\n    bundle_manifest: |\n      line one\n\n      line three\n    runtime_config_dir: c\n"
    )
    assert fixed(text, "bundle_manifest") == HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n"


def test_key_after_a_keep_block_scalar_does_not_feed_it_blank_lines():
    # the blank line above "deploy_driver" is content of the |+ scalar; the blank line below it
    # must not become content too
    text = (
        "matrix:\n"
        "  - env: e2e\n"
        "    artifact_manifest: |+\n"
        "      a.yml\n"
        "\n"
        "    deploy_driver: docker\n"
        "\n"
        "    # the suites\n"
        "    suites: [smoke]\n"
    )
    expected = (
        "matrix:\n  - env: e2e\n    artifact_manifest: |+\n      a.yml\n\n    # the suites\n    suites: [smoke]\n"
    )
    assert fixed(text, "deploy_driver", kind="matrix") == expected
    new, _ = fix_text(text, kind="matrix")
    assert new == expected


def test_empty_value():
    text = HEAD + "  - artifact_root: r\n    id:\n  - artifact_root: s\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r\n  - artifact_root: s\n"


def test_unicode_lines_around_the_key():
    text = HEAD + "  - artifact_root: エントリ/😀\n    id: 日本語 # 古いID 🎉\n    runtime_config_dir: 設定\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: エントリ/😀\n    runtime_config_dir: 設定\n"


# --------------------------------------------------------------------------- sequence items


def test_first_key_of_an_item_next_key_moves_up_onto_the_dash():
    text = HEAD + "  - id: x\n    artifact_root: r\n    runtime_config_dir: c\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n"


def test_first_key_of_an_item_with_a_block_value():
    text = (
        HEAD
        + "  - runtime_meta:\n      runtime_hooks:\n        api_version: '1'\n      # inner\n    artifact_root: r\n"
    )
    assert fixed(text, "runtime_meta") == HEAD + "  - artifact_root: r\n"


def test_first_key_of_an_indentless_item_with_a_wide_dash():
    text = (
        'schema_version: "1"\nartifacts:\n-   image_prewarm: all  # old\n    artifact_root: r\n-   artifact_root: s\n'
    )
    assert (
        fixed(text, "image_prewarm") == 'schema_version: "1"\nartifacts:\n-   artifact_root: r\n-   artifact_root: s\n'
    )


def test_comment_line_between_first_key_and_next_key_is_kept():
    text = HEAD + "  - id: x\n    # the root of this entry\n    artifact_root: r\n"
    new = fixed(text, "id")
    assert new == HEAD + "  -\n    # the root of this entry\n    artifact_root: r\n"
    assert yaml.safe_load(new)["artifacts"] == [{"artifact_root": "r"}]


def test_blank_line_between_first_key_and_next_key_is_kept():
    text = HEAD + "  - id: x\n\n    artifact_root: r\n"
    assert fixed(text, "id") == HEAD + "  -\n\n    artifact_root: r\n"


def test_only_key_of_an_item_becomes_an_empty_mapping():
    text = HEAD + "  - id: x # old\n  - artifact_root: r\n"
    assert fixed(text, "id") == HEAD + "  - {}\n  - artifact_root: r\n"


def test_only_key_of_an_item_with_a_block_value():
    text = HEAD + "  - runtime_meta:\n      runtime_hooks:\n        api_version: '1'\n      # inner\n"
    assert fixed(text, "runtime_meta") == HEAD + "  - {}\n"


def test_only_key_of_a_nested_mapping_becomes_an_empty_mapping():
    text = (
        HEAD
        + "  - artifact_root: r\n    source_template:\n      parameters:\n        Stage: dev\n    runtime_config_dir: c\n"
    )
    assert (
        fixed(text, "parameters")
        == HEAD + "  - artifact_root: r\n    source_template:\n      {}\n    runtime_config_dir: c\n"
    )


def test_parameters_among_source_template_keys():
    text = HEAD + (
        "  - artifact_root: r\n"
        "    source_template:\n"
        "      path: t.yaml\n"
        "      parameters:\n"
        "        Stage: dev\n"
        "      sha256: abc\n"
    )
    assert (
        fixed(text, "parameters")
        == HEAD + "  - artifact_root: r\n    source_template:\n      path: t.yaml\n      sha256: abc\n"
    )


# --------------------------------------------------------------------------- flow mappings


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("{id: x, artifact_root: r, runtime_config_dir: c}", "{artifact_root: r, runtime_config_dir: c}"),
        ("{artifact_root: r, id: x, runtime_config_dir: c}", "{artifact_root: r, runtime_config_dir: c}"),
        ("{artifact_root: r, runtime_config_dir: c, id: x}", "{artifact_root: r, runtime_config_dir: c}"),
        ("{id: x}", "{}"),
        ("{ id: x }", "{}"),
        ('{"id": x, artifact_root: r}', "{artifact_root: r}"),
        ("{artifact_root: r, 'id': 'x'}", "{artifact_root: r}"),
        ("{artifact_root: r, id: [1, {a: b}], runtime_config_dir: c}", "{artifact_root: r, runtime_config_dir: c}"),
        ("{artifact_root: r, id}", "{artifact_root: r}"),
        ("{artifact_root: r, id: x,}", "{artifact_root: r,}"),
    ],
    ids=[
        "first",
        "middle",
        "last",
        "only",
        "only-spaced",
        "double-quoted",
        "single-quoted",
        "nested-value",
        "no-value",
        "trailing-comma",
    ],
)
def test_flow_mapping_pairs(entry, expected):
    assert fixed(HEAD + f"  - {entry}\n", "id") == HEAD + f"  - {expected}\n"


def test_multi_line_flow_mapping():
    text = HEAD + "  - {artifact_root: r,\n     id: x,\n     runtime_config_dir: c}\n"
    assert fixed(text, "id") == HEAD + "  - {artifact_root: r,\n     runtime_config_dir: c}\n"


def test_flow_sequence_of_flow_entries():
    text = 'schema_version: "1"\nartifacts: [{id: a, artifact_root: r}, {artifact_root: s, id: b}]\n'
    assert (
        fixed(text, "id", nth=0) == 'schema_version: "1"\nartifacts: [{artifact_root: r}, {artifact_root: s, id: b}]\n'
    )
    assert (
        fixed(text, "id", nth=1) == 'schema_version: "1"\nartifacts: [{id: a, artifact_root: r}, {artifact_root: s}]\n'
    )
    new, fixed_findings = fix_text(text)
    assert new == 'schema_version: "1"\nartifacts: [{artifact_root: r}, {artifact_root: s}]\n'
    assert [f.code for f in fixed_findings] == ["AL104", "AL104"]


def test_nested_flow_value_in_a_block_entry():
    text = HEAD + "  - artifact_root: r\n    source_template: {path: t.yaml, parameters: {Stage: dev}, sha256: abc}\n"
    assert (
        fixed(text, "parameters") == HEAD + "  - artifact_root: r\n    source_template: {path: t.yaml, sha256: abc}\n"
    )


# --------------------------------------------------------------------------- explicit keys


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("  - artifact_root: r\n    ? id\n    : x\n", "  - artifact_root: r\n"),  # last pair
        (
            "  - artifact_root: r\n    ? id\n    : x\n    runtime_config_dir: c\n",
            "  - artifact_root: r\n    runtime_config_dir: c\n",
        ),
        ("  - ? id\n    : x\n    artifact_root: r\n", "  - artifact_root: r\n"),
        ("  - ? id\n    : x\n    ? artifact_root\n    : r\n", "  - ? artifact_root\n    : r\n"),
        ("  - ? id\n    : x\n", "  - {}\n"),
        (
            "  - {artifact_root: r, ? id : x, runtime_config_dir: c}\n",
            "  - {artifact_root: r, runtime_config_dir: c}\n",
        ),
        ("  - {? id : x, ? artifact_root : r}\n", "  - {? artifact_root : r}\n"),
    ],
    ids=["last", "middle", "first-in-item", "before-explicit", "only", "flow", "flow-before-explicit"],
)
def test_explicit_keys(entry, expected):
    # "? key" pairs start at the "?": the indicator goes with the key (it used to crash the
    # fixer with an IndexError when the explicit key was the last pair)
    assert fixed(HEAD + entry, "id") == HEAD + expected


# --------------------------------------------------------------------------- line breaks


def test_last_line_without_trailing_newline():
    """The file's ending is kept: removing its last key adds no line break (issue 10, item 6)."""
    text = HEAD + "  - artifact_root: r\n    id: x"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r"
    assert fix_text(text)[0] == HEAD + "  - artifact_root: r"
    nested = HEAD + "  - artifact_root: r\n    runtime_meta:\n      a: b\n      # c"
    assert fixed(nested, "runtime_meta") == HEAD + "  - artifact_root: r"
    crlf = (HEAD + "  - artifact_root: r\n    id: x").replace("\n", "\r\n")
    assert fixed(crlf, "id") == (HEAD + "  - artifact_root: r").replace("\n", "\r\n")
    top = "runtime_stack: {a: 1}\n" + HEAD + "  - artifact_root: r\nruntime_stack: 2"
    assert fix_text(top)[0] == HEAD + "  - artifact_root: r"
    only = HEAD + "  - id: x"
    assert fixed(only, "id") == HEAD + "  - {}"
    first = HEAD + "  - id: x\n    artifact_root: r"
    assert fixed(first, "id") == HEAD + "  - artifact_root: r"


@pytest.mark.parametrize(
    "block, expected_end",
    [("|", "\n"), ("|+", "\n\n"), ("|2 # c", "\n"), (">", "\n"), ("|-", ""), (">-", "")],
)
def test_last_key_after_a_block_scalar_in_a_file_without_a_final_line_break(block, expected_end):
    """A block scalar that keeps its last line break stays as it is (that break is data); one
    that strips it lets the file keep its ending."""
    blank = "\n" if "+" in block else ""
    text = f"a: {block}\n  text\n{blank}runtime_stack: x"
    assert fixed(text, "runtime_stack") == f"a: {block}\n  text{expected_end}"


def test_crlf_files_keep_crlf_on_every_remaining_line():
    text = (
        HEAD + "  - id: x\n    artifact_root: r\n    runtime_meta:\n      # c\n      a: 1\n    runtime_config_dir: c\n"
    ).replace("\n", "\r\n")
    for key, expected in (
        ("id", HEAD + "  - artifact_root: r\n    runtime_meta:\n      # c\n      a: 1\n    runtime_config_dir: c\n"),
        ("runtime_meta", HEAD + "  - id: x\n    artifact_root: r\n    runtime_config_dir: c\n"),
    ):
        new = fixed(text, key)
        assert new == expected.replace("\n", "\r\n")
        assert "\n" not in new.replace("\r\n", "")
    new, _ = fix_text(text)
    assert new == (HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n").replace("\n", "\r\n")


def test_crlf_only_key_and_comment_kept():
    text = (HEAD + "  - id: x\n  - id: y\n    # keep me\n    artifact_root: r\n").replace("\n", "\r\n")
    new, _ = fix_text(text)
    assert new == (HEAD + "  - {}\n  -\n    # keep me\n    artifact_root: r\n").replace("\n", "\r\n")


def test_lone_cr_files():
    text = (HEAD + "  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n").replace("\n", "\r")
    assert fixed(text, "id") == (HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n").replace("\n", "\r")


def test_byte_order_mark_is_kept_and_offsets_line_up():
    text = "\ufeff" + HEAD + "  - id: x\n    artifact_root: r\n"
    assert fixed(text, "id") == "\ufeff" + HEAD + "  - artifact_root: r\n"
    top = "\ufeffruntime_stack: {}\n" + HEAD + "  - artifact_root: r\n"
    assert fixed(top, "runtime_stack") == "\ufeff" + HEAD + "  - artifact_root: r\n"


# --------------------------------------------------------------------------- anchors and aliases


def test_no_fix_when_the_value_holds_an_anchor_aliased_elsewhere():
    text = HEAD + (
        "  - artifact_root: r\n"
        "    runtime_meta: &meta\n"
        "      api_version: '1'\n"
        "    runtime_config_dir: c\n"
        "  - artifact_root: s\n"
        "    notes: *meta\n"
    )
    result = lint(text)
    finding = finding_for(result, "runtime_meta")
    assert result.fixer.fix_for(finding) is None
    new, fixed_findings = fix_text(text)
    assert yaml.safe_load(new) == yaml.safe_load(text)
    assert new == text and fixed_findings == []


def test_no_fix_when_an_anchor_deeper_inside_the_value_is_aliased():
    text = (
        HEAD + "  - artifact_root: r\n    runtime_meta:\n      hooks: &h {a: 1}\n  - artifact_root: s\n    extra: *h\n"
    )
    result = lint(text)
    assert result.fixer.fix_for(finding_for(result, "runtime_meta")) is None
    new, _ = fix_text(text)
    yaml.safe_load(new)


def test_no_fix_when_the_key_itself_is_an_aliased_anchor():
    text = HEAD + "  - &k id: x\n    artifact_root: r\n  - artifact_root: s\n    label: *k\n"
    result = lint(text)
    assert result.fixer.fix_for(finding_for(result, "id")) is None
    yaml.safe_load(fix_text(text)[0])


def test_unused_anchor_does_not_block_the_fix():
    text = HEAD + "  - artifact_root: r\n    id: &unused x\n"
    assert fixed(text, "id") == HEAD + "  - artifact_root: r\n"


def test_alias_into_another_legacy_key_is_fixed_over_two_passes():
    text = HEAD + (
        "  - artifact_root: r\n"
        "    runtime_meta: &meta {api_version: '1'}\n"
        "  - artifact_root: s\n"
        "    runtime_meta: *meta\n"
    )
    result = lint(text)
    first, second = [f for f in result.findings if f.code == "AL101"]
    assert result.fixer.fix_for(first) is None
    assert result.fixer.fix_for(second) is not None
    new, fixed_findings = fix_text(text)
    assert new == HEAD + "  - artifact_root: r\n  - artifact_root: s\n"
    assert [f.code for f in fixed_findings] == ["AL101", "AL101"]


def test_legacy_key_merged_in_by_a_merge_key_has_no_fix():
    text = "x-base: &base\n  image_prewarm: all\n" + HEAD + "  - <<: *base\n    artifact_root: r\n"
    result = lint(text)
    merged = [f for f in result.findings if f.code == "AL105"]
    assert len(merged) == 1 and merged[0].plan is None
    assert result.fixer.fix_for(merged[0]) is None
    new, fixed_findings = fix_text(text)
    assert new == text and fixed_findings == []


def test_alias_bomb_elsewhere_does_not_stop_a_fix():
    bomb = 'x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb += f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    text = bomb + HEAD + "  - artifact_root: r\n    id: x\n"
    assert fixed(text, "id") == bomb + HEAD + "  - artifact_root: r\n"


# --------------------------------------------------------------------------- test_matrix.yaml

MATRIX_TAIL = "suites:\n  smoke: {description: d, targets: [], exclude: []}\n"


def test_esb_env_is_renamed_when_env_is_missing():
    text = "matrix:\n  - esb_env: e2e-docker # the env\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    result = lint(text, "matrix")
    finding = finding_for(result, "esb_env")
    assert finding.code == "AL503"
    assert isinstance(finding.plan, RenameKey)
    fix = result.fixer.fix_for(finding)
    assert fix.title == "Rename 'esb_env' to 'env'"
    new = apply_edits(text, fix.edits)
    assert new == "matrix:\n  - env: e2e-docker # the env\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    assert lint(new, "matrix").findings == []


@pytest.mark.parametrize("quote", ['"', "'"])
def test_quoted_esb_env_keeps_its_quotes(quote):
    text = f"matrix:\n  - {quote}esb_env{quote}: e2e\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    assert (
        fixed(text, "esb_env", kind="matrix")
        == f"matrix:\n  - {quote}env{quote}: e2e\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    )


def test_esb_env_in_a_flow_entry():
    text = "matrix: [{esb_env: e2e, artifact_manifest: a.yml}]\n" + MATRIX_TAIL
    assert fixed(text, "esb_env", kind="matrix") == "matrix: [{env: e2e, artifact_manifest: a.yml}]\n" + MATRIX_TAIL


def test_escaped_esb_env_key_is_not_rewritten_blindly():
    text = 'matrix:\n  - "esb\\x5fenv": e2e\n    artifact_manifest: a.yml\n' + MATRIX_TAIL
    result = lint(text, "matrix")
    assert result.fixer.fix_for(finding_for(result, "esb_env")) is None


def test_esb_env_is_removed_when_env_exists():
    text = "matrix:\n  - env: e2e\n    esb_env: e2e\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    result = lint(text, "matrix")
    finding = finding_for(result, "esb_env")
    assert isinstance(finding.plan, RemoveKey)
    assert (
        fixed(text, "esb_env", kind="matrix") == "matrix:\n  - env: e2e\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    )
    first = "matrix:\n  - esb_env: old\n    env: e2e\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    assert (
        fixed(first, "esb_env", kind="matrix") == "matrix:\n  - env: e2e\n    artifact_manifest: a.yml\n" + MATRIX_TAIL
    )


def test_matrix_fix_text_removes_driver_fields_and_renames():
    text = (
        "# Test Execution Matrix\n"
        "matrix:\n"
        "# docker runtime\n"
        "- esb_env: e2e-docker\n"
        "  deploy_driver: artifact\n"
        "  artifact_generate: none\n"
        "  env_vars:\n"
        "    A: '1'\n"
        "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"
        "  suites:\n"
        "  - smoke\n"
        "\n"
        "# - esb_env: e2e-firecracker\n" + MATRIX_TAIL
    )
    new, fixed_findings = fix_text(text, kind="matrix")
    assert new == (
        "# Test Execution Matrix\n"
        "matrix:\n"
        "# docker runtime\n"
        "- env: e2e-docker\n"
        "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"
        "  suites:\n"
        "  - smoke\n"
        "\n"
        "# - esb_env: e2e-firecracker\n" + MATRIX_TAIL
    )
    assert Counter(f.code for f in fixed_findings) == Counter({"AL503": 1, "AL501": 2, "AL502": 1})


# --------------------------------------------------------------------------- fix_text


def test_fix_text_removes_every_legacy_key_over_several_passes():
    text = (
        "runtime_stack:\n  api_version: '1'\n  mode: docker\n  esb_version: dev\n" + HEAD + "  - id: template-e2e\n"
        "    artifact_root: entries/t\n"
        "    runtime_config_dir: config\n"
        "    image_prewarm: all\n"
        "    source_template:\n"
        "      path: e2e/fixtures/template.e2e.yaml\n"
        "      parameters: {Stage: dev}\n"
        "    runtime_meta:\n"
        "      runtime_hooks:\n"
        "        python_sitecustomize_digest: a8\n"
        "        java_agent_digest: 2f\n"
        "      template_renderer:\n"
        "        template_digest: f5\n"
        "    bundle_manifest: secrets.yml\n"
        "    required_secret_env: [A, B]\n"
        'generated_at: "2026-02-18T08:27:03Z"\n'
    )
    new, fixed_findings = fix_text(text)
    assert new == HEAD + (
        "  - artifact_root: entries/t\n"
        "    runtime_config_dir: config\n"
        "    source_template:\n"
        "      path: e2e/fixtures/template.e2e.yaml\n"
        'generated_at: "2026-02-18T08:27:03Z"\n'
    )
    assert Counter(f.code for f in fixed_findings) == Counter(
        {"AL101": 1, "AL102": 3, "AL103": 1, "AL104": 1, "AL105": 1, "AL106": 1, "AL107": 1, "AL108": 1}
    )
    assert [f for f in lint(new).findings if f.rule.deprecated] == []


def test_fix_text_empties_an_entry_made_only_of_legacy_keys():
    text = HEAD + "  - id: x\n    image_prewarm: all\n    bundle_manifest: b\n"
    new, fixed_findings = fix_text(text)
    assert new == HEAD + "  - {}\n"
    assert len(fixed_findings) == 3


def test_fix_text_with_duplicate_legacy_keys():
    text = HEAD + "  - artifact_root: r\n    id: a\n    id: b\n"
    new, _ = fix_text(text)
    assert new == HEAD + "  - artifact_root: r\n"


def test_fix_text_leaves_broken_and_json_files_alone():
    broken = HEAD + "  - id: [unclosed\n"
    assert fix_text(broken) == (broken, [])
    doc = '{"schema_version": "1", "artifacts": [{"id": "x", "artifact_root": "r"}]}'
    assert fix_text(doc, kind="json") == (doc, [])


def test_fix_text_ignores_decoys():
    text = "id: top-level\n" + HEAD + "  - artifact_root: r\n    runtime_meta_notes: keep\n    parameters: {a: 1}\n"
    assert fix_text(text) == (text, [])


def test_fix_text_respects_disabled_rules():
    text = HEAD + "  - artifact_root: r\n    id: x\n    image_prewarm: all\n"
    new, fixed_findings = fix_text(text, config=Config(ignore=("AL104",)))
    assert new == HEAD + "  - artifact_root: r\n    id: x\n"
    assert [f.code for f in fixed_findings] == ["AL105"]


# --------------------------------------------------------------------------- combine / prove


def _count_parses(monkeypatch):
    """Count the YAML parses the fix engine and the linter make."""
    from artifact_lsp.engine import fixes as fixes_module
    from artifact_lsp.engine import linter as linter_module

    calls = []
    for module in (fixes_module, linter_module):
        real = module.parse
        monkeypatch.setattr(module, "parse", lambda text, _real=real: calls.append(1) or _real(text))
    return calls


def test_combine_applies_independent_plans_together_with_one_proof(monkeypatch):
    text = HEAD + "  - artifact_root: r\n    id: a\n    image_prewarm: all\n  - artifact_root: s\n    id: b\n"
    result = lint(text)
    plans = [f.plan for f in result.findings if f.plan is not None]
    assert len(plans) == 3
    parses = _count_parses(monkeypatch)
    new, applied = combine(text, result.parsed, result.index, plans)
    assert len(applied) == 3  # two keys of the same entry go together when one key stays
    assert new == HEAD + "  - artifact_root: r\n  - artifact_root: s\n"
    assert len(parses) == 1
    assert combine(text, result.parsed, result.index, []) == (text, [])


def test_combine_defers_the_last_key_of_a_mapping_and_overlapping_edits():
    text = HEAD + "  - id: a\n    image_prewarm: all\n  - artifact_root: s\n    id: b\n"
    result = lint(text)
    plans = [f.plan for f in result.findings if f.plan is not None]
    new, applied = combine(text, result.parsed, result.index, plans)
    assert [p.key.value for p in applied] == ["id", "id"]  # image_prewarm would empty the entry
    assert new == HEAD + "  - image_prewarm: all\n  - artifact_root: s\n"
    assert fix_text(text)[0] == HEAD + "  - {}\n  - artifact_root: s\n"


@pytest.mark.parametrize("entries", [10, 200])
def test_fix_all_is_linear_one_proof_not_one_per_key(monkeypatch, entries):
    """Removing every legacy key of a big manifest re-parses a fixed number of times, not
    once per key (issue 10, item 7: 1,000 entries took 94 s)."""
    entry = "  - id: e{i}\n    artifact_root: r{i}\n    runtime_config_dir: c\n    image_prewarm: all\n    runtime_meta:\n      a: 1\n"
    text = HEAD + "".join(entry.format(i=i) for i in range(entries))
    result = lint(text)
    parses = _count_parses(monkeypatch)
    new, fixed_findings, edits = fix_edits(text, result=result)
    assert len(fixed_findings) == 3 * entries
    assert new == HEAD + "".join(f"  - artifact_root: r{i}\n    runtime_config_dir: c\n" for i in range(entries))
    assert apply_edits(text, edits) == new
    assert len(parses) == 1  # the proof; the lint at hand is reused
    parses.clear()
    assert fix_text(text)[0] == new
    assert len(parses) == 2  # a lint and a proof


def test_a_plan_that_fails_its_proof_does_not_stop_the_others(monkeypatch):
    """An anchor aliased elsewhere: that removal cannot be proven, the others still go, found
    by halves (a few proofs, not one per key)."""
    entries = "".join(f"  - id: e{i}\n    artifact_root: r{i}\n" for i in range(40))
    text = HEAD + "  - id: &a x\n    artifact_root: r\n    runtime_config_dir: *a\n" + entries
    result = lint(text)
    plans = [f.plan for f in result.findings if f.plan is not None]
    parses = _count_parses(monkeypatch)
    new, applied = combine(text, result.parsed, result.index, plans)
    assert len(applied) == 40
    assert "id: &a x" in new and "id: e" not in new
    assert len(parses) < 20


def test_compose_edits_equals_applying_both():
    from artifact_lsp.engine.fixes import compose_edits

    text0 = "abcdefghij"
    first = [TextEdit(1, 3, "XY"), TextEdit(5, 6, ""), TextEdit(8, 8, "++")]
    text1 = apply_edits(text0, first)
    for second in (
        [TextEdit(0, 1, "")],
        [TextEdit(1, 2, "z"), TextEdit(6, 9, "")],
        [TextEdit(4, 5, "Q"), TextEdit(len(text1), len(text1), "!")],
        [TextEdit(2, 7, "")],
        [],
    ):
        text2 = apply_edits(text1, second)
        composed = compose_edits(first, second, text1, text2)
        assert apply_edits(text0, composed) == text2


def test_prove_accepts_exactly_the_planned_change():
    text = HEAD + "  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n"
    result = lint(text)
    plan = finding_for(result, "id").plan
    good = HEAD + "  - artifact_root: r\n    runtime_config_dir: c\n"
    assert prove(result.parsed, [plan], good)
    assert prove(result.parsed, [plan], good + "# a comment is not data\n")
    assert not prove(result.parsed, [plan], text)  # nothing removed
    assert not prove(result.parsed, [plan], HEAD + "  - artifact_root: r\n")  # too much removed
    assert prove(result.parsed, [plan], good.replace("c\n", "'c'\n"))  # same data, other style
    assert not prove(result.parsed, [plan], good.replace("c\n", "d\n"))  # a value changed
    assert not prove(result.parsed, [plan], good.replace("c\n", "'1'\n").replace("r\n", "'r'\n") + "x: 1\n")
    assert not prove(result.parsed, [plan], good.replace("r\n", "1\n"))  # a type changed
    assert not prove(result.parsed, [plan], HEAD + "  - artifact_root: r\n  runtime_config_dir: c\n")  # moved
    assert not prove(result.parsed, [plan], good + "---\na: 1\n")  # a second document
    assert not prove(result.parsed, [plan], good + "  - [unclosed\n")  # broken
    assert not prove(result.parsed, [plan], "")


def test_prove_rename():
    text = "matrix:\n  - esb_env: e\n    artifact_manifest: a\n"
    result = lint(text, "matrix")
    plan = finding_for(result, "esb_env").plan
    assert prove(result.parsed, [plan], text.replace("esb_env", "env"))
    assert not prove(result.parsed, [plan], text.replace("esb_env", "environment"))
    assert not prove(result.parsed, [plan], text.replace("esb_env: e", "env: f"))


def test_fixer_caches_and_returns_the_same_edits():
    text = HEAD + "  - artifact_root: r\n    id: x\n"
    result = lint(text)
    finding = finding_for(result, "id")
    assert result.fixer.fix_for(finding) == result.fixer.fix_for(finding)
    assert result.fixer.fix_for(finding).edits == (TextEdit(text.index("    id: x"), len(text), ""),)


def test_findings_without_a_plan_have_no_fix():
    text = HEAD + "  - artifact_root: /abs/runtime-base/x\n"
    result = lint(text)
    assert result.findings
    for finding in result.findings:
        if finding.plan is None:
            assert result.fixer.fix_for(finding) is None


# --------------------------------------------------------------------------- suppression


def _suppressed_ok(text, code, new):
    before = [f for f in lint(text).findings if f.code == code]
    after = [f for f in lint(new).findings if f.code == code]
    assert len(after) == len(before) - 1


def test_suppression_inserts_a_directive_above_with_the_same_indentation():
    text = HEAD + "  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n"
    result = lint(text)
    finding = finding_for(result, "id")
    fix = suppression_fix(text, result.index, finding)
    assert fix.title == "Ignore AL104 on this line"
    assert fix.preferred is False
    new = apply_edits(text, fix.edits)
    assert (
        new == HEAD + "  - artifact_root: r\n    # artifact-lsp: ignore[AL104]\n    id: x\n    runtime_config_dir: c\n"
    )
    _suppressed_ok(text, "AL104", new)
    assert yaml.safe_load(new) == yaml.safe_load(text)
    assert result.fixer.suppression(finding) == fix


def test_suppression_on_a_dash_line_goes_above_the_dash():
    text = HEAD + "  - id: x\n    artifact_root: r\n"
    result = lint(text)
    new = apply_edits(text, suppression_fix(text, result.index, finding_for(result, "id")).edits)
    assert new == HEAD + "  # artifact-lsp: ignore[AL104]\n  - id: x\n    artifact_root: r\n"
    _suppressed_ok(text, "AL104", new)


def test_suppression_on_the_first_line_and_with_crlf():
    text = ("runtime_stack: {a: 1}\n" + HEAD + "  - artifact_root: r\n").replace("\n", "\r\n")
    result = lint(text)
    new = apply_edits(text, suppression_fix(text, result.index, finding_for(result, "runtime_stack")).edits)
    assert new == "# artifact-lsp: ignore[AL103]\r\n" + text
    _suppressed_ok(text, "AL103", new)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "first",
    ["runtime_stack: {a: 1}", "runtime_stack:\n  mode: docker", "schema_version: 2", "? runtime_stack\n: {}", "id: x"],
)
def test_suppression_on_the_first_line_after_a_byte_order_mark(first, newline):
    """A file that starts with a BOM: the directive goes after it (before it, the YAML no longer
    parses), and it silences the line below (issue 10, item 6)."""
    text = (
        "\ufeff"
        + first
        + "\n"
        + HEAD.replace('schema_version: "1"\n', "", "schema_version" in first)
        + "  - artifact_root: r\n"
    ).replace("\n", newline)
    result = lint(text)
    firsts = [f for f in result.findings if result.index.line_of(f.start) == 0]
    assert firsts, result.findings
    for finding in firsts:
        new = apply_edits(text, suppression_fix(text, result.index, finding).edits)
        assert new.startswith("\ufeff# artifact-lsp: ignore[")
        assert yaml.safe_load(new) == yaml.safe_load(text)
        after = lint(new)
        assert not after.parsed.problems
        assert finding.code not in [f.code for f in after.findings if after.index.line_of(f.start) == 1]
        # the next code on the same line joins that directive, still after the mark
        others = [f for f in after.findings if after.index.line_of(f.start) == 1]
        if others:
            again = apply_edits(new, suppression_fix(new, after.index, others[0]).edits)
            assert again.startswith("\ufeff# artifact-lsp: ignore[") and again.count("artifact-lsp:") == 1
            assert others[0].code not in [
                f.code for f in lint(again).findings if lint(again).index.line_of(f.start) == 1
            ]


def test_fixes_keep_a_byte_order_mark_first():
    text = "\ufeffruntime_stack: {a: 1}\n" + HEAD + "  - artifact_root: r\n"
    assert fixed(text, "runtime_stack") == "\ufeff" + HEAD + "  - artifact_root: r\n"
    assert fix_text(text)[0] == "\ufeff" + HEAD + "  - artifact_root: r\n"


def test_suppression_joins_an_existing_directive():
    text = HEAD + "  - artifact_root: r\n    # artifact-lsp: ignore[AL105]\n    id: x\n"
    result = lint(text)
    fix = suppression_fix(text, result.index, finding_for(result, "id"))
    new = apply_edits(text, fix.edits)
    assert new == HEAD + "  - artifact_root: r\n    # artifact-lsp: ignore[AL105, AL104]\n    id: x\n"
    _suppressed_ok(text, "AL104", new)


def test_suppression_with_unicode_indentation_context():
    text = HEAD + "  - artifact_root: 日本😀\n    image_prewarm: all # 古い\n"
    result = lint(text)
    new = apply_edits(text, suppression_fix(text, result.index, finding_for(result, "image_prewarm")).edits)
    assert new == HEAD + "  - artifact_root: 日本😀\n    # artifact-lsp: ignore[AL105]\n    image_prewarm: all # 古い\n"
    _suppressed_ok(text, "AL105", new)


# --------------------------------------------------------------------------- diff_edits


@pytest.mark.parametrize(
    "old",
    [
        HEAD + "  - id: x\n    artifact_root: r\n    image_prewarm: all\n",
        (HEAD + "  - artifact_root: r\n    runtime_meta:\n      a: 1\n    runtime_config_dir: c\n").replace(
            "\n", "\r\n"
        ),
        HEAD + "  - artifact_root: r\n    id: x",
        "runtime_stack: 1\n" + HEAD + "  - {id: x, artifact_root: r}\n",
    ],
)
def test_diff_edits_reproduce_the_new_text(old):
    new, fixed_findings = fix_text(old)
    assert fixed_findings and new != old
    edits = diff_edits(old, new)
    assert edits
    assert apply_edits(old, edits) == new
    ordered = sorted(edits, key=lambda e: e.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ordered))


@pytest.mark.parametrize(
    "old, new",
    [
        ("a\nb\nc\n", "a\nc\n"),
        ("a\nb\nc\n", "a\nb\nc\n"),
        ("a\r\nb\r\n", "a\r\nx\r\ny\r\n"),
        ("a\nb", "a\nb\n"),
        ("", "a: 1\n"),
        ("a: 1\n", ""),
        ("日本\n😀\né\n", "日本\né\n"),
        ("a\rb\rc", "a\rc"),
    ],
)
def test_diff_edits_on_plain_texts(old, new):
    edits = diff_edits(old, new)
    assert apply_edits(old, edits) == new
    if old == new:
        assert edits == []


# --------------------------------------------------------------------------- corpus

CORPUS = corpus_files()


def _corpus_params():
    if not CORPUS:
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason="the ESB corpus (../shared/corpus/esb-history) is not available")
            )
        ]
    return [pytest.param(p, id=p.name) for p in CORPUS]


@pytest.mark.parametrize("path", _corpus_params())
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_corpus_fix_text_leaves_valid_yaml_without_legacy_keys(path, newline):
    kind = corpus_kind(path)
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", newline)
    data = yaml.safe_load(text)
    legacy_before = [f for f in lint(text, kind).findings if f.rule.deprecated]

    new, fixed_findings = fix_text(text, kind=kind)

    assert yaml.safe_load(new) == strip_legacy(data, kind)
    after = lint(new, kind)
    assert [f for f in after.findings if f.rule.deprecated] == []
    assert after.parsed.problems == []
    assert Counter(f.code for f in fixed_findings) == Counter(f.code for f in legacy_before)
    if newline == "\r\n":
        assert "\n" not in new.replace("\r\n", "")
    # comment lines at the left margin are never inside a legacy block: all are kept, in order
    margin = [line for line in text.splitlines() if line.startswith("#")]
    assert [line for line in new.splitlines() if line.startswith("#")] == margin
    if not legacy_before:
        assert new == text


@pytest.mark.parametrize("path", _corpus_params())
def test_corpus_each_quick_fix_is_exact(path):
    kind = corpus_kind(path)
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    result = lint(text, kind)
    for finding in result.findings:
        if not finding.rule.deprecated:
            continue
        fix = result.fixer.fix_for(finding)
        assert fix is not None, f"{finding.code} at {finding.start} has no fix"
        new = apply_edits(text, fix.edits)
        assert yaml.safe_load(new) == expected_after_plan(data, result.parsed.root, finding.plan)
        prefix, suffix = untouched_bounds(text, fix.edits)
        assert new.startswith(prefix) and new.endswith(suffix)


def test_corpus_has_legacy_files_to_fix():
    if not CORPUS:
        pytest.skip("the ESB corpus (../shared/corpus/esb-history) is not available")
    legacy_era = [p for p in CORPUS if p.name < "2026-02-21" and corpus_kind(p) == "manifest"]
    assert legacy_era
    for path in legacy_era:
        _, fixed_findings = fix_text(path.read_text(encoding="utf-8"), kind="manifest")
        codes = {f.code for f in fixed_findings}
        assert "AL104" in codes or "AL101" in codes, path.name
