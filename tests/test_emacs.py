"""Emacs, for real: ``editors/emacs/artifact-lsp-eglot.el`` and ``artifact-lsp-lsp-mode.el``
(the snippets the page tells users to copy) loaded as they are into ``emacs --batch``, on a
temporary git copy of ``examples/``. ``tests/emacs/driver.el`` opens the docker manifest, waits
until the client's diagnostics are in flymake, applies the preferred quick fix on the ``id``
key (eglot: ``M-x eglot-code-actions RET``; lsp-mode: the preferred action of
``lsp-code-actions-at-point`` through ``lsp-execute-code-action``) and waits for the server's
report of the edited text.

Needs Debian's ``emacs-nox``, ``elpa-eglot`` and ``elpa-yaml-mode`` (``.ci/run`` installs them),
and ``elpa-lsp-mode`` for the lsp-mode case; skipped, naming what is missing, without them. The
server is this checkout's ``artifact-lsp`` (the console script next to the running interpreter,
put first on PATH), started by the snippet's own ``("artifact-lsp" "serve")``.
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
SNIPPETS = {"eglot": "artifact-lsp-eglot.el", "lsp-mode": "artifact-lsp-lsp-mode.el"}
ELPA = Path("/usr/share/emacs/site-lisp/elpa")
DRIVER = Path(__file__).resolve().parent / "emacs" / "driver.el"
MANIFEST = Path("e2e/artifacts/e2e-docker/artifact.yml")
LEGACY = {"AL101", "AL102", "AL103", "AL104", "AL105", "AL106", "AL107", "AL108"}


def _missing(client: str) -> list[str]:
    missing = []
    if shutil.which("emacs") is None:
        missing.append("emacs-nox")
    packages = [
        ("elpa-yaml-mode", "yaml-mode-"),
        ("elpa-eglot", "eglot-") if client == "eglot" else ("elpa-lsp-mode", "lsp-mode-"),
    ]
    for package, prefix in packages:
        if not (ELPA.is_dir() and any(p.name.startswith(prefix) for p in ELPA.iterdir())):
            missing.append(package)
    if shutil.which("git") is None:
        missing.append("git")
    return missing


def _findings(path: Path, text: str | None = None) -> list[tuple[int, int, str, str]]:
    """(line, code point column, code, message) of what the engine reports."""
    config = load_config(path)
    result = lint_path(path, config) if text is None else lint_text(text, path=path, config=config)
    index = result.index
    out = []
    for f in result.findings:
        line, col = index.position(f.start, "utf-32")
        out.append((line + 1, col, f.code, f.message))
    return out


def _shown(diags: list[dict], client: str) -> list[tuple[int, int, str | None, str]]:
    """What flymake shows: eglot writes "artifact-lsp [CODE]: message", lsp-mode the message."""
    out = []
    for d in diags:
        if client == "eglot":
            assert d["text"].startswith("artifact-lsp [AL"), d
            code, message = d["text"][len("artifact-lsp [") :].split("]: ", 1)
        else:
            code, message = None, d["text"]
        out.append((d["line"], d["column"], code, message))
    return out


def _comparable(rows, client):
    return [(line, col, code if client == "eglot" else None, message) for line, col, code, message in rows]


@pytest.fixture(scope="module", params=sorted(SNIPPETS))
def session(request, tmp_path_factory) -> tuple[dict, Path, str, str]:
    client = request.param
    missing = _missing(client)
    if missing:
        pytest.skip(f"{client}: needs Debian's {', '.join(missing)} (.ci/run installs them)")
    root = tmp_path_factory.mktemp(f"emacs-{client}") / "examples"
    shutil.copytree(PROJECT / "examples", root)
    (root / MANIFEST.parent / "other.yml").write_text("id: not ours\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, timeout=60)  # project.el: the workspace root
    original = (root / MANIFEST).read_text(encoding="utf-8")
    out = root.parent / "report.json"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        ARTIFACT_LSP_CLIENT=client,
        ARTIFACT_LSP_SNIPPET=str(PROJECT / "editors" / "emacs" / SNIPPETS[client]),
        ARTIFACT_LSP_FILE=str(root / MANIFEST),
        ARTIFACT_LSP_OUT=str(out),
    )
    proc = subprocess.run(
        ["emacs", "--batch", "-l", str(DRIVER)], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.exists(), f"emacs wrote no report ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["status"] == "ok", {k: v for k, v in report.items() if k not in ("before", "after")}
    return report, root, original, client


def test_the_snippet_starts_artifact_lsp_for_manifests_only(session):
    report, _root, _original, _client = session
    assert report["major-mode"] == "artifact-yaml-mode"
    assert report["server-command"] == ["artifact-lsp", "serve"]
    # any other YAML keeps yaml-mode and gets no artifact-lsp
    assert report["other-mode"] == "yaml-mode"
    assert report["other-managed"] is False


def test_flymake_shows_exactly_the_engines_findings(session):
    report, root, original, client = session
    expected = _findings(root / MANIFEST, original)
    assert _shown(report["before"], client) == _comparable(expected, client)
    assert LEGACY & {code for _l, _c, code, _m in expected} >= {"AL101", "AL102", "AL103", "AL104", "AL105"}
    kinds = {code: report["before"][i]["type"] for i, (_l, _c, code, _m) in enumerate(expected)}
    assert kinds["AL104"] == ("eglot-error" if client == "eglot" else ":error")
    assert kinds["AL202"] == ("eglot-warning" if client == "eglot" else ":warning")


def test_quick_fix_removes_the_key_and_diagnostics_follow(session):
    report, root, original, client = session
    assert report["offered"][0] == "Remove legacy key 'id' (AL104)"
    assert "Ignore AL104 on this line" in report["offered"]
    fixed = original.replace("  - id: template-e2e-5f1c2a90\n    artifact_root:", "  - artifact_root:", 1)
    assert fixed != original
    assert report["text-after-fix"] == fixed
    after = _findings(root / MANIFEST, fixed)
    assert _shown(report["after"], client) == _comparable(after, client)
    assert "AL104" not in {code for _l, _c, code, _m in after}
