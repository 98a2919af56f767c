"""The early ``initialize`` answer (``server/capabilities.py``, sent before pygls and
lsprotocol are imported) equals what pygls computes from the registered features, for every
client. A feature added without updating the table fails here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lsprotocol import types as lsp
from pytest_lsp import client_capabilities

from artifact_lsp.lsp import create_server
from artifact_lsp.lsp.capabilities import initialize_result

EXTRA = {
    "empty": {},
    "utf-32 first": {"general": {"positionEncodings": ["utf-32", "utf-8"]}},
    "unknown encodings": {"general": {"positionEncodings": ["ebcdic"]}},
    "everything": {
        "general": {"positionEncodings": ["utf-16"]},
        "notebookDocument": {"synchronization": {"dynamicRegistration": True}},
        "textDocument": {
            "synchronization": {"willSave": True, "willSaveWaitUntil": True},
            "rename": {"prepareSupport": True},
        },
        "workspace": {
            "fileOperations": {
                k: True for k in ("willCreate", "didCreate", "willDelete", "didDelete", "willRename", "didRename")
            }
        },
    },
}


def pygls_answer(params: dict) -> dict:
    ls = create_server()
    converter = ls.protocol._converter
    structured = converter.structure(params, lsp.InitializeParams)
    gen = ls.protocol.lsp_initialize(structured)
    step = next(gen)
    while True:
        handler, args, kwargs = step
        value = handler(*args, **(kwargs or {}))
        try:
            step = gen.send(value)
        except StopIteration as stop:
            return converter.unstructure(stop.value)


def profiles():
    out = {}
    for name in ("visual_studio_code", "neovim"):
        out[name] = lsp_to_json(client_capabilities(name))
    out.update(EXTRA)
    return out


def lsp_to_json(caps) -> dict:
    ls = create_server()
    return ls.protocol._converter.unstructure(caps)


@pytest.mark.parametrize("name,caps", sorted(profiles().items()))
def test_early_answer_equals_pygls(name, caps):
    params = {"processId": None, "rootUri": None, "capabilities": caps}
    # as sent: pygls writes its answer with json.dumps (an encoding enum is its string)
    assert initialize_result(params) == json.loads(json.dumps(pygls_answer(params)))


@pytest.mark.parametrize(
    "params",
    [
        None,
        "x",
        {"capabilities": "x"},
        {"capabilities": {}, "processId": "12"},
        {"capabilities": {}, "workspaceFolders": [{"uri": 1}]},
    ],
)
def test_params_pygls_would_refuse_get_no_early_answer(params):
    assert initialize_result(params) is None


def test_the_serve_command_answers_before_importing_pygls(tmp_path):
    """``serve`` answers initialize from the table; pygls' later answer is not sent again."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['artifact-lsp', 'serve']\n"
        "from artifact_lsp import entry\n"
        "import threading\n"
        "seen = {}\n"
        "orig = sys.stdout.buffer.write\n"
        "class Out:\n"
        "    def __init__(self, raw): self.raw = raw\n"
        "    def write(self, data):\n"
        "        seen.setdefault('lsprotocol', 'lsprotocol.types' in sys.modules)\n"
        "        return self.raw.write(data)\n"
        "    def flush(self): return self.raw.flush()\n"
        "    def close(self): return self.raw.close()\n"
        "    def fileno(self): return self.raw.fileno()\n"
        "from artifact_lsp.lsp import transport, create_server\n"
        "import os\n"
        "def slow_factory():\n"
        "    import time; time.sleep(0)\n"
        "    return create_server()\n"
        "out = Out(sys.stdout.buffer)\n"
        "code = transport.serve_stdio_lazy(create_server, sys.stdin.buffer, out)\n"
        "sys.stderr.write('FIRST-WRITE-HAD-LSPROTOCOL=%s\\n' % seen.get('lsprotocol'))\n"
        "sys.exit(code)\n"
    )

    def frame(obj):
        body = json.dumps(obj).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=b"".join(frame(m) for m in messages),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert out.count('"id": 1') == 1, out  # one answer to initialize, not two
    assert '"id": 2' in out
    assert "differs" not in proc.stderr.decode()
