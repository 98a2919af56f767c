"""The contract's shape (AL301-AL309), with the upstream validator's wording."""

from __future__ import annotations

import pytest

from artifact_lsp.engine.model import Severity

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\n'
ENTRY = "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config\n"
CLEAN = HEAD + ENTRY

TEMPLATE_SHA = "f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b"
FULL = (
    'schema_version: "1"\n'
    "project: esb\n"
    "env: e2e-docker\n"
    "mode: docker\n"
    "artifacts:\n"
    "  - artifact_root: entries/template-e2e-19477f40\n"
    "    runtime_config_dir: config\n"
    "    source_template:\n"
    "      path: e2e/fixtures/template.e2e.yaml\n"
    f"      sha256: {TEMPLATE_SHA}\n"
    'generated_at: "2026-02-27T18:28:02Z"\n'
    "generator:\n"
    "  name: esb\n"
    "  version: 997b036 (dirty)\n"
)


def entry(rcd: str = "config", root: str = "entries/t", extra: str = "") -> str:
    return HEAD + f"artifacts:\n  - artifact_root: {root}\n    runtime_config_dir: {rcd}\n" + extra


def test_contract_example_is_clean(lint):
    assert lint(FULL).hits == []


def test_containerd_mode_and_merge_policy_are_fine(lint):
    text = CLEAN.replace("mode: docker", "mode: containerd") + "merge_policy: last-wins\n"
    assert lint(text).hits == []


# --------------------------------------------------------------------------- AL301


@pytest.mark.parametrize("name,line", [("schema_version", 1), ("project", 2), ("env", 3), ("mode", 4)])
@pytest.mark.parametrize("value", ["null", "~", "", '"  "', "''"])
def test_al301_null_or_blank_counts_as_missing(lint, name, line, value):
    lines = CLEAN.splitlines(keepends=True)
    lines[line - 1] = f"{name}: {value}\n" if value else f"{name}:\n"
    out = lint("".join(lines))
    hit = out.one("AL301")
    assert hit.at == (line, 1)  # at the key
    assert hit.severity is Severity.ERROR
    assert hit.message == f"{name} is required"


@pytest.mark.parametrize("name,line", [("schema_version", 1), ("project", 2), ("env", 3), ("mode", 4)])
def test_al301_absent_key_is_reported_at_the_first_key(lint, name, line):
    lines = CLEAN.splitlines(keepends=True)
    del lines[line - 1]
    hit = lint("".join(lines)).one("AL301")
    assert hit.message == f"{name} is required"
    assert hit.at == (1, 1)


def test_al301_entry_fields(lint):
    out = lint(HEAD + "artifacts:\n  - artifact_root: null\n    runtime_config_dir: '  '\n")
    hits = out.of("AL301")
    assert [(h.at, h.message) for h in hits] == [
        ((6, 5), "artifacts[0].artifact_root is required"),
        ((7, 5), "artifacts[0].runtime_config_dir is required"),
    ]


def test_al301_entry_field_absent(lint):
    out = lint(HEAD + "artifacts:\n  - artifact_root: a\n")
    hit = out.one("AL301")
    assert hit.message == "artifacts[0].runtime_config_dir is required"
    assert hit.at == (6, 5)  # the entry's first key


def test_al301_negative_values_present(lint):
    lint(CLEAN).none("AL301")
    # any scalar is a string to the upstream reader (Go strings): a number project is fine
    lint(CLEAN.replace("project: esb", "project: 42")).none("AL301")


def test_required_values_through_aliases(lint):
    text = "x-env: &env e2e-docker\n" + CLEAN.replace("env: e2e-docker", "env: *env")
    out = lint(text)
    out.none("AL301")
    out.none("AL303")


# --------------------------------------------------------------------------- AL302


def test_al302_unsupported_schema_version(lint):
    out = lint(CLEAN.replace('schema_version: "1"', 'schema_version: "2"'))
    hit = out.one("AL302")
    assert hit.at == (1, 17)
    assert hit.severity is Severity.ERROR
    assert 'unsupported schema_version: "2" (supported: "1")' in hit.message
    assert out.span_text(hit) == '"2"'


@pytest.mark.parametrize("value,shown", [("2", "2"), ("1.0", "1.0"), ("'v1'", "v1"), ('"1.1"', "1.1")])
def test_al302_other_values(lint, value, shown):
    hit = lint(CLEAN.replace('schema_version: "1"', f"schema_version: {value}")).one("AL302")
    assert hit.at == (1, 17)
    assert f'unsupported schema_version: "{shown}" (supported: "1")' in hit.message


def test_al302_not_a_scalar(lint):
    hit = lint(CLEAN.replace('schema_version: "1"', "schema_version: [1]")).one("AL302")
    assert hit.at == (1, 17)
    assert hit.message == "schema_version must be a string"


@pytest.mark.parametrize("value", ['"1"', "'1'", "1"])
def test_schema_version_one_string_or_integer_is_accepted(lint, value):
    out = lint(CLEAN.replace('schema_version: "1"', f"schema_version: {value}"))
    out.none("AL302")
    out.none("AL301")
    assert out.hits == []


# --------------------------------------------------------------------------- AL303


@pytest.mark.parametrize("name,line", [("project", 2), ("env", 3), ("mode", 4)])
def test_al303_top_level_not_a_string(lint, name, line):
    lines = CLEAN.splitlines(keepends=True)
    lines[line - 1] = f"{name}: {{a: 1}}\n"
    hit = lint("".join(lines)).one("AL303")
    assert hit.at == (line, len(name) + 3)
    assert hit.severity is Severity.ERROR
    assert hit.message == f"{name} must be a string"


def test_al303_block_mapping_value_points_at_key(lint):
    hit = lint(CLEAN.replace("project: esb", "project:\n  name: esb")).one("AL303")
    assert hit.at == (2, 1)
    assert hit.message == "project must be a string"


def test_al303_entry_fields(lint):
    out = lint(HEAD + "artifacts:\n  - artifact_root: [a]\n    runtime_config_dir: {x: y}\n")
    assert [(h.at, h.message) for h in out.of("AL303")] == [
        ((6, 20), "artifacts[0].artifact_root must be a string"),
        ((7, 25), "artifacts[0].runtime_config_dir must be a string"),
    ]


def test_al303_source_template_fields(lint):
    out = lint(entry(extra="    source_template:\n      path: [a]\n      sha256: {a: b}\n"))
    assert [(h.at, h.message) for h in out.of("AL303")] == [
        ((9, 13), "artifacts[0].source_template.path must be a string"),
        ((10, 15), "artifacts[0].source_template.sha256 must be a string"),
    ]
    out.none("AL307")


# --------------------------------------------------------------------------- AL304


def test_al304_firecracker_is_not_a_mode(lint):
    hit = lint(CLEAN.replace("mode: docker", "mode: firecracker")).one("AL304")
    assert hit.at == (4, 7)
    assert hit.severity is Severity.ERROR
    assert 'unsupported mode: "firecracker" (supported: "docker", "containerd"' in hit.message
    assert "firecracker is a containerd runtime, not a mode" in hit.message


def test_al304_other_mode(lint):
    hit = lint(CLEAN.replace("mode: docker", "mode: Docker")).one("AL304")
    assert hit.message == 'unsupported mode: "Docker" (supported: "docker", "containerd")'


@pytest.mark.parametrize("mode", ["docker", "containerd", '"docker"'])
def test_al304_negative(lint, mode):
    lint(CLEAN.replace("mode: docker", f"mode: {mode}")).none("AL304")


# --------------------------------------------------------------------------- AL305


def test_al305_empty_artifacts_list(lint):
    hit = lint(HEAD + "artifacts: []\n").one("AL305")
    assert hit.at == (5, 12)
    assert hit.severity is Severity.ERROR
    assert hit.message == "artifacts must contain at least one entry"


@pytest.mark.parametrize("tail,at", [("artifacts:\n", (5, 1)), ("artifacts: null\n", (5, 1)), ("", (1, 1))])
def test_al305_missing_artifacts(lint, tail, at):
    hit = lint(HEAD + tail).one("AL305")
    assert hit.at == at
    assert hit.message == "artifacts must contain at least one entry"


def test_al305_artifacts_not_a_list(lint):
    hit = lint(HEAD + "artifacts: entries/t\n").one("AL305")
    assert hit.at == (5, 12)
    assert hit.message == "artifacts must be a list of entries"


def test_al305_entry_not_a_mapping(lint):
    out = lint(HEAD + "artifacts:\n  - entries/t\n  - artifact_root: a\n    runtime_config_dir: c\n")
    hit = out.one("AL305")
    assert hit.at == (6, 5)
    assert hit.message == "artifacts[0] must be a mapping"


def test_al305_document_not_a_mapping(lint):
    hit = lint("- schema_version: '1'\n").one("AL305")
    assert hit.at == (1, 3)
    assert "the manifest must be a mapping" in hit.message


def test_al305_empty_document(lint):
    for text in ("", "# only a comment\n", "---\n"):
        hit = lint(text).one("AL305")
        assert hit.at == (1, 1)
        assert "the manifest is empty" in hit.message


def test_al305_negative_one_entry(lint):
    lint(CLEAN).none("AL305")


# --------------------------------------------------------------------------- AL306


@pytest.mark.parametrize(
    "value,problem",
    [
        ("..", "must not escape artifact root"),
        ("../x", "must not escape artifact root"),
        ("a/../../x", "must not escape artifact root"),
        ("./../config", "must not escape artifact root"),
        (".", "must not be '.'"),
        ("./", "must not be '.'"),
        ("a/..", "must not be '.'"),
        ("/etc/esb/config", "must be a relative path"),
    ],
)
def test_al306_invalid_runtime_config_dir(lint, value, problem):
    out = lint(entry(rcd=value))
    hit = out.one("AL306")
    assert hit.at == (7, 25)
    assert hit.severity is Severity.ERROR
    assert hit.message == f"artifacts[0].runtime_config_dir {problem}"


def test_al306_upstream_wording(lint):
    hit = lint(entry(rcd="a/../../x")).one("AL306")
    assert "artifacts[0].runtime_config_dir must not escape artifact root" in hit.message


@pytest.mark.parametrize("value", ["config", "a/../b", "./config", "a/b/../c", "..config", "config/sub/.."])
def test_al306_negative(lint, value):
    out = lint(entry(rcd=value))
    out.none("AL306")
    assert out.hits == []


def test_al306_second_entry_index(lint):
    text = CLEAN + "  - artifact_root: b\n    runtime_config_dir: ../up\n"
    hit = lint(text).one("AL306")
    assert hit.at == (9, 25)
    assert hit.message.startswith("artifacts[1].runtime_config_dir")


def test_artifact_root_may_escape_and_be_absolute(lint):
    assert lint(entry(root="../../shared/entries/t")).hits == []
    assert lint(entry(root="/srv/esb/entries/t")).hits == []


# --------------------------------------------------------------------------- AL307


def test_al307_source_template_not_a_mapping(lint):
    hit = lint(entry(extra="    source_template: e2e/fixtures/template.yaml\n")).one("AL307")
    assert hit.at == (8, 22)
    assert hit.severity is Severity.ERROR
    assert hit.message == "artifacts[0].source_template must be a mapping"


def test_al307_blank_path_and_sha(lint):
    out = lint(entry(extra="    source_template:\n      path: ''\n      sha256: null\n"))
    assert [(h.at, h.message) for h in out.of("AL307")] == [
        ((9, 13), "artifacts[0].source_template.path must not be blank"),
        ((10, 15), "artifacts[0].source_template.sha256 must not be blank"),
    ]


@pytest.mark.parametrize(
    "sha", [TEMPLATE_SHA.upper(), TEMPLATE_SHA[:-1], TEMPLATE_SHA + "0", "sha256:" + TEMPLATE_SHA[7:], "g" * 64]
)
def test_al307_bad_sha256(lint, sha):
    out = lint(entry(extra=f"    source_template:\n      path: t.yaml\n      sha256: {sha}\n"))
    hit = out.one("AL307")
    assert hit.at == (10, 15)
    assert hit.message == "artifacts[0].source_template.sha256 must be 64 lowercase hex characters"


def test_al307_negative_optional_and_partial(lint):
    # source_template is optional; path and sha256 are each checked only when present
    assert lint(CLEAN).hits == []
    assert lint(entry(extra="    source_template:\n")).hits == []
    assert lint(entry(extra="    source_template:\n      path: t.yaml\n")).hits == []
    assert lint(entry(extra=f"    source_template:\n      sha256: {TEMPLATE_SHA}\n")).hits == []
    assert lint(entry(extra=f"    source_template: {{path: t.yaml, sha256: '{TEMPLATE_SHA}'}}\n")).hits == []


# --------------------------------------------------------------------------- AL308


def test_al308_unknown_keys_everywhere(lint):
    text = (
        CLEAN
        + "    note: x\n"  # 8
        + "    source_template:\n"
        + "      path: t.yaml\n"
        + "      digest: y\n"  # 11
        + "extra: 1\n"  # 12
    )
    out = lint(text)
    assert [(h.at, h.message) for h in out.of("AL308")] == [
        ((8, 5), "unknown key 'note' in artifacts[0] (the deploy tool ignores it)"),
        ((11, 7), "unknown key 'digest' in artifacts[0].source_template (the deploy tool ignores it)"),
        ((12, 1), "unknown key 'extra' at the top level (the deploy tool ignores it)"),
    ]
    assert all(h.severity is Severity.INFO for h in out.of("AL308"))


def test_al308_negative_known_keys_and_merge_key(lint):
    assert lint(FULL).of("AL308") == []
    text = HEAD + "x-e: &e {runtime_config_dir: c}\nartifacts:\n  - <<: *e\n    artifact_root: a\n"
    out = lint(text)
    assert [h.at for h in out.of("AL308")] == [(5, 1)]  # only 'x-e'; '<<' is not a key
    out.none("AL301")  # runtime_config_dir comes through the merge


# --------------------------------------------------------------------------- AL309


def test_al309_generated_at_not_rfc3339_utc(lint):
    for value in ("yesterday", '"2026-02-27 18:28:02"', '"2026-02-27T18:28:02+09:00"'):
        hit = lint(CLEAN + f"generated_at: {value}\n").one("AL309")
        assert hit.at == (8, 15)
        assert hit.severity is Severity.WARNING
        assert hit.message == 'generated_at must be an RFC 3339 UTC time such as "2026-02-27T18:28:02Z"'


def test_al309_generator_types_are_al310(lint):
    """Wrong types of producer metadata are errors (AL310, tests/test_gates.py); AL309 is format advice."""
    out = lint(CLEAN + "generator: esb\n")
    out.none("AL309")
    assert out.one("AL310").at == (8, 12)
    out = lint(CLEAN + "generator:\n  name: esb\n  version: [1]\n")
    out.none("AL309")
    assert out.one("AL310").at == (10, 12)


def test_al309_negative(lint):
    for tail in (
        'generated_at: "2026-02-27T18:28:02Z"\n',
        "generated_at: 2026-02-27T18:28:02Z\n",  # a YAML timestamp is still that text upstream
        'generated_at: "2026-02-27T18:28:02.123Z"\n',
        "generated_at:\n",
        "generator:\n  name: esb\n  version: 997b036 (dirty)\n",
        "generator:\n  name: esb\n  version: 1.2\n",
    ):
        assert lint(CLEAN + tail).of("AL309") == [], tail


def test_generated_at_needs_ascii_digits():
    from artifact_lsp.engine.linter import lint_text

    base = 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n  - {artifact_root: r, runtime_config_dir: c}\n'
    ok = lint_text(base + 'generated_at: "2026-02-27T18:28:02Z"\n', disk=False)
    assert not [f for f in ok.findings if f.code == "AL309"]
    wide = lint_text(base + 'generated_at: "２０２６-02-27T18:28:02Z"\n', disk=False)
    assert [f.code for f in wide.findings if f.code == "AL309"] == ["AL309"]
