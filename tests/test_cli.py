"""The ``artifact-lsp`` command line: discovery, text output, exit codes, options, ``fix``,
``rule``, ``--version``, config errors, the parallel path, real subprocess runs and the
pre-commit hooks.

Every test builds its own small fake repository in ``tmp_path`` (``write_repo`` from
``conftest.py``) with an ``.artifact-lsp.toml`` at its root.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import ClassVar, NamedTuple

import pytest
import yaml

from artifact_lsp import __version__
from artifact_lsp.cli import PARALLEL_THRESHOLD, build_parser, main
from artifact_lsp.docs import rule_markdown, rules_markdown
from artifact_lsp.engine.rules import RULES

PROJECT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- the fake repository

DEV = Path("e2e/artifacts/dev/artifact.yml")
STAGE_JSON = Path("e2e/artifacts/stage/artifact.json")
MATRIX = Path("e2e/environments/test_matrix.yaml")

DEV_MANIFEST = (
    'schema_version: "1"\n'  # 1
    "project: demo\n"  # 2
    "env: dev\n"  # 3
    "mode: docker\n"  # 4
    "runtime_stack:\n"  # 5   AL103 5:1
    '  api_version: "1.0"\n'  # 6
    "artifacts:\n"  # 7
    "  - id: entry-1\n"  # 8   AL104 8:5
    "    artifact_root: entries/one\n"  # 9
    "    runtime_config_dir: config\n"  # 10
    "    image_prewarm: all\n"  # 11  AL105 11:5
)
DEV_FIXED = (
    'schema_version: "1"\n'
    "project: demo\n"
    "env: dev\n"
    "mode: docker\n"
    "artifacts:\n"
    "  - artifact_root: entries/one\n"
    "    runtime_config_dir: config\n"
)
STAGE_MANIFEST_JSON = (
    "{\n"
    '  "schema_version": "1",\n'
    '  "project": "demo",\n'
    '  "env": "stage",\n'
    '  "mode": "containerd",\n'
    '  "artifacts": [\n'
    '    {"id": "x", "artifact_root": "entries/one", "runtime_config_dir": "config"}\n'  # AL104 7:6
    "  ]\n"
    "}\n"
)
MATRIX_TEXT = (
    "suites:\n"
    "  smoke:\n"
    "    targets: []\n"
    "matrix:\n"
    "- env: dev\n"
    "  artifact_manifest: e2e/artifacts/dev/artifact.yml\n"
    "  suites: [smoke]\n"
    "  env_vars:\n"  # AL502 8:3 (a warning)
    "    A: b\n"
)
CLEAN_MANIFEST = (
    'schema_version: "1"\n'
    "project: demo\n"
    "env: dev\n"
    "mode: docker\n"
    "artifacts:\n"
    "  - artifact_root: entries/one\n"
    "    runtime_config_dir: config\n"
)
CONFIG_DIR = {
    "entries/one/config/functions.yml": "functions: {}\n",
    "entries/one/config/routing.yml": "routes: []\n",
}

# (path, line, col, code, fixable) of every finding in the repository, in output order
EXPECTED = [
    (DEV, 5, 1, "AL103", True),
    (DEV, 8, 5, "AL104", True),
    (DEV, 11, 5, "AL105", True),
    (STAGE_JSON, 1, 1, "AL109", False),
    (STAGE_JSON, 7, 6, "AL104", False),
    (MATRIX, 8, 3, "AL502", True),
]


def _with_config_dir(folder: str) -> dict:
    return {f"{folder}/{rel}": text for rel, text in CONFIG_DIR.items()}


def repo_files(config: str = 'exclude = ["vendor/**"]\n') -> dict:
    files = {
        ".artifact-lsp.toml": config,
        str(DEV): DEV_MANIFEST,
        **_with_config_dir("e2e/artifacts/dev"),
        str(STAGE_JSON): STAGE_MANIFEST_JSON,
        **_with_config_dir("e2e/artifacts/stage"),
        str(MATRIX): MATRIX_TEXT,
        # never checked: always-skipped folders and the configured exclude
        "node_modules/pkg/artifact.yml": DEV_MANIFEST,
        ".venv/lib/artifact.yml": DEV_MANIFEST,
        ".git/hooks/artifact.yml": DEV_MANIFEST,
        "vendor/x/artifact.yml": DEV_MANIFEST,
        # not one of our file names
        "e2e/artifacts/dev/other.yml": DEV_MANIFEST,
    }
    return files


@pytest.fixture
def repo(tmp_path, write_repo, monkeypatch) -> Path:
    """The fake repository, and the current folder set to its root."""
    root = write_repo(tmp_path / "repo", repo_files(), git=False)
    monkeypatch.chdir(root)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return root


class Run(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """``cli("check", ...)`` runs ``main`` in this process and returns ``Run(code, out, err)``."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def findings_of(run: Run) -> list[dict]:
    return json.loads(run.out)["findings"]


def where(findings: list[dict]) -> list[tuple]:
    return [(Path(f["path"]), f["start"]["line"], f["start"]["column"], f["code"], f["fixable"]) for f in findings]


def subprocess_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def console_script() -> str:
    """The ``artifact-lsp`` console script installed in this environment."""
    beside = Path(sys.executable).parent / ("artifact-lsp.exe" if os.name == "nt" else "artifact-lsp")
    found = str(beside) if beside.exists() else shutil.which("artifact-lsp")
    assert found, "the artifact-lsp console script is not installed (uv sync installs it)"
    return found


# --------------------------------------------------------------------------- discovery


def test_check_without_paths_discovers_from_the_current_folder(repo, cli):
    run = cli("check", "--format", "json")
    report = json.loads(run.out)
    assert run.code == 1, run.err
    assert report["files_checked"] == 3
    assert {Path(f["path"]) for f in report["findings"]} == {DEV, STAGE_JSON, MATRIX}
    assert where(report["findings"]) == EXPECTED


def test_check_skips_git_node_modules_venv_and_configured_excludes(repo, cli):
    shown = {f["path"] for f in findings_of(cli("check", "--format", "json"))}
    for skipped in ("node_modules", ".venv", ".git", "vendor", "other.yml"):
        assert not any(skipped in p for p in shown), (skipped, shown)


def test_exclude_comes_from_the_config_file(tmp_path, write_repo, monkeypatch, cli):
    # control: without the exclude, vendor/ is checked (and the skipped folders still are not)
    root = write_repo(tmp_path / "repo", repo_files(config='select = ["AL"]\n'), git=False)
    monkeypatch.chdir(root)
    report = json.loads(cli("check", "--format", "json").out)
    assert report["files_checked"] == 4
    paths = {Path(f["path"]) for f in report["findings"]}
    assert Path("vendor/x/artifact.yml") in paths
    assert not any(part in (".git", ".venv", "node_modules") for p in paths for part in p.parts)


def test_extend_exclude(repo, cli):
    report = json.loads(cli("check", "--format", "json", "--extend-exclude", "e2e/environments/**").out)
    assert report["files_checked"] == 2
    assert MATRIX not in {Path(f["path"]) for f in report["findings"]}


def test_check_from_a_subfolder_uses_the_config_above(repo, cli, monkeypatch):
    monkeypatch.chdir(repo / "e2e")
    report = json.loads(cli("check", "--format", "json", "--extend-exclude", "e2e/environments").out)
    assert report["files_checked"] == 2
    assert {f["path"] for f in report["findings"]} == {
        str(Path("artifacts/dev/artifact.yml")),
        str(Path("artifacts/stage/artifact.json")),
    }


def test_check_explicit_file(repo, cli):
    run = cli("check", "--format", "json", str(DEV))
    report = json.loads(run.out)
    assert report["files_checked"] == 1
    assert where(report["findings"]) == EXPECTED[:3]


def test_check_explicit_files_and_folders(repo, cli):
    run = cli("check", "--format", "json", str(MATRIX), "e2e/artifacts/stage")
    report = json.loads(run.out)
    assert report["files_checked"] == 2
    assert sorted(where(report["findings"])) == sorted([e for e in EXPECTED if e[0] in (MATRIX, STAGE_JSON)])


def test_a_file_named_directly_is_checked_even_when_excluded(repo, cli):
    run = cli("check", "--format", "json", "vendor/x/artifact.yml")
    report = json.loads(run.out)
    assert report["files_checked"] == 1
    # the vendored copy has no config folder next to it: AL401 as well
    assert {f["code"] for f in report["findings"]} == {"AL103", "AL104", "AL105", "AL401"}


@pytest.mark.parametrize("command", ["check", "fix"])
@pytest.mark.parametrize("missing", ["nope", "nope/artifact.yml"])
def test_missing_path_is_a_usage_error(repo, cli, command, missing):
    run = cli(command, missing)
    assert run.code == 2
    assert run.err == f"error: {missing}: no such file or folder\n"
    assert "Traceback" not in run.err
    assert "All checks passed" not in run.out
    if command == "check":
        assert run.out == "No problems in 0 files checked, but 1 path could not be checked (errors above).\n"


def test_missing_path_next_to_a_good_one(repo, cli, write_repo):
    run = cli("check", str(DEV), "nope")
    assert run.code == 2
    assert "error: nope: no such file or folder" in run.err
    # the good path is still checked and reported, and the summary says one was not
    assert f"{DEV}:11:5: AL105 [*]" in run.out
    assert "in 1 file of 1 checked; 1 path could not be checked (errors above)." in run.out
    # a clean file next to a missing one: still never "All checks passed!"
    write_repo(repo, {"clean/artifact.yml": CLEAN_MANIFEST, **_with_config_dir("clean")}, git=False)
    clean = cli("check", "clean/artifact.yml", "nope")
    assert clean == Run(
        2,
        "No problems in 1 file checked, but 1 path could not be checked (errors above).\n",
        "error: nope: no such file or folder\n",
    )


def test_excluded_folder_is_never_entered(repo, cli, monkeypatch):
    entered = []
    real_scandir = os.scandir

    def spy(path):
        entered.append(os.path.relpath(path, repo))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    run = cli("check", "--format", "json")
    assert run.code == 1
    assert "e2e" in entered
    assert not [p for p in entered if p == "vendor" or p.startswith("vendor" + os.sep)]


# --------------------------------------------------------------------------- text output

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>AL\d{3})(?P<fix> \[\*\])? (?P<message>\S.*)$")


def test_text_lines_are_path_line_col_code_mark_message(repo, cli):
    text = cli("check", "--color", "never")
    data = findings_of(cli("check", "--format", "json"))
    lines = text.out.splitlines()
    expected = [
        f"{f['path']}:{f['start']['line']}:{f['start']['column']}: {f['code']}{' [*]' if f['fixable'] else ''} {f['message']}"
        for f in data
    ]
    assert lines[: len(expected)] == expected
    parsed = [LINE.match(line) for line in lines[: len(expected)]]
    assert all(parsed), lines
    assert [(Path(m["path"]), int(m["line"]), int(m["col"]), m["code"], bool(m["fix"])) for m in parsed] == EXPECTED
    assert lines[len(expected) :] == [
        "Found 6 problems (5 errors, 1 warning) in 3 files of 3 checked.",
        "[*] 4 fixable with `artifact-lsp fix`.",
    ]
    assert text.out.endswith("\n")


def test_text_exact_line_for_a_legacy_key(repo, cli):
    out = cli("check", str(DEV)).out
    first = out.splitlines()[0]
    assert first.startswith(f"{DEV}:5:1: AL103 [*] legacy key 'runtime_stack'")


def test_fixable_mark_only_on_fixable_findings(repo, cli):
    lines = cli("check").out.splitlines()
    json_lines = [line for line in lines if line.startswith(str(STAGE_JSON))]
    assert [line.split(" ")[1] for line in json_lines] == ["AL109", "AL104"]
    assert not any("[*]" in line for line in json_lines)
    assert f"{DEV}:8:5: AL104 [*] " in cli("check").out


def test_clean_repository_summary_and_exit_0(tmp_path, write_repo, monkeypatch, cli):
    root = write_repo(
        tmp_path / "clean",
        {".artifact-lsp.toml": "", "a/artifact.yml": CLEAN_MANIFEST, **_with_config_dir("a")},
        git=False,
    )
    monkeypatch.chdir(root)
    run = cli("check")
    assert run == Run(0, "All checks passed! (1 file checked)\n", "")
    assert cli("check", "-q") == Run(0, "", "")


def test_quiet_still_prints_findings(repo, cli):
    run = cli("check", "-q")
    assert run.code == 1
    assert f"{DEV}:5:1: AL103" in run.out


def test_no_ansi_colour_when_not_a_terminal(repo, cli):
    out = cli("check").out
    assert "\x1b[" not in out


def test_colour_with_color_always(repo, cli):
    out = cli("check", "--color", "always").out
    assert "\x1b[" in out
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert plain == cli("check", "--color", "never").out


class _Terminal:
    """A stdout that says it is a terminal."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    def getvalue(self) -> str:
        return "".join(self.parts)


@pytest.mark.parametrize(
    "env,argv,coloured",
    [
        ({}, [], True),  # auto on a terminal
        ({"NO_COLOR": "1"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),  # an explicit flag beats the environment
        ({}, ["--color", "never"], False),
    ],
)
def test_colour_on_a_terminal(repo, monkeypatch, env, argv, coloured):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    code = main(["check", *argv])
    assert code == 1
    assert ("\x1b[" in terminal.getvalue()) is coloured


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color", [False, True])
def test_colour_on_a_real_pseudo_terminal(repo, no_color):
    import pty

    master, slave = pty.openpty()
    try:
        env = subprocess_env(**({"NO_COLOR": "1"} if no_color else {}))
        proc = subprocess.run(
            [sys.executable, "-m", "artifact_lsp", "check"],
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=repo,
            env=env,
            timeout=120,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    out = b"".join(chunks).decode("utf-8")
    assert proc.returncode == 1, proc.stderr
    assert "AL103" in out
    assert ("\x1b[" in out) is not no_color


# --------------------------------------------------------------------------- exit codes


def _only(tmp_path, write_repo, monkeypatch, manifest: str) -> Path:
    root = write_repo(
        tmp_path / "one", {".artifact-lsp.toml": "", "a/artifact.yml": manifest, **_with_config_dir("a")}, git=False
    )
    monkeypatch.chdir(root)
    return root


def test_exit_1_on_errors_and_0_with_fail_on_never(repo, cli):
    assert cli("check").code == 1
    never = cli("check", "--fail-on", "never")
    assert never.code == 0
    assert "AL103" in never.out


def test_warning_only_findings(tmp_path, write_repo, monkeypatch, cli):
    root = write_repo(
        tmp_path / "w",
        {
            ".artifact-lsp.toml": "",
            "a/artifact.yml": CLEAN_MANIFEST,
            **_with_config_dir("a"),
            "a/entries/one/runtime-base/x": "x\n",
        },
        git=False,
    )
    monkeypatch.chdir(root)
    run = cli("check", "--format", "json")
    assert [(f["code"], f["severity"]) for f in findings_of(run)] == [("AL202", "warning")]
    assert run.code == 0
    assert cli("check", "--fail-on", "warning").code == 1
    assert cli("check", "--fail-on", "info").code == 1
    assert cli("check", "--fail-on", "error").code == 0


def test_info_only_findings(tmp_path, write_repo, monkeypatch, cli):
    _only(tmp_path, write_repo, monkeypatch, CLEAN_MANIFEST + "note: x\n")
    run = cli("check", "--format", "json")
    assert [(f["code"], f["severity"]) for f in findings_of(run)] == [("AL308", "info")]
    assert run.code == 0
    assert cli("check", "--fail-on", "warning").code == 0
    assert cli("check", "--fail-on", "info").code == 1
    assert cli("check", "--fail-on", "hint").code == 1


def test_severity_from_config_changes_the_exit_code(tmp_path, write_repo, monkeypatch, cli):
    root = write_repo(
        tmp_path / "s",
        {
            ".artifact-lsp.toml": 'severity = { AL308 = "error" }\n',
            "a/artifact.yml": CLEAN_MANIFEST + "note: x\n",
            **_with_config_dir("a"),
        },
        git=False,
    )
    monkeypatch.chdir(root)
    run = cli("check")
    assert run.code == 1
    assert "(1 error)" in run.out


def test_bad_fail_on_value_is_a_usage_error(repo, cli):
    run = cli("check", "--fail-on", "fatal")
    assert run.code == 2
    assert "--fail-on" in run.err


# --------------------------------------------------------------------------- select / ignore / no-disk


@pytest.mark.parametrize(
    "argv,codes",
    [
        (["--select", "AL104"], ["AL104", "AL104"]),
        (["--select", "AL5"], ["AL502"]),
        (["--ignore", "AL1"], ["AL502"]),
        (["--ignore", "AL104", "--ignore", "AL502"], ["AL103", "AL105", "AL109"]),
        (["--select", "AL1", "--ignore", "AL104"], ["AL103", "AL105", "AL109"]),
        (["--select", "AL103", "--select", "AL502"], ["AL103", "AL502"]),
    ],
)
def test_select_and_ignore(repo, cli, argv, codes):
    run = cli("check", "--format", "json", *argv)
    assert [f["code"] for f in findings_of(run)] == codes


def test_unknown_code_on_the_command_line(repo, cli):
    run = cli("check", "--select", "AL9")
    assert run.code == 2
    assert "select" in run.err and "'AL9'" in run.err
    assert run.out == ""


def test_no_disk_skips_rules_that_read_other_files(tmp_path, write_repo, monkeypatch, cli):
    manifest = CLEAN_MANIFEST + "    source_template:\n      path: templates/t.yaml\n      sha256: " + "a" * 64 + "\n"
    root = write_repo(
        tmp_path / "d",
        {
            ".artifact-lsp.toml": "",
            "templates/t.yaml": "AWSTemplateFormatVersion: x\n",
            "e2e/a/artifact.yml": manifest,  # no config folder: AL401
            "e2e/a/entries/one/runtime-base": None,  # AL202
            str(
                MATRIX
            ): "suites:\n  smoke:\n    targets: []\nmatrix:\n- env: dev\n  artifact_manifest: e2e/missing/artifact.yml\n  suites: [smoke]\n",
        },
        git=False,
    )
    monkeypatch.chdir(root)
    with_disk = cli("check", "--format", "json")
    assert sorted(f["code"] for f in findings_of(with_disk)) == ["AL202", "AL401", "AL403", "AL505"]
    assert with_disk.code == 1
    without = cli("check", "--format", "json", "--no-disk")
    assert findings_of(without) == []
    assert json.loads(without.out)["files_checked"] == 2
    assert without.code == 0


# --------------------------------------------------------------------------- parallel


class _SpyPool(concurrent.futures.ProcessPoolExecutor):
    made: ClassVar[list] = []

    def __init__(self, *args, **kwargs):
        _SpyPool.made.append(kwargs.get("max_workers"))
        super().__init__(*args, **kwargs)


def test_parallel_run_gives_the_same_output_in_the_same_order(tmp_path, write_repo, monkeypatch, cli):
    count = PARALLEL_THRESHOLD + 450  # several batches for the workers
    files = {".artifact-lsp.toml": 'severity = { AL308 = "warning" }\n'}
    for i in range(count):
        # different findings per file, some with a config folder and some without
        extra = (
            f"  - id: e{i}\n    artifact_root: x\n    runtime_config_dir: config\n"
            if i % 3 == 0
            else (
                "  - artifact_root: x\n    runtime_config_dir: config\n"
                + ("    image_prewarm: all\n" if i % 3 == 1 else "    note: n\n")
            )
        )
        files[f"m{i:04d}/artifact.yml"] = 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n' + extra
        if i % 5 == 0:
            files[f"m{i:04d}/x/config/functions.yml"] = "functions: {}\n"
            files[f"m{i:04d}/x/config/routing.yml"] = "routes: []\n"
    root = write_repo(tmp_path / "big", files, git=False)
    monkeypatch.chdir(root)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _SpyPool)
    _SpyPool.made.clear()

    serial = cli("check", "-j", "1")
    assert _SpyPool.made == []
    parallel = cli("check", "-j", "2")
    assert _SpyPool.made == [2], "-j 2 on more files than the threshold must use worker processes"
    assert parallel == serial
    assert serial.code == 1
    assert f"of {count} checked." in serial.out
    paths = [line.split(":", 1)[0] for line in serial.out.splitlines() if line.startswith("m")]
    assert paths == sorted(paths)
    assert len(set(paths)) == count

    serial_json = cli("check", "-j", "1", "--format", "json")
    parallel_json = cli("check", "-j", "2", "--format", "json")
    assert parallel_json == serial_json
    assert json.loads(serial_json.out)["files_checked"] == count


def test_parallel_run_uses_each_folders_nearest_config(tmp_path, write_repo, monkeypatch, cli):
    """Configs found during the walk travel to the workers with the batches that use them:
    three configs interleaved across batches give the same report as the serial run."""
    manifest = 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n  - artifact_root: x\n    runtime_config_dir: config\n    note: n\n'
    files = {".artifact-lsp.toml": 'severity = { AL308 = "warning" }\n'}
    count = PARALLEL_THRESHOLD + 300
    for i in range(count):
        # a/ uses the root config, b/ its own (AL308 as a hint), c/ is a nested checkout
        # (.git, no config file: defaults, AL308 as info)
        files[f"{'abc'[i % 3]}/m{i:04d}/artifact.yml"] = manifest
    files["b/.artifact-lsp.toml"] = 'severity = { AL308 = "hint" }\n'
    files["c/.git/HEAD"] = "ref: refs/heads/main\n"
    root = write_repo(tmp_path / "nested", files, git=False)
    monkeypatch.chdir(root)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _SpyPool)
    _SpyPool.made.clear()
    serial = cli("check", "-j", "1", "--format", "json")
    parallel = cli("check", "-j", "2", "--format", "json")
    assert _SpyPool.made == [2]
    assert parallel == serial
    severities = {
        (Path(f["path"]).parts[0], f["code"], f["severity"]) for f in findings_of(serial) if f["code"] == "AL308"
    }
    assert severities == {("a", "AL308", "warning"), ("b", "AL308", "hint"), ("c", "AL308", "info")}


def test_below_the_threshold_stays_in_process(repo, cli, monkeypatch):
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _SpyPool)
    _SpyPool.made.clear()
    assert cli("check", "-j", "4").code == 1
    assert _SpyPool.made == []


# --------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    "name,text,key",
    [
        (".artifact-lsp.toml", 'selec = ["AL1"]\n', "selec"),
        (".artifact-lsp.toml", 'select = ["AL9999"]\n', "select"),
        (".artifact-lsp.toml", 'severity = { AL104 = "fatal" }\n', "severity.AL104"),
        (".artifact-lsp.toml", "exclude = 3\n", "exclude"),
        (".artifact-lsp.toml", "max-file-size = -1\n", "max-file-size"),
        ("pyproject.toml", '[tool.artifact-lsp]\nignore = ["XX"]\n', "ignore"),
    ],
)
def test_bad_config_is_exit_2_naming_file_and_key(tmp_path, write_repo, monkeypatch, cli, name, text, key):
    root = write_repo(tmp_path / "bad", {name: text, str(DEV): DEV_MANIFEST}, git=False)
    monkeypatch.chdir(root)
    for command in ("check", "fix"):
        run = cli(command)
        assert run.code == 2, run
        assert run.out == ""
        assert run.err.startswith("error: ")
        assert str(root / name) in run.err
        assert f": {key}: " in run.err
        assert "Traceback" not in run.err
    assert (root / DEV).read_text() == DEV_MANIFEST


def test_invalid_toml_is_exit_2_naming_the_file(tmp_path, write_repo, monkeypatch, cli):
    root = write_repo(tmp_path / "bad", {".artifact-lsp.toml": "select = [\n", str(DEV): DEV_MANIFEST}, git=False)
    monkeypatch.chdir(root)
    run = cli("check")
    assert run.code == 2
    assert f"{root / '.artifact-lsp.toml'}: invalid TOML" in run.err


def test_explicit_config_file(repo, cli, tmp_path):
    config = tmp_path / "other.toml"
    config.write_text('select = ["AL105"]\n')
    run = cli("check", "--format", "json", "--config", str(config))
    # the named file replaces the discovered one, its exclude included: vendor/ is checked too
    assert [(Path(f["path"]), f["code"]) for f in findings_of(run)] == [
        (DEV, "AL105"),
        (Path("vendor/x/artifact.yml"), "AL105"),
    ]
    missing = cli("check", "--config", str(tmp_path / "none.toml"))
    assert missing.code == 2
    assert "none.toml" in missing.err


def test_bad_config_in_a_subprocess_has_no_traceback(tmp_path, write_repo):
    root = write_repo(tmp_path / "bad", {".artifact-lsp.toml": 'ignroe = ["AL1"]\n', str(DEV): DEV_MANIFEST}, git=False)
    proc = subprocess.run(
        [sys.executable, "-m", "artifact_lsp", "check"],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"error: {root / '.artifact-lsp.toml'}: ignroe: unknown setting (did you mean 'ignore'?)\n"


# --------------------------------------------------------------------------- fix


def test_fix_writes_in_place_and_reports_what_changed(repo, cli):
    dev = repo / DEV
    os.chmod(dev, 0o640)
    inode = os.stat(dev).st_ino
    json_before = (repo / STAGE_JSON).read_bytes()
    run = cli("fix")
    assert run.code == 1, run  # the artifact.json findings have no automatic fix
    assert run.out.splitlines() == [
        f"{DEV}: fixed 3 problems (AL103, AL104, AL105)",
        f"{MATRIX}: fixed 1 problem (AL502)",
        "Fixed 4 problems in 2 files; 2 remaining.",
    ]
    assert dev.read_text(encoding="utf-8") == DEV_FIXED
    assert (repo / MATRIX).read_text() == MATRIX_TEXT.replace("  env_vars:\n    A: b\n", "")
    assert stat.S_IMODE(os.stat(dev).st_mode) == 0o640
    assert os.stat(dev).st_ino != inode, "written by replacing the file (atomic), not in place"
    assert (repo / STAGE_JSON).read_bytes() == json_before
    leftovers = [p.name for p in dev.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_after_fix_check_reports_no_fixable_finding(repo, cli):
    cli("fix")
    after = cli("check", "--format", "json")
    assert after.code == 1
    assert [(f["path"], f["code"], f["fixable"]) for f in findings_of(after)] == [
        (str(STAGE_JSON), "AL109", False),
        (str(STAGE_JSON), "AL104", False),
    ]
    again = cli("fix")
    assert again.code == 1
    assert again.out == "Nothing to fix (3 files checked; 2 problems without an automatic fix).\n"


def test_fix_exit_0_when_nothing_remains(tmp_path, write_repo, monkeypatch, cli):
    _only(tmp_path, write_repo, monkeypatch, DEV_MANIFEST)
    run = cli("fix")
    assert run.code == 0
    assert run.out.splitlines()[-1] == "Fixed 3 problems in 1 file."
    assert cli("check").code == 0
    assert cli("fix") == Run(0, "Nothing to fix (1 file checked).\n", "")


def test_fix_nothing_to_fix_message(tmp_path, write_repo, monkeypatch, cli):
    _only(tmp_path, write_repo, monkeypatch, CLEAN_MANIFEST)
    run = cli("fix")
    assert run.code == 0
    assert run.out.startswith("Nothing to fix (1 file")


def test_fix_keeps_crlf_and_bom(tmp_path, write_repo, monkeypatch, cli):
    root = _only(tmp_path, write_repo, monkeypatch, "")
    path = root / "a/artifact.yml"
    path.write_bytes(b"\xef\xbb\xbf" + DEV_MANIFEST.replace("\n", "\r\n").encode("utf-8"))
    run = cli("fix")
    assert run.code == 0, run
    assert path.read_bytes() == b"\xef\xbb\xbf" + DEV_FIXED.replace("\n", "\r\n").encode("utf-8")


def test_fix_keeps_the_bom_when_the_first_key_goes(tmp_path, write_repo, monkeypatch, cli):
    root = _only(tmp_path, write_repo, monkeypatch, "")
    path = root / "a/artifact.yml"
    path.write_bytes(b"\xef\xbb\xbfruntime_stack: {}\r\n" + DEV_FIXED.replace("\n", "\r\n").encode("utf-8"))
    run = cli("fix")
    assert run.out.splitlines()[0] == f"{Path('a/artifact.yml')}: fixed 1 problem (AL103)"
    assert path.read_bytes() == b"\xef\xbb\xbf" + DEV_FIXED.replace("\n", "\r\n").encode("utf-8")


def test_fix_keeps_a_file_without_a_final_line_break_without_one(tmp_path, write_repo, monkeypatch, cli):
    """Removing the last key of a file that does not end with a line break adds none
    (issue 10, item 6)."""
    root = _only(tmp_path, write_repo, monkeypatch, "")
    path = root / "a/artifact.yml"
    for newline in ("\n", "\r\n"):
        path.write_bytes(DEV_MANIFEST.rstrip("\n").replace("\n", newline).encode("utf-8"))
        assert cli("fix").code == 0
        assert path.read_bytes() == DEV_FIXED.rstrip("\n").replace("\n", newline).encode("utf-8")


def test_fix_keeps_crlf_without_bom_and_utf8_text(tmp_path, write_repo, monkeypatch, cli):
    root = _only(tmp_path, write_repo, monkeypatch, "")
    path = root / "a/artifact.yml"
    text = DEV_MANIFEST.replace("project: demo", "project: デモ # 🔥")
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert cli("fix").code == 0
    assert path.read_bytes() == DEV_FIXED.replace("project: demo", "project: デモ # 🔥").replace("\n", "\r\n").encode(
        "utf-8"
    )


def test_fix_diff_prints_a_unified_diff_and_writes_nothing(repo, cli):
    before = {p: (repo / p).read_bytes() for p in (DEV, MATRIX, STAGE_JSON)}
    mtimes = {p: os.stat(repo / p).st_mtime_ns for p in before}
    run = cli("fix", "--diff")
    assert run.code == 1
    out = run.out
    assert f"--- a/{DEV}\n+++ b/{DEV}\n" in out
    assert f"--- a/{MATRIX}\n+++ b/{MATRIX}\n" in out
    assert "artifact.json" not in out
    assert re.search(r"^@@ -\d+,\d+ \+\d+,\d+ @@", out, re.M)
    removed = [line for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == [
        "-runtime_stack:",
        '-  api_version: "1.0"',
        "-  - id: entry-1",
        "-    artifact_root: entries/one",
        "-    image_prewarm: all",
        "-  env_vars:",
        "-    A: b",
    ]
    assert "+  - artifact_root: entries/one" in out.splitlines()
    assert run.err == "Would fix 4 problems in 2 files; 2 remaining.\n"
    for p, data in before.items():
        assert (repo / p).read_bytes() == data
        assert os.stat(repo / p).st_mtime_ns == mtimes[p]


def test_fix_diff_applies_as_a_patch(repo, cli, tmp_path):
    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("no patch(1)")
    diff = cli("fix", "--diff").out
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)
    proc = subprocess.run([patch, "-p1", "--quiet"], input=diff, text=True, cwd=copy, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    cli("fix")
    assert (copy / DEV).read_bytes() == (repo / DEV).read_bytes()
    assert (copy / MATRIX).read_bytes() == (repo / MATRIX).read_bytes()


def test_fix_diff_exit_0_when_nothing_to_fix(tmp_path, write_repo, monkeypatch, cli):
    _only(tmp_path, write_repo, monkeypatch, CLEAN_MANIFEST)
    run = cli("fix", "--diff")
    assert run.code == 0
    assert run.out == ""


def test_fix_diff_of_a_file_without_final_newline(tmp_path, write_repo, monkeypatch, cli):
    _only(tmp_path, write_repo, monkeypatch, CLEAN_MANIFEST + "    image_prewarm: all")
    run = cli("fix", "--diff")
    assert run.code == 1
    assert "-    image_prewarm: all\n\\ No newline at end of file\n" in run.out


def test_fix_never_touches_artifact_json(tmp_path, write_repo, monkeypatch, cli):
    root = write_repo(
        tmp_path / "j",
        {".artifact-lsp.toml": "", str(STAGE_JSON): STAGE_MANIFEST_JSON, **_with_config_dir("e2e/artifacts/stage")},
        git=False,
    )
    monkeypatch.chdir(root)
    before = (root / STAGE_JSON).read_bytes()
    mtime = os.stat(root / STAGE_JSON).st_mtime_ns
    # fix: exit 1 (problems without a fix remain); --diff: exit 0 (there is no diff)
    for argv, code in ((["fix"], 1), (["fix", str(STAGE_JSON)], 1), (["fix", "--diff"], 0)):
        run = cli(*argv)
        assert run.code == code, argv
        assert "fixed" not in run.out
        assert (root / STAGE_JSON).read_bytes() == before
        assert os.stat(root / STAGE_JSON).st_mtime_ns == mtime
    assert cli("fix", "--diff").out == ""


def test_fix_select_only_fixes_the_selected_rules(repo, cli):
    run = cli("fix", "--select", "AL104", str(DEV))
    assert run.out.splitlines()[0] == f"{DEV}: fixed 1 problem (AL104)"
    assert [f["code"] for f in findings_of(cli("check", "--format", "json", str(DEV)))] == ["AL103", "AL105"]


def test_fix_leaves_a_broken_file_alone(tmp_path, write_repo, monkeypatch, cli):
    root = _only(tmp_path, write_repo, monkeypatch, DEV_MANIFEST + "broken: [\n")
    before = (root / "a/artifact.yml").read_bytes()
    run = cli("fix")
    assert run.code == 1
    assert (root / "a/artifact.yml").read_bytes() == before


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_fix_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path, write_repo, monkeypatch, cli):
    root = write_repo(
        tmp_path / "l",
        {".artifact-lsp.toml": "", "real/data.yml": DEV_MANIFEST, "a/x": "", **_with_config_dir("a")},
        git=False,
    )
    link = root / "a/artifact.yml"
    link.symlink_to(root / "real/data.yml")
    monkeypatch.chdir(root)
    run = cli("fix")
    assert run.code == 0, run
    assert link.is_symlink()
    assert (root / "real/data.yml").read_text() == DEV_FIXED


# --------------------------------------------------------------------------- rule, version, usage


def test_rule_prints_the_docs(cli):
    run = cli("rule", "AL104")
    assert run.code == 0
    rule = RULES["AL104"]
    assert run.out == rule_markdown(rule)
    assert run.out.startswith("# AL104 `legacy-entry-id`")
    assert rule.docs in run.out
    assert rule.summary in run.out
    assert cli("rule", "legacy-entry-id").out == run.out
    assert cli("rule", "al104").out == run.out


def test_rule_all_lists_every_rule(cli):
    run = cli("rule", "--all")
    assert run.code == 0
    lines = run.out.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    for line, rule in zip(lines, RULES.values(), strict=True):
        assert rule.name in line and rule.summary in line
        assert ("[*]" in line) is bool(rule.fix)


def test_rule_all_markdown_is_the_reference(cli):
    run = cli("rule", "--all", "--markdown")
    assert run.code == 0
    assert run.out == rules_markdown()


def test_unknown_rule_is_exit_2(cli):
    run = cli("rule", "AL999")
    assert run.code == 2
    assert run.out == ""
    assert "unknown rule 'AL999'" in run.err


def test_version(cli):
    run = cli("--version")
    assert run.code == 0
    assert run.out == f"artifact-lsp {__version__}\n"


def test_no_subcommand_is_exit_2(cli):
    run = cli()
    assert run.code == 2
    assert run.out == ""
    assert "usage: artifact-lsp" in run.err


@pytest.mark.parametrize(
    "argv", [["check", "--format", "xml"], ["frobnicate"], ["check", "--bogus"], ["check", "-j", "two"]]
)
def test_bad_arguments_are_exit_2(cli, argv):
    run = cli(*argv)
    assert run.code == 2
    assert "usage:" in run.err


def test_help_is_exit_0(cli):
    run = cli("check", "--help")
    assert run.code == 0
    for option in (
        "--format",
        "--fail-on",
        "--select",
        "--ignore",
        "--no-disk",
        "--color",
        "--extend-exclude",
        "--config",
    ):
        assert option in run.out


# --------------------------------------------------------------------------- stdin (editor-linter bridges)


@pytest.fixture
def stdin(monkeypatch):
    """``stdin(text_or_bytes)``: what the next ``cli(...)`` call reads from standard input."""
    import io

    def feed(data) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))

    return feed


def test_stdin_filename_lints_the_buffer_as_the_file(repo, cli, stdin):
    on_disk = cli("check", "--format", "json", str(DEV))
    stdin(DEV_MANIFEST)
    piped = cli("check", "--format", "json", "--stdin-filename", str(DEV), "-")
    assert piped == on_disk
    assert where(findings_of(piped)) == [e for e in EXPECTED if e[0] == DEV]
    # without `-`: --stdin-filename alone reads stdin too (as ruff does)
    stdin(DEV_MANIFEST)
    assert cli("check", "--format", "json", "--stdin-filename", str(DEV)) == on_disk


def test_stdin_text_output_names_the_path(repo, cli, stdin):
    stdin(DEV_MANIFEST)
    run = cli("check", "--stdin-filename", str(DEV), "-")
    assert run.code == 1
    assert run.out.splitlines()[0] == f"{DEV}:5:1: AL103 [*] " + run.out.splitlines()[0].split(" [*] ", 1)[1]
    assert run.out == cli("check", str(DEV)).out


def test_stdin_filename_runs_disk_rules_from_that_path(repo, cli, stdin):
    # the buffer of a manifest in a folder that does not exist yet: its config folder is missing
    new = "e2e/artifacts/new/artifact.yml"
    stdin(CLEAN_MANIFEST)
    run = cli("check", "--format", "json", "--stdin-filename", new, "-")
    assert [(f["path"], f["code"]) for f in findings_of(run)] == [(new, "AL401")]
    assert run.code == 1
    # next to its config folder: clean
    stdin(CLEAN_MANIFEST)
    assert cli("check", "--stdin-filename", str(DEV)) == Run(0, "All checks passed! (1 file checked)\n", "")
    # --no-disk: the disk rules stay off
    stdin(CLEAN_MANIFEST)
    assert cli("check", "--no-disk", "--stdin-filename", new, "-").code == 0


def test_stdin_filename_takes_the_config_of_that_path(repo, cli, stdin, write_repo):
    write_repo(repo, {"team/.artifact-lsp.toml": 'ignore = ["AL104"]\n', **_with_config_dir("team/env")}, git=False)
    stdin(DEV_MANIFEST)
    codes = {
        f["code"]
        for f in findings_of(cli("check", "--format", "json", "--stdin-filename", "team/env/artifact.yml", "-"))
    }
    assert codes == {"AL103", "AL105"}
    # control: the same buffer as a file under the repository root's config
    stdin(DEV_MANIFEST)
    codes = {
        f["code"]
        for f in findings_of(
            cli("check", "--format", "json", "--stdin-filename", "e2e/artifacts/dev/artifact.yml", "-")
        )
    }
    assert codes == {"AL103", "AL104", "AL105"}


def test_bare_dash_reads_stdin_without_disk_rules_and_guesses_the_kind(repo, cli, stdin):
    stdin(CLEAN_MANIFEST)  # no config folder next to "-": no disk rules, so clean
    assert cli("check", "-") == Run(0, "All checks passed! (1 file checked)\n", "")
    stdin(DEV_MANIFEST)
    found = findings_of(cli("check", "--format", "json", "-"))
    assert [(f["path"], f["code"]) for f in found] == [("-", "AL103"), ("-", "AL104"), ("-", "AL105")]
    stdin(MATRIX_TEXT)
    assert [f["code"] for f in findings_of(cli("check", "--format", "json", "-"))] == ["AL502"]
    stdin(STAGE_MANIFEST_JSON)
    assert [f["code"] for f in findings_of(cli("check", "--format", "json", "-"))] == ["AL109", "AL104"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-", str(DEV)], "`-` (stdin) cannot be combined with other paths"),
        ([str(DEV), "-"], "`-` (stdin) cannot be combined with other paths"),
        (["-", "-"], "`-` (stdin) given more than once"),
        (["--stdin-filename", str(DEV), str(DEV)], "--stdin-filename reads the buffer from stdin"),
        (["--stdin-filename", "", "-"], "--stdin-filename: expected the path"),
        (["--stdin-filename", "e2e/other.yml", "-"], "--stdin-filename e2e/other.yml: not a file artifact-lsp checks"),
    ],
)
@pytest.mark.parametrize("command", ["check", "fix"])
def test_stdin_misuse_is_one_clear_error(repo, cli, stdin, command, argv, message):
    stdin(DEV_MANIFEST)
    run = cli(command, *argv)
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith(f"error: {message}") and run.err.count("\n") == 1, run.err
    assert (repo / DEV).read_text() == DEV_MANIFEST


def test_stdin_over_max_file_size_is_reported(repo, cli, stdin, write_repo):
    write_repo(repo, {".artifact-lsp.toml": "max-file-size = 64\n"}, git=False)
    stdin(DEV_MANIFEST)
    found = findings_of(cli("check", "--format", "json", "--stdin-filename", str(DEV), "-"))
    assert [f["code"] for f in found] == ["AL004"]
    stdin(b"project: \xff\n")
    found = findings_of(cli("check", "--format", "json", "-"))
    assert [f["code"] for f in found] == ["AL001"]


def test_fix_stdin_prints_the_fixed_buffer(repo, cli, stdin):
    stdin(DEV_MANIFEST)
    run = cli("fix", "--stdin-filename", str(DEV), "-")
    assert run.out == DEV_FIXED
    assert run.err == f"{DEV}: fixed 3 problems (AL103, AL104, AL105); 0 remaining.\n"
    assert run.code == 0
    assert (repo / DEV).read_text() == DEV_MANIFEST  # the file itself is never written
    # nothing to fix: the buffer as it came
    stdin(DEV_FIXED)
    assert cli("fix", "--stdin-filename", str(DEV)) == Run(
        0, DEV_FIXED, f"{DEV}: nothing to fix; 0 problems without an automatic fix.\n"
    )
    # --diff: the diff instead
    stdin(DEV_MANIFEST)
    diff = cli("fix", "--diff", "--stdin-filename", str(DEV), "-")
    assert diff.code == 1
    assert diff.out.startswith(f"--- a/{DEV}\n+++ b/{DEV}\n")
    assert "-  - id: entry-1\n" in diff.out


def test_fix_stdin_keeps_bytes_through_a_real_pipe(repo):
    crlf = ("\ufeff# 日本語 🔥\n" + DEV_MANIFEST).replace("\n", "\r\n").encode("utf-8")
    proc = subprocess.run(
        [console_script(), "fix", "--stdin-filename", str(DEV), "-"],
        cwd=repo,
        input=crlf,
        capture_output=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("\ufeff# 日本語 🔥\n" + DEV_FIXED).replace("\n", "\r\n").encode("utf-8")
    check = subprocess.run(
        [console_script(), "check", "--stdin-filename", str(DEV), "-"],
        cwd=repo,
        input=crlf,
        capture_output=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert check.returncode == 1
    assert check.stdout.decode().splitlines()[0].startswith(f"{DEV}:6:1: AL103 [*] ")


# --------------------------------------------------------------------------- real processes


def test_python_m_matches_in_process(repo, cli):
    in_process = cli("check", "--format", "json")
    proc = subprocess.run(
        [sys.executable, "-m", "artifact_lsp", "check", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == in_process.out
    assert proc.stderr == ""


def test_python_m_text_has_no_colour_when_piped(repo, cli):
    proc = subprocess.run(
        [sys.executable, "-m", "artifact_lsp", "check"],
        cwd=repo,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        timeout=120,
    )
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout
    assert proc.stdout == cli("check").out


def test_python_m_without_subcommand(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "artifact_lsp"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "usage: artifact-lsp" in proc.stderr


def test_console_script_check_fix_and_version(repo):
    script = console_script()
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert (version.returncode, version.stdout) == (0, f"artifact-lsp {__version__}\n")
    check = subprocess.run(
        [script, "check", "--fail-on", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        timeout=120,
    )
    assert check.returncode == 0
    assert f"{DEV}:8:5: AL104 [*] " in check.stdout
    fix = subprocess.run(
        [script, "fix", str(DEV)],
        cwd=repo,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        timeout=120,
    )
    assert fix.returncode == 0, fix.stderr
    assert (repo / DEV).read_text() == DEV_FIXED
    missing = subprocess.run(
        [script, "check", "nope"], cwd=repo, capture_output=True, text=True, env=subprocess_env(), timeout=120
    )
    assert missing.returncode == 2
    assert missing.stderr == "error: nope: no such file or folder\n"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGPIPE")
def test_broken_pipe_is_quiet(tmp_path, write_repo):
    files = {".artifact-lsp.toml": ""}
    for i in range(400):  # far more output than a pipe buffer holds
        files[f"m{i:03d}/artifact.yml"] = DEV_MANIFEST
    root = write_repo(tmp_path / "pipe", files, git=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "artifact_lsp", "check", "-j", "1"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert b"AL103" in first
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert proc.returncode != 0  # stopped early: the report is incomplete


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_hooks_run_existing_subcommands(tmp_path, write_repo, monkeypatch, cli):
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and hooks
    ids = {hook["id"] for hook in hooks}
    assert {"artifact-lsp", "artifact-lsp-fix"} <= ids
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)
    assert {"check", "fix", "rule", "serve"} <= subcommands
    for hook in hooks:
        for key in ("id", "name", "entry", "language", "files"):
            assert key in hook, (hook, key)
        entry = hook["entry"].split()
        assert entry[0] == "artifact-lsp"
        assert entry[1] in subcommands
        files = re.compile(hook["files"])
        assert files.search("e2e/artifacts/dev/artifact.yml")
        assert files.search("e2e/environments/test_matrix.yaml")
        assert files.search("artifact.yml")
        assert not files.search("e2e/artifacts/dev/artifact.yml.bak")
        assert not files.search("docs/my_artifact.yml")
        assert not files.search("e2e/other.yaml")

    by_id = {hook["id"]: hook for hook in hooks}
    assert re.search(by_id["artifact-lsp"]["files"], "e2e/artifacts/stage/artifact.json")
    assert not re.search(by_id["artifact-lsp-fix"]["files"], "e2e/artifacts/stage/artifact.json")

    # run each entry the way pre-commit does: entry + the staged file names
    root = write_repo(tmp_path / "pc", repo_files(), git=False)
    monkeypatch.chdir(root)
    staged = [str(DEV), str(MATRIX)]
    check = cli(*by_id["artifact-lsp"]["entry"].split()[1:], *staged)
    assert check.code == 1
    assert "Found 4 problems" in check.out
    fix = cli(*by_id["artifact-lsp-fix"]["entry"].split()[1:], *staged)
    assert fix.code == 0, fix
    assert (root / DEV).read_text() == DEV_FIXED
    assert cli(*by_id["artifact-lsp"]["entry"].split()[1:], *staged).code == 0
