"""artifact-lsp next to yaml-language-server, in a real headless Neovim 0.11 (docs/yamlls.md).

yaml-language-server gets the contract schema the way docs/schema.md wires it
(``yaml.schemas``: the output of ``artifact-lsp schema`` for ``**/artifact.yml``), and both
servers are enabled (``tests/neovim/yamlls.lua`` drives Neovim; the assertions are here):

- **naive** (the control, what the issue observed): each legacy key is reported three times
  (ours, the schema's deprecationMessage, its "Matches a schema that is not allowed"), hover
  and completion come from both servers;
- **recipe** (``editors/neovim/recipes/yamlls.lua`` loaded as it is): yamlls never attaches to
  the manifest; exactly the engine's findings, one hover, one completion list;
- **noschema** (the VS Code recipe's effect: vscode-yaml runs yaml-language-server, the
  contract schema is not mapped to the three files): yamlls is attached but silent; the same.

In every mode yamlls is alive: it reports the syntax errors of another YAML file.
yaml-language-server comes from npm (1.25.0, the version the benchmarks use) into
``.cache/yaml-language-server/`` on first use; skipped when npm or node is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from test_neovim import EXAMPLES, LEGACY, PLUGIN, SERVER_CMD, expected_diagnostics, find_nvim

PROJECT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).resolve().parent / "neovim" / "yamlls.lua"
RECIPE = PLUGIN / "recipes" / "yamlls.lua"
YAML_LS_VERSION = "1.25.0"
CACHE = PROJECT / ".cache" / "yaml-language-server"
MANIFEST = Path("e2e/artifacts/e2e-docker/artifact.yml")


def _yaml_ls() -> Path:
    entry = CACHE / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    if entry.exists():
        return entry
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("yaml-language-server needs node and npm, which are not installed")
    CACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
            str(CACHE),
            f"yaml-language-server@{YAML_LS_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0 or not entry.exists():
        pytest.skip(f"npm could not install yaml-language-server@{YAML_LS_VERSION}: {proc.stderr.strip()[-400:]}")
    return entry


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[str, Path]:
    binary, why = find_nvim()
    if binary is None:
        pytest.skip(why)
    return binary, _yaml_ls()


def _run(setup, tmp: Path, mode: str) -> tuple[dict, Path]:
    nvim, yaml_ls = setup
    repo = tmp / "repo"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".artifact-lsp"))
    (repo / "broken.yml").write_text("a: [1, 2\nb: {\n", encoding="utf-8")
    schema = tmp / "artifact.schema.json"
    subprocess.run(
        [sys.executable, "-m", "artifact_lsp", "schema", "-o", str(schema)], cwd=repo, check=True, timeout=120
    )
    out = tmp / f"{mode}.json"
    home = tmp / "home"
    env = {
        **os.environ,
        "YAMLLS_MODE": mode,
        "YAMLLS_REPO": str(repo),
        "YAMLLS_OUT": str(out),
        "YAMLLS_ARTIFACT_CMD": json.dumps(SERVER_CMD),
        "YAMLLS_CMD": json.dumps(["node", str(yaml_ls), "--stdio"]),
        "YAMLLS_SCHEMA": str(schema),
        "YAMLLS_RECIPE": str(RECIPE),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    argv = [nvim, "--headless", "--clean", "-n", "--cmd", f"set rtp+={PLUGIN}", "-c", f"luafile {DRIVER}"]
    proc = subprocess.run(
        argv, cwd=repo, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL
    )
    assert out.exists(), f"nvim wrote no result ({proc.returncode}): {proc.stderr[-2000:]}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["ok"], f"{mode}: failed at {data['steps'][-1:]}: {data['error']}"
    # yamlls runs in every mode: it reports the other file's syntax errors
    assert "yamlls" in data["other_clients"]
    assert any(d["client"] == "yamlls" for d in data["other"])
    return data, repo


@pytest.fixture(scope="module")
def runs(setup, tmp_path_factory) -> dict:
    return {mode: _run(setup, tmp_path_factory.mktemp(mode), mode) for mode in ("naive", "recipe", "noschema")}


def _engine(repo: Path) -> list[tuple]:
    return sorted((code, line, col) for code, line, col, _el, _ec in expected_diagnostics(repo / MANIFEST))


def _seen(data: dict) -> list[tuple]:
    return sorted((d["code"], d["lnum"], d["col"]) for d in data["diagnostics"])


def test_naive_setup_reports_every_legacy_key_three_times(runs):
    """The control: without the recipe the doubling is real (so the recipe tests can fail)."""
    data, repo = runs["naive"]
    legacy = [(code, line, col) for code, line, col in _engine(repo) if code in LEGACY]
    assert legacy
    theirs = [d for d in data["diagnostics"] if d["client"] == "yamlls"]
    assert len(theirs) == 2 * len(legacy)
    at_key = Counter((d["lnum"], d["col"]) for d in data["diagnostics"])
    for _code, line, col in legacy:
        assert at_key[(line, col)] == 2, (line, col)  # ours and the schema's deprecation message
    assert sum("Matches a schema that is not allowed" in d["message"] for d in theirs) == len(legacy)
    assert data["hover"] == ["artifact_lsp", "yamlls"]
    assert data["completion"] == ["artifact_lsp", "yamlls"]


@pytest.mark.parametrize("mode", ["recipe", "noschema"])
def test_with_the_recipe_each_legacy_key_is_reported_once(runs, mode):
    data, repo = runs[mode]
    assert data["clients"] == (["artifact_lsp"] if mode == "recipe" else ["artifact_lsp", "yamlls"])
    assert {d["client"] for d in data["diagnostics"]} == {"artifact_lsp"}
    assert _seen(data) == _engine(repo)
    at_key = Counter((d["lnum"], d["col"]) for d in data["diagnostics"])
    for code, line, col in _engine(repo):
        if code in LEGACY:
            assert at_key[(line, col)] == 1, (code, line, col)


@pytest.mark.parametrize("mode", ["recipe", "noschema"])
def test_with_the_recipe_hover_and_completion_come_once(runs, mode):
    data, _repo = runs[mode]
    assert data["hover"] == ["artifact_lsp"]
    assert data["completion"] == ["artifact_lsp"]


def test_the_doc_shows_the_recipe_as_it_is():
    doc = (PROJECT / "docs" / "yamlls.md").read_text(encoding="utf-8")
    assert f"```lua\n{RECIPE.read_text(encoding='utf-8')}```" in doc
