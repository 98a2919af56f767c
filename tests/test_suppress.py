"""Inline suppression: ``# artifact-lsp: ignore[AL104]`` on the line or on the line above."""

from __future__ import annotations

from artifact_lsp.engine.suppress import comment_for, directives, is_suppressed
from artifact_lsp.engine.text import LineIndex

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\n'
CLEAN = HEAD + "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config\n"
# line 8: id (AL104), line 9: image_prewarm (AL105)
LEGACY = CLEAN + "    id: x\n    image_prewarm: all\n"


def test_baseline_without_directives(lint):
    out = lint(LEGACY)
    assert [(h.code, h.at) for h in out.hits] == [("AL104", (8, 5)), ("AL105", (9, 5))]


def test_end_of_line_directive(lint):
    out = lint(CLEAN + "    id: x  # artifact-lsp: ignore[AL104]\n    image_prewarm: all\n")
    out.none("AL104")
    assert out.one("AL105").at == (9, 5)  # the next line is not covered by an end-of-line comment


def test_directive_on_the_line_above(lint):
    text = CLEAN + "    # artifact-lsp: ignore[AL104]\n    id: x\n    image_prewarm: all\n"
    out = lint(text)
    out.none("AL104")
    assert out.one("AL105").at == (10, 5)


def test_own_line_directive_covers_only_the_next_line(lint):
    text = CLEAN + "    # artifact-lsp: ignore[AL104, AL105]\n    image_prewarm: all\n    id: x\n"
    out = lint(text)
    out.none("AL105")
    assert out.one("AL104").at == (10, 5)


def test_multiple_codes(lint):
    out = lint(CLEAN + "    id: x  # artifact-lsp: ignore[AL105, AL104]\n")
    assert out.hits == []
    out = lint(CLEAN + "    id: x  # artifact-lsp: ignore[AL105,AL104]\n")
    assert out.hits == []


def test_bare_ignore_silences_every_rule_on_the_line(lint):
    text = HEAD + "artifacts:\n  - {artifact_root: a, runtime_config_dir: ../x, id: x}  # artifact-lsp: ignore\n"
    out = lint(text)
    assert out.hits == []
    assert [h.code for h in lint(text.replace("  # artifact-lsp: ignore", "")).hits] == ["AL306", "AL104"]


def test_bare_ignore_on_the_line_above(lint):
    text = CLEAN + "    # artifact-lsp: ignore\n    id: x\n    image_prewarm: all\n"
    out = lint(text)
    out.none("AL104")
    assert out.one("AL105").at == (10, 5)


def test_directive_for_another_code_does_not_suppress(lint):
    out = lint(CLEAN + "    id: x  # artifact-lsp: ignore[AL105]\n")
    hit = out.one("AL104")
    assert hit.at == (8, 5)
    out = lint(CLEAN + "    # artifact-lsp: ignore[AL308]\n    id: x\n")
    assert out.one("AL104").at == (9, 5)


def test_prefix_is_not_a_code(lint):
    # suppression names exact codes; a prefix does not silence the family
    out = lint(CLEAN + "    id: x  # artifact-lsp: ignore[AL1]\n")
    assert out.one("AL104").at == (8, 5)


def test_spacing_and_case_variants(lint):
    for comment in (
        "#artifact-lsp: ignore[AL104]",
        "#  artifact-lsp:ignore[al104]",
        "# artifact-lsp:  ignore[ AL104 ]",
    ):
        out = lint(CLEAN + f"    id: x {comment}\n")
        assert out.hits == [], comment


def test_other_comment_text_is_not_a_directive(lint):
    for comment in ("# artifact-lsp ignore[AL104]", "# artifactlsp: ignore[AL104]", "# ignore[AL104]", "# noqa: AL104"):
        out = lint(CLEAN + f"    id: x  {comment}\n")
        assert out.one("AL104").at == (8, 5), comment


def test_directive_inside_a_quoted_value_is_not_a_comment(lint):
    out = lint(CLEAN + "    id: 'x # artifact-lsp: ignore'\n")
    assert out.one("AL104").at == (8, 5)
    out = lint(CLEAN + '    id: "x # artifact-lsp: ignore[AL104]"\n')
    assert out.one("AL104").at == (8, 5)


def test_directive_inside_a_block_scalar_is_not_a_comment(lint):
    text = CLEAN + "    note: |\n      # artifact-lsp: ignore\n    id: x\n"
    out = lint(text)
    assert out.one("AL104").at == (10, 5)
    assert out.one("AL308").at == (8, 5)


def test_hash_must_start_a_token(lint):
    # 'x#artifact-lsp: ...' is part of a plain value, not a comment (and here a YAML error)
    out = lint(CLEAN + "    id: x#artifact-lsp: ignore[AL104]\n")
    assert out.codes == ["AL001"]


def test_suppression_in_matrix(lint):
    text = (
        "suites: {}\n"
        "matrix:\n"
        "- env: e2e-docker\n"
        "  artifact_manifest: a.yml\n"
        "  deploy_driver: cli  # artifact-lsp: ignore[AL501]\n"
        "  # artifact-lsp: ignore[AL502]\n"
        "  env_vars: {}\n"
        "  config_dir: x\n"
    )
    out = lint(text, kind="matrix")
    assert [(h.code, h.at) for h in out.hits] == [("AL502", (8, 3))]


def test_suppression_of_shape_and_disk_findings(lint, tmp_path, write_repo):
    text = HEAD.replace('"1"', '"2"  # artifact-lsp: ignore[AL302]') + (
        "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config  # artifact-lsp: ignore[AL401]\n"
    )
    write_repo(tmp_path, {"artifact.yml": text})
    out = lint(text, path=tmp_path / "artifact.yml", disk=True)
    assert out.hits == []


def test_suppression_of_a_finding_spanning_lines_uses_its_first_line(lint):
    text = (
        CLEAN
        + "    # artifact-lsp: ignore[AL101]\n    runtime_meta:\n      runtime_hooks:\n        java_agent_digest: abc\n"
    )
    out = lint(text)
    out.none("AL101")
    assert out.one("AL102").at == (11, 9)


# --------------------------------------------------------------------------- the helpers


def test_directives_table():
    text = "a: 1  # artifact-lsp: ignore[AL104, al105]\n# artifact-lsp: ignore\nb: 2\n"
    table = directives(text, LineIndex(text))
    assert table == {0: {"AL104", "AL105"}, 1: {"*"}, 2: {"*"}}
    assert is_suppressed(table, 0, "AL105")
    assert not is_suppressed(table, 0, "AL101")
    assert is_suppressed(table, 2, "AL999")
    assert not is_suppressed(table, 3, "AL104")
    assert directives("a: 1\n", LineIndex("a: 1\n")) == {}


def test_comment_for_round_trips(lint):
    comment = comment_for("AL104")
    assert comment == "# artifact-lsp: ignore[AL104]"
    assert lint(CLEAN + f"    id: x  {comment}\n").hits == []
