"""Big documents (issue 10, item 10): an oversized document costs nothing (its size is checked
before anything is built from its text), and small documents never wait behind a big lint.

The server runs under ``fault_server.py``: it traps building a line index, a parse or a
completion context from an oversized text, and holds big lints on a FIFO for as long as the
test needs (no timing).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from raw_lsp import PUSH, RawClient, codes

DATA = Path(__file__).parent / "data" / "ws"
HERE = Path(__file__).parent


@pytest.fixture
def ws(tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(DATA, root)
    return root


def start(env: dict, ws: Path, settings: dict | None = None) -> RawClient:
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client = RawClient([sys.executable, str(HERE / "fault_server.py")])
    finally:
        os.environ.clear()
        os.environ.update(old)
    client.settings = settings
    client.call(
        "initialize",
        {
            "processId": None,
            "rootUri": ws.as_uri(),
            "capabilities": PUSH,
            "workspaceFolders": [{"uri": ws.as_uri(), "name": "ws"}],
            "initializationOptions": {"settings": settings or {}},
        },
    )
    client.notify("initialized", {})
    return client


def open_text(client: RawClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}}
    )
    return uri


def at(uri: str, line: int = 0, character: int = 2) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def test_an_oversized_document_costs_nothing(ws):
    limit = 20_000
    client = start({"ARTIFACT_LSP_TEST_TRAP_OVER": str(limit)}, ws, {"maxFileSize": 10_000})
    try:
        big = ws / "e2e/artifacts/e2e-big/artifact.yml"
        text = 'schema_version: "1"\nartifacts:\n' + "".join(
            f"  - id: x{i}\n    artifact_root: r\n" for i in range(2000)
        )
        assert len(text) > limit
        uri = open_text(client, big, text)
        report = client.wait_published(uri)
        assert codes(report["params"]["diagnostics"]) == ["AL004"]
        for method, params in (
            ("textDocument/completion", at(uri)),
            ("textDocument/hover", at(uri)),
            ("textDocument/documentSymbol", {"textDocument": {"uri": uri}}),
            (
                "textDocument/codeAction",
                {
                    **at(uri),
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}},
                    "context": {"diagnostics": []},
                },
            ),
            ("textDocument/codeLens", {"textDocument": {"uri": uri}}),
        ):
            answer = client.wait_response(
                client.request(
                    method,
                    {k: v for k, v in params.items() if k != "position"}
                    if method in ("textDocument/codeAction",)
                    else params,
                )
            )
            assert "error" not in answer, (method, answer)
        errors = [m for m in client.log if m.get("method") == "window/logMessage" and m["params"]["type"] == 1]
        assert errors == [], errors
    finally:
        client.close()


def test_small_documents_never_wait_behind_big_lints(ws, tmp_path):
    hold = tmp_path / "hold"
    os.mkfifo(hold)
    client = start({"ARTIFACT_LSP_TEST_HOLD_BIG_LINT": str(hold)}, ws)
    try:
        entry = "  - artifact_root: entries/x\n    runtime_config_dir: config\n    image_prewarm: all\n"
        big_text = 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n' + entry * 6000
        assert len(big_text) > 256 * 1024
        bigs = []
        for name in ("e2e-big-1", "e2e-big-2", "e2e-big-3"):
            bigs.append(open_text(client, ws / "e2e/artifacts" / name / "artifact.yml", big_text))
        small = ws / "e2e/artifacts/e2e-docker/artifact.yml"
        uri = open_text(client, small, small.read_text())
        report = client.wait_published(uri, lambda items: "AL104" in codes(items))
        assert report["params"]["version"] == 1
        hover = client.call("textDocument/hover", at(uri, 7, 5))
        assert hover is not None
        assert not any(p["uri"] in bigs for p in client.publications())  # the big lints are still held
        with open(hold, "wb") as fifo:
            fifo.write(b"go")
        for big in bigs:
            client.wait_published(big, lambda items: "AL105" in codes(items))
    finally:
        client.close()
