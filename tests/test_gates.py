"""Issue 13: everything ESB's own gates reject is an error at the offending node.

One section per category of the issue (manifests 1-5, matrices 6-11, the Windows-path
decision), each with positive and negative cases, the fixes (proven like every other fix), and
a property test: a mistyped value for any key is an error, and the gate oracle agrees that a
gate refuses it. docs/gates.md maps every rule to the gate it mirrors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gate_oracle
from artifact_lsp.engine.linter import fix_text, lint_text
from artifact_lsp.engine.model import QuoteValue, RemoveKey, RemoveTag, Severity

SHA = "f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b"
OCTAL_SHA = "0" + "1234567" * 9  # 64 digits 0-7 after a 0: YAML 1.1 reads an octal integer

MANIFEST = (
    'schema_version: "1"\n'  # 1
    "project: esb\n"  # 2
    "env: e2e-docker\n"  # 3
    "mode: docker\n"  # 4
    "artifacts:\n"  # 5
    "  - artifact_root: entries/template-e2e\n"  # 6
    "    runtime_config_dir: config\n"  # 7
    "    source_template:\n"  # 8
    "      path: e2e/fixtures/template.e2e.yaml\n"  # 9
    f"      sha256: {SHA}\n"  # 10
    'generated_at: "2026-02-27T18:28:02Z"\n'  # 11
    "generator:\n"  # 12
    "  name: esb\n"  # 13
    "  version: 997b036 (dirty)\n"  # 14
)

MATRIX = (
    "suites:\n"  # 1
    "  smoke:\n"  # 2
    "    description: Fast tests\n"  # 3
    "    targets: [../scenarios/smoke/]\n"  # 4
    "    exclude: []\n"  # 5
    "matrix:\n"  # 6
    "- env: e2e-docker\n"  # 7
    "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"  # 8
    "  suites: [smoke]\n"  # 9
)


def sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def errors(out):
    return [h for h in out.hits if h.severity is Severity.ERROR]


def fixed_by(out, code: str) -> str:
    """The text after the one proven fix of the one ``code`` finding."""
    from artifact_lsp.engine.model import apply_edits

    hit = out.one(code)
    fix = out.result.fixer.fix_for(hit.finding)
    assert fix is not None, f"{code} offers no proven fix"
    return apply_edits(out.result.text, fix.edits)


def test_clean_files_are_clean(lint):
    assert lint(MANIFEST).hits == []
    assert lint(MATRIX, kind="matrix").hits == []
    assert gate_oracle.manifest_gates(MANIFEST) == {}
    assert not gate_oracle.runner(MATRIX).refuses


# --------------------------------------------------------------------------- 1. producer metadata


@pytest.mark.parametrize(
    "old, new, at, said",
    [
        (
            "generator:\n  name: esb\n  version: 997b036 (dirty)\n",
            "generator: 5\n",
            (12, 12),
            "cannot unmarshal !!int `5` into artifactcore.ArtifactGenerator",
        ),
        (
            "generator:\n  name: esb\n  version: 997b036 (dirty)\n",
            'generator: ""\n',
            (12, 12),
            "cannot unmarshal !!str `` into artifactcore.ArtifactGenerator",
        ),
        (
            "generator:\n  name: esb\n  version: 997b036 (dirty)\n",
            "generator: [esb]\n",
            (12, 12),
            "into artifactcore.ArtifactGenerator",
        ),
        (
            'generated_at: "2026-02-27T18:28:02Z"',
            "generated_at: {at: now}",
            (11, 15),
            "cannot unmarshal !!map into string",
        ),
        ('generated_at: "2026-02-27T18:28:02Z"', "generated_at: [now]", (11, 15), "cannot unmarshal !!seq into string"),
        ('generated_at: "2026-02-27T18:28:02Z"', "generated_at: 2026-02-27T18:28:02Z", (11, 15), "a timestamp"),
        ('generated_at: "2026-02-27T18:28:02Z"', "generated_at: true", (11, 15), "a boolean"),
        ('generated_at: "2026-02-27T18:28:02Z"', "generated_at: !!binary aGVsbG8=", (11, 15), "a binary value"),
        ("  name: esb", "  name: {a: b}", (13, 9), "generator.name must be a string"),
        ("  name: esb", "  name: yes", (13, 9), "a boolean"),
        ("  version: 997b036 (dirty)", "  version: [1]", (14, 12), "cannot unmarshal !!seq into string"),
        ("  version: 997b036 (dirty)", "  version: 2026-01-01", (14, 12), "a timestamp"),
    ],
)
def test_1_producer_metadata_of_the_wrong_type(lint, old, new, at, said):
    out = lint(sub(MANIFEST, old, new))
    hit = out.one("AL310")
    assert hit.at == at
    assert hit.severity is Severity.ERROR
    assert said in hit.message
    out.none("AL309")


def test_1_unquoted_timestamp_is_quoted_by_the_fix(lint):
    out = lint(sub(MANIFEST, 'generated_at: "2026-02-27T18:28:02Z"', "generated_at: 2026-02-27T18:28:02Z"))
    assert isinstance(out.one("AL310").finding.plan, QuoteValue)
    assert fixed_by(out, "AL310") == MANIFEST


@pytest.mark.parametrize(
    "old, new",
    [
        ("generator:\n  name: esb\n  version: 997b036 (dirty)\n", "generator:\n"),
        ("generator:\n  name: esb\n  version: 997b036 (dirty)\n", ""),
        ("  version: 997b036 (dirty)", "  version:"),
        ("  version: 997b036 (dirty)", '  version: "1.0"'),
        ('generated_at: "2026-02-27T18:28:02Z"', "generated_at:"),
        ('generated_at: "2026-02-27T18:28:02Z"', "generated_at: !!str 2026-02-27T18:28:02Z"),
    ],
)
def test_1_negative(lint, old, new):
    out = lint(sub(MANIFEST, old, new))
    assert errors(out) == []


def test_1_format_advice_stays_a_warning(lint):
    hit = lint(sub(MANIFEST, '"2026-02-27T18:28:02Z"', "yesterday")).one("AL309")
    assert hit.severity is Severity.WARNING


# --------------------------------------------------------------------------- 2. tags


@pytest.mark.parametrize(
    "value, said",
    [
        ("!custom x", "could not determine a constructor for the tag '!custom'"),
        ("!!python/str x", "could not determine a constructor for the tag '!!python/str'"),
        ("!!python/name:os.system x", "could not determine a constructor for the tag '!!python/name:os.system'"),
        ("!!int x", "invalid literal for int()"),
        ("!!float x", "could not convert string to float"),
        ("!!timestamp x", "AttributeError"),
        ("!!binary abc", "failed to decode base64 data"),
        ("!!map x", "expected a mapping node, but found scalar"),
    ],
)
def test_2_tags_the_readers_cannot_construct(lint, value, said):
    text = sub(MANIFEST, "artifact_root: entries/template-e2e", f"artifact_root: {value}")
    out = lint(text)
    hit = out.one("AL005")
    assert hit.at == (6, 20)
    assert hit.severity is Severity.ERROR
    assert said in hit.message
    assert gate_oracle.py_reader(text) is not None and gate_oracle.regeneration_check(text) is not None


def test_2_the_fix_removes_the_tag(lint):
    out = lint(sub(MANIFEST, "artifact_root: entries/template-e2e", "artifact_root: !custom entries/template-e2e"))
    assert isinstance(out.one("AL005").finding.plan, RemoveTag)
    assert fixed_by(out, "AL005") == MANIFEST
    new, fixed = fix_text(sub(MANIFEST, "env: e2e-docker", "env: &e !custom e2e-docker"))
    assert new == sub(MANIFEST, "env: e2e-docker", "env: &e e2e-docker") and [f.code for f in fixed] == ["AL005"]


def test_2_tags_anywhere_and_on_collections(lint):
    out = lint(MANIFEST + "notes: !custom\n  a: b\n")
    hit = out.one("AL005")
    assert hit.at == (15, 8)
    assert fixed_by(out, "AL005") == MANIFEST + "notes:\n  a: b\n"
    assert (
        lint(MANIFEST + "notes: !!str [a]\n")
        .one("AL005")
        .message.endswith('"expected a scalar node, but found sequence"')
    )
    assert lint(MATRIX + "notes: !!python/object:os.system {}\n", kind="matrix").one("AL005").at == (10, 8)


def test_2_go_reader_tags(lint):
    # PyYAML builds True from `!!bool yes`; yaml.v3 (YAML 1.2) cannot decode it
    hit = lint(sub(MANIFEST, "project: esb", "project: !!bool yes")).one("AL005")
    assert hit.at == (2, 10) and "cannot decode !!str `yes` as a !!bool" in hit.message
    assert "as a !!bool" in gate_oracle.go_reader(sub(MANIFEST, "project: esb", "project: !!bool yes"))


@pytest.mark.parametrize("value", ["!!str x", "! x", "!!str 5", "!!int 5", "!!binary aGVsbG8=", "!!null ''"])
def test_2_negative(lint, value):
    out = lint(MANIFEST + f"notes: {value}\n")
    out.none("AL005")
    assert lint(MANIFEST + "notes: !!set {a, b}\n").of("AL005") == []
    assert lint(MANIFEST + "notes: !!omap [{a: 1}]\n").of("AL005") == []


def test_2_impossible_dates(lint):
    hit = lint(MANIFEST + "notes: 2026-02-30\n").one("AL005")
    assert hit.at == (15, 8) and "day is out of range" in hit.message
    lint(MANIFEST + "notes: 2026-02-28\n").none("AL005")


# --------------------------------------------------------------------------- 3. non-scalar keys


@pytest.mark.parametrize(
    "text, at",
    [
        (MANIFEST + "? [a]\n: b\n", (15, 3)),
        (MANIFEST + "? {a: 1}\n: b\n", (15, 3)),
        (
            sub(MANIFEST, "    runtime_config_dir: config\n", "    runtime_config_dir: config\n    ? [a]\n    : b\n"),
            (8, 7),
        ),
        (MANIFEST + "x: {[a]: b}\n", (15, 5)),  # the Go reader skips the unknown key x
    ],
)
def test_3_non_scalar_keys(lint, text, at):
    hit = lint(text).one("AL006")
    assert hit.at == at
    assert "found unhashable key" in hit.message and "cannot unmarshal" in hit.message
    assert gate_oracle.py_reader(text) is not None


def test_3_non_scalar_keys_in_matrices(lint):
    assert lint(MATRIX + "? [a]\n: b\n", kind="matrix").one("AL006").at == (10, 3)


def test_3_negative(lint):
    lint(MANIFEST + "? explicit\n: b\n").none("AL006")
    lint(MANIFEST + "5: b\n").none("AL006")


# --------------------------------------------------------------------------- 4. YAML 1.1 typing


def test_4_octal_looking_sha256(lint):
    text = sub(MANIFEST, f"sha256: {SHA}", f"sha256: {OCTAL_SHA}")
    out = lint(text)
    hit = out.one("AL307")
    assert hit.at == (10, 15)
    assert "must not be blank" in hit.message and "64 lowercase hex characters" in hit.message
    assert isinstance(hit.finding.plan, QuoteValue)
    quoted = fixed_by(out, "AL307")
    assert quoted == sub(MANIFEST, f"sha256: {SHA}", f'sha256: "{OCTAL_SHA}"')
    assert errors(lint(quoted)) == []
    assert gate_oracle.manifest_gates(quoted) == {}
    assert "64 lowercase hex" in gate_oracle.py_reader(text)


def test_4_schema_version_float(lint):
    text = sub(MANIFEST, 'schema_version: "1"', "schema_version: !!float 1")
    out = lint(text)
    hit = out.one("AL311")
    assert hit.at == (1, 17)
    assert 'unsupported schema_version: "1.0"' in hit.message
    assert fixed_by(out, "AL311") == MANIFEST
    assert '"1.0"' in gate_oracle.py_reader(text)


@pytest.mark.parametrize(
    "old, new, seen",
    [
        ("project: esb", "project: 0755", '"493"'),
        ("project: esb", "project: 1.10", '"1.1"'),
        ("env: e2e-docker", "env: yes", '"True"'),
        ("env: e2e-docker", "env: on", '"True"'),
        ("runtime_config_dir: config", "runtime_config_dir: 010", '"8"'),
        ("artifact_root: entries/template-e2e", "artifact_root: 0x10", '"16"'),
    ],
)
def test_4_typed_string_fields(lint, old, new, seen):
    out = lint(sub(MANIFEST, old, new))
    hit = out.one("AL311")
    assert seen in hit.message
    assert fixed_by(out, "AL311") == sub(MANIFEST, old, f'{new.split(": ")[0]}: "{new.split(": ")[1]}"')


@pytest.mark.parametrize(
    "old, new",
    [
        ('schema_version: "1"', "schema_version: 1"),  # the integer 1 is accepted
        ("project: esb", "project: 5"),  # "5" to every reader
        ("project: esb", 'project: "0755"'),
        ("env: e2e-docker", "env: 2026-01-01"),  # str() of the date is the same text
    ],
)
def test_4_negative(lint, old, new):
    assert errors(lint(sub(MANIFEST, old, new))) == []


# --------------------------------------------------------------------------- 5. the regeneration check


@pytest.mark.parametrize(
    "old, new, said",
    [
        ("path: e2e/fixtures/template.e2e.yaml", "path: 5", "source_template.path must not be blank"),
        ("path: e2e/fixtures/template.e2e.yaml", "path: true", "source_template.path must not be blank"),
        (f"sha256: {SHA}", "sha256: 5", "sha256 must be 64 lowercase hex characters"),
        (f"sha256: {SHA}", "sha256: " + "1" * 64, "source_template.sha256 must not be blank"),
        (f"sha256: {SHA}", f'sha256: " {SHA}"', "without surrounding blanks"),
        (f"sha256: {SHA}", f'sha256: "{SHA}\\t"', "without surrounding blanks"),
    ],
)
def test_5_regeneration_check(lint, old, new, said):
    text = sub(MANIFEST, old, new)
    hit = lint(text).one("AL307")
    assert said in hit.message
    assert hit.severity is Severity.ERROR
    assert gate_oracle.regeneration_check(text) is not None


def test_5_negative(lint):
    assert errors(lint(sub(MANIFEST, f"sha256: {SHA}", f'sha256: "{SHA}"'))) == []
    assert errors(lint(sub(MANIFEST, "path: e2e/fixtures/template.e2e.yaml", 'path: "5"'))) == []


# --------------------------------------------------------------------------- 6. wrong types crash the runner


@pytest.mark.parametrize(
    "old, new, at, said",
    [
        (
            "suites:\n  smoke:\n    description: Fast tests\n    targets: [../scenarios/smoke/]\n    exclude: []\n",
            "suites: x\n",
            (1, 9),
            "suites must be a mapping",
        ),
        ("  suites: [smoke]", "  suites: [smoke]\n  env_file:", (10, 3), "env_file must be a string, not null"),
        (
            "  suites: [smoke]",
            "  suites: [smoke]\n  env_dir: 5",
            (10, 12),
            "env_dir must be a string, not the integer 5",
        ),
        ("  suites: [smoke]", "  suites:", (9, 3), "suites must be a list of suite names, not null"),
        ("  suites: [smoke]", "  suites: 5", (9, 11), "not the integer 5"),
        ("    targets: [../scenarios/smoke/]", "    targets:", (4, 5), "targets must be a list of paths, not null"),
        ("    exclude: []", "    exclude: ~", (5, 14), "exclude must be a list of paths, not null"),
        (
            "    targets: [../scenarios/smoke/]",
            "    targets: [5]",
            (4, 15),
            "must hold paths (strings), not the integer 5",
        ),
        ("- env: e2e-docker", "- env: [e2e-docker]", (7, 8), "env must be a string, not a list"),
        ("- env: e2e-docker", "- env: {a: b}", (7, 8), "env must be a string, not a mapping"),
        (
            "  smoke:\n    description: Fast tests\n    targets: [../scenarios/smoke/]\n    exclude: []\n",
            "  smoke: x\n",
            (2, 10),
            "suite 'smoke' must be a mapping",
        ),
    ],
)
def test_6_wrong_types_crash_the_runner(lint, old, new, at, said):
    text = sub(MATRIX, old, new)
    out = lint(text, kind="matrix")
    hit = out.one("AL508")
    assert hit.at == at
    assert said in hit.message
    assert hit.severity is Severity.ERROR
    assert gate_oracle.runner(text).rejected is not None


def test_6_negative(lint):
    text = sub(
        MATRIX,
        "  suites: [smoke]",
        "  suites: [smoke]\n  env_dir: e2e-docker\n  env_file: e2e/environments/e2e-docker/.env",
    )
    assert lint(text, kind="matrix").hits == []
    # a number as env is fine when env_dir says where the environment is
    text = sub(text, "- env: e2e-docker", "- env: 5")
    lint(text, kind="matrix").none("AL508")
    assert not gate_oracle.runner(text).refuses


# --------------------------------------------------------------------------- 7. blank esb_project


@pytest.mark.parametrize("value", ['""', "''", "'  '"])
def test_7_blank_esb_project(lint, value):
    text = MATRIX + f"  esb_project: {value}\n"
    out = lint(text, kind="matrix")
    hit = out.one("AL509")
    assert hit.at == (10, 16)
    assert "must be non-empty when provided" in hit.message
    plan = hit.finding.plan
    assert isinstance(plan, RemoveKey) and plan.title == "Remove the blank 'esb_project'"
    assert fixed_by(out, "AL509") == MATRIX
    assert "non-empty when provided" in gate_oracle.runner(text).rejected


def test_7_negative(lint):
    for tail in ("  esb_project: esb\n", "  esb_project:\n", "  esb_project: 5\n"):
        lint(MATRIX + tail, kind="matrix").none("AL509")


# --------------------------------------------------------------------------- 8. the same env twice

SECOND = "- env: e2e-docker\n  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n  suites: [smoke]\n"


def test_8_same_env_other_manifest(lint):
    text = MATRIX + SECOND.replace("e2e-docker/artifact.yml", "e2e-containerd/artifact.yml")
    hit = lint(text, kind="matrix").one("AL510")
    assert hit.at == (11, 22)
    assert "artifact_manifest mismatch for env 'e2e-docker'" in hit.message
    assert hit.finding.related and hit.finding.related[0].message.startswith("matrix[0]")
    assert "artifact_manifest mismatch" in gate_oracle.runner(text).rejected


def test_8_same_env_other_project(lint):
    text = MATRIX + "  esb_project: esb\n" + SECOND + "  esb_project: other\n"
    hit = lint(text, kind="matrix").one("AL510")
    assert hit.at == (14, 16) and "esb_project mismatch for env 'e2e-docker'" in hit.message
    # no esb_project is the default project
    assert (
        "esb_project mismatch" in lint(MATRIX + SECOND + "  esb_project: other\n", kind="matrix").one("AL510").message
    )


def test_8_negative(lint):
    lint(MATRIX + SECOND.replace("[smoke]", "[]"), kind="matrix").none("AL510")
    lint(MATRIX + SECOND.replace("e2e-docker", "e2e-containerd"), kind="matrix").none("AL510")
    lint(MATRIX + "  esb_project: esb\n" + SECOND, kind="matrix").none("AL510")


# --------------------------------------------------------------------------- 9. artifact_manifest not a path


@pytest.mark.parametrize("value", ["{}", "[]", "{path: x}", "[a, b]"])
def test_9_artifact_manifest_mapping_or_list(lint, value):
    text = sub(MATRIX, "artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml", f"artifact_manifest: {value}")
    hit = lint(text, kind="matrix").one("AL504")
    assert hit.at == (8, 22)
    assert "artifact manifest not found" in hit.message
    assert "not found" in gate_oracle.runner(text, lambda p: p == "e2e/artifacts/e2e-docker/artifact.yml").rejected


def test_9_negative(lint):
    lint(MATRIX, kind="matrix").none("AL504")


# --------------------------------------------------------------------------- 10. no usable env


@pytest.mark.parametrize("value", ["", "null", "''", "false", "0", "{}", "[]"])
def test_10_no_usable_env(lint, value):
    text = sub(MATRIX, "- env: e2e-docker", f"- env: {value}")
    hit = lint(text, kind="matrix").one("AL511")
    assert hit.at == (7, 3)
    assert "[ERROR] Invalid matrix entry format" in hit.message
    assert gate_oracle.runner(text).errors


def test_10_missing_env(lint):
    text = sub(MATRIX, "- env: e2e-docker\n  artifact_manifest", "- artifact_manifest")
    hit = lint(text, kind="matrix").one("AL511")
    assert hit.at == (7, 3) and "env is missing" in hit.message


def test_10_negative(lint):
    lint(MATRIX, kind="matrix").none("AL511")
    # an entry that still says esb_env is AL503's
    out = lint(sub(MATRIX, "- env: e2e-docker", "- esb_env: e2e-docker"), kind="matrix")
    out.none("AL511")
    out.one("AL503")


# --------------------------------------------------------------------------- 11. suites the runner cannot find


def test_11_no_top_level_suites(lint):
    text = MATRIX[MATRIX.index("matrix:") :]
    hit = lint(text, kind="matrix").one("AL507")
    assert hit.at == (4, 12) and "Suite 'smoke' not defined in suites." in hit.message
    assert gate_oracle.runner(text).errors == ["[ERROR] Suite 'smoke' not defined in suites."]


@pytest.mark.parametrize("definition", ["null", "{}", "", "[]"])
def test_11_suite_defined_empty(lint, definition):
    text = sub(
        MATRIX,
        "  smoke:\n    description: Fast tests\n    targets: [../scenarios/smoke/]\n    exclude: []\n",
        f"  smoke: {definition}\n",
    )
    hit = lint(text, kind="matrix").one("AL507")
    assert hit.at == (6, 12)
    assert hit.finding.related[0].message == "defined empty here"
    assert gate_oracle.runner(text).errors


@pytest.mark.parametrize("value, said", [("smoke", "not the string 'smoke'"), ("{smoke: x}", "not a mapping")])
def test_11_entry_suites_string_or_mapping(lint, value, said):
    hit = lint(sub(MATRIX, "  suites: [smoke]", f"  suites: {value}"), kind="matrix").one("AL507")
    assert hit.at == (9, 11) and said in hit.message


def test_11_negative(lint):
    lint(MATRIX, kind="matrix").none("AL507")


# --------------------------------------------------------------------------- Windows-looking paths


@pytest.mark.parametrize("value", ["'C:\\x'", "C:/x", "'\\\\server\\share'", "'..\\x'"])
def test_windows_paths_are_a_warning_not_al306(lint, value):
    text = sub(MANIFEST, "runtime_config_dir: config", f"runtime_config_dir: {value}")
    out = lint(text)
    out.none("AL306")
    hit = out.one("AL313")
    assert hit.severity is Severity.WARNING and hit.at == (7, 25)
    assert "POSIX" in hit.message
    assert gate_oracle.manifest_gates(text) == {}  # no gate rejects it


def test_windows_negative(lint):
    lint(MANIFEST, kind="manifest").none("AL313")
    assert (
        lint(sub(MANIFEST, "runtime_config_dir: config", "runtime_config_dir: /abs"))
        .one("AL306")
        .message.endswith("must be a relative path")
    )


# --------------------------------------------------------------------------- kept as they are


def test_deliberate_strictness_is_kept(lint, tmp_path, write_repo, lint_file):
    assert lint(MANIFEST + "project: again\n").one("AL003").severity is Severity.ERROR
    assert lint(MATRIX.replace("matrix:", "other:"), kind="matrix").one("AL506").severity is Severity.ERROR
    write_repo(
        tmp_path, {"e2e/environments/test_matrix.yaml": MATRIX, "e2e/artifacts/e2e-docker/artifact.yml/x": "a: 1\n"}
    )
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml")
    assert out.one("AL505").severity is Severity.ERROR


# --------------------------------------------------------------------------- property: mistyped values

MANIFEST_STRING_KEYS = {
    "schema_version": 'schema_version: "1"',
    "project": "project: esb",
    "env": "env: e2e-docker",
    "mode": "mode: docker",
    "artifact_root": "artifact_root: entries/template-e2e",
    "runtime_config_dir": "runtime_config_dir: config",
    "path": "path: e2e/fixtures/template.e2e.yaml",
    "sha256": f"sha256: {SHA}",
    "generated_at": 'generated_at: "2026-02-27T18:28:02Z"',
    "name": "  name: esb",
    "version": "  version: 997b036 (dirty)",
}
MATRIX_KEYS = {
    "env": "- env: e2e-docker",
    "artifact_manifest": "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml",
    "suites": "  suites: [smoke]",
    "targets": "    targets: [../scenarios/smoke/]",
    "exclude": "    exclude: []",
}

words = st.text(alphabet="abcxyz", min_size=1, max_size=5)
flow_scalar = st.one_of(words, st.integers(-5, 500).map(str), st.sampled_from(["yes", "null", "1.5", "true", "~"]))
collections = st.one_of(
    st.lists(flow_scalar, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.dictionaries(words, flow_scalar, min_size=1, max_size=3).map(
        lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
    ),
)
bad_tags = st.one_of(
    words.map(lambda w: f"!{w} x"),
    words.map(lambda w: f"!!python/{w} x"),
    words.map(lambda w: f"!!int {w}"),
    words.map(lambda w: f"!!float {w}"),
)
mistyped = st.one_of(collections, bad_tags)
SETTINGS = dict(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@settings(**SETTINGS)
@given(st.sampled_from(sorted(MANIFEST_STRING_KEYS)), mistyped)
def test_property_a_mistyped_manifest_value_is_an_error(key, value):
    line = MANIFEST_STRING_KEYS[key]
    text = sub(MANIFEST, line, line.split(": ")[0] + ": " + value)
    result = lint_text(text, kind="manifest", disk=False)
    found = [f for f in result.findings if f.severity >= Severity.ERROR]
    assert found, text
    assert gate_oracle.manifest_gates(text), f"the oracle accepts what we call an error:\n{text}"
    # the error is on the line of the mistyped value
    line_no = text[: text.index(line.split(": ")[0] + ": " + value)].count("\n")
    assert any(result.index.position(f.start)[0] == line_no for f in found), (
        text,
        [(f.code, f.message) for f in found],
    )


@settings(**SETTINGS)
@given(st.sampled_from(sorted(MATRIX_KEYS)), st.one_of(collections.filter(lambda v: v not in ("[]",)), bad_tags))
def test_property_a_mistyped_matrix_value_is_an_error(key, value):
    line = MATRIX_KEYS[key]
    if key == "suites" and value.startswith("["):
        value = "[" + value + "]"  # a list of lists: an unhashable suite name
    if key in ("targets", "exclude") and value.startswith(("[", "{")):
        value = "[" + value + "]"  # a list holding a list or mapping: not a path
    text = sub(MATRIX, line, line.split(": ")[0] + ": " + value)
    verdict = gate_oracle.runner(text, lambda p: p == "e2e/artifacts/e2e-docker/artifact.yml")
    result = lint_text(text, kind="matrix", disk=False)
    found = [f for f in result.findings if f.severity >= Severity.ERROR]
    assert found, text
    assert verdict.refuses, f"the oracle accepts what we call an error:\n{text}"


CONTAINERS = {  # manifest keys that hold a mapping or a list: the line that opens them, and what follows
    "artifacts": (
        "artifacts:\n",
        "  - artifact_root: entries/template-e2e\n    runtime_config_dir: config\n    source_template:\n      path: e2e/fixtures/template.e2e.yaml\n"
        f"      sha256: {SHA}\n",
    ),
    "source_template": ("    source_template:\n", f"      path: e2e/fixtures/template.e2e.yaml\n      sha256: {SHA}\n"),
    "generator": ("generator:\n", "  name: esb\n  version: 997b036 (dirty)\n"),
}
MATRIX_OPTIONAL = {"env_dir": "  env_dir: ", "env_file": "  env_file: "}
not_a_collection = st.one_of(words, st.integers(1, 500).map(str), st.sampled_from(["yes", "1.5", "'x'", "2026-01-01"]))


@settings(**SETTINGS)
@given(st.sampled_from(sorted(CONTAINERS)), st.one_of(not_a_collection, bad_tags, st.just("[a]"), st.just("{a: b}")))
def test_property_a_mistyped_manifest_collection_is_an_error(key, value):
    head, body = CONTAINERS[key]
    if key == "artifacts" and value.startswith("["):
        value = "[a]"  # a list of scalars: entries must be mappings
    if key in ("source_template", "generator") and value.startswith("{"):
        return  # a mapping is the right kind
    text = sub(MANIFEST, head + body, head.rstrip("\n") + " " + value + "\n")
    found = [f for f in lint_text(text, kind="manifest", disk=False).findings if f.severity >= Severity.ERROR]
    assert found, text
    assert gate_oracle.manifest_gates(text), f"the oracle accepts what we call an error:\n{text}"


@settings(**SETTINGS)
@given(
    st.sampled_from(sorted(MATRIX_OPTIONAL)),
    st.one_of(collections, bad_tags, st.sampled_from(["", "null", "5", "true", "1.5"])),
)
def test_property_a_mistyped_optional_matrix_value_is_an_error(key, value):
    text = MATRIX + MATRIX_OPTIONAL[key] + value + "\n"
    found = [f for f in lint_text(text, kind="matrix", disk=False).findings if f.severity >= Severity.ERROR]
    assert found, text
    assert gate_oracle.runner(text).refuses or value.startswith(("[", "{")), text


def test_property_inputs_are_yaml():
    """The property tests' documents parse (a failure there would be a test bug, not a finding)."""
    yaml.safe_load(MANIFEST)
    yaml.safe_load(MATRIX)
