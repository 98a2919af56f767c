"""Incremental lint (``engine/incremental.py``) in the language server, driven by pytest-lsp.

``tests/test_incremental.py`` compares ``relint`` with a full lint in the engine; here the
oracle is the same, but what is compared is what a real client gets after a chain of
``didChange`` notifications: published or pulled diagnostics, quick fixes, hovers, the
outline, and the full lint an idle document gets when its reused disk findings are old
(``scheduler.freshen``).

Every test runs as VS Code 1.65 (diagnostics pushed with their version, UTF-16 positions,
versioned edits) and as Neovim 0.11 (diagnostics pulled, UTF-8 positions, unversioned edits).
The manifest is generated (60 entries, legacy keys in some, Japanese and emoji before and
inside the entries and inside findings' lines) and is never written to disk: the server lints
the open text, and no workspace pass reads its disk facts before the test does.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from artifact_lsp.engine import incremental, outline
from artifact_lsp.engine.config import Config
from artifact_lsp.engine.linter import lint_text
from artifact_lsp.lsp.convert import diagnostic, lsp_range
from lsp_helpers import PROFILES, SERVER, apply_edit, column, encoding, is_pull, open_doc, start, wait_pushed

ENTRIES = 60
GLOBS = ["**/artifact.yml", "**/artifact-copy.yml"]  # a second document of the same folder


def manifest(entries: int = ENTRIES) -> str:
    """A manifest whose findings are AL401 (no config folder exists) on every entry, AL105
    (``image_prewarm``) on entries 1, 5, 9, …, AL104 (``id``) on 2, 8, 14, …, and AL307 after
    a Japanese path with an emoji on 3, 13, 23, … (its column differs in every encoding)."""
    out = [
        "# 生成されたマニフェスト 😀 (incremental)\n",
        'schema_version: "1"\n',
        "project: p  # プロジェクト 🐳\n",
        "env: gen\n",
        "mode: docker\n",
        "artifacts:\n",
    ]
    for i in range(entries):
        out.append(f"  - artifact_root: entries/e{i}{'😀' if i % 10 == 7 else ''}\n    runtime_config_dir: config\n")
        if i % 4 == 1:
            out.append("    image_prewarm: all   # 🔥 古い設定\n")
        if i % 6 == 2:
            out.append(f"    id: e{i}\n")
        if i % 10 == 3:
            out.append('    source_template: {path: "テンプレ😀.yaml", sha256: abc}\n')
        if i % 10 == 8:
            out.append("    # メモ 😀\n")
    out.append('generated_at: "2026-02-27T18:28:02Z"\ngenerator:\n  name: esb\n  version: dev\n')
    return "".join(out)


# --------------------------------------------------------------------------- the client

# an unopened manifest elsewhere in the workspace: its diagnostics, pushed by the first
# workspace pass, say the server has started (pull clients get unopened files pushed too)
SENTINEL = 'schema_version: "1"\nproject: p\nenv: s\nmode: docker\nartifacts:\n  - artifact_root: x\n    id: x\n'


@pytest_lsp.fixture(params=PROFILES, config=SERVER)
async def client(request, lsp_client: LanguageClient):
    root = request.getfixturevalue("tmp_path") / "ws"
    folder = root / "e2e" / "artifacts" / "gen"
    folder.mkdir(parents=True)
    (root / ".artifact-lsp.toml").write_text("# the workspace root\n")
    sentinel = root / "sentinel" / "artifact.yml"
    sentinel.parent.mkdir()
    sentinel.write_text(SENTINEL, encoding="utf-8")
    _record_publications(lsp_client)
    lsp_client.init_result = await start(lsp_client, request.param, root, settings={"documentGlobs": GLOBS})
    # the first workspace pass starts once the settings are applied (`initialized`): from then
    # on no new settings epoch makes a lint of ours a full one (the tests count on which are not)
    await wait_pushed(lsp_client, sentinel.as_uri(), lambda d: any(x.code == "AL104" for x in d))
    lsp_client.enc = encoding(lsp_client.init_result)
    lsp_client.folder = folder
    lsp_client.result_ids = {}
    yield
    await lsp_client.shutdown_session()


def _record_publications(client: LanguageClient) -> None:
    """Every ``publishDiagnostics`` in order, as ``(uri, version, diagnostics)``, besides
    pytest-lsp's ``client.diagnostics`` (the latest per URI)."""
    client.published = []
    features = client.protocol.fm.features
    default = features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish_diagnostics(params: lsp.PublishDiagnosticsParams):
        client.published.append((params.uri, params.version, list(params.diagnostics)))
        return default(params)

    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish_diagnostics


def published_versions(client: LanguageClient, uri: str) -> list[int | None]:
    return [version for u, version, _ in client.published if u == uri]


async def pull(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    """One ``textDocument/diagnostic`` as an editor sends it: with the result id of the last
    answer, keeping the last items when the server answers "unchanged"."""
    previous = client.result_ids.get(uri)
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=previous and previous[0]
        )
    )
    if report.kind == "unchanged":
        assert previous is not None and report.result_id == previous[0], report
        return previous[1]
    items = list(report.items)
    client.result_ids[uri] = (report.result_id, items)
    return items


async def shown(client: LanguageClient, uri: str, version: int, predicate=lambda d: True, timeout: float = 10.0):
    """The diagnostics the client shows for ``version`` of the document once they satisfy
    ``predicate``: pushed with that version, or pulled (a pull after the change answers for
    the document as it is then)."""
    deadline = time.monotonic() + timeout
    while True:
        if is_pull(client):
            items = await pull(client, uri)
        else:
            ours = [diags for u, v, diags in client.published if u == uri and v == version]
            items = ours[-1] if ours else None
        if items is not None and predicate(items):
            return items
        if time.monotonic() > deadline:
            got = None if items is None else [(d.range.start.line, d.code, d.message[:40]) for d in items]
            raise AssertionError(f"no matching diagnostics for version {version} of {uri}: {got}")
        await asyncio.sleep(0.02)


def key(items) -> list[tuple]:
    """Diagnostics (typed, or our JSON dicts) as sortable tuples: range, code, message, severity."""
    out = []
    for d in items:
        if isinstance(d, dict):
            r = d["range"]
            out.append(
                (
                    r["start"]["line"],
                    r["start"]["character"],
                    r["end"]["line"],
                    r["end"]["character"],
                    d["code"],
                    d["message"],
                    d["severity"],
                )
            )
        else:
            r = d.range
            out.append(
                (
                    r.start.line,
                    r.start.character,
                    r.end.line,
                    r.end.character,
                    str(d.code),
                    d.message,
                    int(d.severity),
                )
            )
    return sorted(out)


def full_lint(text: str, path: Path, enc: str) -> list[tuple]:
    """What a full lint of ``text`` at ``path`` (this disk) reports, converted as the server does."""
    result = lint_text(text, path=path)
    return key(diagnostic(f, result.index, enc, path.as_uri()) for f in result.findings)


# --------------------------------------------------------------------------- edits


def position(text: str, offset: int, enc: str) -> lsp.Position:
    line_start = text.rfind("\n", 0, offset) + 1
    return lsp.Position(
        line=text.count("\n", 0, offset), character=column(text[line_start:offset], offset - line_start, enc)
    )


class Editor:
    """The client's copy of one document, and the ``didChange`` notifications that edit it."""

    def __init__(self, client: LanguageClient, path: Path, text: str):
        self.client, self.path, self.text, self.version = client, path, text, 1
        self.uri = open_doc(client, path, text=text)

    def send(self, changes: list) -> int:
        """One ``didChange`` with ``changes``, applied in order: a string replaces the whole
        text, ``(start, end, new)`` replaces ``text[start:end]`` (a range in the negotiated
        encoding). Returns the new version."""
        content: list = []
        for change in changes:
            if isinstance(change, str):
                content.append(lsp.TextDocumentContentChangeWholeDocument(text=change))
                self.text = change
                continue
            start, end, new = change
            rng = lsp.Range(
                start=position(self.text, start, self.client.enc), end=position(self.text, end, self.client.enc)
            )
            content.append(lsp.TextDocumentContentChangePartial(range=rng, text=new))
            self.text = self.text[:start] + new + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=content,
            )
        )
        return self.version


def entry_at(text: str, i: int) -> tuple[int, int]:
    """``(start, end)`` of entry ``i``'s lines (from its ``-`` line to the next entry's)."""
    m = re.search(rf"^  - artifact_root: entries/e{i}(?!\d)", text, re.M)
    assert m is not None, i
    end = re.compile(r"^(  - |\S)", re.M).search(text, m.end())
    return m.start(), end.start() if end else len(text)


def line_in(text: str, i: int, needle: str) -> tuple[int, int]:
    """``(start, end)`` of the line of entry ``i`` holding ``needle`` (with its line break)."""
    lo, hi = entry_at(text, i)
    at = text.index(needle, lo, hi)
    start = text.rfind("\n", 0, at) + 1
    return start, text.index("\n", at) + 1


def after_first_line(text: str, i: int) -> int:
    return text.index("\n", entry_at(text, i)[0]) + 1


def delete_line(text: str, i: int, needle: str) -> tuple[int, int, str]:
    start, end = line_in(text, i, needle)
    return start, end, ""


def insert_line(text: str, i: int, line: str) -> tuple[int, int, str]:
    at = after_first_line(text, i)
    return at, at, line


def replace_in(text: str, i: int, old: str, new: str) -> tuple[int, int, str]:
    lo, hi = entry_at(text, i)
    at = text.index(old, lo, hi)
    return at, at + len(old), new


def whole(text: str, change: tuple[int, int, str]) -> str:
    start, end, new = change
    return text[:start] + new + text[end:]


# each step: a function of the client's text giving the changes of one didChange
CHAIN = [
    lambda t: [delete_line(t, 9, "image_prewarm")],
    lambda t: [insert_line(t, 9, "    id: x9\n")],
    lambda t: [replace_in(t, 12, "entries/e12", "entries/e12b")],
    lambda t: [insert_line(t, 20, "    # 変更 😀 コメント\n")],
    lambda t: [whole(t, delete_line(t, 14, "id: e14"))],
    lambda t: [replace_in(t, 13, "😀.yaml", "😀😀.yaml")],  # a range after an emoji: UTF-16 columns
    lambda t: [insert_line(t, 0, "    # 上の行 🐳 moves every later entry\n")],
    lambda t: [whole(t, insert_line(t, ENTRIES - 1, "    image_prewarm: all\n"))],
    lambda t: [replace_in(t, 30, "runtime_config_dir: config", "runtime_config_dir: 設定😀")],
    lambda t: [delete_line(t, 18, "# メモ 😀")],
    lambda t: [replace_in(t, 40, "runtime_config_dir", "runtime_config_dirx")],
    # two changes in one notification (the second's range is on the text after the first)
    lambda t: [replace_in(t, 40, "runtime_config_dirx", "runtime_config_dir"), None],
    lambda t: [whole(t, insert_line(t, 33, "  - artifact_root: entries/new\n    runtime_config_dir: config\n"))],
    lambda t: [replace_in(t, 45, "image_prewarm: all", "image_prewarm: none")],
    lambda t: [insert_line(t, 57, "    id: e57\n")],
]


def step_changes(text: str, step) -> list:
    """The changes of one step; ``None`` stands for "then delete entry 50's ``id`` line"
    (computed on the text after the changes before it)."""
    changes = []
    for change in step(text):
        if change is None:
            change = delete_line(text, 50, "id: e50")
        changes.append(change)
        text = change if isinstance(change, str) else whole(text, change)
    return changes


def test_the_chain_is_mostly_incremental(tmp_path):
    """``CHAIN`` is not a vacuous test of incremental lint: the engine re-lints every step of it
    incrementally but the one that adds an entry (the server does the same: same engine, same
    results before each step)."""
    path = tmp_path / "artifact.yml"
    text = manifest()
    current = lint_text(text, path=path, config=Config())
    refused = []
    for n, step in enumerate(CHAIN):
        for change in step_changes(text, step):
            text = change if isinstance(change, str) else whole(text, change)
        again = incremental.relint(current, text, path=path, config=Config())
        if again is None:
            refused.append(n)
        current = again or lint_text(text, path=path, config=Config())
    assert refused == [12]


# --------------------------------------------------------------------------- 1. diagnostics


async def test_diagnostics_after_a_chain_of_edits_equal_a_full_lint(client: LanguageClient):
    """After each of 15 edits (whole-text and range changes, two changes in one notification,
    legacy lines deleted and added, values changed, comments added, an entry added), the
    diagnostics of that version equal a full lint of the text; at the end they also equal
    those of a second document opened with the same text in the same folder."""
    enc = client.enc
    path = client.folder / "artifact.yml"
    editor = Editor(client, path, manifest())
    first = await shown(client, editor.uri, 1)
    assert key(first) == full_lint(editor.text, path, enc)
    assert sum(1 for d in first if d.code == "AL401") == ENTRIES
    for step in CHAIN:
        version = editor.send(step_changes(editor.text, step))
        expected = full_lint(editor.text, path, enc)
        got = await shown(client, editor.uri, version)
        assert key(got) == expected, f"version {version}"
    # on the AL307 lines the columns are not code points (but for UTF-32, which no profile uses)
    lines = editor.text.split("\n")
    moved = [d for d in got if d.code == "AL307"]
    assert moved and all(d.range.start.character != lines[d.range.start.line].index("abc") for d in moved)
    copy = client.folder / "artifact-copy.yml"
    uri = open_doc(client, copy, text=editor.text)
    second = await shown(client, uri, 1)
    assert key(second) == key(got)
    if not is_pull(client):
        versions = [v for v in published_versions(client, editor.uri) if v is not None]
        assert versions == sorted(versions)
        assert set(range(1, editor.version + 1)) <= set(versions)


# --------------------------------------------------------------------------- 2. quick fix


async def test_a_quick_fix_after_edits_removes_exactly_its_line(client: LanguageClient):
    """Edits that move the later entries (a line inserted in entry 0, one in entry 3), then at
    once a code action on entry 50's ``id``: the fix removes that line and nothing else, and
    (VS Code: versioned edits) names the version it was computed on, the current one."""
    enc = client.enc
    path = client.folder / "artifact.yml"
    editor = Editor(client, path, manifest())
    await shown(client, editor.uri, 1)
    editor.send([insert_line(editor.text, 0, "    # 上に一行 😀\n")])
    editor.send([insert_line(editor.text, 3, "    # 🐳\n")])
    start, end = line_in(editor.text, 50, "id: e50")
    at = editor.text.index("id", start)
    target = lsp.Range(start=position(editor.text, at, enc), end=position(editor.text, at + 2, enc))
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=editor.uri),
            range=target,
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    fixes = [a for a in actions if a.is_preferred and a.title.startswith("Remove legacy key")]
    assert len(fixes) == 1, [a.title for a in actions]
    (fix,) = fixes
    assert "AL104" in fix.title and [d.range for d in fix.diagnostics] == [target]
    if fix.edit.document_changes:
        assert [c.text_document.version for c in fix.edit.document_changes] == [editor.version]
    assert apply_edit(editor.text, fix.edit, editor.uri, enc) == editor.text[:start] + editor.text[end:]
    # and the client applies it: the diagnostics of the new version lose exactly that AL104
    before = full_lint(editor.text, path, enc)
    version = editor.send([(start, end, "")])
    after = await shown(client, editor.uri, version)
    assert key(after) == full_lint(editor.text, path, enc)
    assert len(after) == len(before) - 1


# --------------------------------------------------------------------------- 3. freshen


def make_config_folder(folder: Path, i: int) -> None:
    config = folder / "entries" / f"e{i}" / "config"
    config.mkdir(parents=True)
    for name in ("functions.yml", "routing.yml"):
        (config / name).write_text("{}\n", encoding="utf-8")


def al401_entries(items) -> set[int]:
    out = set()
    for d in items:
        m = re.match(r"artifacts\[(\d+)\]: config folder", d.message)
        if d.code == "AL401" and m:
            out.add(int(m.group(1)))
    return out


async def test_an_idle_document_is_linted_in_full_and_shows_a_new_folder(client: LanguageClient):
    """Entry 0 is edited (an incremental lint: entry 5's AL401 is reused), then entry 5's config
    folder is created, with no watcher event. Once the document is idle and its reused disk
    findings are old, the server lints it in full: entry 5's AL401 goes, the others stay.

    Pushed (with the edit's version), or pulled: pull clients were never freshened, and a
    freshened version kept its result id (a pull with it got "unchanged", the old findings)."""
    path = client.folder / "artifact.yml"
    editor = Editor(client, path, manifest())
    everything = set(range(ENTRIES))
    await shown(client, editor.uri, 1, lambda d: al401_entries(d) == everything)
    version = editor.send([insert_line(editor.text, 0, "    # 編集 😀\n")])
    await shown(client, editor.uri, version, lambda d: al401_entries(d) == everything)
    make_config_folder(client.folder, 5)
    await shown(client, editor.uri, version, lambda d: al401_entries(d) == everything - {5}, timeout=15)
    if not is_pull(client):
        assert published_versions(client, editor.uri)[-1] == version


async def test_edits_faster_than_idle_are_published_in_order(client: LanguageClient):
    """Edits keep coming (4 a second, faster than ``scheduler.IDLE``) for longer than the disk
    facts may be trusted; a config folder appears meanwhile. Every version's diagnostics are
    published and the published versions never go back; once the edits stop, the full lint
    shows the folder (for the last version)."""
    from artifact_lsp.lsp.scheduler import IDLE
    from artifact_lsp.lsp.state import FACTS_TTL

    path = client.folder / "artifact.yml"
    editor = Editor(client, path, manifest())
    await shown(client, editor.uri, 1, lambda d: len(al401_entries(d)) == ENTRIES)
    make_config_folder(client.folder, 5)
    began = time.monotonic()
    line = "    # 打鍵 😀\n"
    while True:
        present = line in editor.text
        change = delete_line(editor.text, 0, line) if present else insert_line(editor.text, 0, line)
        version = editor.send([change])
        await shown(client, editor.uri, version)
        if time.monotonic() - began > FACTS_TTL + IDLE:
            break
        await asyncio.sleep(IDLE / 4)  # the typing speed (the next keystroke), not a wait for the server
    everything = set(range(ENTRIES))
    await shown(client, editor.uri, version, lambda d: al401_entries(d) == everything - {5}, timeout=15)
    if not is_pull(client):
        versions = published_versions(client, editor.uri)
        assert None not in versions
        assert versions == sorted(versions), versions
        assert set(versions) == set(range(1, version + 1))


async def test_an_idle_big_document_shows_a_new_folder_of_a_late_entry(client: LanguageClient):
    """As above, in a document whose full lint takes a while, with the folder of an entry near
    its end: the disk facts of that entry were read late in the full lint, and the lint that
    freshens the document must come after they expired (not ``FACTS_TTL`` after the lint
    began: it then re-used the cached fact, found nothing new, and never ran again)."""
    entries = 800
    path = client.folder / "artifact.yml"
    editor = Editor(client, path, manifest(entries))
    everything = set(range(entries))
    await shown(client, editor.uri, 1, lambda d: al401_entries(d) == everything, timeout=30)
    version = editor.send([insert_line(editor.text, 0, "    # 編集 😀\n")])
    await shown(client, editor.uri, version, lambda d: al401_entries(d) == everything, timeout=30)
    make_config_folder(client.folder, entries - 5)
    await shown(client, editor.uri, version, lambda d: al401_entries(d) == everything - {entries - 5}, timeout=15)


# --------------------------------------------------------------------------- publication order, in process
# Deterministic: the server object driven by calling its scheduler, with an executor that lets
# a didChange land exactly while a big result's diagnostics are converted on a worker thread
# (more than ``scheduler.OFF_LOOP_FINDINGS`` findings), the one await between a lint and its
# publication.


class _Hooked:
    """``ls.executor``: two worker threads; ``hook(fn)`` runs on the event loop as each job is
    submitted and returns the ``threading.Event`` the job waits for before it runs (or None)."""

    def __init__(self, hook):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(2)
        self.hook = hook

    def submit(self, fn, *args):
        gate = self.hook(fn)
        if gate is None:
            return self.pool.submit(fn, *args)

        def held():
            assert gate.wait(10), "the newer version was never published"
            return fn(*args)

        return self.pool.submit(held)

    def shutdown(self, wait=True, **kwargs):
        self.pool.shutdown(wait=wait)


class _InProcess:
    """A push client's session: one open manifest, its publications recorded as versions."""

    def __init__(self, tmp_path: Path, text: str):
        import threading

        from artifact_lsp.engine import files
        from artifact_lsp.lsp import create_server
        from artifact_lsp.lsp.documents import LspWorkspace
        from artifact_lsp.lsp.state import Doc

        root = tmp_path / "ws"
        self.folder = root / "e2e" / "artifacts" / "gen"
        self.folder.mkdir(parents=True)
        path = self.folder / "artifact.yml"
        self.ls = ls = create_server()
        files.set_facts_ttl(0)  # every lint reads the disk: the facts' age is not what is tested here
        ls.protocol.client_capabilities = lsp.ClientCapabilities()
        ls.protocol._workspace = LspWorkspace(
            root.as_uri(), lsp.TextDocumentSyncKind.Incremental, None, lsp.PositionEncodingKind.Utf16
        )
        ls.workspace.put_text_document(
            lsp.TextDocumentItem(uri=path.as_uri(), language_id="yaml", version=1, text=text)
        )
        self.doc = ls.docs[path.as_uri()] = Doc(path.as_uri(), path, "manifest", 1)
        self.text = text
        self.published: list[int] = []
        self.seen: dict[int, threading.Event] = {}
        ls.protocol._send_data = self._sent

    def _sent(self, data) -> None:
        if isinstance(data, dict) and data.get("method") == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            version = data["params"]["version"]
            self.published.append(version)
            self.published_event(version).set()

    def published_event(self, version: int):
        import threading

        return self.seen.setdefault(version, threading.Event())

    def change(self, version: int, text: str) -> None:
        """A didChange, as pygls and our handler take it."""
        from artifact_lsp.lsp.handlers import sync

        ident = lsp.VersionedTextDocumentIdentifier(uri=self.doc.uri, version=version)
        change = lsp.TextDocumentContentChangeWholeDocument(text=text)
        self.ls.workspace.update_text_document(ident, change)
        sync.did_change(self.ls, lsp.DidChangeTextDocumentParams(text_document=ident, content_changes=[change]))
        self.text = text

    async def settled(self) -> None:
        while self.doc.task is not None and not self.doc.task.done():
            await self.doc.task

    def close(self) -> None:
        from artifact_lsp.engine import files

        self.ls.executor.shutdown()
        files.set_facts_ttl(0)


def test_an_edit_during_a_big_publication_is_published_too(tmp_path):
    """Version 2 arrives while version 1's diagnostics are converted: the document's lint pass
    must go on to lint and publish version 2 (it returned after publishing version 1, and the
    editor showed version 1's diagnostics on version 2's text until the next edit)."""
    from artifact_lsp.lsp import scheduler

    session = _InProcess(tmp_path, manifest(400))
    landed = []

    def hook(fn):
        if fn is scheduler.diagnostics_of and not landed:
            landed.append(True)
            session.change(2, whole(session.text, insert_line(session.text, 0, "    # 😀\n")))
        return None

    async def run():
        session.ls.executor = _Hooked(hook)
        scheduler.schedule(session.ls, session.doc)
        await session.settled()

    try:
        asyncio.run(run())
    finally:
        session.close()
    assert landed and session.published == [1, 2]


def test_a_freshened_result_is_never_published_over_a_newer_version(tmp_path):
    """The idle full lint (``scheduler.freshen``) of version 2 finds something new (a config
    folder appeared); while its diagnostics are converted, version 3 arrives and is linted and
    published. The version 2 publication must not come after version 3's."""
    from artifact_lsp.lsp import scheduler

    session = _InProcess(tmp_path, manifest(400))
    doc = session.doc
    armed = []

    def hook(fn):
        if fn is not scheduler.diagnostics_of or not armed or armed[0] is None:
            return None
        armed[0] = None
        session.change(3, whole(session.text, insert_line(session.text, 0, "    # 3\n")))
        if asyncio.current_task() is doc.task:
            return None  # converted by the pass that publishes version 3 next: nothing to wait for
        return session.published_event(3)  # elsewhere: convert once version 3 is out

    async def run():
        session.ls.executor = _Hooked(hook)
        scheduler.schedule(session.ls, doc)
        await session.settled()
        session.change(2, whole(session.text, insert_line(session.text, 0, "    # 2\n")))
        await session.settled()
        assert doc.result.reused and doc.freshen is not None  # an incremental lint; freshened when idle
        doc.freshen.cancel()
        make_config_folder(session.folder, 5)
        armed.append(True)
        await scheduler.freshen(session.ls, doc)  # what the timer runs
        await session.settled()

    try:
        asyncio.run(run())
    finally:
        session.close()
    assert armed == [None], "the freshened result was not published"
    assert session.published == sorted(session.published), session.published
    assert session.published[-1] == 3
    assert doc.result_version == 3 and not any("entries/e5/" in f.message for f in doc.result.findings)


# --------------------------------------------------------------------------- 4. reading


async def test_hover_and_symbols_after_edits_are_on_the_current_text(client: LanguageClient):
    """Lines inserted above the last entries (incremental lints): a hover on a key of the last
    entry and the outline name ranges of the current text (the full lint's outline)."""
    enc = client.enc
    path = client.folder / "artifact.yml"
    editor = Editor(client, path, manifest())
    await shown(client, editor.uri, 1)
    editor.send([insert_line(editor.text, 0, "    # 一 😀\n    # 二 😀\n")])
    editor.send([delete_line(editor.text, 10, "runtime_config_dir")])
    editor.send([insert_line(editor.text, 57, "    # 三\n")])
    text = editor.text
    for i, name in ((ENTRIES - 1, "artifact_root"), (57, "image_prewarm")):
        at = text.index(name, entry_at(text, i)[0])
        hover = await client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=editor.uri), position=position(text, at + 3, enc)
            )
        )
        assert hover is not None and name in hover.contents.value
        assert hover.range == lsp.Range(start=position(text, at, enc), end=position(text, at + len(name), enc))
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=editor.uri))
    )
    assert outline_of(symbols) == expected_outline(text, path, enc)
    artifacts = next(s for s in symbols if s.name == "artifacts")
    last = artifacts.children[-1]
    lo, hi = entry_at(text, ENTRIES - 1)
    assert last.range.start == position(text, lo + 4, enc)  # at `artifact_root`, after the dash
    assert last.range.end.line == text.count("\n", 0, hi) - 1


def outline_of(symbols) -> list:
    return [
        (s.name, s.kind, s.range, s.selection_range, outline_of(s.children) if s.children else None) for s in symbols
    ]


def expected_outline(text: str, path: Path, enc: str) -> list:
    result = lint_text(text, path=path)
    index = result.index

    def convert(s) -> tuple:
        from artifact_lsp.lsp.handlers.reading import _SYMBOL_KINDS

        return (
            s.name or "(empty)",
            _SYMBOL_KINDS.get(s.kind, lsp.SymbolKind.Key),
            lsp_range(index, s.start, max(s.end, s.selection_end), enc),
            lsp_range(index, s.selection_start, s.selection_end, enc),
            [convert(c) for c in s.children] or None,
        )

    return [convert(s) for s in outline.symbols(result.parsed.root, "manifest")]
