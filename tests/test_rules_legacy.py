"""Legacy keys (AL100-AL109, AL501, AL502): reported only at their contract positions."""

from __future__ import annotations

import time

import pytest

from artifact_lsp.engine.config import Config
from artifact_lsp.engine.model import RemoveKey, Severity

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\n'
ENTRY = "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config\n"
CLEAN = HEAD + ENTRY  # lines 1-7; an extra entry key goes on line 8 at column 5


def with_entry_key(snippet: str) -> str:
    """The clean manifest with ``snippet`` (already indented by 4) appended to artifacts[0]."""
    return CLEAN + snippet


def test_clean_manifest_has_no_findings(lint):
    assert lint(CLEAN).hits == []


# --------------------------------------------------------------------------- AL101 / AL102


RUNTIME_META = CLEAN + (
    "    runtime_meta:\n"  # 8
    "      runtime_hooks:\n"  # 9
    '        api_version: "1.0"\n'  # 10
    "        python_sitecustomize_digest: a867884e\n"  # 11
    "        java_agent_digest: 2f097ea9\n"  # 12
    "        java_wrapper_digest: 2b78200a\n"  # 13
    "      template_renderer:\n"  # 14
    "        name: esb-cli-embedded-templates\n"  # 15
    '        api_version: "1.0"\n'  # 16
    "        template_digest: f53f5804\n"  # 17
)


def test_al101_runtime_meta(lint):
    out = lint(RUNTIME_META)
    hit = out.one("AL101")
    assert hit.at == (8, 5)
    assert hit.severity is Severity.ERROR
    assert "legacy key 'artifacts[0].runtime_meta'" in hit.message
    assert "2026-02-20" in hit.message
    assert "compatibility is judged from the running stack" in hit.message
    assert out.span_text(hit) == "runtime_meta"
    plan = hit.finding.plan
    assert isinstance(plan, RemoveKey) and plan.key.value == "runtime_meta"
    assert plan.title == "Remove legacy key 'runtime_meta'"
    assert hit.finding.rule.deprecated


def test_al102_each_digest_on_its_own_line(lint):
    out = lint(RUNTIME_META)
    digests = out.of("AL102")
    assert [h.at for h in digests] == [(11, 9), (12, 9), (13, 9), (17, 9)]
    assert all(h.severity is Severity.ERROR for h in digests)
    assert "'artifacts[0].runtime_meta.runtime_hooks.python_sitecustomize_digest'" in digests[0].message
    assert "2026-02-20" in digests[0].message
    assert "'artifacts[0].runtime_meta.runtime_hooks.java_agent_digest'" in digests[1].message
    assert "2026-02-18" in digests[1].message
    assert "'artifacts[0].runtime_meta.template_renderer.template_digest'" in digests[3].message
    # the fix of a digest removes the whole runtime_meta block it lives in
    for hit in digests:
        assert hit.finding.plan.key.value == "runtime_meta"
    # nothing inside a legacy block is also an "unknown key"
    out.none("AL308")
    assert sorted(set(out.codes)) == ["AL101", "AL102"]


def test_al102_non_digest_keys_inside_runtime_meta_are_not_reported(lint):
    out = lint(with_entry_key("    runtime_meta:\n      runtime_hooks:\n        api_version: '1.0'\n"))
    assert out.codes == ["AL101"]


def test_digest_outside_runtime_meta_is_not_al102(lint):
    out = lint(with_entry_key("    runtime_hooks:\n      java_agent_digest: abc\n"))
    out.none("AL102")
    out.none("AL101")
    assert out.one("AL308").at == (8, 5)


def test_runtime_meta_notes_is_not_runtime_meta(lint):
    out = lint(with_entry_key("    runtime_meta_notes: kept for history\n"))
    out.none("AL101")
    hit = out.one("AL308")
    assert hit.at == (8, 5)
    assert "'runtime_meta_notes'" in hit.message
    assert not any(h.finding.rule.deprecated for h in out.hits)


def test_top_level_runtime_meta_is_unknown_not_legacy(lint):
    out = lint(CLEAN + "runtime_meta:\n  runtime_hooks: {}\n")
    out.none("AL101")
    assert out.one("AL308").at == (8, 1)


# --------------------------------------------------------------------------- AL103


def test_al103_runtime_stack_at_top_level(lint):
    text = HEAD + 'runtime_stack:\n  api_version: "1.0"\n  mode: docker\n  esb_version: latest\n' + ENTRY
    out = lint(text)
    hit = out.one("AL103")
    assert hit.at == (5, 1)
    assert hit.severity is Severity.ERROR
    assert "legacy key 'runtime_stack'" in hit.message
    assert "2026-02-25" in hit.message
    assert hit.finding.plan.key.value == "runtime_stack"
    # its mode/api_version children are not "unknown keys" nor a second mode
    assert out.codes == ["AL103"]


def test_runtime_stack_inside_an_entry_is_unknown_not_legacy(lint):
    out = lint(with_entry_key("    runtime_stack:\n      mode: docker\n"))
    out.none("AL103")
    assert out.one("AL308").at == (8, 5)


# --------------------------------------------------------------------------- AL104


def test_al104_entry_id(lint):
    out = lint(with_entry_key("    id: template-e2e-92eecc19\n"))
    hit = out.one("AL104")
    assert hit.at == (8, 5)
    assert hit.severity is Severity.ERROR
    assert "legacy key 'artifacts[0].id'" in hit.message
    assert "2026-02-24" in hit.message
    assert "array order identifies entries" in hit.message
    assert hit.finding.plan.key.value == "id"
    assert hit.finding.key == "id"
    # a legacy key is never also an unknown key
    assert out.codes == ["AL104"]


def test_al104_as_first_key_of_the_item(lint):
    text = HEAD + "artifacts:\n  - id: x\n    artifact_root: a\n    runtime_config_dir: c\n"
    assert lint(text).one("AL104").at == (6, 5)


def test_al104_in_second_entry_names_its_index(lint):
    text = CLEAN + "  - artifact_root: b\n    runtime_config_dir: c\n    id: second\n"
    hit = lint(text).one("AL104")
    assert hit.at == (10, 5)
    assert "'artifacts[1].id'" in hit.message


def test_al104_in_flow_mapping_entry(lint):
    text = HEAD + "artifacts:\n  - {artifact_root: a, runtime_config_dir: c, id: x}\n"
    hit = lint(text).one("AL104")
    assert hit.at == (6, 47)


def test_al104_quoted_key(lint):
    hit = lint(with_entry_key('    "id": x\n')).one("AL104")
    assert hit.at == (8, 5)


def test_top_level_id_is_unknown_key_not_al104(lint):
    out = lint(CLEAN + "id: esb\n")
    out.none("AL104")
    hit = out.one("AL308")
    assert hit.at == (8, 1)
    assert hit.severity is Severity.INFO
    assert "unknown key 'id' at the top level" in hit.message


def test_id_inside_source_template_is_unknown_not_al104(lint):
    out = lint(with_entry_key("    source_template:\n      path: t.yaml\n      id: x\n"))
    out.none("AL104")
    assert out.one("AL308").at == (10, 7)


# --------------------------------------------------------------------------- AL105-AL107


@pytest.mark.parametrize(
    "code,key,value,date,replaced",
    [
        ("AL105", "image_prewarm", "all", "2026-02-19", "prewarm and image import were removed"),
        ("AL106", "bundle_manifest", "bundle.yml", "2026-02-25", "runtime env file outside the artifact"),
        ("AL107", "required_secret_env", "[DB_PASSWORD]", "2026-02-25", "runtime env file outside the artifact"),
    ],
)
def test_entry_legacy_keys(lint, code, key, value, date, replaced):
    out = lint(with_entry_key(f"    {key}: {value}\n"))
    hit = out.one(code)
    assert hit.at == (8, 5)
    assert hit.severity is Severity.ERROR
    assert f"legacy key 'artifacts[0].{key}'" in hit.message
    assert date in hit.message
    assert replaced in hit.message
    assert hit.finding.plan.key.value == key
    assert out.codes == [code]


@pytest.mark.parametrize("key", ["image_prewarm", "bundle_manifest", "required_secret_env"])
def test_entry_legacy_keys_at_top_level_are_unknown(lint, key):
    out = lint(CLEAN + f"{key}: x\n")
    assert out.codes == ["AL308"]
    assert out.one("AL308").at == (8, 1)


# --------------------------------------------------------------------------- AL108


def test_al108_source_template_parameters(lint):
    text = with_entry_key(
        "    source_template:\n"  # 8
        "      path: e2e/fixtures/template.e2e.yaml\n"  # 9
        "      parameters:\n"  # 10
        "        Stage: dev\n"  # 11
    )
    out = lint(text)
    hit = out.one("AL108")
    assert hit.at == (10, 7)
    assert hit.severity is Severity.ERROR
    assert "legacy key 'artifacts[0].source_template.parameters'" in hit.message
    assert "2026-02-25" in hit.message
    assert hit.finding.plan.key.value == "parameters"
    assert out.codes == ["AL108"]


def test_parameters_outside_source_template_is_not_al108(lint):
    out = lint(with_entry_key("    parameters:\n      Stage: dev\n"))
    out.none("AL108")
    assert out.one("AL308").at == (8, 5)
    top = lint(CLEAN + "parameters: {}\n")
    top.none("AL108")
    assert top.one("AL308").at == (8, 1)


# --------------------------------------------------------------------------- merge keys, anchors


def test_legacy_keys_from_merge_key_are_reported_at_the_merge_without_fix(lint):
    text = HEAD + (
        "x-legacy: &legacy\n"  # 5
        "  id: x\n"  # 6
        "  image_prewarm: all\n"  # 7
        "artifacts:\n"  # 8
        "  - <<: *legacy\n"  # 9
        "    artifact_root: a\n"
        "    runtime_config_dir: c\n"
    )
    out = lint(text)
    id_hit, prewarm = out.one("AL104"), out.one("AL105")
    assert id_hit.at == (9, 9) and prewarm.at == (9, 9)  # the '*legacy' alias
    assert out.span_text(id_hit) == "*legacy"
    assert "merged in by '<<'" in id_hit.message
    assert "'artifacts[0].id'" in id_hit.message
    assert id_hit.finding.plan is None and prewarm.finding.plan is None
    related = id_hit.finding.related
    assert len(related) == 1 and "'id' is defined here" in related[0].message
    assert out.result.index.position(related[0].start) == (5, 2)  # line 6, col 3: the 'id' key
    # not fixable: removing the anchor's key would change every alias
    assert out.result.fixable == []


def test_merge_key_list_and_own_key_override(lint):
    text = HEAD + (
        "x-a: &a {id: a}\n"  # 5
        "x-b: &b {image_prewarm: all, id: b}\n"  # 6
        "artifacts:\n"  # 7
        "  - <<: [*a, *b]\n"  # 8
        "    artifact_root: a\n"
        "    runtime_config_dir: c\n"
    )
    out = lint(text)
    assert out.one("AL104").at == (8, 10)  # '*a' brings id first
    assert out.one("AL105").at == (8, 14)  # '*b'
    own = text.replace("    artifact_root: a\n", "    artifact_root: a\n    id: own\n")
    out = lint(own)
    hit = out.one("AL104")  # the entry's own id wins; the merged ones are overridden
    assert hit.at == (10, 5)
    assert hit.finding.plan is not None
    assert out.one("AL105").at == (8, 14)


def test_legacy_key_inside_anchored_entry_and_its_alias(lint):
    text = HEAD + (
        "artifacts:\n"
        "  - &e\n"  # 6
        "    artifact_root: a\n"
        "    runtime_config_dir: c\n"
        "    id: foo\n"  # 9
        "  - *e\n"
    )
    out = lint(text)
    hits = out.of("AL104")
    assert hits, out
    assert all(h.at == (9, 5) for h in hits)
    assert any("'artifacts[0].id'" in h.message for h in hits)


def test_alias_bomb_does_not_explode(lint):
    lines = [HEAD.rstrip("\n"), "x0: &a0 {artifact_root: a, runtime_config_dir: c, id: x}"]
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"x{i}: &a{i} [{refs}]")
    lines.append("artifacts: [*a0, *a1]")
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    out = lint(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"alias bomb took {elapsed:.2f}s"
    # the one entry mapping that is really there is checked once (through the alias)
    assert any(h.code == "AL104" and "'artifacts[0].id'" in h.message for h in out.hits)
    assert "AL000" not in out.codes


def test_deeply_nested_document_does_not_crash(lint):
    depth = 3000
    text = CLEAN + "x-deep: " + "[" * depth + "]" * depth + "\n"
    out = lint(text)
    assert "AL000" not in out.codes


# --------------------------------------------------------------------------- AL100 (config)


def test_al100_extra_legacy_key(lint):
    config = Config(extra_legacy_keys={"artifacts[].build_args": "the build section of template.yaml"})
    out = lint(with_entry_key("    build_args: {A: 1}\n"), config=config)
    hit = out.one("AL100")
    assert hit.at == (8, 5)
    assert hit.severity is Severity.ERROR
    assert "legacy key 'artifacts[0].build_args'" in hit.message
    assert "the build section of template.yaml" in hit.message
    assert isinstance(hit.finding.plan, RemoveKey) and hit.finding.plan.key.value == "build_args"
    out.none("AL308")
    # without the setting it is only an unknown key
    plain = lint(with_entry_key("    build_args: {A: 1}\n"))
    plain.none("AL100")
    assert plain.one("AL308").at == (8, 5)


def test_al100_extra_top_level_legacy_key_and_builtin_still_reported(lint):
    config = Config(extra_legacy_keys={"merge_policy": "nothing: it was never implemented"})
    out = lint(CLEAN + "    id: x\nmerge_policy: last-wins\n", config=config)
    assert out.one("AL100").at == (9, 1)
    assert out.one("AL104").at == (8, 5)


def test_al100_extra_matrix_legacy_key(lint):
    text = "suites:\n  smoke: {}\nmatrix:\n- env: e\n  artifact_manifest: a.yml\n  old_flag: true\n  suites: [smoke]\n"
    config = Config(extra_matrix_legacy_keys={"matrix[].old_flag": "nothing"})
    out = lint(text, kind="matrix", config=config)
    hit = out.one("AL100")
    assert hit.at == (6, 3)
    assert "'matrix[0].old_flag'" in hit.message
    assert isinstance(hit.finding.plan, RemoveKey)
    # the manifest table does not apply to matrices, and vice versa
    assert lint(text, kind="matrix", config=Config(extra_legacy_keys={"matrix[].old_flag": "x"})).of("AL100") == []


# --------------------------------------------------------------------------- AL501 / AL502

SUITES = "suites:\n  smoke:\n    description: d\n    targets: [a]\n    exclude: []\n"  # lines 1-5
MATRIX_HEAD = SUITES + "matrix:\n- env: e2e-docker\n  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"
# matrix[0] keys appended from line 9, column 3


@pytest.mark.parametrize("key", ["deploy_driver", "artifact_generate", "image_uri_overrides"])
def test_al501_rejected_matrix_fields(lint, key):
    out = lint(MATRIX_HEAD + f"  {key}: cli\n  suites: [smoke]\n", kind="matrix")
    hit = out.one("AL501")
    assert hit.at == (9, 3)
    assert hit.severity is Severity.ERROR
    assert f"legacy field '{key}' is no longer supported in E2E matrix" in hit.message
    assert f"'matrix[0].{key}'" in hit.message
    assert hit.finding.plan.key.value == key
    assert out.codes == ["AL501"]


def test_al501_upstream_wording_exact(lint):
    hit = lint(MATRIX_HEAD + "  deploy_driver: artifact\n", kind="matrix").one("AL501")
    assert "legacy field 'deploy_driver' is no longer supported in E2E matrix" in hit.message


@pytest.mark.parametrize("key", ["config_dir", "env_vars", "image_runtime_overrides", "deploy_templates"])
def test_al502_ignored_matrix_fields(lint, key):
    out = lint(MATRIX_HEAD + f"  {key}:\n    a: b\n  suites: [smoke]\n", kind="matrix")
    hit = out.one("AL502")
    assert hit.at == (9, 3)
    assert hit.severity is Severity.WARNING
    assert f"legacy field 'matrix[0].{key}' was removed from the E2E matrix and is silently ignored" in hit.message
    assert hit.finding.plan.key.value == key
    assert out.codes == ["AL502"]


def test_matrix_fields_outside_entries_are_not_legacy(lint):
    text = "deploy_driver: cli\nconfig_dir: x\n" + MATRIX_HEAD
    out = lint(text, kind="matrix")
    out.none("AL501")
    out.none("AL502")


def test_matrix_legacy_keys_are_not_checked_in_manifests(lint):
    out = lint(CLEAN + "matrix:\n- deploy_driver: cli\n")
    out.none("AL501")
    assert out.one("AL308").at == (8, 1)


def test_manifest_legacy_keys_are_not_checked_in_matrices(lint):
    text = MATRIX_HEAD + "  id: x\n  runtime_meta: {}\n"
    out = lint(text, kind="matrix")
    assert not any(h.code.startswith("AL1") for h in out.hits)


def test_matrix_legacy_key_in_second_entry(lint):
    text = MATRIX_HEAD + "- env: e2e-containerd\n  artifact_manifest: x.yml\n  deploy_driver: cli\n"
    hit = lint(text, kind="matrix").one("AL501")
    assert hit.at == (11, 3)
    assert "'matrix[1].deploy_driver'" in hit.message


# --------------------------------------------------------------------------- AL109 (artifact.json)

JSON_MANIFEST = (
    "{\n"
    '  "schema_version": "1",\n'
    '  "project": "esb",\n'
    '  "env": "e2e-docker",\n'
    '  "mode": "docker",\n'
    '  "artifacts": [\n'
    '    {"id": "t", "artifact_root": "entries/t", "runtime_config_dir": "config"}\n'
    "  ]\n"
    "}\n"
)


def test_al109_json_without_artifact_yml(tmp_path, write_repo, lint_file):
    write_repo(tmp_path, {"e2e/artifacts/e2e-docker/artifact.json": JSON_MANIFEST})
    out = lint_file(tmp_path / "e2e/artifacts/e2e-docker/artifact.json", Config(root=tmp_path))
    hit = out.one("AL109")
    assert hit.at == (1, 1)
    assert hit.severity is Severity.ERROR
    assert "artifact.json is the legacy manifest format" in hit.message
    assert "regenerate the fixture as artifact.yml" in hit.message
    # the content is still checked like a manifest, without fixes
    assert out.one("AL104").at == (7, 6)
    assert out.result.kind == "json"
    assert out.result.fixable == []


def test_al109_json_with_artifact_yml_next_to_it(tmp_path, write_repo, lint_file):
    write_repo(
        tmp_path,
        {
            "e2e/artifacts/e2e-docker/artifact.json": JSON_MANIFEST,
            "e2e/artifacts/e2e-docker/artifact.yml": CLEAN,
        },
    )
    out = lint_file(tmp_path / "e2e/artifacts/e2e-docker/artifact.json", Config(root=tmp_path))
    hit = out.one("AL109")
    assert hit.at == (1, 1)
    assert "artifact.yml exists next to it: delete artifact.json" in hit.message


def test_al109_is_json_only(lint, tmp_path, write_repo, lint_file):
    lint(CLEAN).none("AL109")
    lint(CLEAN, kind="json").one("AL109")
    write_repo(tmp_path, {"artifact.yml": CLEAN, "artifact.json": JSON_MANIFEST})
    lint_file(tmp_path / "artifact.yml", Config(root=tmp_path)).none("AL109")
