"""Emacs + eglot, for real: ``editors/emacs/artifact-lsp-eglot.el`` (the snippet the page tells
users to copy) loaded as it is into ``emacs --batch``, on a temporary git copy of
``examples/``. ``tests/emacs/driver.el`` opens the docker manifest, waits until eglot's
diagnostics are in flymake, runs ``M-x eglot-code-actions RET`` (the preferred action) on the
``id`` key and waits for the server's report of the edited text.

Needs Debian's ``emacs-nox``, ``elpa-eglot`` and ``elpa-yaml-mode`` (``.ci/run`` installs them);
skipped, naming what is missing, without them. The server is this checkout's ``artifact-lsp``
(the console script next to the running interpreter, put first on PATH), started by the
snippet's own ``("artifact-lsp" "serve")``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from artifact_lsp.engine.config import load_config
from artifact_lsp.engine.linter import lint_path, lint_text

PROJECT = Path(__file__).resolve().parent.parent
SNIPPET = PROJECT / "editors" / "emacs" / "artifact-lsp-eglot.el"
DRIVER = Path(__file__).resolve().parent / "emacs" / "driver.el"
MANIFEST = Path("e2e/artifacts/e2e-docker/artifact.yml")
LEGACY = {"AL101", "AL102", "AL103", "AL104", "AL105", "AL106", "AL107", "AL108"}


def _missing() -> list[str]:
    missing = []
    if shutil.which("emacs") is None:
        missing.append("emacs-nox")
    elapsed = Path("/usr/share/emacs/site-lisp/elpa")
    for package, prefix in (("elpa-eglot", "eglot-"), ("elpa-yaml-mode", "yaml-mode-")):
        if not (elapsed.is_dir() and any(p.name.startswith(prefix) for p in elapsed.iterdir())):
            missing.append(package)
    if shutil.which("git") is None:
        missing.append("git")
    return missing


pytestmark = pytest.mark.skipif(bool(_missing()), reason=f"needs Debian's {', '.join(_missing())} (.ci/run installs them)")


def _findings(path: Path, text: str | None = None) -> list[tuple[int, int, str]]:
    config = load_config(path)
    result = lint_path(path, config) if text is None else lint_text(text, path=path, config=config)
    index = result.index
    out = []
    for f in result.findings:
        line, col = index.position(f.start, "utf-32")
        out.append((line + 1, col, f.code))
    return out


def _shown(diags: list[dict]) -> list[tuple[int, int, str]]:
    out = []
    for d in diags:
        assert d["text"].startswith("artifact-lsp [AL"), d
        out.append((d["line"], d["column"], d["text"].split("[", 1)[1].split("]", 1)[0]))
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> tuple[dict, Path, str]:
    root = tmp_path_factory.mktemp("emacs") / "examples"
    shutil.copytree(PROJECT / "examples", root)
    (root / MANIFEST.parent / "other.yml").write_text("id: not ours\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, timeout=60)  # project.el: the workspace root
    original = (root / MANIFEST).read_text(encoding="utf-8")
    out = root.parent / "report.json"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(ARTIFACT_LSP_SNIPPET=str(SNIPPET), ARTIFACT_LSP_FILE=str(root / MANIFEST), ARTIFACT_LSP_OUT=str(out))
    proc = subprocess.run(
        ["emacs", "--batch", "-l", str(DRIVER)], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.exists(), f"emacs wrote no report ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["status"] == "ok", {k: v for k, v in report.items() if k not in ("before", "after")}
    return report, root, original


def test_the_snippet_starts_artifact_lsp_for_manifests_only(session):
    report, _root, _original = session
    assert report["major-mode"] == "artifact-yaml-mode"
    assert report["server-command"] == ["artifact-lsp", "serve"]
    # any other YAML keeps yaml-mode and gets no artifact-lsp
    assert report["other-mode"] == "yaml-mode"
    assert report["other-managed"] is False


def test_flymake_shows_exactly_the_engines_findings(session):
    report, root, original = session
    expected = _findings(root / MANIFEST, original)
    assert _shown(report["before"]) == expected
    assert LEGACY & {code for _l, _c, code in expected} >= {"AL101", "AL102", "AL103", "AL104", "AL105"}
    by_code = {d["text"].split("]", 1)[0] + "]": d for d in report["before"]}
    assert by_code["artifact-lsp [AL104]"]["type"] == "eglot-error"
    assert by_code["artifact-lsp [AL202]"]["type"] == "eglot-warning"


def test_quick_fix_removes_the_key_and_diagnostics_follow(session):
    report, root, original = session
    assert report["offered"][0] == "Remove legacy key 'id' (AL104)"
    assert "Ignore AL104 on this line" in report["offered"]
    fixed = original.replace("  - id: template-e2e-5f1c2a90\n    artifact_root:", "  - artifact_root:", 1)
    assert fixed != original
    assert report["text-after-fix"] == fixed
    after = _shown(report["after"])
    assert after == _findings(root / MANIFEST, fixed)
    assert "AL104" not in {code for _l, _c, code in after}
