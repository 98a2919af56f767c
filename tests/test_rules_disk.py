"""Rules that look at the disk (AL202, AL401-AL403) and ``runtime-base`` references (AL201)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from artifact_lsp.engine.config import Config, load_config
from artifact_lsp.engine.model import Severity

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\n'
CLEAN = HEAD + "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config\n"

MANIFEST = "e2e/artifacts/e2e-docker/artifact.yml"
ART = "e2e/artifacts/e2e-docker"
TEMPLATE_TEXT = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
TEMPLATE_SHA = hashlib.sha256(TEMPLATE_TEXT.encode()).hexdigest()
GOOD_CONFIG = {
    f"{ART}/entries/t/config/functions.yml": "functions: {}\n",
    f"{ART}/entries/t/config/routing.yml": "routes: []\n",
}


def manifest(rcd: str = "config", root: str = "entries/t", template: str | None = None, sha: str | None = None) -> str:
    text = HEAD + f"artifacts:\n  - artifact_root: {root}\n    runtime_config_dir: {rcd}\n"
    if template is not None:
        text += f"    source_template:\n      path: {template}\n      sha256: {sha or TEMPLATE_SHA}\n"
    return text


@pytest.fixture
def repo(tmp_path, write_repo):
    """A repo with a clean fixture; returns a function that adds files and lints the manifest."""

    def run(text: str = CLEAN, extra: dict | None = None):
        files = dict(GOOD_CONFIG)
        files[MANIFEST] = text
        files.update(extra or {})
        write_repo(tmp_path, files)
        return tmp_path

    return run


def lint_repo(lint_file, root: Path, rel: str = MANIFEST):
    return lint_file(root / rel, load_config(root / rel))


# --------------------------------------------------------------------------- AL201


def test_al201_artifact_root_points_into_runtime_base(lint):
    out = lint(manifest(root="entries/t/runtime-base/runtime-hooks"))
    hit = out.one("AL201")
    assert hit.at == (6, 20)
    assert hit.severity is Severity.ERROR
    assert "'artifacts[0].artifact_root' points into 'runtime-base/'" in hit.message
    assert "'entries/t/runtime-base/runtime-hooks'" in hit.message
    assert "outside the contract since 2026-02-20" in hit.message
    assert out.span_text(hit) == "entries/t/runtime-base/runtime-hooks"


def test_al201_runtime_config_dir_and_template_path(lint):
    text = manifest(rcd="runtime-base/config", template="runtime-base/runtime-hooks/python/Dockerfile")
    out = lint(text)
    assert [(h.at, h.message.split(" points")[0]) for h in out.of("AL201")] == [
        ((7, 25), "'artifacts[0].runtime_config_dir'"),
        ((9, 13), "'artifacts[0].source_template.path'"),
    ]
    out.none("AL306")


@pytest.mark.parametrize(
    "value",
    [
        "runtime-base",
        "runtime-base/",
        "entries/t/runtime-base",
        "'entries\\t\\runtime-base\\sitecustomize.py'",
        '"entries\\\\runtime-base\\\\x"',
        "'C:\\esb\\runtime-base'",
        "./runtime-base/x",
    ],
)
def test_al201_segment_with_slash_or_backslash(lint, value):
    hit = lint(manifest(root=value)).one("AL201")
    assert hit.at == (6, 20)


def test_al201_escaped_value_is_checked_by_its_value(lint):
    # the YAML value is 'entries/runtime-base' although the text never spells it out
    out = lint(manifest(root='"entries/runtime\\x2dbase"'))
    hit = out.one("AL201")
    assert hit.at == (6, 20)
    assert "'entries/runtime-base'" in hit.message


@pytest.mark.parametrize(
    "value",
    [
        "runtime-based/x",
        "my-runtime-base/x",
        "x/runtime-base.txt",
        "runtime_base/x",
        "runtime-base-old/x",
        "Runtime-Base/x",
    ],
)
def test_al201_negative_not_a_segment(lint, value):
    out = lint(manifest(root=value))
    out.none("AL201")
    assert out.hits == []


def test_al201_inside_a_legacy_block_is_still_reported(lint):
    text = CLEAN + (
        "    runtime_meta:\n"  # 8
        "      runtime_hooks:\n"  # 9
        "        dockerfile: runtime-base/runtime-hooks/python/Dockerfile\n"  # 10
    )
    out = lint(text)
    assert out.one("AL101").at == (8, 5)
    hit = out.one("AL201")
    assert hit.at == (10, 21)
    assert "'artifacts[0].runtime_meta.runtime_hooks.dockerfile'" in hit.message


def test_al201_in_unknown_keys_and_sequences(lint):
    text = CLEAN + "notes:\n  - keep\n  - runtime-base/java/agent.jar\n"
    hit = lint(text).one("AL201")
    assert hit.at == (10, 5)
    assert "'notes[1]'" in hit.message


def test_al201_value_under_anchor_reported_once_at_its_place(lint):
    text = "x-root: &r entries/runtime-base\n" + HEAD + "artifacts:\n  - artifact_root: *r\n    runtime_config_dir: c\n"
    out = lint(text)
    hits = out.of("AL201")
    assert len(hits) == 1  # once, where the value is written; not again at the alias
    assert hits[0].line == 1
    assert out.span_text(hits[0]).endswith("entries/runtime-base")


def test_al201_extra_forbidden_path_segments(lint):
    config = Config(extra_forbidden_path_segments=("staging",))
    out = lint(manifest(root=".esb/staging/entries"), config=config)
    hit = out.one("AL201")
    assert hit.at == (6, 20)
    assert "points into 'staging/'" in hit.message
    # runtime-base stays forbidden
    assert lint(manifest(root="runtime-base"), config=config).one("AL201")
    # and without the setting 'staging' is fine
    lint(manifest(root=".esb/staging/entries")).none("AL201")


def test_al201_not_checked_in_matrices(lint):
    text = "suites: {}\nmatrix:\n- env: e\n  artifact_manifest: runtime-base/artifact.yml\n"
    lint(text, kind="matrix").none("AL201")


# --------------------------------------------------------------------------- AL202


def test_al202_runtime_base_folder_on_disk(repo, lint_file):
    root = repo(CLEAN, {f"{ART}/entries/t/runtime-base/runtime-hooks/python": None})
    out = lint_repo(lint_file, root)
    hit = out.one("AL202")
    assert hit.at == (6, 20)
    assert hit.severity is Severity.WARNING
    assert hit.message == (
        "artifacts[0]: 'entries/t/runtime-base/' exists on disk: out-of-contract payload that regeneration deletes"
    )
    out.none("AL201")  # no value points into it
    assert out.codes == ["AL202"]


def test_al202_negative(repo, lint_file, tmp_path):
    root = repo(CLEAN)
    assert lint_repo(lint_file, root).hits == []
    # a file called runtime-base is not the staged folder
    root = repo(CLEAN, {f"{ART}/entries/t/runtime-base": "not a folder\n"})
    lint_repo(lint_file, root).none("AL202")


def test_al202_needs_disk(repo, lint, tmp_path):
    root = repo(CLEAN, {f"{ART}/entries/t/runtime-base": None})
    path = root / MANIFEST
    assert lint(CLEAN, path=path, disk=False).of("AL202") == []
    assert lint(CLEAN, path=None, disk=True).of("AL202") == []
    assert lint(CLEAN, path=path, disk=True, config=load_config(path)).one("AL202").at == (6, 20)


def test_al202_absolute_artifact_root(tmp_path, write_repo, lint_file):
    entry_root = tmp_path / "elsewhere" / "entry"
    text = manifest(root=str(entry_root))
    write_repo(
        tmp_path,
        {
            MANIFEST: text,
            "elsewhere/entry/runtime-base": None,
            "elsewhere/entry/config/functions.yml": "a: 1\n",
            "elsewhere/entry/config/routing.yml": "a: 1\n",
        },
    )
    out = lint_repo(lint_file, tmp_path)
    assert out.codes == ["AL202"]
    assert out.one("AL202").at == (6, 20)


def test_al202_artifact_root_from_a_merge_key(tmp_path, write_repo, lint_file):
    # AL401 follows '<<' merges to find artifact_root; the runtime-base folder check must too
    text = (
        "x-defaults: &d {artifact_root: entries/t, runtime_config_dir: config}\n" + HEAD + ("artifacts:\n  - <<: *d\n")
    )
    write_repo(tmp_path, {MANIFEST: text, f"{ART}/entries/t/runtime-base": None, **GOOD_CONFIG})
    out = lint_repo(lint_file, tmp_path)
    hit = out.one("AL202")
    assert "artifacts[0]: 'entries/t/runtime-base/' exists on disk" in hit.message
    assert out.codes == ["AL308", "AL202"]  # x-defaults is an unknown key; the config files were found


def test_al202_extra_forbidden_segment_folder(tmp_path, write_repo, lint_file):
    write_repo(
        tmp_path,
        {
            ".artifact-lsp.toml": 'extra-forbidden-path-segments = ["staging"]\n',
            MANIFEST: CLEAN,
            f"{ART}/entries/t/staging": None,
            **GOOD_CONFIG,
        },
    )
    hit = lint_repo(lint_file, tmp_path).one("AL202")
    assert "'entries/t/staging/' exists on disk" in hit.message


# --------------------------------------------------------------------------- AL401


def test_al401_config_folder_missing(tmp_path, write_repo, lint_file):
    write_repo(tmp_path, {MANIFEST: CLEAN})
    out = lint_repo(lint_file, tmp_path)
    hit = out.one("AL401")
    assert hit.at == (7, 25)
    assert hit.severity is Severity.ERROR
    assert hit.message == (
        "artifacts[0]: config folder 'entries/t/config' does not exist (it must hold functions.yml and routing.yml)"
    )


@pytest.mark.parametrize("missing", ["functions.yml", "routing.yml"])
def test_al401_required_file_missing(tmp_path, write_repo, lint_file, missing):
    files = {MANIFEST: CLEAN, **GOOD_CONFIG}
    del files[f"{ART}/entries/t/config/{missing}"]
    write_repo(tmp_path, files)
    out = lint_repo(lint_file, tmp_path)
    hit = out.one("AL401")
    assert hit.at == (7, 25)
    assert hit.message == f"artifacts[0]: 'entries/t/config/{missing}' is missing (required)"


def test_al401_a_folder_is_not_a_file(tmp_path, write_repo, lint_file):
    write_repo(
        tmp_path,
        {
            MANIFEST: CLEAN,
            f"{ART}/entries/t/config/functions.yml": None,
            f"{ART}/entries/t/config/routing.yml": "a: 1\n",
        },
    )
    hit = lint_repo(lint_file, tmp_path).one("AL401")
    assert "'entries/t/config/functions.yml' is missing" in hit.message


def test_al401_negative_all_present_resources_optional(repo, lint_file):
    root = repo(CLEAN)
    assert lint_repo(lint_file, root).hits == []
    root = repo(CLEAN, {f"{ART}/entries/t/config/resources.yml": "resources: {}\n"})
    assert lint_repo(lint_file, root).hits == []


def test_al401_artifact_root_with_dotdot_resolves_from_manifest_folder(tmp_path, write_repo, lint_file):
    text = manifest(root="../shared-entries/t")
    write_repo(
        tmp_path,
        {
            MANIFEST: text,
            "e2e/artifacts/shared-entries/t/config/functions.yml": "a: 1\n",
            "e2e/artifacts/shared-entries/t/config/routing.yml": "a: 1\n",
        },
    )
    assert lint_repo(lint_file, tmp_path).hits == []


def test_al401_second_entry(repo, lint_file):
    text = CLEAN + "  - artifact_root: entries/other\n    runtime_config_dir: config\n"
    out = lint_repo(lint_file, repo(text))
    hit = out.one("AL401")
    assert hit.at == (9, 25)
    assert hit.message.startswith("artifacts[1]: config folder 'entries/other/config' does not exist")


def test_al401_not_checked_for_invalid_runtime_config_dir(tmp_path, write_repo, lint_file):
    write_repo(tmp_path, {MANIFEST: manifest(rcd="../escape")})
    out = lint_repo(lint_file, tmp_path)
    out.none("AL401")
    assert out.one("AL306").at == (7, 25)


def test_al401_needs_disk_and_path(lint, tmp_path, write_repo):
    write_repo(tmp_path, {MANIFEST: CLEAN})
    assert lint(CLEAN, path=tmp_path / MANIFEST, disk=False).hits == []
    assert lint(CLEAN, disk=True).hits == []
    assert lint(CLEAN, path=tmp_path / MANIFEST, disk=True).one("AL401").at == (7, 25)


# --------------------------------------------------------------------------- AL402


@pytest.mark.parametrize(
    "name,content,problem",
    [
        ("routing.yml", "- a\n- b\n", "must parse to a mapping"),
        ("functions.yml", "", "must parse to a mapping"),
        ("functions.yml", "just text\n", "must parse to a mapping"),
        ("resources.yml", "a: [\n", "is not valid YAML"),
        ("routing.yml", "a: *undefined\n", "is not valid YAML"),
    ],
)
def test_al402_config_file_not_a_mapping(repo, lint_file, name, content, problem):
    root = repo(CLEAN, {f"{ART}/entries/t/config/{name}": content})
    out = lint_repo(lint_file, root)
    hit = out.one("AL402")
    assert hit.at == (7, 25)
    assert hit.severity is Severity.ERROR
    assert hit.message.startswith(f"artifacts[0]: 'entries/t/config/{name}' {problem}")
    out.none("AL401")


def test_al402_negative_mappings(repo, lint_file):
    root = repo(
        CLEAN,
        {
            f"{ART}/entries/t/config/functions.yml": "functions:\n  hello:\n    handler: app.handler\n",
            f"{ART}/entries/t/config/routing.yml": "{}\n",
            f"{ART}/entries/t/config/resources.yml": "# comment\nresources: {}\n",
        },
    )
    assert lint_repo(lint_file, root).hits == []


# --------------------------------------------------------------------------- AL403


def test_al403_stale_template(repo, lint_file):
    stale = "a" * 64
    text = manifest(template="e2e/fixtures/template.e2e.yaml", sha=stale)
    root = repo(text, {"e2e/fixtures/template.e2e.yaml": TEMPLATE_TEXT})
    out = lint_repo(lint_file, root)
    hit = out.one("AL403")
    assert hit.at == (10, 15)
    assert hit.severity is Severity.INFO
    assert hit.message == (
        "artifacts[0].source_template.sha256 does not match 'e2e/fixtures/template.e2e.yaml' "
        f"(the file hashes to {TEMPLATE_SHA[:12]}…): the fixture is stale; regenerate it"
    )
    assert out.span_text(hit) == stale
    assert out.codes == ["AL403"]


def test_al403_matching_hash_is_clean(repo, lint_file):
    text = manifest(template="e2e/fixtures/template.e2e.yaml", sha=TEMPLATE_SHA)
    root = repo(text, {"e2e/fixtures/template.e2e.yaml": TEMPLATE_TEXT})
    assert lint_repo(lint_file, root).hits == []


def test_al403_hash_is_of_the_exact_bytes(repo, lint_file):
    text = manifest(template="e2e/fixtures/template.e2e.yaml", sha=TEMPLATE_SHA)
    root = repo(text, {"e2e/fixtures/template.e2e.yaml": TEMPLATE_TEXT.replace("\n", "\r\n")})
    assert lint_repo(lint_file, root).one("AL403").at == (10, 15)


def test_al403_paths_resolve_from_the_config_root(tmp_path, write_repo, lint_file):
    # the root is the folder of .artifact-lsp.toml, even inside a bigger git checkout
    stale = "b" * 64
    project = tmp_path / "sub"
    write_repo(tmp_path, {})
    write_repo(
        project,
        {
            ".artifact-lsp.toml": "",
            MANIFEST: manifest(template="e2e/fixtures/template.e2e.yaml", sha=stale),
            "e2e/fixtures/template.e2e.yaml": TEMPLATE_TEXT,
            **GOOD_CONFIG,
        },
        git=False,
    )
    config = load_config(project / MANIFEST)
    assert config.root == project
    assert lint_file(project / MANIFEST, config).one("AL403").at == (10, 15)


def test_al403_absolute_template_path(repo, lint_file, tmp_path):
    template = tmp_path / "abs" / "template.yaml"
    root = repo(manifest(template=str(template), sha="c" * 64), {"abs/template.yaml": TEMPLATE_TEXT})
    assert lint_repo(lint_file, root).one("AL403").at == (10, 15)


def test_al403_negative_template_missing_or_sha_invalid(repo, lint_file):
    root = repo(manifest(template="e2e/fixtures/missing.yaml", sha="d" * 64))
    assert lint_repo(lint_file, root).hits == []
    root = repo(manifest(template="e2e/fixtures/t.yaml", sha="NOTHEX"), {"e2e/fixtures/t.yaml": TEMPLATE_TEXT})
    out = lint_repo(lint_file, root)
    out.none("AL403")
    assert out.one("AL307").at == (10, 15)


def test_al403_needs_disk(repo, lint):
    text = manifest(template="e2e/fixtures/template.e2e.yaml", sha="e" * 64)
    root = repo(text, {"e2e/fixtures/template.e2e.yaml": TEMPLATE_TEXT})
    assert lint(text, path=root / MANIFEST, config=load_config(root), disk=False).hits == []


def test_disk_rules_off_with_disk_false_on_a_messy_repo(tmp_path, write_repo, lint_file):
    text = manifest(template="e2e/fixtures/template.e2e.yaml", sha="f" * 64)
    write_repo(
        tmp_path,
        {
            MANIFEST: text,
            "e2e/fixtures/template.e2e.yaml": TEMPLATE_TEXT,
            f"{ART}/entries/t/runtime-base": None,
        },
    )
    config = load_config(tmp_path)
    assert sorted(lint_file(tmp_path / MANIFEST, config).codes) == ["AL202", "AL401", "AL403"]
    assert lint_file(tmp_path / MANIFEST, config, disk=False).hits == []
