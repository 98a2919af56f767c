"""``test_matrix.yaml`` rules (AL503-AL507); the legacy matrix fields are in test_rules_legacy."""

from __future__ import annotations

import pytest

from artifact_lsp.engine.config import Config, load_config
from artifact_lsp.engine.model import RemoveKey, RenameKey, Severity

SUITES = (
    "suites:\n"  # 1
    "  smoke:\n"  # 2
    "    description: Fast connectivity tests\n"  # 3
    "    targets:\n"  # 4
    "    - ../scenarios/smoke/\n"  # 5
    "    exclude: []\n"  # 6
    "  standard:\n"  # 7
    "    description: Standard scenarios\n"  # 8
    "    targets: [../scenarios/standard/]\n"  # 9
    "    exclude: []\n"  # 10
    "\n"  # 11
    "matrix:\n"  # 12
)
DOCKER = (
    "- env: e2e-docker\n"  # 13
    "  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n"  # 14
    "  suites:\n"  # 15
    "  - smoke\n"  # 16
    "  - standard\n"  # 17
)
CLEAN = SUITES + DOCKER
MANIFEST = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\nartifacts:\n  - artifact_root: a\n    runtime_config_dir: c\n'


def test_clean_matrix(lint):
    assert lint(CLEAN, kind="matrix").hits == []


def test_kind_from_file_name(tmp_path, write_repo, lint_file):
    write_repo(
        tmp_path, {"e2e/environments/test_matrix.yaml": SUITES + "- esb_env: e2e-docker\n  artifact_manifest: x\n"}
    )
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml", disk=False)
    assert out.result.kind == "matrix"
    assert out.one("AL503").at == (13, 3)


# --------------------------------------------------------------------------- AL503


def test_al503_esb_env_only(lint):
    text = (
        SUITES
        + "- esb_env: e2e-docker\n  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n  suites: [smoke]\n"
    )
    out = lint(text, kind="matrix")
    hit = out.one("AL503")
    assert hit.at == (13, 3)
    assert hit.severity is Severity.ERROR
    assert (
        hit.message
        == "matrix[0]: 'esb_env' was renamed to 'env'; an entry with only 'esb_env' is skipped by the runner"
    )
    plan = hit.finding.plan
    assert isinstance(plan, RenameKey) and plan.key.value == "esb_env" and plan.new == "env"
    assert hit.finding.rule.deprecated
    assert out.codes == ["AL503"]


def test_al503_esb_env_next_to_env(lint):
    text = SUITES + "- env: e2e-docker\n  esb_env: e2e-docker\n  artifact_manifest: x.yml\n"
    hit = lint(text, kind="matrix").one("AL503")
    assert hit.at == (14, 3)
    assert hit.message == "matrix[0]: 'esb_env' was renamed to 'env', which is already set; delete 'esb_env'"
    assert isinstance(hit.finding.plan, RemoveKey)


def test_al503_negative(lint):
    lint(CLEAN, kind="matrix").none("AL503")
    # esb_env elsewhere than in an entry is not the renamed field
    lint("esb_env: x\n" + CLEAN, kind="matrix").none("AL503")


def test_esb_env_name_is_used_as_the_entry_label(lint):
    text = SUITES + "- esb_env: e2e-docker\n  suites: [smoke]\n"
    hit = lint(text, kind="matrix").one("AL504")
    assert hit.message == "matrix[0] (e2e-docker): artifact_manifest is required"


# --------------------------------------------------------------------------- AL504


@pytest.mark.parametrize("value", ["", " null", " ~", " ''", ' "  "'])
def test_al504_blank_artifact_manifest(lint, value):
    text = SUITES + f"- env: e2e-docker\n  artifact_manifest:{value}\n  suites: [smoke]\n"
    out = lint(text, kind="matrix")
    hit = out.one("AL504")
    assert hit.at == (14, 3)
    assert hit.severity is Severity.ERROR
    assert hit.message == "matrix[0] (e2e-docker): artifact_manifest is required"


def test_al504_absent(lint):
    hit = lint(SUITES + "- env: e2e-containerd\n  suites: [smoke]\n", kind="matrix").one("AL504")
    assert hit.at == (13, 3)  # the entry's first key
    assert hit.message == "matrix[0] (e2e-containerd): artifact_manifest is required"


def test_al504_second_entry(lint):
    text = CLEAN + "- suites: [smoke]\n"
    hit = lint(text, kind="matrix").one("AL504")
    assert hit.at == (18, 3)
    assert hit.message == "matrix[1]: artifact_manifest is required"


# --------------------------------------------------------------------------- AL505


def test_al505_manifest_missing(tmp_path, write_repo, lint_file):
    write_repo(tmp_path, {"e2e/environments/test_matrix.yaml": CLEAN})
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml", load_config(tmp_path))
    hit = out.one("AL505")
    assert hit.at == (14, 22)
    assert hit.severity is Severity.ERROR
    assert (
        hit.message
        == "matrix[0] (e2e-docker): artifact_manifest 'e2e/artifacts/e2e-docker/artifact.yml' does not exist"
    )
    assert out.span_text(hit) == "e2e/artifacts/e2e-docker/artifact.yml"


def test_al505_manifest_present(tmp_path, write_repo, lint_file):
    write_repo(
        tmp_path, {"e2e/environments/test_matrix.yaml": CLEAN, "e2e/artifacts/e2e-docker/artifact.yml": MANIFEST}
    )
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml", load_config(tmp_path))
    assert out.hits == []


def test_al505_resolves_from_repo_root_not_matrix_folder(tmp_path, write_repo, lint_file):
    # the manifest exists relative to the matrix folder, but not from the repository root
    write_repo(
        tmp_path,
        {
            "e2e/environments/test_matrix.yaml": CLEAN,
            "e2e/environments/e2e/artifacts/e2e-docker/artifact.yml": MANIFEST,
        },
    )
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml", load_config(tmp_path))
    assert out.one("AL505").at == (14, 22)


def test_al505_root_from_config_file(tmp_path, write_repo, lint_file):
    project = tmp_path / "project"
    write_repo(tmp_path, {})  # an outer git checkout
    write_repo(
        project,
        {
            "pyproject.toml": "[project]\nname = 'x'\n\n[tool.artifact-lsp]\nignore = []\n",
            "e2e/environments/test_matrix.yaml": CLEAN,
            "e2e/artifacts/e2e-docker/artifact.yml": MANIFEST,
        },
        git=False,
    )
    config = load_config(project / "e2e/environments/test_matrix.yaml")
    assert config.root == project
    assert lint_file(project / "e2e/environments/test_matrix.yaml", config).hits == []


def test_al505_a_folder_is_not_a_manifest(tmp_path, write_repo, lint_file):
    write_repo(tmp_path, {"e2e/environments/test_matrix.yaml": CLEAN, "e2e/artifacts/e2e-docker/artifact.yml": None})
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml", load_config(tmp_path))
    assert out.one("AL505").at == (14, 22)


def test_al505_absolute_path(tmp_path, write_repo, lint_file):
    absolute = tmp_path / "abs" / "artifact.yml"
    text = CLEAN.replace("e2e/artifacts/e2e-docker/artifact.yml", str(absolute))
    write_repo(tmp_path, {"e2e/environments/test_matrix.yaml": text})
    out = lint_file(tmp_path / "e2e/environments/test_matrix.yaml", load_config(tmp_path))
    assert out.one("AL505").at == (14, 22)
    write_repo(tmp_path, {"abs/artifact.yml": MANIFEST})
    assert lint_file(tmp_path / "e2e/environments/test_matrix.yaml", load_config(tmp_path)).hits == []


def test_al505_needs_disk_and_path(lint, tmp_path, write_repo):
    write_repo(tmp_path, {"e2e/environments/test_matrix.yaml": CLEAN})
    path = tmp_path / "e2e/environments/test_matrix.yaml"
    assert lint(CLEAN, kind="matrix", disk=True).hits == []
    assert lint(CLEAN, path=path, config=load_config(path), disk=False).hits == []
    assert lint(CLEAN, path=path, config=load_config(path), disk=True).one("AL505")


# --------------------------------------------------------------------------- AL506


def test_al506_empty_matrix_file(lint):
    for text in ("", "# nothing\n"):
        hit = lint(text, kind="matrix").one("AL506")
        assert hit.at == (1, 1)
        assert hit.severity is Severity.ERROR
        assert "the E2E matrix is empty" in hit.message


def test_al506_not_a_mapping(lint):
    hit = lint("- env: e2e-docker\n", kind="matrix").one("AL506")
    assert hit.at == (1, 3)
    assert hit.message == "the E2E matrix must be a mapping with 'matrix' and 'suites'"


def test_al506_matrix_missing_or_null(lint):
    hit = lint(SUITES.replace("matrix:\n", ""), kind="matrix").one("AL506")
    assert hit.at == (1, 1)
    assert hit.message == "matrix is required: a list of entries"
    hit = lint(SUITES, kind="matrix").one("AL506")
    assert hit.at == (12, 1)
    assert hit.message == "matrix is required: a list of entries"


def test_al506_matrix_not_a_list(lint):
    hit = lint(SUITES.replace("matrix:\n", "matrix: e2e-docker\n"), kind="matrix").one("AL506")
    assert hit.at == (12, 9)
    assert hit.message == "matrix must be a list of entries"


def test_al506_entry_not_a_mapping(lint):
    out = lint(CLEAN + "- e2e-containerd\n", kind="matrix")
    hit = out.one("AL506")
    assert hit.at == (18, 3)
    assert hit.message == "matrix[1] must be a mapping"


def test_al506_negative(lint):
    lint(CLEAN, kind="matrix").none("AL506")
    # a matrix without suites is not AL506 (suite names are just not checked)
    lint("matrix:\n" + DOCKER, kind="matrix").none("AL506")


# --------------------------------------------------------------------------- AL507


def test_al507_unknown_suite(lint):
    text = CLEAN.replace("  - standard\n", "  - standard\n  - restart\n")
    out = lint(text, kind="matrix")
    hit = out.one("AL507")
    assert hit.at == (18, 5)
    assert hit.severity is Severity.ERROR
    assert hit.message == "matrix[0] (e2e-docker): suite 'restart' is not defined under 'suites'"


def test_al507_flow_list(lint):
    text = SUITES + "- env: e2e-containerd\n  artifact_manifest: x.yml\n  suites: [smoke, runtime]\n"
    hit = lint(text, kind="matrix").one("AL507")
    assert hit.at == (15, 19)


def test_al507_negative(lint):
    lint(CLEAN, kind="matrix").none("AL507")
    # without a suites table the runner finds no suite: every name is reported (issue 13)
    no_suites = "matrix:\n" + DOCKER.replace("standard", "anything")
    assert [h.at for h in lint(no_suites, kind="matrix").of("AL507")] == [(5, 5), (6, 5)]


def test_matrix_rules_do_not_run_on_manifests(lint):
    out = lint(MANIFEST)
    assert not any(h.code.startswith("AL5") for h in out.hits)


def test_legacy_matrix_entry_with_everything(lint):
    text = SUITES + (
        "- esb_env: e2e-docker\n"  # 13
        "  deploy_driver: artifact\n"  # 14
        "  artifact_generate: cli\n"  # 15
        "  deploy_templates:\n"  # 16
        "  - e2e/fixtures/template.core.yaml\n"  # 17
        "  env_vars:\n"  # 18
        "    E2E_IMAGE_EXPECTED_LOGGER: cloudwatch.logs.python\n"  # 19
        "  suites: [smoke]\n"  # 20
    )
    out = lint(text, kind="matrix", config=Config())
    assert [(h.code, h.at) for h in out.hits] == [
        ("AL503", (13, 3)),
        ("AL504", (13, 3)),
        ("AL501", (14, 3)),
        ("AL501", (15, 3)),
        ("AL502", (16, 3)),
        ("AL502", (18, 3)),
    ]
