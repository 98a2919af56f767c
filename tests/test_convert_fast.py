"""``encode_diagnostics`` (the push path's JSON, built from pieces) says exactly what
``diagnostic`` says, for every encoding, with and without related information."""

from __future__ import annotations

import json

import pytest

from artifact_lsp.engine.linter import lint_text
from artifact_lsp.lsp.convert import diagnostic, encode_diagnostics
from artifact_lsp.lsp.scheduler import _publish_frame

TEXTS = {
    "legacy": 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n  - id: x\n    image_prewarm: all\n    artifact_root: r\n    runtime_config_dir: ../../x\n',
    "non-ascii": '\ufeffschema_version: 1\nartifacts:\n  - {メモ: "日本語😀", id: a, artifact_root: "r\u2028x", runtime_config_dir: c}\n',
    "duplicates": "a: 1\na: 2\nartifacts: [\n",
    "clean": 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n  - artifact_root: r\n    runtime_config_dir: c\n',
}


@pytest.mark.parametrize("name", sorted(TEXTS))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
@pytest.mark.parametrize("related", [True, False])
def test_encoded_diagnostics_equal_the_dicts(tmp_path, name, encoding, related):
    result = lint_text(TEXTS[name], path=tmp_path / "artifact.yml")
    expected = [diagnostic(f, result.index, encoding, "file:///a", related) for f in result.findings]
    for _ in range(2):  # the second time from the kept pieces
        assert json.loads(encode_diagnostics(result.findings, result.index, encoding, "file:///a", related)) == expected


@pytest.mark.parametrize("version", [None, 3])
def test_publish_frame_is_one_framed_message(tmp_path, version):
    result = lint_text(TEXTS["non-ascii"], path=tmp_path / "artifact.yml")
    frame = _publish_frame(result.findings, result.index, "utf-16", "file:///a/%E6%97%A5.yml", True, version)
    head, body = frame.split(b"\r\n\r\n", 1)
    assert head.startswith(b"Content-Length: %d\r\n" % len(body))
    message = json.loads(body)
    assert message["method"] == "textDocument/publishDiagnostics"
    assert message["params"]["uri"] == "file:///a/%E6%97%A5.yml"
    assert message.get("params", {}).get("version") == version
    assert len(message["params"]["diagnostics"]) == len(result.findings)
