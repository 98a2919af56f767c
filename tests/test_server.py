"""The language server end to end, driven by pytest-lsp with real client profiles.

Every test runs twice: as VS Code 1.65 (push diagnostics, UTF-16 positions) and as
Neovim 0.11 (pull diagnostics, UTF-8 positions negotiated).
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
import yaml
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from lsp_helpers import (
    PROFILES,
    SERVER,
    apply_edit,
    column,
    copy_workspace,
    diagnostics,
    encoding,
    is_pull,
    open_doc,
    replace_all,
    start,
    wait_pushed,
)


@pytest_lsp.fixture(params=PROFILES, config=SERVER)
async def client(request, lsp_client: LanguageClient):
    root = copy_workspace(request.getfixturevalue("tmp_path"))
    result = await start(lsp_client, request.param, root)
    lsp_client.root = root
    lsp_client.init_result = result
    yield
    await lsp_client.shutdown_session()


def manifest(client) -> tuple:
    path = client.root / "e2e/artifacts/e2e-docker/artifact.yml"
    return path, path.read_text(encoding="utf-8")


def codes(diags) -> list[str]:
    return sorted(str(d.code) for d in diags)


async def test_position_encoding_is_negotiated(client: LanguageClient):
    enc = encoding(client.init_result)
    if is_pull(client):  # Neovim offers utf-8 first
        assert enc == "utf-8"
    else:  # VS Code offers nothing: the LSP default
        assert enc == "utf-16"


async def test_diagnostics_have_exact_ranges_on_non_ascii_lines(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    enc = encoding(client.init_result)
    lines = text.splitlines()
    line_no = next(i for i, l in enumerate(lines) if "メモ" in l)
    line = lines[line_no]
    start = line.index("id:")
    ids = [d for d in diags if d.code == "AL104" and d.range.start.line == line_no]
    assert len(ids) == 1
    d = ids[0]
    assert d.range.start.character == column(line, start, enc)
    assert d.range.end.character == column(line, start + 2, enc)
    # the column differs from the code-point column whenever the encoding is not utf-32
    assert d.range.start.character != start
    assert d.source == "artifact-lsp"
    assert d.severity == lsp.DiagnosticSeverity.Error
    assert d.code_description is not None and d.code_description.href.endswith("#al104")
    assert list(d.tags) == [lsp.DiagnosticTag.Deprecated]
    assert {"AL101", "AL102", "AL104", "AL105"} <= set(codes(diags))


async def test_quick_fix_removes_the_key_and_relints(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    enc = encoding(client.init_result)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "AL105" for x in d))
    target = next(d for d in diags if d.code == "AL105")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=target.range,
            context=lsp.CodeActionContext(diagnostics=[target]),
        )
    )
    fixes = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix and a.is_preferred]
    assert len(fixes) == 1 and "image_prewarm" in fixes[0].title
    suppress = [a for a in actions if a.title.startswith("Ignore AL105")]
    assert len(suppress) == 1 and not suppress[0].is_preferred
    new_text = apply_edit(text, fixes[0].edit, uri, enc)
    assert "image_prewarm" not in new_text
    expected = yaml.safe_load(text)
    del expected["artifacts"][1]["image_prewarm"]
    assert yaml.safe_load(new_text) == expected
    replace_all(client, uri, new_text, 2)
    after = await diagnostics(client, uri, lambda d: not any(x.code == "AL105" for x in d))
    assert "AL104" in codes(after)


async def test_suppression_action_silences_the_line(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    enc = encoding(client.init_result)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "AL102" for x in d))
    target = next(d for d in diags if d.code == "AL102")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=target.range,
            context=lsp.CodeActionContext(diagnostics=[target]),
        )
    )
    action = next(a for a in actions if a.title.startswith("Ignore AL102"))
    new_text = apply_edit(text, action.edit, uri, enc)
    assert "# artifact-lsp: ignore[AL102]" in new_text
    replace_all(client, uri, new_text, 2)
    after = await diagnostics(client, uri, lambda d: not any(x.code == "AL102" for x in d))
    assert "AL101" in codes(after)  # the rest is still reported


async def test_fix_all_on_save_kind(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    enc = encoding(client.init_result)
    await diagnostics(client, uri, lambda d: any(x.code == "AL101" for x in d))
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
            context=lsp.CodeActionContext(diagnostics=[], only=[lsp.CodeActionKind.SourceFixAll]),
        )
    )
    assert [a.kind for a in actions] == ["source.fixAll.artifact-lsp"]
    new_text = apply_edit(text, actions[0].edit, uri, enc)
    data = yaml.safe_load(new_text)
    assert all("id" not in e and "runtime_meta" not in e and "image_prewarm" not in e for e in data["artifacts"])
    # the comment lines and the non-ASCII parts stay
    assert "# E2E フィクスチャ 🐳 (docker)" in new_text and "日本語😀" in new_text
    replace_all(client, uri, new_text, 2)
    after = await diagnostics(client, uri, lambda d: not any(str(x.code).startswith("AL1") for x in d))
    assert not [d for d in after if d.tags]


async def test_versioned_edits(client: LanguageClient):
    path, _text = manifest(client)
    uri = open_doc(client, path, version=7)
    await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=30, character=0)),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    edit = next(a for a in actions if a.is_preferred).edit
    if edit.document_changes:  # both profiles support documentChanges
        assert edit.document_changes[0].text_document.version == 7


async def test_hover_explains_legacy_and_current_keys(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    await diagnostics(client, uri, lambda d: bool(d))
    lines = text.splitlines()
    line_no = next(i for i, l in enumerate(lines) if l.strip().startswith("image_prewarm"))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=line_no, character=6))
    )
    assert hover is not None
    value = hover.contents.value
    assert "AL105" in value and "2026-02-19" in value
    mode_line = next(i for i, l in enumerate(lines) if l.startswith("mode:"))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=mode_line, character=1))
    )
    assert hover is not None and "containerd" in hover.contents.value


async def test_completion_offers_only_current_keys(client: LanguageClient):
    path, text = manifest(client)
    lines = text.splitlines(keepends=True)
    at = next(i for i, l in enumerate(lines) if l.strip().startswith("runtime_config_dir"))
    lines.insert(at + 1, "    \n")
    new_text = "".join(lines)
    uri = open_doc(client, path, text=new_text)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=at + 1, character=4))
    )
    labels = {item.label for item in (result.items if hasattr(result, "items") else result)}
    assert "source_template" in labels
    assert not labels & {"id", "image_prewarm", "runtime_meta", "bundle_manifest"}
    assert "artifact_root" not in labels  # already there
    mode_line = next(i for i, l in enumerate(lines) if l.startswith("mode:"))
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=mode_line, character=len("mode: ")))
    )
    labels = {item.label for item in (result.items if hasattr(result, "items") else result)}
    assert {"docker", "containerd"} <= labels


async def test_document_symbols(client: LanguageClient):
    path, _text = manifest(client)
    uri = open_doc(client, path)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    names = [s.name for s in symbols]
    assert names[:5] == ["schema_version", "project", "env", "mode", "artifacts"]
    artifacts = next(s for s in symbols if s.name == "artifacts")
    assert len(artifacts.children) == 2


async def test_matrix_rename_fix(client: LanguageClient):
    path = client.root / "e2e/environments/test_matrix.yaml"
    text = path.read_text()
    uri = open_doc(client, path)
    enc = encoding(client.init_result)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "AL503" for x in d))
    assert "AL501" in codes(diags)
    target = next(d for d in diags if d.code == "AL503")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), range=target.range,
            context=lsp.CodeActionContext(diagnostics=[target]),
        )
    )
    fix = next(a for a in actions if a.is_preferred)
    new_text = apply_edit(text, fix.edit, uri, enc)
    assert yaml.safe_load(new_text)["matrix"][0]["env"] == "e2e-docker"


async def test_other_yaml_is_never_touched(client: LanguageClient):
    path = client.root / "other.yml"
    uri = open_doc(client, path)
    if is_pull(client):
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        assert list(report.items) == []
    else:
        await asyncio.sleep(0.5)
        assert uri not in client.diagnostics
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(start=lsp.Position(line=2, character=4), end=lsp.Position(line=2, character=6)),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    assert not actions


async def test_workspace_lint_reports_unopened_files(client: LanguageClient):
    stale = (client.root / "e2e/artifacts/e2e-stale/artifact.yml").resolve().as_uri()
    diags = await wait_pushed(client, stale, lambda d: any(x.code == "AL103" for x in d))
    assert all(d.source == "artifact-lsp" for d in diags)
    other = (client.root / "other.yml").resolve().as_uri()
    assert other not in client.diagnostics


async def test_configuration_change_relints(client: LanguageClient):
    path, _text = manifest(client)
    uri = open_doc(client, path)
    await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    client.set_configuration({"ignore": ["AL104"], "severity": {"AL105": "hint"}}, section="artifactLsp")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    after = await diagnostics(client, uri, lambda d: not any(x.code == "AL104" for x in d) and any(x.code == "AL105" for x in d))
    prewarm = next(d for d in after if d.code == "AL105")
    assert prewarm.severity == lsp.DiagnosticSeverity.Hint


async def test_close_clears_pushed_diagnostics(client: LanguageClient):
    if is_pull(client):
        pytest.skip("pull clients own their diagnostics")
    # the first workspace pass first: a pass that starts after the close reports the file from
    # disk, as any unopened manifest (that is the workspace lint, not a stale publication)
    stale = (client.root / "e2e/artifacts/e2e-stale/artifact.yml").resolve().as_uri()
    await wait_pushed(client, stale, lambda d: any(x.code == "AL103" for x in d))
    path, _text = manifest(client)
    uri = open_doc(client, path)
    await wait_pushed(client, uri, lambda d: len(d) > 0)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    await wait_pushed(client, uri, lambda d: len(d) == 0)


ADVERSARIAL = {
    "binary": "\x00\x01\x02\xff\xfe garbage \x7f" * 50,
    "alias-bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    + "artifacts: *i\n",
    "deep-flow": "[" * 20000 + "]" * 20000,
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(3000)),
    "huge": "schema_version: '1'\n" + "x: " + "y" * (9 * 1024 * 1024) + "\n",
    "broken": "schema_version: \"1\nartifacts: [\n  - id: {\n",
}


@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
async def test_server_survives_adversarial_input(client: LanguageClient, case: str):
    path = client.root / "e2e/artifacts/e2e-docker/artifact.yml"
    uri = open_doc(client, path, text=ADVERSARIAL[case])
    diags = await diagnostics(client, uri, lambda d: True, timeout=60)
    if case in ("binary", "broken"):
        assert any(d.code == "AL001" for d in diags)
    if case == "huge":
        assert any(d.code == "AL004" for d in diags)
    # still answering: a normal document right after
    good_text = (client.root / "e2e/artifacts/e2e-stale/artifact.yml").read_text()
    replace_all(client, uri, good_text, 2)
    after = await diagnostics(client, uri, lambda d: any(x.code == "AL103" for x in d), timeout=30)
    assert after


@pytest_lsp.fixture(params=PROFILES, config=SERVER)
async def multi_root(request, lsp_client: LanguageClient):
    from lsp_helpers import _accept_registrations

    tmp = request.getfixturevalue("tmp_path")
    first = copy_workspace(tmp / "one")
    second = copy_workspace(tmp / "two")
    (second / ".artifact-lsp.toml").write_text('[severity]\nAL103 = "hint"\n')
    _accept_registrations(lsp_client)
    from pytest_lsp import client_capabilities

    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(request.param),
            workspace_folders=[
                lsp.WorkspaceFolder(uri=first.as_uri(), name="one"),
                lsp.WorkspaceFolder(uri=second.as_uri(), name="two"),
            ],
        )
    )
    lsp_client.roots = (first, second)
    yield
    await lsp_client.shutdown_session()


async def test_multi_root_workspaces_each_use_their_own_config(multi_root: LanguageClient):
    first, second = multi_root.roots
    one = (first / "e2e/artifacts/e2e-stale/artifact.yml").resolve().as_uri()
    two_matrix = (second / "e2e/environments/test_matrix.yaml").resolve().as_uri()
    # unopened files of both folders are linted
    await wait_pushed(multi_root, one, lambda d: any(x.code == "AL103" for x in d))
    await wait_pushed(multi_root, two_matrix, lambda d: any(x.code == "AL503" for x in d))
    # each folder's own config applies: the second one makes AL103 a hint
    two = (second / "e2e/artifacts/e2e-stale/artifact.yml").resolve().as_uri()
    diags = await wait_pushed(multi_root, two, lambda d: any(x.code == "AL103" for x in d))
    assert next(x for x in diags if x.code == "AL103").severity == lsp.DiagnosticSeverity.Hint
    first_diags = multi_root.diagnostics[one]
    assert next(x for x in first_diags if x.code == "AL103").severity == lsp.DiagnosticSeverity.Error
