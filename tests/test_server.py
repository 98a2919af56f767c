"""The language server end to end, driven by pytest-lsp with real client profiles.

Every test runs twice: as VS Code 1.65 (push diagnostics, UTF-16 positions) and as
Neovim 0.11 (pull diagnostics, UTF-8 positions negotiated).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

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
    line_no = next(i for i, line in enumerate(lines) if "メモ" in line)
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
    # the default link opens offline: a file the installed package ships, with the anchor in it
    href = urlsplit(d.code_description.href)
    assert href.scheme == "file"
    shipped = Path(url2pathname(href.path))
    assert shipped.is_file() and '<a id="al104"></a>' in shipped.read_text(encoding="utf-8")
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


EXAMPLE = Path(__file__).resolve().parents[1] / "examples/e2e/artifacts/e2e-docker/artifact.yml"


def _insert_at_top(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
                    text=text,
                )
            ],
        )
    )


def _engine_edit_for(text: str, path, action: lsp.CodeAction, enc: str) -> str:
    """What the engine makes of ``text`` for the finding ``action`` names: the text after the
    fix or the suppression, computed here on that very text."""
    from artifact_lsp.engine.linter import lint_text
    from artifact_lsp.engine.model import apply_edits
    from artifact_lsp.engine.text import LineIndex

    (diag,) = action.diagnostics
    index = LineIndex(text)
    start = index.offset(diag.range.start.line, diag.range.start.character, enc)
    end = index.offset(diag.range.end.line, diag.range.end.character, enc)
    result = lint_text(text, path=path)
    found = [f for f in result.findings if (f.start, f.end, f.code) == (start, end, diag.code)]
    if not found:
        return None  # no such finding there: the edit was not computed on this text
    finding = found[0]
    fix = result.fixer.fix_for(finding) if action.is_preferred else result.fixer.suppression(finding)
    return apply_edits(text, fix.edits)


def _labelled(edit: lsp.WorkspaceEdit, texts: dict, latest: int) -> list[str]:
    """The text(s) an edit may be applied to: the version it names; unversioned (Neovim has
    no ``documentChanges``), the text as it was when the request or the change was sent."""
    if edit.document_changes:
        (change,) = edit.document_changes
        return [texts[change.text_document.version]]
    return [texts[latest - 1], texts[latest]]


def _computed_on_one_of(candidates: list[str], edit, uri, enc, expected) -> bool:
    return any(apply_edit(text, edit, uri, enc) == expected(text) for text in candidates)


async def test_code_action_edits_name_the_version_their_text_had(client: LanguageClient):
    """codeAction, then at once a didChange that inserts ``# x`` at the top: every edit must be
    labelled with the version its ranges were computed on (issue 10, item 1: labelled with the
    new version, "Remove legacy key 'id'" deleted ``artifacts:``).

    End to end, through both client profiles. Whether the change lands while the handler runs
    depends on how the server reads its input, so this run may not hit the race; the
    in-process test below (``..._when_a_change_lands_midway``) lands it there every time."""
    path = client.root / "e2e/artifacts/e2e-docker/artifact.yml"
    example = EXAMPLE.read_text(encoding="utf-8")
    texts = {1: example}
    uri = open_doc(client, path, text=texts[1])
    enc = encoding(client.init_result)
    await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d), timeout=30)
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=example.count("\n"), character=0))
    checked = 0
    for version in range(2, 5):
        pending = client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=whole,
                context=lsp.CodeActionContext(diagnostics=[]),
            )
        )
        texts[version] = "# x\n" + texts[version - 1]
        _insert_at_top(client, uri, "# x\n", version)
        actions = await pending
        for action in actions:
            if action.edit is None or not action.diagnostics:
                continue
            candidates = _labelled(action.edit, texts, version)
            expected = lambda text, a=action: _engine_edit_for(text, path, a, enc)  # noqa: E731
            assert _computed_on_one_of(candidates, action.edit, uri, enc, expected), action.title
            checked += 1
    assert checked >= 8  # 7 fixes and 8 suppressions a round (none when unversioned and stale)


class _ChangeMidway:
    """An executor that applies a didChange to the server just before the first job it runs:
    the change lands exactly while a handler awaits its worker (what a busy editor does)."""

    def __init__(self, ls, uri, text, version):
        from concurrent.futures import ThreadPoolExecutor

        self.ls, self.uri, self.text, self.version = ls, uri, text, version
        self.pool = ThreadPoolExecutor(1)
        self.done = False

    def submit(self, fn, *args):
        if not self.done:
            self.done = True
            change = lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
                text=self.text,
            )
            ident = lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version)
            self.ls.workspace.update_text_document(ident, change)  # what pygls does on didChange
            self.ls.docs[self.uri].version = self.version  # what our didChange handler does
        return self.pool.submit(fn, *args)

    def shutdown(self, wait=True, **kwargs):
        self.pool.shutdown(wait=wait)


def _server_in_process(tmp_path, text: str):
    """A server object with one open manifest and a client that resolves code actions and
    takes versioned edits, driven by calling its handlers (no transport)."""
    from artifact_lsp.lsp import create_server
    from artifact_lsp.lsp.documents import LspWorkspace
    from artifact_lsp.lsp.server import Doc

    root = copy_workspace(tmp_path)
    path = root / "e2e/artifacts/e2e-docker/artifact.yml"
    uri = path.as_uri()
    ls = create_server()
    ls.protocol.client_capabilities = lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(
            workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)
        ),
        text_document=lsp.TextDocumentClientCapabilities(
            code_action=lsp.CodeActionClientCapabilities(
                data_support=True, resolve_support=lsp.ClientCodeActionResolveOptions(properties=["edit"])
            )
        ),
    )
    ls.protocol._workspace = LspWorkspace(
        root.as_uri(), lsp.TextDocumentSyncKind.Incremental, None, lsp.PositionEncodingKind.Utf16
    )
    ls.workspace.put_text_document(lsp.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text))
    ls.docs[uri] = Doc(uri, path, "manifest", 1)
    return ls, path, uri


def test_many_quick_fixes_in_a_range_are_proven_when_picked(tmp_path):
    """A select-all over many legacy keys: the quick fixes come without edits (no proof per
    key in the request) and each resolves to the engine's proven fix."""
    entries = "".join(f"  - id: e{i}\n    artifact_root: r{i}\n    runtime_config_dir: c\n" for i in range(20))
    text = 'schema_version: "1"\nproject: p\nenv: e\nmode: docker\nartifacts:\n' + entries
    ls, path, uri = _server_in_process(tmp_path, text)
    features = ls.protocol.fm.features

    async def run():
        whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=100, character=0))
        params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=whole,
            context=lsp.CodeActionContext(diagnostics=[]),
        )
        actions = await features[lsp.TEXT_DOCUMENT_CODE_ACTION](params)
        fixes = [a for a in actions if a.is_preferred]
        assert len(fixes) == 20 and all(a.edit is None and a.data for a in fixes)
        return [await features[lsp.CODE_ACTION_RESOLVE](a) for a in fixes[:3]]

    for action in asyncio.run(run()):
        assert action.edit.document_changes[0].text_document.version == 1
        assert apply_edit(text, action.edit, uri, "utf-16") == _engine_edit_for(text, path, action, "utf-16")
    ls.executor.shutdown()


@pytest.mark.parametrize("method", ["quick fixes", "fix-all", "resolve"])
def test_edits_name_the_version_their_text_had_when_a_change_lands_midway(tmp_path, method):
    """In process, deterministic: the didChange (inserting ``# x`` at the top) is applied while
    the code action handler awaits its worker. Every edit must be labelled with the version its
    ranges were computed on (issue 10, item 1: before, the handler read the version after its
    awaits and "Remove legacy key 'id'" deleted ``artifacts:``)."""
    from artifact_lsp.engine.linter import fix_text

    texts = {1: EXAMPLE.read_text(encoding="utf-8")}
    texts[2] = "# x\n" + texts[1]
    ls, path, uri = _server_in_process(tmp_path, texts[1])
    features = ls.protocol.fm.features

    async def run():
        await ls.current_result(uri)  # linted at version 1, as after didOpen
        ls.executor = _ChangeMidway(ls, uri, "# x\n", 2)
        whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=40, character=0))
        params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=whole,
            context=lsp.CodeActionContext(
                diagnostics=[], only=[lsp.CodeActionKind.SourceFixAll] if method == "fix-all" else None
            ),
        )
        actions = await features[lsp.TEXT_DOCUMENT_CODE_ACTION](params)
        if method == "resolve":
            lazy = next(a for a in actions if a.data and a.data.get("action") == "fixAll")
            ls.executor = _ChangeMidway(ls, uri, "# x\n", 3)
            texts[3] = "# x\n" + texts[2]
            actions = [await features[lsp.CODE_ACTION_RESOLVE](lazy)]
        return actions

    actions = asyncio.run(run())
    checked = 0
    for action in actions:
        if action.edit is None:
            continue
        (change,) = action.edit.document_changes
        text = texts[change.text_document.version]
        new = apply_edit(text, action.edit, uri, "utf-16")
        if action.diagnostics:
            assert new == _engine_edit_for(text, path, action, "utf-16"), (action.title, change.text_document.version)
        else:  # fix-all
            assert new == fix_text(text, path=path)[0], (action.title, change.text_document.version)
        checked += 1
    assert checked >= (1 if method != "quick fixes" else 4)
    ls.executor.shutdown()


async def test_fix_all_is_resolved_when_picked_and_names_its_version(client: LanguageClient):
    """The lightbulb offers "Remove all legacy keys" without computing it; codeAction/resolve
    computes it, labelled with the version of the text it was computed on (issue 10, item 7)."""
    from artifact_lsp.engine.linter import fix_text

    path = client.root / "e2e/artifacts/e2e-docker/artifact.yml"
    texts = {1: EXAMPLE.read_text(encoding="utf-8")}
    uri = open_doc(client, path, text=texts[1])
    enc = encoding(client.init_result)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    target = next(d for d in diags if d.code == "AL104")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=target.range,
            context=lsp.CodeActionContext(diagnostics=[target]),
        )
    )
    fix_all = next(a for a in actions if a.title.startswith("Remove all legacy keys"))
    assert fix_all.edit is None and fix_all.data  # not computed for the lightbulb
    pending = client.code_action_resolve_async(fix_all)
    texts[2] = "# x\n" + texts[1]
    _insert_at_top(client, uri, "# x\n", 2)
    resolved = await pending
    if resolved.edit is None:
        assert not client.init_result.capabilities or not is_versioned(client)  # stale, unversioned
        return
    candidates = _labelled(resolved.edit, texts, 2)
    assert _computed_on_one_of(candidates, resolved.edit, uri, enc, lambda text: fix_text(text, path=path)[0])


def is_versioned(client: LanguageClient) -> bool:
    caps = client.capabilities
    return bool(caps.workspace and caps.workspace.workspace_edit and caps.workspace.workspace_edit.document_changes)


@pytest_lsp.fixture(params=PROFILES, config=SERVER)
async def no_resolve(request, lsp_client: LanguageClient):
    """A client that cannot resolve code actions (no ``resolveSupport``)."""
    from pytest_lsp import client_capabilities

    root = copy_workspace(request.getfixturevalue("tmp_path"))
    caps = client_capabilities(request.param)
    caps.text_document.code_action.resolve_support = None
    lsp_client.init_result = await start(lsp_client, request.param, root, capabilities=caps)
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()


async def test_fix_all_is_computed_for_clients_without_resolve(no_resolve: LanguageClient):
    from artifact_lsp.engine.linter import fix_text

    client = no_resolve
    path = client.root / "e2e/artifacts/e2e-docker/artifact.yml"
    text = EXAMPLE.read_text(encoding="utf-8")
    uri = open_doc(client, path, text=text)
    enc = encoding(client.init_result)
    diags = await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    target = next(d for d in diags if d.code == "AL104")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=target.range,
            context=lsp.CodeActionContext(diagnostics=[target]),
        )
    )
    fix_all = next(a for a in actions if a.title.startswith("Remove all legacy keys"))
    assert apply_edit(text, fix_all.edit, uri, enc) == fix_text(text, path=path)[0]


SEPARATORS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_document_model_splits_lines_as_lsp_does(separator):
    """The server's copy after incremental edits equals the client's, whatever characters the
    text holds (issue 10, item 5: after U+2028 the next edit landed one line off)."""
    from artifact_lsp.lsp.documents import LspTextDocument

    text = 'schema_version: "1"\nproject: p\nartifacts:\n  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n'
    doc = LspTextDocument("file:///w/artifact.yml", source=text)
    doc.apply_change(
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(line=1, character=10), end=lsp.Position(line=1, character=10)),
            text=separator + "q",
        )
    )
    client = text.replace("project: p\n", f"project: p{separator}q\n")
    assert doc.source == client
    # delete the line "    id: x" (line 4 as LSP counts)
    doc.apply_change(
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(line=4, character=0), end=lsp.Position(line=5, character=0)), text=""
        )
    )
    client = client.replace("    id: x\n", "")
    assert doc.source == client
    assert "runtime_config_dir" in doc.source
    assert len(doc.lines) == 5


@pytest.mark.parametrize("separator", ["\u2028", "\x85"])
async def test_incremental_edits_after_a_unicode_separator_land_right(client: LanguageClient, separator: str):
    path = client.root / "e2e/artifacts/e2e-docker/artifact.yml"
    text = 'schema_version: "1"\nproject: "p"\nenv: e2e-docker\nmode: docker\nartifacts:\n  - artifact_root: r\n    id: x\n    runtime_config_dir: c\n'
    uri = open_doc(client, path, text=text)
    await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    line = lambda n: lsp.Position(line=n, character=0)  # noqa: E731
    changes = [
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(line=1, character=11), end=lsp.Position(line=1, character=11)),
            text=separator,
        ),
        lsp.TextDocumentContentChangePartial(range=lsp.Range(start=line(6), end=line(7)), text=""),
    ]
    for version, change in enumerate(changes, start=2):
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]
            )
        )
    # the server's diagnostics are those of the client's text: "    id: x" gone, nothing else
    from artifact_lsp.engine.linter import lint_text

    mine = text.replace('"p"', f'"p{separator}"').replace("    id: x\n", "")
    local = lint_text(mine, path=path)
    enc = encoding(client.init_result)
    expected = sorted((f.code, *local.index.position(f.start, enc)) for f in local.findings)
    assert not any(code == "AL104" for code, *_ in expected)
    same = lambda d: sorted((str(x.code), x.range.start.line, x.range.start.character) for x in d) == expected  # noqa: E731
    await diagnostics(client, uri, same)


async def test_hover_explains_legacy_and_current_keys(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    await diagnostics(client, uri, lambda d: bool(d))
    lines = text.splitlines()
    line_no = next(i for i, line in enumerate(lines) if line.strip().startswith("image_prewarm"))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=line_no, character=6)
        )
    )
    assert hover is not None
    value = hover.contents.value
    assert "AL105" in value and "2026-02-19" in value
    mode_line = next(i for i, line in enumerate(lines) if line.startswith("mode:"))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=mode_line, character=1)
        )
    )
    assert hover is not None and "containerd" in hover.contents.value


async def test_completion_offers_only_current_keys(client: LanguageClient):
    path, text = manifest(client)
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("runtime_config_dir"))
    lines.insert(at + 1, "    \n")
    new_text = "".join(lines)
    uri = open_doc(client, path, text=new_text)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=at + 1, character=4)
        )
    )
    labels = {item.label for item in (result.items if hasattr(result, "items") else result)}
    assert "source_template" in labels
    assert not labels & {"id", "image_prewarm", "runtime_meta", "bundle_manifest"}
    assert "artifact_root" not in labels  # already there
    mode_line = next(i for i, line in enumerate(lines) if line.startswith("mode:"))
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=mode_line, character=len("mode: ")),
        )
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
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=target.range,
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
    after = await diagnostics(
        client, uri, lambda d: not any(x.code == "AL104" for x in d) and any(x.code == "AL105" for x in d)
    )
    prewarm = next(d for d in after if d.code == "AL105")
    assert prewarm.severity == lsp.DiagnosticSeverity.Hint


async def test_docs_url_setting_changes_the_links(client: LanguageClient):
    path, text = manifest(client)
    uri = open_doc(client, path)
    await diagnostics(client, uri, lambda d: any(x.code == "AL104" for x in d))
    client.set_configuration({"docsUrl": "https://docs.example.com/artifact-lsp/rules#{anchor}"}, section="artifactLsp")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    hosted = "https://docs.example.com/artifact-lsp/rules#al104"
    after = await diagnostics(
        client, uri, lambda d: any(x.code == "AL104" and x.code_description.href == hosted for x in d)
    )
    assert all(
        x.code_description.href == f"https://docs.example.com/artifact-lsp/rules#{str(x.code).lower()}" for x in after
    )
    line_no = next(i for i, line in enumerate(text.splitlines()) if line.strip().startswith("image_prewarm"))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=line_no, character=6)
        )
    )
    assert "(https://docs.example.com/artifact-lsp/rules#al105)" in hover.contents.value
    assert "file:" not in hover.contents.value


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
    "broken": 'schema_version: "1\nartifacts: [\n  - id: {\n',
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


def test_notifications_leave_no_future_behind(tmp_path):
    """pygls 2.1 files every handler's future under a message id and removes it only when it
    answers a request: each notification (each keystroke's didChange) left a finished future,
    task and lock behind for the rest of the session. ``ArtifactProtocol`` forgets them."""
    ls, _path, uri = _server_in_process(tmp_path, EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")

    async def run():
        for version in range(2, 202):
            ls.protocol.handle_message(
                ls.protocol.structure_message(
                    {
                        "jsonrpc": "2.0",
                        "method": lsp.TEXT_DOCUMENT_DID_CHANGE,
                        "params": {
                            "textDocument": {"uri": uri, "version": version},
                            "contentChanges": [{"text": text + f"# {version}\n"}],
                        },
                    }
                )
            )
            await asyncio.sleep(0)
        await ls.current_result(uri)
        return len(ls.protocol._request_futures)

    assert asyncio.run(run()) <= 100  # a bounded few (400 before: two per didChange)
    assert ls.workspace.get_text_document(uri).source.endswith("# 201\n")
    ls.executor.shutdown()
