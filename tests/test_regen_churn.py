"""Regeneration without churn (issue 14), through the CLI, on two repository shapes:

- ESB's: ``e2e/scripts/regenerate_artifacts.sh`` wipes each ``e2e/artifacts/<env>/``, calls
  the producer, then deletes ``runtime-base/`` (the copy of ``examples/``);
- no script: the producer is configured directly (``regenerate.producer`` or
  ``ARTIFACT_PRODUCER_CMD``) with one ``regenerate.environments.<env>`` per fixture folder.

Covered: a stamp-only regeneration leaves ``git status`` clean; a real change is kept and
named while the stamp-only file is restored; failure restores; ``--check`` reports drift
(exit 1) leaving a full listing of the working tree (hashes, modes, mtimes) identical, and
exits 0 when only stamps differ; ``--undo`` restores the pre-run bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from artifact_lsp import regen
from regen_helpers import (
    CONTAINERD,
    CONTAINERD_MANIFEST,
    DOCKER,
    DOCKER_MANIFEST,
    FIXTURES,
    console_script,
    make_workspace,
    tree,
    tree_diff,
    write_script,
)

STAMP = "FAKE_PRODUCER_STAMP"

NO_SCRIPT_CONFIG = """\
# no regenerate script: artifact-lsp drives the producer itself, once per environment
[regenerate]
{producer}fixtures = ["e2e/artifacts"]
timeout = 120

[regenerate.environments.e2e-docker]
mode = "docker"
template = "{docker_template}"
project = "esb-e2e-docker"

[regenerate.environments.e2e-containerd]
mode = "containerd"
template = "e2e/fixtures/template.e2e.yaml"
project = "esb-e2e-containerd"
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def esb_shaped(tmp_path: Path, name: str = "esb") -> Path:
    return make_workspace(tmp_path, name)


def no_script(
    tmp_path: Path,
    name: str = "noscript",
    producer: str = "config",
    docker_template: str = "e2e/fixtures/template.e2e.yaml",
) -> Path:
    root = make_workspace(tmp_path, name)
    shutil.rmtree(root / "e2e/scripts")
    line = (
        'producer = ["python3", "tools/fake_producer.py", "artifact", "generate"]\n'
        if producer == "config"
        else ('env = { ARTIFACT_PRODUCER_CMD = "python3 tools/fake_producer.py" }\n')
    )
    (root / ".artifact-lsp.toml").write_text(NO_SCRIPT_CONFIG.format(producer=line, docker_template=docker_template))
    return root


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "core.autocrlf=false", *args],
        cwd=root, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def commit_all(root: Path, message: str = "fixtures") -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message, "--allow-empty")


def cli(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_PRODUCER")}
    full_env.update(env or {})
    return subprocess.run(
        [console_script(), "regenerate", "--root", str(root), *args],
        capture_output=True, text=True, env=full_env, timeout=120,
    )  # fmt: skip


def show(done: subprocess.CompletedProcess) -> str:
    """What a user sees: the command's stdout and stderr, minus the producer's argument echo."""
    keep = [line for line in (done.stdout + done.stderr).splitlines() if not line.startswith("arg: ")]
    return "\n".join(keep) + f"\n(exit {done.returncode})"


def full_listing(root: Path) -> dict[str, tuple]:
    """Every path of the working tree (the root too, .git excepted): kind, mode, mtime in ns,
    size, and content hash or link target. Anything written, renamed or touched shows."""
    out = {}
    for current, dirs, names in os.walk(root):
        if ".git" in dirs and Path(current) == root:
            dirs.remove(".git")
        for name in [".", *dirs, *names]:
            path = Path(current) if name == "." else Path(current, name)
            if name == "." and Path(current) != root:
                continue
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            out[path.relative_to(root).as_posix()] = (
                stat.S_IFMT(st.st_mode),
                stat.S_IMODE(st.st_mode),
                st.st_mtime_ns,
                st.st_size,
                content,
                st.st_ino,
            )
    return out


def listing_diff(before: dict, after: dict) -> list[str]:
    return [
        f"{k}: {before.get(k)} -> {after.get(k)}"
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]


# --------------------------------------------------------------------------- the configuration reproduces the script


def test_the_documented_configuration_reproduces_the_script(tmp_path):
    """Driving the producer without the script writes exactly what ESB's script wrote:
    every env folder wiped, the producer's output, runtime-base/ deleted."""
    scripted, driven = esb_shaped(tmp_path), no_script(tmp_path)
    env = {STAMP: "2030-01-01T00:00:00Z", "FAKE_PRODUCER_MODE": "ok"}
    a = cli(scripted, env=env)
    b = cli(driven, env=env)
    assert a.returncode == 0, show(a)
    assert b.returncode == 0, show(b)
    assert tree_diff(tree(scripted / FIXTURES), tree(driven / FIXTURES)) == []
    assert not (driven / DOCKER / "entries/template-e2e-5f1c2a90/runtime-base").exists()
    assert "removed e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/runtime-base/" in b.stdout
    # the producer was called the way ESB's script called it
    for arg in ("'--artifact'", "'--force'", "'--no-save-defaults'", "'esb-e2e-containerd'"):
        assert f"arg: {arg}" in b.stdout


def test_producer_from_the_environment_variable_and_targets(tmp_path):
    root = no_script(tmp_path, producer="env")
    containerd = tree(root / CONTAINERD)
    done = cli(root, "e2e-docker", env={STAMP: "2030-01-01T00:00:00Z"})
    assert done.returncode == 0, show(done)
    assert "arg: 'e2e-containerd'" not in done.stdout
    assert tree(root / CONTAINERD) == containerd
    bad = cli(root, "e2e-nope")
    assert bad.returncode == 2 and "unknown environment e2e-nope" in bad.stderr


def test_missing_script_says_how_to_configure_either_way(tmp_path):
    root = make_workspace(tmp_path, extras=False)
    (root / "e2e/scripts/regenerate_artifacts.sh").unlink()
    done = cli(root)
    assert done.returncode == 2
    for hint in (
        "regenerate.script",
        "regenerate.producer",
        "ESB_CMD",
        "ARTIFACT_PRODUCER_CMD",
        "regenerate.environments",
    ):
        assert hint in done.stderr, done.stderr
    assert not (root / ".artifact-lsp").exists()


# --------------------------------------------------------------------------- zero churn


@pytest.mark.parametrize("shape", ["esb", "noscript"])
def test_stamp_only_regeneration_leaves_git_status_clean(tmp_path, shape):
    root = esb_shaped(tmp_path) if shape == "esb" else no_script(tmp_path)
    first = cli(root, env={STAMP: "2030-01-01T00:00:00Z"})
    assert first.returncode == 0, show(first)
    commit_all(root)
    second = cli(root, env={STAMP: "2031-06-01T12:00:00Z", "FAKE_PRODUCER_VERSION": "fake-2"})
    assert second.returncode == 0, show(second)
    assert git(root, "status", "--porcelain") == ""
    assert "0 added, 0 changed, 0 removed" in second.stdout
    assert "kept the committed generated_at/generator.version of 2 manifest(s)" in second.stdout

    # --keep-timestamps: the churn is left (and named)
    third = cli(root, "--keep-timestamps", env={STAMP: "2032-01-01T00:00:00Z"})
    assert third.returncode == 0, show(third)
    assert sorted(git(root, "status", "--porcelain").split()) == sorted(
        ["M", "M", CONTAINERD_MANIFEST, DOCKER_MANIFEST]
    )
    assert "only generated_at / generator.version changed (2):" in third.stdout


def test_a_real_change_is_kept_and_named_the_stamp_only_file_restored(tmp_path):
    root = no_script(tmp_path, docker_template="e2e/fixtures/docker.yaml")
    shutil.copy(root / "e2e/fixtures/template.e2e.yaml", root / "e2e/fixtures/docker.yaml")
    first = cli(root, env={STAMP: "2030-01-01T00:00:00Z"})
    assert first.returncode == 0, show(first)
    commit_all(root)
    # the docker environment's template changes: its manifest's sha256 really changes
    with open(root / "e2e/fixtures/docker.yaml", "a") as fh:
        fh.write("# a new function\n")
    commit_all(root, "template")
    done = cli(root, env={STAMP: "2031-01-01T00:00:00Z"})
    assert done.returncode == 0, show(done)
    assert git(root, "status", "--porcelain").split() == ["M", DOCKER_MANIFEST]
    lines = done.stdout.splitlines()
    assert "  changed (1):" in lines and f"    {DOCKER_MANIFEST}" in lines
    assert lines.index("  changed (1):") + 1 == lines.index(f"    {DOCKER_MANIFEST}")
    assert (
        f"    {CONTAINERD_MANIFEST}"
        in lines[lines.index("  committed generated_at / generator.version kept (only the stamp changed) (1):") :]
    )
    assert "1 changed" in done.stdout


@pytest.mark.parametrize("shape", ["esb", "noscript"])
def test_failure_restores(tmp_path, shape):
    root = esb_shaped(tmp_path) if shape == "esb" else no_script(tmp_path)
    before = tree(root / FIXTURES)
    done = cli(root, env={"FAKE_PRODUCER_MODE": "fail"})
    assert done.returncode == 1
    assert tree_diff(before, tree(root / FIXTURES)) == []
    what = (
        "the regenerate script failed with exit code"
        if shape == "esb"
        else "the producer failed for e2e-docker with exit code 3"
    )
    assert what in done.stderr and "the fixtures were restored" in done.stderr


def test_a_manifest_failing_the_scripts_check_fails_the_run(tmp_path):
    root = no_script(tmp_path)
    write_script(
        root / "tools/bad_producer.py",
        "#!/usr/bin/env python3\nimport sys, pathlib\nout = pathlib.Path(sys.argv[sys.argv.index('--artifact') + 1])\n"
        "out.write_text('schema_version: \"1\"\\nproject: p\\nenv: e\\nmode: docker\\nartifacts:\\n  - id: x\\n    artifact_root: a\\n    runtime_config_dir: c\\n')\n",
    )
    before = tree(root / FIXTURES)
    config = root / ".artifact-lsp.toml"
    config.write_text(
        config.read_text().replace(
            '"python3", "tools/fake_producer.py", "artifact", "generate"', '"python3", "tools/bad_producer.py"'
        )
    )
    done = cli(root)
    assert done.returncode == 1
    assert "the manifest the producer wrote for e2e-docker artifacts[0].id must not exist" in done.stderr
    assert tree_diff(before, tree(root / FIXTURES)) == []


# --------------------------------------------------------------------------- --check


@pytest.mark.parametrize("shape", ["esb", "noscript"])
def test_check_reports_drift_and_never_touches_the_working_tree(tmp_path, shape):
    root = esb_shaped(tmp_path) if shape == "esb" else no_script(tmp_path)
    commit_all(root)
    before = full_listing(root)
    done = cli(root, "--check", env={STAMP: "2030-01-01T00:00:00Z"})
    assert done.returncode == 1, show(done)
    assert listing_diff(before, full_listing(root)) == []
    assert git(root, "status", "--porcelain") == ""
    assert f"drift: {DOCKER_MANIFEST}: changed" in done.stdout
    assert f"drift: {CONTAINERD}/artifact.json: removed" in done.stdout
    assert f"drift: {DOCKER}/notes/secret.txt: removed" in done.stdout
    assert not list((tmp_path / "cache").glob("artifact-lsp/*")), "--check keeps no snapshot"

    # --diff and the CI formats
    diff = cli(root, "--check", "--diff", env={STAMP: "2030-01-01T00:00:00Z"})
    assert diff.returncode == 1
    assert f"--- a/{DOCKER_MANIFEST}\n+++ b/{DOCKER_MANIFEST}\n" in diff.stdout
    assert "-runtime_stack:" in diff.stdout
    as_json = cli(root, "--check", "--format", "json", env={STAMP: "2030-01-01T00:00:00Z"})
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["status"] == "drift"
    assert {"path": DOCKER_MANIFEST, "change": "changed"} in report["drift"]
    github = cli(root, "--check", "--format", "github", env={STAMP: "2030-01-01T00:00:00Z"})
    assert github.returncode == 1
    assert f"::error file={DOCKER_MANIFEST},title=artifact-lsp fixture drift::" in github.stdout
    assert "arg: " not in github.stdout, "the producer's output goes to stderr"
    assert listing_diff(before, full_listing(root)) == []

    # once regenerated, only stamps differ: exit 0
    assert cli(root, env={STAMP: "2030-01-01T00:00:00Z"}).returncode == 0
    commit_all(root)
    before = full_listing(root)
    clean = cli(root, "--check", env={STAMP: "2031-01-01T00:00:00Z", "FAKE_PRODUCER_VERSION": "fake-2"})
    assert clean.returncode == 0, show(clean)
    assert f"stamp only (ignored): {DOCKER_MANIFEST}" in clean.stdout
    assert "2 stamp-only difference(s) ignored" in clean.stdout
    assert listing_diff(before, full_listing(root)) == []


def test_check_reports_a_producer_failure_as_such(tmp_path):
    root = esb_shaped(tmp_path)
    before = full_listing(root)
    done = cli(root, "--check", env={"FAKE_PRODUCER_MODE": "fail"})
    assert done.returncode == 2, show(done)
    assert "failed with exit code" in done.stderr and "drift" not in done.stdout
    assert listing_diff(before, full_listing(root)) == []


def test_check_during_a_regeneration_compares_with_the_snapshot(tmp_path):
    """A run has wiped the fixtures (its snapshot holds the committed ones): --check still
    compares with the committed fixtures and touches nothing."""
    root = esb_shaped(tmp_path)
    assert cli(root, env={STAMP: "2030-01-01T00:00:00Z"}).returncode == 0
    state = regen.take_snapshot(root, regen.fixture_folders(root, regen.Settings()), "x")
    state["pid"] = os.getppid()  # alive: a run in progress
    (regen.state_dir(root) / "state.json").write_text(json.dumps({k: v for k, v in state.items() if k != "_dir"}))
    shutil.rmtree(root / DOCKER)
    before = full_listing(root)
    done = cli(root, "--check", env={STAMP: "2031-01-01T00:00:00Z"})
    assert done.returncode == 0, show(done)
    assert listing_diff(before, full_listing(root)) == []


# --------------------------------------------------------------------------- --undo


@pytest.mark.parametrize("shape", ["esb", "noscript"])
def test_undo_after_success_restores_the_pre_run_bytes(tmp_path, shape):
    root = esb_shaped(tmp_path) if shape == "esb" else no_script(tmp_path)
    before = tree(root / FIXTURES)
    done = cli(root, env={STAMP: "2030-01-01T00:00:00Z"})
    assert done.returncode == 0 and "undo with `artifact-lsp regenerate --undo`" in done.stdout
    assert tree_diff(before, tree(root / FIXTURES))
    undone = cli(root, "--undo")
    assert undone.returncode == 0, show(undone)
    assert tree_diff(before, tree(root / FIXTURES)) == []
    assert cli(root, "--undo").returncode == 2


def test_undo_refuses_over_later_edits_unless_forced_and_discard_drops_it(tmp_path):
    root = esb_shaped(tmp_path)
    before = tree(root / FIXTURES)
    assert cli(root, env={STAMP: "2030-01-01T00:00:00Z"}).returncode == 0
    with open(root / DOCKER_MANIFEST, "a") as fh:
        fh.write("# edited after the run\n")
    refused = cli(root, "--undo")
    assert refused.returncode == 2 and DOCKER_MANIFEST in refused.stderr and "--force" in refused.stderr
    assert cli(root, "--undo", "--force").returncode == 0
    assert tree_diff(before, tree(root / FIXTURES)) == []
    # the next run replaces the kept snapshot; --discard drops it
    assert cli(root, env={STAMP: "2030-01-01T00:00:00Z"}).returncode == 0
    assert cli(root, "--discard").returncode == 0
    assert "nothing to undo" in cli(root, "--undo").stderr
