"""The install routes the README and editors/*/README.md name, run for real: from this
repository or its build artifacts only (nothing here is on a package index).

- ``uv build`` gives a wheel and an sdist that ship the rules reference every docs link opens;
- ``uv tool install <wheel>`` / ``uv tool install <checkout>`` put a working ``artifact-lsp``
  on PATH whose default docs links are ``file:`` URIs of a file inside the installed package;
- ``uvx --from git+file://<clone>@<commit>`` (the GitHub Actions route) runs the CLI;
- pre-commit, with the real ``pre-commit`` tool (a dev dependency) in a throwaway repository:
  ``repo: <path or URL of a clone>`` + ``rev: <commit>`` for both hooks of
  ``.pre-commit-hooks.yaml``, and ``repo: local`` with ``language: system``.

Each test works on a copy of the files git tracks (plus untracked, not ignored ones: the
working tree as it is), committed into a throwaway repository, so a route is tested on exactly
what a user would get from this checkout. They need ``git`` and ``uv``, and the package index
(or uv's cache) for the dependencies; they skip, saying so, when those are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from artifact_lsp import __version__

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"
SHIPPED = PROJECT / "server" / "artifact_lsp" / "rules.md"
TIMEOUT = 600

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("uv") is None, reason="needs git and uv")


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "NO_COLOR")}
    env.update(extra)
    return env


def _run(argv, cwd, env=None, ok=True, input=None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=TIMEOUT, input=input
    )
    if ok and proc.returncode != 0:
        raise AssertionError(f"{argv} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _git(*argv, cwd) -> str:
    return _run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *argv], cwd=cwd).stdout.strip()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, str]:
    """A throwaway git repository holding this checkout's files, and its one commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        timeout=120,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot list the repository's files")
    src = tmp_path_factory.mktemp("artifact-lsp-src")
    for rel in filter(None, listed.stdout.decode().split("\0")):
        origin = PROJECT / rel
        if not origin.is_file():  # listed but deleted in the working tree
            continue
        target = src / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
    _git("init", "-q", cwd=src)
    _git("add", "-A", cwd=src)
    _git("commit", "-q", "-m", "artifact-lsp", cwd=src)
    return src, _git("rev-parse", "HEAD", cwd=src)


def _user_repo(tmp_path: Path, config: str | None = None) -> Path:
    """The user's repository: the examples, in git."""
    repo = tmp_path / "user"
    shutil.copytree(EXAMPLES, repo)
    if config is not None:
        (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "fixtures", cwd=repo)
    return repo


def _assert_offline_links(report: dict, inside: Path) -> None:
    assert report["findings"]
    for finding in report["findings"]:
        link = urlsplit(finding["url"])
        assert link.scheme == "file", finding["url"]
        target = Path(url2pathname(link.path))
        assert target.is_file(), finding["url"]
        assert inside.resolve() in target.resolve().parents, (target, inside)
        assert f'<a id="{link.fragment}"></a>' in target.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- build artifacts


@pytest.fixture(scope="module")
def dist(source, tmp_path_factory) -> Path:
    src, _sha = source
    out = tmp_path_factory.mktemp("dist")
    proc = _run(["uv", "build", "--out-dir", out, src], cwd=src, ok=False)
    if proc.returncode != 0:
        pytest.skip(f"uv build failed (no package index or cache for hatchling?): {proc.stderr.strip()[-400:]}")
    return out


def test_wheel_and_sdist_ship_the_rules_reference(dist):
    wheel = next(dist.glob("artifact_lsp-*.whl"))
    sdist = next(dist.glob("artifact_lsp-*.tar.gz"))
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("artifact_lsp/rules.md").decode("utf-8") == SHIPPED.read_text(encoding="utf-8")
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
        assert any(n.endswith("/server/artifact_lsp/rules.md") for n in names), names


@pytest.mark.parametrize("route", ["wheel", "checkout"])
def test_uv_tool_install(route, dist, source, tmp_path):
    """`uv tool install dist/artifact_lsp-….whl` and `uv tool install /path/to/checkout`."""
    src, _sha = source
    target = next(dist.glob("artifact_lsp-*.whl")) if route == "wheel" else src
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    env = _env(UV_TOOL_DIR=str(tools), UV_TOOL_BIN_DIR=str(bin_dir))
    proc = _run(["uv", "tool", "install", target], cwd=tmp_path, env=env, ok=False)
    if proc.returncode != 0:
        pytest.skip(f"uv tool install failed (no package index or cache?): {proc.stderr.strip()[-400:]}")
    exe = bin_dir / "artifact-lsp"
    assert _run([exe, "--version"], cwd=tmp_path).stdout == f"artifact-lsp {__version__}\n"
    repo = _user_repo(tmp_path)
    check = _run([exe, "check", "--format", "json"], cwd=repo, ok=False)
    assert check.returncode == 1, check.stderr
    report = json.loads(check.stdout)
    assert {f["code"] for f in report["findings"]} >= {"AL101", "AL104", "AL501"}
    # the docs links open a file of the installed package, not of this checkout
    _assert_offline_links(report, tools)


@pytest.mark.parametrize("route", ["git", "path"])
def test_uvx_from_the_repository(route, source, tmp_path):
    """`uvx --from git+<URL of your clone>@<commit> artifact-lsp …` (the GitHub Actions route)
    and `uvx --from /path/to/checkout artifact-lsp …`."""
    src, sha = source
    repo = _user_repo(tmp_path)
    origin = f"git+{src.as_uri()}@{sha}" if route == "git" else str(src)
    proc = _run(["uvx", "--from", origin, "artifact-lsp", "check", "--format", "github"], cwd=repo, ok=False)
    if proc.returncode not in (0, 1) or not proc.stdout:
        pytest.skip(f"uvx could not install from the clone (no package index or cache?): {proc.stderr.strip()[-400:]}")
    assert proc.returncode == 1
    assert "::error file=e2e/artifacts/e2e-docker/artifact.yml,line=11,col=5," in proc.stdout


# --------------------------------------------------------------------------- pre-commit


def _pre_commit() -> Path:
    exe = Path(sys.executable).parent / "pre-commit"
    if not exe.exists():
        pytest.skip("pre-commit is not installed (it is a dev dependency: uv sync)")
    return exe


def _legacy_count(repo: Path) -> int:
    """How many fixable findings `artifact-lsp check` still sees in ``repo`` (this checkout's CLI)."""
    proc = _run([sys.executable, "-m", "artifact_lsp", "check", "--format", "json", "--fail-on", "never"], cwd=repo)
    return sum(f["fixable"] for f in json.loads(proc.stdout)["findings"])


def _run_hooks(repo: Path, home: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = _env(PRE_COMMIT_HOME=str(home), **(env or {}))
    return _run([_pre_commit(), "run", "--all-files", "--color", "never"], cwd=repo, env=env, ok=False)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.parametrize("hook", ["artifact-lsp", "artifact-lsp-fix"])
def test_pre_commit_from_a_path_and_a_commit(hook, source, pre_commit_home, tmp_path):
    src, sha = source
    config = f"repos:\n  - repo: {src}\n    rev: {sha}\n    hooks:\n      - id: {hook}\n"
    repo = _user_repo(tmp_path, config)
    before = _legacy_count(repo)
    assert before > 0
    proc = _run_hooks(repo, pre_commit_home)
    output = proc.stdout + proc.stderr
    if "An unexpected error has occurred" in output or "CalledProcessError" in output:
        pytest.skip(f"pre-commit could not build the hook environment (no package index?): {output[-600:]}")
    assert proc.returncode == 1, output
    if hook == "artifact-lsp":
        assert "artifact-lsp check" in output and "Failed" in output
        assert "e2e/artifacts/e2e-docker/artifact.yml:11:5: AL104 [*] legacy key 'artifacts[0].id'" in output
        assert _legacy_count(repo) == before  # reports, never writes
    else:
        assert "artifact-lsp fix" in output and "files were modified by this hook" in output
        assert "e2e/artifacts/e2e-docker/artifact.yml: fixed 7 problems" in output
        assert _legacy_count(repo) == 0
        # the second run has nothing left to fix (problems without a fix still fail it)
        again = _run_hooks(repo, pre_commit_home)
        assert "files were modified by this hook" not in again.stdout


def test_pre_commit_repo_local_with_the_installed_command(pre_commit_home, tmp_path):
    """`repo: local`, `language: system`: the `artifact-lsp` on PATH (e.g. from `uv tool install`)."""
    config = (
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: artifact-lsp\n"
        "        name: artifact-lsp check\n"
        "        entry: artifact-lsp check\n"
        "        language: system\n"
        "        files: (^|/)(artifact\\.yml|artifact\\.json|test_matrix\\.yaml)$\n"
        "      - id: artifact-lsp-fix\n"
        "        name: artifact-lsp fix\n"
        "        entry: artifact-lsp fix\n"
        "        language: system\n"
        "        files: (^|/)(artifact\\.yml|test_matrix\\.yaml)$\n"
    )
    repo = _user_repo(tmp_path, config)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    proc = _run_hooks(repo, pre_commit_home, {"PATH": path})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "e2e/artifacts/e2e-docker/artifact.yml:11:5: AL104 [*]" in output
    assert "files were modified by this hook" in output
    assert _legacy_count(repo) == 0


def test_the_hooks_file_names_what_the_docs_use():
    """`.pre-commit-hooks.yaml` has exactly the two hook ids the README documents."""
    import yaml

    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["artifact-lsp", "artifact-lsp-fix"]
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for hook in hooks:
        assert f"id: {hook['id']}" in readme
    assert "github.com/artifact-lsp" not in readme
    assert "uvx --from artifact-lsp" not in readme
