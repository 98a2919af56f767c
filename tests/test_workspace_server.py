"""The workspace lint of the language server (issue 10, items 9, 11, 12): what a change
re-lints, faults in the tree, and ``workspace/diagnostic`` right after ``initialized``.

Driven over raw stdio (``raw_lsp``) so that the order of every message is visible.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from raw_lsp import PULL, PUSH, RawClient, codes

DATA = Path(__file__).parent / "data" / "ws"
HERE = Path(__file__).parent


@pytest.fixture
def ws(tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(DATA, root)
    return root


@pytest.fixture
def clients():
    made: list[RawClient] = []

    def make(argv=None, env=None) -> RawClient:
        if env is not None:
            old = dict(os.environ)
            os.environ.update(env)
            try:
                client = RawClient(argv)
            finally:
                os.environ.clear()
                os.environ.update(old)
        else:
            client = RawClient(argv)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def uri(path: Path) -> str:
    return Path(os.path.abspath(path)).as_uri()


def stale(ws: Path) -> Path:
    return ws / "e2e/artifacts/e2e-stale/artifact.yml"


def matrix(ws: Path) -> Path:
    return ws / "e2e/environments/test_matrix.yaml"


def roundtrip(client: RawClient) -> None:
    """A request answered after everything the server had already queued is out."""
    client.call(
        "textDocument/hover",
        {"textDocument": {"uri": uri(Path("/nowhere/artifact.yml"))}, "position": {"line": 0, "character": 0}},
    )


# ------------------------------------------------------------------ item 12


def test_workspace_diagnostic_right_after_initialized_has_the_reports(ws, clients):
    client = clients()
    client.start(ws, PULL, initialized=False)
    client.notify("initialized", {})
    result = client.call("workspace/diagnostic", {"previousResultIds": []})
    by_uri = {item["uri"]: item for item in result["items"]}
    assert uri(stale(ws)) in by_uri, by_uri.keys()
    assert "AL103" in codes(by_uri[uri(stale(ws))]["items"])
    assert uri(matrix(ws)) in by_uri


# ------------------------------------------------------------------ item 9


def test_a_change_relints_only_what_depends_on_it(ws, clients):
    client = clients()
    client.start(ws, PUSH)
    client.wait_published(uri(stale(ws)), lambda items: "AL103" in codes(items))
    client.wait_published(uri(matrix(ws)))
    docker = ws / "e2e/artifacts/e2e-docker/artifact.yml"
    client.wait_published(uri(docker))
    roundtrip(client)
    mark = len(client.log)

    # a saved manifest re-lints the matrices naming it, not the whole workspace ...
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri(docker), "languageId": "yaml", "version": 1, "text": docker.read_text()}},
    )
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri(docker)}})
    # ... and a config folder's file re-lints the manifest that uses it
    (ws / "e2e/artifacts/e2e-stale/entries/template-b/config/functions.yml").unlink()
    client.notify(
        "workspace/didChangeWatchedFiles",
        {"changes": [{"uri": uri(ws / "e2e/artifacts/e2e-stale/entries/template-b/config/functions.yml"), "type": 3}]},
    )
    client.wait_published(uri(stale(ws)), lambda items: "AL401" in codes(items), after=mark)
    roundtrip(client)
    others = [p["uri"] for p in client.publications(after=mark) if p["uri"] not in (uri(stale(ws)), uri(docker))]
    assert others == [], others  # the matrix and the rest were not re-published


def test_a_manifest_change_relints_the_matrix_naming_it(ws, clients):
    client = clients()
    client.start(ws, PUSH)
    client.wait_published(uri(matrix(ws)), lambda items: "AL505" not in codes(items))
    roundtrip(client)
    mark = len(client.log)
    docker = ws / "e2e/artifacts/e2e-docker/artifact.yml"
    docker.unlink()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(docker), "type": 3}]})
    client.wait_published(uri(matrix(ws)), lambda items: "AL505" in codes(items), after=mark)
    client.wait_published(uri(docker), lambda items: items == [], after=mark)


def test_a_config_change_relints_its_subtree_with_the_new_config(ws, clients):
    client = clients()
    client.start(ws, PUSH)
    client.wait_published(uri(stale(ws)), lambda items: "AL103" in codes(items))
    roundtrip(client)
    mark = len(client.log)
    config = ws / "e2e/artifacts/e2e-stale/.artifact-lsp.toml"
    config.write_text('ignore = ["AL103"]\n')
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(config), "type": 1}]})
    client.wait_published(uri(stale(ws)), lambda items: "AL103" not in codes(items), after=mark)


def test_a_new_manifest_is_picked_up(ws, clients):
    client = clients()
    client.start(ws, PUSH)
    client.wait_published(uri(stale(ws)))
    new = ws / "e2e/artifacts/e2e-new/artifact.yml"
    new.parent.mkdir()
    new.write_text(stale(ws).read_text())
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(new), "type": 1}]})
    client.wait_published(uri(new), lambda items: "AL103" in codes(items))


# ------------------------------------------------------------------ item 11


def test_a_symlink_loop_does_not_hide_the_other_files(ws, clients):
    loop = ws / "e2e/artifacts/e2e-loop"
    loop.mkdir()
    os.symlink("artifact.yml", loop / "artifact.yml")
    client = clients()
    client.start(ws, PUSH)
    client.wait_published(uri(stale(ws)), lambda items: "AL103" in codes(items))
    report = client.wait_published(uri(loop / "artifact.yml"))
    assert codes(report["params"]["diagnostics"]) == ["AL004"]
    assert "symbolic link loop" in report["params"]["diagnostics"][0]["message"]


def test_a_symlinked_manifest_is_checked_as_the_cli_checks_it(ws, clients):
    real = ws / "elsewhere" / "manifest-source.yml"
    real.parent.mkdir()
    real.write_text(stale(ws).read_text())
    linked = ws / "e2e/artifacts/e2e-linked/artifact.yml"
    linked.parent.mkdir()
    os.symlink(real, linked)
    client = clients()
    client.start(ws, PUSH)
    client.wait_published(uri(linked), lambda items: "AL103" in codes(items))


def test_an_unreadable_manifest_and_folder_are_reported(ws, clients):
    blocked_file = stale(ws)
    blocked_folder = ws / "e2e/environments"
    client = clients(
        [sys.executable, str(HERE / "fault_server.py")],
        env={"ARTIFACT_LSP_TEST_UNREADABLE": os.pathsep.join([str(blocked_file), str(blocked_folder)])},
    )
    client.start(ws, PUSH)
    report = client.wait_published(uri(blocked_file))
    assert codes(report["params"]["diagnostics"]) == ["AL004"]
    assert "Permission denied" in report["params"]["diagnostics"][0]["message"]
    shown = client.wait(lambda m: m.get("method") == "window/showMessage", "a message about the folder")
    assert str(blocked_folder) in shown["params"]["message"]
    assert "Permission denied" in shown["params"]["message"]


def test_a_keystroke_never_waits_behind_workspace_work(ws, clients, tmp_path):
    """Workspace passes are held in flight (their file lints block on a FIFO); saves pile up
    more workspace work; a keystroke on an open document is still linted and published."""
    hold = tmp_path / "hold"
    os.mkfifo(hold)
    client = clients(
        [sys.executable, str(HERE / "fault_server.py")], env={"ARTIFACT_LSP_TEST_HOLD_DISK_LINT": str(hold)}
    )
    client.start(ws, PUSH)
    docker = ws / "e2e/artifacts/e2e-docker/artifact.yml"
    text = docker.read_text()
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri(docker), "languageId": "yaml", "version": 1, "text": text}}
    )
    client.wait_published(uri(docker), lambda items: "AL104" in codes(items))
    for _ in range(5):
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri(docker)}})
        client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(stale(ws)), "type": 2}]})
    roundtrip(client)
    edited = text.replace("    id: ", "    idx: ", 1)
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri(docker), "version": 2}, "contentChanges": [{"text": edited}]},
    )
    published = client.wait(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri(docker)
            and m["params"].get("version") == 2
        ),
        "the keystroke's diagnostics while workspace work is held",
    )
    assert codes(published["params"]["diagnostics"]) != []
    assert not any(p["uri"] == uri(stale(ws)) for p in client.publications())  # the workspace is still held
    with open(hold, "wb") as fifo:
        fifo.write(b"go")
    client.wait_published(uri(stale(ws)), lambda items: "AL103" in codes(items))
