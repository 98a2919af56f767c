"""The README's quick start on the bundled ``examples/`` repository."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from artifact_lsp.cli import main

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"
EXPECTED_CODES = {
    "AL101", "AL102", "AL103", "AL104", "AL105", "AL106", "AL108", "AL109",
    "AL201", "AL202", "AL403", "AL501", "AL502", "AL503",
}  # fmt: skip
ARTIFACT_JSON = "examples/e2e/artifacts/e2e-containerd/artifact.json"


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``: content hash and mtime."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            st = path.lstat()
            out[path.relative_to(root).as_posix()] = (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns)
    return out


def env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}


def console_script() -> str:
    beside = Path(sys.executable).parent / ("artifact-lsp.exe" if os.name == "nt" else "artifact-lsp")
    found = str(beside) if beside.exists() else shutil.which("artifact-lsp")
    assert found, "the artifact-lsp console script is not installed (uv sync installs it)"
    return found


@pytest.fixture
def in_project(monkeypatch, capsys):
    monkeypatch.chdir(PROJECT)
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(*argv):
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_quick_start_check_examples(in_project):
    code, out, err = in_project("check", "examples", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    codes = {f["code"] for f in report["findings"]}
    assert codes >= EXPECTED_CODES, EXPECTED_CODES - codes
    assert report["files_checked"] == 4
    assert all(f["path"].startswith(str(Path("examples")) + os.sep) for f in report["findings"])


def test_quick_start_text_output(in_project):
    code, out, _ = in_project("check", "examples")
    assert code == 1
    lines = out.splitlines()
    assert lines[-2].startswith("Found ") and lines[-2].endswith(" in 4 files of 4 checked.")
    assert lines[-1].startswith("[*] ") and lines[-1].endswith(" fixable with `artifact-lsp fix`.")
    reported = {line.split(": ", 1)[1].split(" ", 1)[0] for line in lines[:-2]}
    assert reported >= EXPECTED_CODES


def test_quick_start_as_a_real_command():
    proc = subprocess.run(
        [console_script(), "check", "examples"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env(),
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    for code in EXPECTED_CODES:
        assert f": {code} " in proc.stdout, code
    ci = subprocess.run(
        [sys.executable, "-m", "artifact_lsp", "check", "examples", "--fail-on", "never"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env(),
        timeout=120,
    )
    assert ci.returncode == 0  # what .ci/run does
    assert ci.stdout == proc.stdout


def test_fix_diff_examples_shows_a_diff_and_changes_nothing(in_project):
    before = snapshot(EXAMPLES)
    code, out, err = in_project("fix", "--diff", "examples")
    assert code == 1
    assert "--- a/examples/e2e/artifacts/e2e-docker/artifact.yml" in out
    assert "+++ b/examples/e2e/environments/test_matrix.yaml" in out
    assert any(line.startswith("-runtime_stack:") for line in out.splitlines())
    assert "-- esb_env: e2e-docker" in out.splitlines()
    assert "+- env: e2e-docker" in out.splitlines()
    assert "artifact.json" not in out
    assert err.startswith("Would fix ")
    assert snapshot(EXAMPLES) == before


def test_fix_diff_examples_as_a_real_command():
    before = snapshot(EXAMPLES)
    proc = subprocess.run(
        [console_script(), "fix", "examples", "--diff"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env(),
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("--- a/examples/")
    assert snapshot(EXAMPLES) == before


def test_fix_on_a_copy_of_examples(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    monkeypatch.chdir(tmp_path)
    json_before = (tmp_path / ARTIFACT_JSON).read_bytes()
    assert main(["fix", "examples"]) == 1  # what remains has no automatic fix
    out = capsys.readouterr().out
    assert "fixed" in out
    assert main(["check", "examples", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert not [f for f in findings if f["fixable"]]
    assert not {"AL101", "AL102", "AL103", "AL105", "AL106", "AL108", "AL501", "AL502", "AL503"} & {
        f["code"] for f in findings
    }
    assert (tmp_path / ARTIFACT_JSON).read_bytes() == json_before
    assert main(["fix", "--diff", "examples"]) == 0
