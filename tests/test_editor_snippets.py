"""The editor setups that are not run in a real editor here (Helix, Zed, Sublime Text, Kate)
and the Emacs snippets: each is a real file under ``editors/`` that its page shows verbatim.
They are parsed (TOML / JSON / Emacs Lisp) and must start ``artifact-lsp serve`` and name the
three file patterns; the server settings each one sends are given to a real server session,
which must accept them, lint ``artifact.yml`` and leave other YAML alone.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from lsp_helpers import SERVER, copy_workspace, open_doc, start

PROJECT = Path(__file__).resolve().parent.parent
EDITORS = PROJECT / "editors"
COMMAND = ["artifact-lsp", "serve"]
PATTERNS = ["**/artifact.yml", "**/artifact.json", "**/test_matrix.yaml"]


def _toml(rel: str) -> dict:
    return tomllib.loads((EDITORS / rel).read_text(encoding="utf-8"))


def _json(rel: str) -> dict:
    return json.loads((EDITORS / rel).read_text(encoding="utf-8"))


def helix() -> dict:
    data = _toml("helix/languages.toml")
    server = data["language-server"]["artifact-lsp"]
    assert [server["command"], *server["args"]] == COMMAND
    languages = [lang for lang in data["language"] if lang.get("language-servers") == ["artifact-lsp"]]
    globs = {ft["glob"] for lang in languages for ft in lang["file-types"]}
    assert globs == {"artifact.yml", "artifact.json", "test_matrix.yaml"}
    assert {lang["grammar"] for lang in languages} == {"yaml", "json"}
    # only its own languages: the built-in yaml keeps yaml-language-server
    assert all(lang["name"].startswith("artifact-") for lang in data["language"])
    return server["config"]


def zed() -> dict:
    data = _json("zed/settings.json")
    server = data["lsp"]["yaml-language-server"]
    assert [server["binary"]["path"], *server["binary"]["arguments"]] == COMMAND
    assert data["file_types"] == {"YAML": ["**/artifact.json"]}
    return server["settings"]


def sublime() -> dict:
    client = _json("sublime/LSP.sublime-settings")["clients"]["artifact-lsp"]
    assert client["enabled"] is True
    assert client["command"] == COMMAND
    assert {s.strip() for s in client["selector"].split("|")} == {"source.yaml", "source.json"}
    return client["settings"]


def kate() -> dict:
    server = _json("kate/settings.json")["servers"]["yaml"]
    assert server["command"] == COMMAND
    assert re.search(server["highlightingModeRegex"], "YAML")
    assert ".git" in server["rootIndicationFileNames"]
    return server["settings"]


SNIPPETS = {"helix": helix, "zed": zed, "sublime": sublime, "kate": kate}
FILES = {"helix": "languages.toml", "zed": "settings.json", "sublime": "LSP.sublime-settings", "kate": "settings.json"}


@pytest.mark.parametrize("editor", sorted(SNIPPETS))
def test_snippet_starts_the_server_for_the_three_files(editor):
    settings = SNIPPETS[editor]()
    assert settings == {"artifactLsp": {"documentGlobs": PATTERNS}}


@pytest.mark.parametrize("editor", sorted(FILES))
def test_page_shows_the_file_verbatim_and_how_to_install(editor):
    page = (EDITORS / editor / "README.md").read_text(encoding="utf-8")
    snippet = (EDITORS / editor / FILES[editor]).read_text(encoding="utf-8")
    assert f"\n{snippet}```" in page, f"editors/{editor}/README.md does not show {FILES[editor]} as it is"
    assert "uv tool install /path/to/artifact-lsp" in page
    assert f"]({FILES[editor]})" in page


@pytest.mark.parametrize("name", ["artifact-lsp-eglot.el", "artifact-lsp-lsp-mode.el"])
def test_emacs_snippets(name):
    text = (EDITORS / "emacs" / name).read_text(encoding="utf-8")
    assert '("artifact-lsp" "serve")' in text
    for pattern in ('"/artifact\\\\.yml\\\\\'"', '"/test_matrix\\\\.yaml\\\\\'"', '"/artifact\\\\.json\\\\\'"'):
        assert pattern in text, pattern
    assert f"\n{text}```" in (EDITORS / "emacs" / "README.md").read_text(encoding="utf-8")
    if shutil.which("emacs") is None:
        pytest.skip("emacs is not installed: the forms are not read")
    # every form reads (balanced, valid syntax), without loading lsp-mode or eglot
    proc = subprocess.run(
        [
            "emacs",
            "--batch",
            "-Q",
            "--eval",
            f"(with-temp-buffer (insert-file-contents {json.dumps(str(EDITORS / 'emacs' / name))})"
            ' (goto-char (point-min)) (condition-case nil (while t (read (current-buffer))) (end-of-file (princ "read-ok"))))',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout == "read-ok", proc.stderr


@pytest_lsp.fixture(config=SERVER)
async def bare(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest.mark.parametrize("editor", sorted(SNIPPETS))
async def test_the_server_accepts_the_snippets_settings(editor, bare: LanguageClient, tmp_path):
    settings = SNIPPETS[editor]()["artifactLsp"]
    root = copy_workspace(tmp_path)
    await start(bare, "neovim", root, settings=settings)
    manifest = open_doc(bare, root / "e2e/artifacts/e2e-docker/artifact.yml")
    report = await bare.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=manifest))
    )
    assert "AL104" in {d.code for d in report.items}
    other = open_doc(bare, root / "other.yml")
    report = await bare.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=other))
    )
    assert list(report.items) == []
    assert [m.message for m in bare.messages if m.type == lsp.MessageType.Error] == []
