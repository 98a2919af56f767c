"""``artifact-lsp.regenerate`` over LSP (pytest-lsp), as VS Code and as Neovim.

The server runs the workspace's ``e2e/scripts/regenerate_artifacts.sh`` (a copy of
``examples/``) with the fake producer; ``FAKE_PRODUCER_MODE`` comes through the
``artifactLsp.regenerate.env`` setting.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import attrs
import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient, client_capabilities

from artifact_lsp import regen
from lsp_helpers import PROFILES, SERVER, diagnostics, open_doc, raw_request, replace_all, start, wait_pushed
from regen_helpers import (
    CONTAINERD,
    CONTAINERD_MANIFEST,
    DOCKER_MANIFEST,
    FIXTURES,
    async_wait_until,
    console_script,
    kill_leftovers,
    make_workspace,
    pids_in,
    producers_alive,
    regen_env,
    tree,
    tree_diff,
)

COMMAND = "artifact-lsp.regenerate"


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """Snapshots go to the user cache folder: a private one per test (the server inherits it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def regen_settings(client, mode: str = "ok", timeout: float = 30, **extra) -> dict:
    env = regen_env(mode, client.pidfile, **extra.pop("env", {}))
    return {"env": env, "timeout": timeout, **extra}


def configure(client: LanguageClient, **regenerate) -> None:
    """New ``artifactLsp.regenerate`` settings, as an editor sends them."""
    settings = {"regenerate": regenerate}
    client.set_configuration(settings, section="artifactLsp")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"artifactLsp": settings}))


async def _session(lsp_client: LanguageClient, tmp_path, profile: str, capabilities=None):
    root = make_workspace(tmp_path)
    lsp_client.root = root
    lsp_client.pidfile = tmp_path / "pids"
    lsp_client.init_result = await start(
        lsp_client, profile, root, {"regenerate": regen_settings(lsp_client)}, capabilities=capabilities
    )
    # the server fetches workspace/configuration after `initialized`, in the background: send
    # the settings too, so that a command right away already runs with them
    configure(lsp_client, **regen_settings(lsp_client))


async def _teardown(lsp_client: LanguageClient) -> None:
    kill_leftovers(lsp_client.pidfile)
    server = getattr(lsp_client, "_server", None)
    if server is not None and server.returncode is None:
        await lsp_client.shutdown_session()


@pytest_lsp.fixture(params=PROFILES, config=SERVER)
async def client(request, lsp_client: LanguageClient, tmp_path):
    lsp_client.profile = request.param
    await _session(lsp_client, tmp_path, request.param)
    yield
    await _teardown(lsp_client)


@pytest_lsp.fixture(config=SERVER)
async def vscode(lsp_client: LanguageClient, tmp_path):
    lsp_client.profile = "visual_studio_code"
    await _session(lsp_client, tmp_path, "visual_studio_code")
    yield
    await _teardown(lsp_client)


@pytest_lsp.fixture(config=SERVER)
async def pull_with_refresh(lsp_client: LanguageClient, tmp_path):
    """Neovim's capabilities plus workspace/diagnostic/refresh support."""
    caps = client_capabilities("neovim")
    workspace = attrs.evolve(
        caps.workspace, diagnostics=lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    )
    caps = attrs.evolve(caps, workspace=workspace)
    lsp_client.profile = "neovim+refresh"
    await _session(lsp_client, tmp_path, "neovim", capabilities=caps)
    yield
    await _teardown(lsp_client)


def execute(client: LanguageClient, *arguments, msg_id: str | None = None):
    params = lsp.ExecuteCommandParams(command=COMMAND, arguments=list(arguments))
    if msg_id is None:
        return client.workspace_execute_command_async(params)
    return client.protocol.send_request_async(lsp.WORKSPACE_EXECUTE_COMMAND, params, msg_id=msg_id)


def regen_tokens(client: LanguageClient) -> list:
    return [t for t in client.progress_reports if str(t).startswith("artifact-lsp-regenerate-")]


def progress_of(client: LanguageClient, token) -> tuple[list, list, list]:
    values = client.progress_reports[token]
    begins = [v for v in values if isinstance(v, lsp.WorkDoneProgressBegin)]
    reports = [v for v in values if isinstance(v, lsp.WorkDoneProgressReport)]
    ends = [v for v in values if isinstance(v, lsp.WorkDoneProgressEnd)]
    return begins, reports, ends


def shown(client: LanguageClient, needle: str) -> list[lsp.ShowMessageParams]:
    return [m for m in client.messages if needle in m.message]


def uri(client, rel: str) -> str:
    return (client.root / rel).resolve().as_uri()


def codes(diags) -> set[str]:
    return {str(d.code) for d in diags}


async def wait_running(client: LanguageClient, task=None, timeout: float = 15) -> None:
    """Until the producer runs (and the progress has begun)."""

    def ready():
        if task is not None and task.done():
            raise AssertionError(f"the command ended early: {task.result()!r}")
        return producers_alive(client.pidfile) and regen_tokens(client)

    await async_wait_until(ready, timeout, what="the producer to start")


async def wait_restored(client: LanguageClient, before: dict, timeout: float) -> None:
    def done():
        return (
            not regen.state_dir(client.root).exists()
            and not producers_alive(client.pidfile)
            and not tree_diff(before, tree(client.root / FIXTURES))
        )

    try:
        await async_wait_until(done, timeout, what="the kill and the restore")
    except AssertionError:
        raise AssertionError(
            f"not restored within {timeout} s: alive={producers_alive(client.pidfile)} "
            f"snapshot={regen.state_dir(client.root).exists()} "
            f"diff={tree_diff(before, tree(client.root / FIXTURES))[:5]}"
        ) from None


# --------------------------------------------------------------------------- success


async def test_success_result_message_progress_and_relint(client: LanguageClient):
    docker_uri = open_doc(client, client.root / DOCKER_MANIFEST)
    before = await diagnostics(client, docker_uri, lambda d: "AL202" in codes(d))
    assert {"AL103", "AL104", "AL202"} <= codes(before)
    # unopened manifests are linted (and pushed) too
    containerd_uri = uri(client, CONTAINERD_MANIFEST)
    json_uri = uri(client, f"{CONTAINERD}/artifact.json")
    await wait_pushed(client, containerd_uri, lambda d: "AL403" in codes(d))
    await wait_pushed(client, json_uri, lambda d: "AL109" in codes(d))

    result = await execute(client)
    assert result["status"] == "succeeded", result
    summary = result["summary"]
    assert summary["counts"]["changed"] >= 2
    assert f"{CONTAINERD}/artifact.json" in summary["removed"]
    assert {DOCKER_MANIFEST, CONTAINERD_MANIFEST} <= set(summary["changed"])
    assert summary["timestampOnly"] == []
    assert summary["findings"]["total"] == 0
    assert result["restored"] is False and result["exitCode"] == 0
    assert regen.read_state(client.root)["status"] == "succeeded"  # kept for undo
    assert "runtime_stack" not in (client.root / DOCKER_MANIFEST).read_text()

    # shown to the user
    info = shown(client, "regenerated:")
    assert len(info) == 1 and info[0].type == lsp.MessageType.Info
    assert result["message"] in info[0].message
    # the script's output went to the log
    logs = [m.message for m in client.log_messages]
    assert any(m.startswith("[regenerate] producer: wrote") for m in logs)
    assert any("arg: 'e2e-containerd'" in m for m in logs)
    # progress: begin (cancellable), reports, end with the outcome
    (token,) = regen_tokens(client)
    begins, reports, ends = progress_of(client, token)
    assert len(begins) == 1 and begins[0].cancellable is True and begins[0].title == "Regenerate fixtures"
    assert reports
    assert len(ends) == 1 and ends[0].message == result["message"]
    assert client.progress_reports[token][-1] is ends[0]

    # the open manifest is re-linted against the new disk: its runtime-base folder is gone
    # (the buffer still holds the old text until the editor reloads it)
    after = await diagnostics(client, docker_uri, lambda d: "AL202" not in codes(d) and "AL104" in codes(d))
    assert "AL202" not in codes(after)
    # the editor reloads the rewritten file: clean
    replace_all(client, docker_uri, (client.root / DOCKER_MANIFEST).read_text(), 2)
    assert await diagnostics(client, docker_uri, lambda d: not d) == []
    # unopened: the rewritten manifest is clean, the deleted artifact.json is cleared
    await wait_pushed(client, containerd_uri, lambda d: not d)
    await wait_pushed(client, json_uri, lambda d: not d)


async def test_pull_client_gets_a_diagnostic_refresh(pull_with_refresh: LanguageClient):
    client = pull_with_refresh
    docker_uri = open_doc(client, client.root / DOCKER_MANIFEST)
    await diagnostics(client, docker_uri, lambda d: "AL202" in codes(d))
    # the client pulls workspace diagnostics: the unopened manifests come that way
    report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
    items = {i.uri: i for i in report.items}
    assert "AL403" in codes(items[uri(client, CONTAINERD_MANIFEST)].items)
    refreshes = client.diagnostic_refresh_count

    result = await execute(client)
    assert result["status"] == "succeeded", result
    await async_wait_until(lambda: client.diagnostic_refresh_count > refreshes, 10, what="workspace/diagnostic/refresh")
    after = await diagnostics(client, docker_uri, lambda d: "AL202" not in codes(d))
    assert "AL104" in codes(after)

    async def clean_workspace():
        report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
        return {i.uri: list(getattr(i, "items", []) or []) for i in report.items}

    deadline = time.monotonic() + 10
    while True:
        now = await clean_workspace()
        if now.get(uri(client, CONTAINERD_MANIFEST)) == [] and uri(client, f"{CONTAINERD}/artifact.json") not in now:
            break
        assert time.monotonic() < deadline, now
        await asyncio.sleep(0.05)


async def test_timestamp_only_churn_over_lsp(vscode: LanguageClient):
    client = vscode
    first = await execute(client, ["e2e-docker"])
    assert first["status"] == "succeeded" and first["summary"]["timestampOnly"] == []
    # the user's env adds to the repository's [regenerate] env (ARTIFACT_PRODUCER_CMD stays)
    configure(client, env={"FAKE_PRODUCER_VERSION": "fake-2", "FAKE_PRODUCER_PIDFILE": str(client.pidfile)}, timeout=30)
    second = await execute(client, ["e2e-docker"])
    assert second["status"] == "succeeded", second
    assert len(pids_in(client.pidfile)) == 2
    # zero churn: the stamp-only manifest got its committed bytes back
    assert second["summary"]["changed"] == []
    assert second["summary"]["timestampOnly"] == [DOCKER_MANIFEST]
    assert second["summary"]["stampsRestored"] == [DOCKER_MANIFEST]
    assert "version: fake-1" in (client.root / DOCKER_MANIFEST).read_text()
    # e2e-containerd was left alone: its findings are still reported, with their places
    assert second["summary"]["findings"]["byCode"]["AL403"] == 1
    assert {"path": CONTAINERD_MANIFEST, "line": 10, "column": 15, "code": "AL403"}.items() <= next(
        i for i in second["summary"]["findings"]["items"] if i["code"] == "AL403"
    ).items()
    assert (
        "kept the committed generated_at/generator.version of 1 manifest(s)"
        in shown(client, "regenerated:")[-1].message
    )
    assert "6 contract finding(s) left" in second["message"]

    # the setting turns it off: the new stamp stays, named as stamp-only
    configure(client, env={"FAKE_PRODUCER_VERSION": "fake-3"}, timeout=30, timestamps="keep")
    third = await execute(client, ["e2e-docker"])
    assert third["summary"]["changed"] == [DOCKER_MANIFEST]
    assert third["summary"]["timestampOnly"] == [DOCKER_MANIFEST] and third["summary"]["stampsRestored"] == []
    assert "version: fake-3" in (client.root / DOCKER_MANIFEST).read_text()
    assert "changed only in generated_at/generator.version" in third["message"]


# --------------------------------------------------------------------------- failure


async def test_failure_restores_and_shows_exit_code_and_stderr(client: LanguageClient):
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "fail"))
    result = await execute(client)
    assert result["status"] == "failed"
    assert result["exitCode"] == 3 and result["restored"] is True
    assert any("template error" in line for line in result["stderrTail"])
    assert tree_diff(before, tree(client.root / FIXTURES)) == []
    assert not regen.state_dir(client.root).exists()
    # stderr went to the log as it came
    assert "[regenerate] producer: cannot render routing.yml: template error" in [
        m.message for m in client.log_messages
    ]
    errors = [m for m in client.messages if m.type == lsp.MessageType.Error]
    assert len(errors) == 1
    assert "exit code 3" in errors[0].message and "template error" in errors[0].message
    assert "restored" in errors[0].message
    (token,) = regen_tokens(client)
    _b, _r, ends = progress_of(client, token)
    assert len(ends) == 1 and "exit code 3" in ends[0].message


# --------------------------------------------------------------------------- cancel, timeout


async def test_cancel_from_the_progress_ui(client: LanguageClient):
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client))
    await wait_running(client, task)
    (token,) = regen_tokens(client)
    client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 10)
    assert result["status"] == "cancelled" and result["restored"] is True
    await wait_restored(client, before, 3)
    _b, _r, ends = progress_of(client, token)
    assert len(ends) == 1 and "cancelled" in ends[0].message
    warned = shown(client, "cancelled")
    assert warned and warned[-1].type == lsp.MessageType.Warning


async def test_cancel_request_kills_and_restores(client: LanguageClient):
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client, msg_id="regen-to-cancel"))
    await wait_running(client, task)
    (token,) = regen_tokens(client)
    client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="regen-to-cancel"))
    # the request ends (RequestCancelled, or the cancelled outcome), and the run is really stopped
    try:
        result = await asyncio.wait_for(task, 10)
    except JsonRpcRequestCancelled as exc:
        result = exc
    await wait_restored(client, before, 8)  # the run's own timeout is 60 s
    if isinstance(result, dict):
        assert result["status"] == "cancelled", result
    # the progress ends (an editor would otherwise show a spinner forever)
    await async_wait_until(lambda: progress_of(client, token)[2], 5, what="the progress end")
    # and a new run goes through
    configure(client, **regen_settings(client))
    again = await execute(client)
    assert again["status"] == "succeeded", again


async def test_timeout_kills_and_restores(vscode: LanguageClient):
    client = vscode
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=2))
    started = time.monotonic()
    result = await execute(client)
    assert result["status"] == "timed out", result
    assert time.monotonic() - started < 10
    assert result["restored"] is True and "2 s" in result["message"]
    assert pids_in(client.pidfile)
    await wait_restored(client, before, 3)
    assert shown(client, "ran over 2 s")


# --------------------------------------------------------------------------- one at a time


async def test_second_request_and_cli_are_busy_while_a_run_goes(client: LanguageClient):
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client))
    await wait_running(client, task)
    (token,) = regen_tokens(client)

    started = time.monotonic()
    second = await asyncio.wait_for(execute(client), 5)
    assert time.monotonic() - started < 2
    assert second["status"] == "busy" and "already running" in second["message"]
    assert shown(client, "already running")
    assert len(pids_in(client.pidfile)) == 1, "the second request ran nothing"

    # the CLI sees the editor's run too
    cli = await asyncio.to_thread(
        subprocess.run,
        [console_script(), "regenerate", "--root", str(client.root)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert cli.returncode == 2, cli.stderr
    assert "already running" in cli.stderr
    assert len(pids_in(client.pidfile)) == 1, "the CLI ran nothing"
    assert not task.done()

    client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 10)
    assert result["status"] == "cancelled"
    await wait_restored(client, before, 3)


# --------------------------------------------------------------------------- refused


async def test_refused_scripts_over_lsp(client: LanguageClient, tmp_path):
    marker = tmp_path / "outside-ran"
    outside = tmp_path / "outside.sh"
    outside.write_text(f"#!/bin/sh\ntouch {marker}\n")
    outside.chmod(0o755)
    os.symlink(outside, client.root / "e2e/scripts/link-out.sh")
    plain = client.root / "e2e/scripts/plain.sh"
    plain.write_text(f"#!/bin/sh\ntouch {marker}\n")
    before = tree(client.root)
    cases = [
        (str(outside), "regenerate.script"),
        ("../outside.sh", "regenerate.script"),
        ("e2e/scripts/link-out.sh", "regenerate.script"),
        ("e2e/scripts/nope.sh", "regenerate.script"),
        ("e2e/scripts/plain.sh", "chmod +x"),
    ]
    for script, hint in cases:
        configure(client, **regen_settings(client, script=script))
        result = await execute(client)
        assert result["status"] == "refused", (script, result)
        assert hint in result["message"], (script, result)
        errors = [m for m in client.messages if m.type == lsp.MessageType.Error]
        assert errors and hint in errors[-1].message
        assert not (client.root / ".artifact-lsp").exists()
        assert not marker.exists()
        assert not pids_in(client.pidfile)
    assert len([m for m in client.messages if m.type == lsp.MessageType.Error]) == len(cases)
    assert tree_diff(before, tree(client.root)) == []
    # refused before any progress bar appeared (no spinner flashing up for a refusal)
    assert regen_tokens(client) == []


# --------------------------------------------------------------------------- progress


async def test_chatty_output_is_rate_limited_in_progress_but_fully_logged(client: LanguageClient):
    configure(client, **regen_settings(client, "chatty", env={"FAKE_PRODUCER_LINES": "2000"}))
    result = await execute(client, ["e2e-docker"])
    assert result["status"] == "succeeded", result
    steps = [m.message for m in client.log_messages if "producer: step" in m.message]
    assert steps == [f"[regenerate] producer: step {i}" for i in range(2000)]  # every line, in order
    (token,) = regen_tokens(client)
    begins, reports, ends = progress_of(client, token)
    assert begins[0].cancellable is True
    assert 1 <= len(reports) < 200, len(reports)
    assert all(r.cancellable in (True, None) for r in reports)
    assert ends[0].message == result["message"]


# --------------------------------------------------------------------------- entry points


async def test_code_lens_on_manifests(client: LanguageClient):
    caps = client.init_result.capabilities
    assert COMMAND in caps.execute_command_provider.commands
    assert caps.code_lens_provider is not None
    docker_uri = open_doc(client, client.root / DOCKER_MANIFEST)
    lenses = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=docker_uri))
    )
    assert len(lenses) == 1
    lens = lenses[0]
    assert lens.range.start == lsp.Position(line=0, character=0)
    assert lens.command.command == COMMAND
    assert "Regenerate fixtures" in lens.command.title
    assert list(lens.command.arguments) == [{"uri": docker_uri, "targets": ["e2e-docker"]}]
    # the matrix gets none
    matrix_uri = open_doc(client, client.root / "e2e/environments/test_matrix.yaml")
    assert not await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=matrix_uri))
    )
    # running the lens's command regenerates that environment only
    containerd_before = tree(client.root / CONTAINERD)
    result = await execute(client, *lens.command.arguments)
    assert result["status"] == "succeeded", result
    assert tree(client.root / CONTAINERD) == containerd_before
    assert "runtime_stack" not in (client.root / DOCKER_MANIFEST).read_text()


async def test_code_action_on_stale_and_runtime_base_diagnostics(client: LanguageClient):
    for manifest, code in [(DOCKER_MANIFEST, "AL202"), (CONTAINERD_MANIFEST, "AL403")]:
        doc_uri = open_doc(client, client.root / manifest)
        diags = await diagnostics(client, doc_uri, lambda d, c=code: c in codes(d))
        target = next(d for d in diags if d.code == code)
        actions = await code_actions(client, doc_uri, target)
        regen_actions = [
            a for a in actions if isinstance(a.get("command"), dict) and a["command"]["command"] == COMMAND
        ]
        assert len(regen_actions) == 1, actions
        action = regen_actions[0]
        env = manifest.split("/")[2]
        assert action["kind"] == lsp.CodeActionKind.QuickFix
        assert env in action["title"] and "Regenerate fixtures" in action["title"]
        assert action["command"]["arguments"] == [{"uri": doc_uri, "targets": [env]}]
        # a diagnostic of another kind gets no regenerate action
        other = next(
            d for d in diags if d.code not in ("AL202", "AL403") and d.range.start.line != target.range.start.line
        )
        actions = await code_actions(client, doc_uri, other)
        assert actions, "the other diagnostic has its own actions"
        assert not [a for a in actions if isinstance(a.get("command"), dict) and a["command"]["command"] == COMMAND]
        # running the action's command regenerates that environment only
        result = await execute(client, *action["command"]["arguments"])
        assert result["status"] == "succeeded", result
        assert manifest in result["summary"]["changed"]
        assert all(
            k.startswith(f"{FIXTURES}/{env}/") for k in result["summary"]["changed"] + result["summary"]["removed"]
        )
        # the editor reloads the rewritten file: the diagnostic is gone
        replace_all(client, doc_uri, (client.root / manifest).read_text(), 2)
        assert await diagnostics(client, doc_uri, lambda d: not d) == []


async def code_actions(client: LanguageClient, doc_uri: str, diag: lsp.Diagnostic) -> list[dict]:
    """textDocument/codeAction as plain JSON: lsprotocol's client-side structuring takes a
    CodeAction that carries a ``command`` for a Command (and loses the command)."""
    params = lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc_uri),
        range=diag.range,
        context=lsp.CodeActionContext(diagnostics=[diag]),
    )
    return await raw_request(client, lsp.TEXT_DOCUMENT_CODE_ACTION, params)


# --------------------------------------------------------------------------- crash


async def test_server_killed_mid_run_then_cli_restore(vscode: LanguageClient):
    client = vscode
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client))
    await wait_running(client, task)
    server = client._server
    os.kill(server.pid, signal.SIGKILL)
    await asyncio.wait_for(server.wait(), 10)
    task.cancel()
    kill_leftovers(client.pidfile)  # the orphaned script (its own process group) outlives the server
    assert (regen.state_dir(client.root) / "state.json").is_file()
    assert tree_diff(before, tree(client.root / FIXTURES)), "the script had wiped e2e-docker"

    def cli(*args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_PRODUCER")}
        return subprocess.run(
            [console_script(), "regenerate", "--root", str(client.root), *args],
            capture_output=True, text=True, timeout=30, env=env,
        )  # fmt: skip

    refused = await asyncio.to_thread(cli)
    assert refused.returncode == 2 and "--restore" in refused.stderr
    restored = await asyncio.to_thread(cli, "--restore")
    assert restored.returncode == 0, restored.stderr
    assert tree_diff(before, tree(client.root / FIXTURES)) == []
    assert not regen.state_dir(client.root).exists()


async def test_shutdown_during_a_run_stops_it_and_restores(vscode: LanguageClient):
    """An editor closing mid-run: shutdown waits for the run to stop and restore."""
    client = vscode
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client))
    await wait_running(client, task)
    # shutdown + exit, as an editor closing does; the server answers shutdown only once the
    # run has stopped and restored, then exits (teardown finds it gone)
    await asyncio.wait_for(client.shutdown_session(), 30)
    assert client._server.returncode is not None
    assert not producers_alive(client.pidfile)
    assert tree_diff(before, tree(client.root / FIXTURES)) == []
    assert not (client.root / ".artifact-lsp" / "regenerate").exists()
    task.cancel()


async def test_sigterm_during_a_run_stops_it_and_restores(vscode: LanguageClient):
    """An editor that terminates its server (SIGTERM) mid-run loses nothing either."""
    client = vscode
    before = tree(client.root / FIXTURES)
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client))
    await wait_running(client, task)
    server = client._server
    os.kill(server.pid, signal.SIGTERM)
    await asyncio.wait_for(server.wait(), 20)
    task.cancel()
    assert not producers_alive(client.pidfile), "the script's process group was stopped"
    assert tree_diff(before, tree(client.root / FIXTURES)) == []
    assert not regen.state_dir(client.root).exists()


async def test_progress_shows_the_newest_line_after_a_burst(vscode: LanguageClient):
    """Rate-limited reports never leave a stale line up: the held-back newest one follows."""
    client = vscode
    configure(client, **regen_settings(client, "hang", timeout=60))
    task = asyncio.ensure_future(execute(client))
    await wait_running(client, task)
    (token,) = regen_tokens(client)

    def newest_report():
        _b, reports, _e = progress_of(client, token)
        return reports[-1].message if reports else ""

    await async_wait_until(
        lambda: "waiting for the registry" in newest_report(), 5, what="the newest line in the progress"
    )
    client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 10)
    assert result["status"] == "cancelled"


# --------------------------------------------------------------------------- review and undo


async def test_result_names_the_changes_and_undo_restores_the_pre_run_bytes(vscode: LanguageClient):
    """The command's result lists what changed, with the snapshot copy of each file for a
    diff view; ``artifact-lsp.undoRegeneration`` puts back the pre-run bytes."""
    client = vscode
    before = tree(client.root / FIXTURES)
    result = await execute(client, {"uri": client.root.as_uri()})
    assert result["status"] == "succeeded", result
    summary = result["summary"]
    assert DOCKER_MANIFEST in summary["changed"] and f"{CONTAINERD}/artifact.json" in summary["removed"]
    files = {f["path"]: f for f in result["review"]["files"]}
    assert set(files) == set(summary["changed"]) | set(summary["added"]) | set(summary["removed"])
    docker = files[DOCKER_MANIFEST]
    assert docker["change"] == "changed" and docker["after"] == str(client.root.resolve() / DOCKER_MANIFEST)
    with open(docker["before"], "rb") as fh:  # the snapshot copy: the pre-run bytes
        assert b"runtime_stack" in fh.read()
    kinds = [f["path"].rsplit("/", 1)[-1] in ("artifact.yml", "artifact.json") for f in result["review"]["files"]]
    assert kinds == sorted(kinds, reverse=True), "manifests first"

    undone = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="artifact-lsp.undoRegeneration", arguments=[client.root.as_uri()])
    )
    assert undone["status"] == "undone", undone
    assert tree_diff(before, tree(client.root / FIXTURES)) == []
    assert shown(client, "undid the regeneration")
    again = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="artifact-lsp.undoRegeneration", arguments=[client.root.as_uri()])
    )
    assert again["status"] == "refused" and "nothing to undo" in again["message"]


async def test_without_a_script_the_server_drives_the_configured_producer(vscode: LanguageClient):
    client = vscode
    (client.root / "e2e/scripts/regenerate_artifacts.sh").unlink()
    refused = await execute(client, {"uri": client.root.as_uri()})
    assert refused["status"] == "refused"
    assert "regenerate.producer" in refused["message"] and "regenerate.environments" in refused["message"]
    config = client.root / ".artifact-lsp.toml"
    config.write_text(
        config.read_text().replace('script = "e2e/scripts/regenerate_artifacts.sh"\n', "")
        + '\n[regenerate.environments.e2e-docker]\nmode = "docker"\ntemplate = "e2e/fixtures/template.e2e.yaml"\nproject = "esb-e2e-docker"\n'
    )
    result = await execute(client, {"uri": client.root.as_uri()})
    assert result["status"] == "succeeded", result
    assert DOCKER_MANIFEST in result["summary"]["changed"]
    assert not (client.root / "e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/runtime-base").exists()
    assert "version: 3ddc92b" in (client.root / CONTAINERD_MANIFEST).read_text(), "only the configured environment ran"
