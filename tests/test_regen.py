"""Fixture regeneration: ``artifact_lsp.regen`` (in process) and ``artifact-lsp regenerate``.

The workspace is a copy of ``examples/``: its ``e2e/scripts/regenerate_artifacts.sh`` (the
upstream's shape: wipe the folder, run the producer) drives ``tools/fake_producer.py``, whose
behaviour ``FAKE_PRODUCER_MODE`` picks (ok, fail, hang, chatty). ``FAKE_PRODUCER_PIDFILE``
lets a test check that no producer survives a cancel or a timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from artifact_lsp import regen
from artifact_lsp.cli import main
from artifact_lsp.engine.config import load_config
from regen_helpers import (
    CONTAINERD,
    CONTAINERD_MANIFEST,
    DOCKER,
    DOCKER_MANIFEST,
    FIXTURES,
    console_script,
    files_of,
    kill_leftovers,
    make_workspace,
    pids_in,
    producers_alive,
    regen_env,
    tree,
    tree_diff,
    wait_dead,
    wait_until,
    write_script,
)


@pytest.fixture(autouse=True)
def quick_kill(monkeypatch, tmp_path):
    # snapshots go to the user cache folder: a private one per test
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(regen.process, "KILL_GRACE", 0.5)
    for name in (
        "FAKE_PRODUCER_MODE",
        "FAKE_PRODUCER_VERSION",
        "FAKE_PRODUCER_LINES",
        "FAKE_PRODUCER_PIDFILE",
        "FAKE_PRODUCER_STAMP",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ws(tmp_path):
    root = make_workspace(tmp_path)
    yield root
    kill_leftovers(tmp_path / "pids")


@pytest.fixture
def pidfile(tmp_path) -> Path:
    return tmp_path / "pids"


def settings(root: Path, mode: str = "ok", pidfile: Path | None = None, **overrides) -> regen.Settings:
    """The workspace's ``[regenerate]`` table, with the producer mode and overrides."""
    raw = dict(load_config(root / "_").regenerate)
    extra_env = overrides.pop("extra_env", {})
    raw["env"] = {**raw.get("env", {}), **regen_env(mode, pidfile), **extra_env}
    raw.update(overrides)
    return regen.Settings.from_dict(raw)


class Recorder(regen.Reporter):
    def __init__(self):
        self.lines: list[tuple[str, str]] = []
        self.phases: list[str] = []

    def output(self, stream, line):
        self.lines.append((stream, line))

    def progress(self, message):
        self.phases.append(message)

    def stdout(self) -> list[str]:
        return [line for stream, line in self.lines if stream == "stdout"]


def state_dir(root: Path) -> Path:
    return regen.state_dir(root)


def wait_next_second() -> None:
    """generated_at has a one-second resolution: make sure the next run gets a new one."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.02)


# --------------------------------------------------------------------------- success


async def test_success_rewrites_fixtures_and_summarises(ws):
    before = tree(ws / FIXTURES)
    old_docker = yaml.safe_load((ws / DOCKER_MANIFEST).read_text())
    assert "runtime_stack" in old_docker
    rec = Recorder()
    outcome = await regen.run(ws, settings(ws), reporter=rec)
    assert outcome.status == "succeeded", outcome.message
    assert outcome.ok and outcome.exit_code == 0 and not outcome.restored
    assert regen.read_state(ws)["status"] == "succeeded", "the snapshot is kept for --undo"

    # the fixtures were rewritten by the producer: current shape, no legacy keys, no runtime-base
    new_docker = yaml.safe_load((ws / DOCKER_MANIFEST).read_text())
    assert "runtime_stack" not in new_docker
    assert all("id" not in e and "runtime_meta" not in e for e in new_docker["artifacts"])
    assert new_docker["generator"] == {"name": "esb", "version": "fake-1"}
    assert not (ws / DOCKER / "entries/template-e2e-5f1c2a90/runtime-base").exists()
    assert not (ws / CONTAINERD / "artifact.json").exists()
    after = tree(ws / FIXTURES)
    # what is outside the environment folders the script wipes is untouched
    assert after["README.txt"] == before["README.txt"]
    assert after["docker-manifest-link"] == before["docker-manifest-link"]

    # the summary matches the trees
    old_files, new_files = files_of(before, FIXTURES), files_of(after, FIXTURES)
    summary = outcome.summary
    assert summary["added"] == sorted(set(new_files) - set(old_files))
    assert summary["removed"] == sorted(set(old_files) - set(new_files))
    assert summary["changed"] == sorted(k for k in set(old_files) & set(new_files) if old_files[k] != new_files[k])
    assert summary["counts"] == {
        "added": len(summary["added"]),
        "changed": len(summary["changed"]),
        "removed": len(summary["removed"]),
        "stampsRestored": 0,
    }
    assert f"{DOCKER}/notes/secret.txt" in summary["removed"]
    assert f"{CONTAINERD}/artifact.json" in summary["removed"]
    assert (
        f"{DOCKER}/entries/template-e2e-5f1c2a90/runtime-base/runtime-hooks/python/sitecustomize.py"
        in summary["removed"]
    )
    assert {DOCKER_MANIFEST, CONTAINERD_MANIFEST} <= set(summary["changed"])
    # the first regeneration changes real content: nothing is "timestamp only"
    assert summary["timestampOnly"] == []
    assert summary["findings"] == {"total": 0, "byCode": {}, "items": []}
    counts = summary["counts"]
    assert f"{counts['added']} added, {counts['changed']} changed, {counts['removed']} removed" in outcome.message
    assert "no contract finding left" in outcome.message
    # the script's output streamed through the reporter, phases too
    assert any("producer: wrote" in line for line in rec.stdout())
    assert any(p.startswith("snapshotting") for p in rec.phases)
    assert any(p.startswith("running regenerate_artifacts.sh") for p in rec.phases)


async def test_targets_limit_the_run_and_remaining_findings_are_reported(ws):
    containerd_before = tree(ws / CONTAINERD)
    rec = Recorder()
    outcome = await regen.run(ws, settings(ws), ["e2e-docker"], rec)
    assert outcome.ok, outcome.message
    # the environment arrived as an argument: only e2e-docker was produced
    assert "arg: 'e2e-docker'" in rec.stdout()
    assert "arg: 'e2e-containerd'" not in rec.stdout()
    assert tree(ws / CONTAINERD) == containerd_before
    findings = outcome.summary["findings"]
    # e2e-containerd still has its stale hash, legacy keys and artifact.json
    assert findings["byCode"] == {"AL104": 1, "AL106": 1, "AL108": 1, "AL109": 1, "AL201": 1, "AL403": 1}
    assert findings["total"] == 6
    assert "6 contract finding(s) left" in outcome.message
    assert all(k.startswith(DOCKER + "/") for k in outcome.summary["changed"] + outcome.summary["removed"])


async def test_targets_as_args_false_runs_everything(ws):
    rec = Recorder()
    outcome = await regen.run(ws, settings(ws, targetsAsArgs=False), ["e2e-docker"], rec)
    assert outcome.ok, outcome.message
    assert "arg: 'e2e-containerd'" in rec.stdout()


def stamp(value: str) -> dict:
    return {"extra_env": {"FAKE_PRODUCER_STAMP": value}}


async def test_timestamp_only_churn_is_detected_when_kept(ws):
    """With timestamps = "keep" the stamp-only manifests stay rewritten, named as such."""
    first = await regen.run(ws, settings(ws, **stamp("2030-01-01T00:00:00Z")), reporter=Recorder())
    assert first.ok and first.summary["timestampOnly"] == []
    routing = (ws / DOCKER / "entries/template-e2e-5f1c2a90/config/routing.yml").read_bytes()

    second = await regen.run(ws, settings(ws, timestamps="keep", **stamp("2030-01-02T00:00:00Z")), reporter=Recorder())
    assert second.ok, second.message
    assert second.summary["changed"] == [CONTAINERD_MANIFEST, DOCKER_MANIFEST]
    assert second.summary["timestampOnly"] == [CONTAINERD_MANIFEST, DOCKER_MANIFEST]
    assert second.summary["stampsRestored"] == []
    assert second.summary["counts"] == {"added": 0, "changed": 2, "removed": 0, "stampsRestored": 0}
    assert "2 manifest(s) changed only in generated_at/generator.version" in second.message
    assert (ws / DOCKER / "entries/template-e2e-5f1c2a90/config/routing.yml").read_bytes() == routing
    assert "2030-01-02" in (ws / DOCKER_MANIFEST).read_text()

    # a new producer version is low-signal too
    third = await regen.run(
        ws, settings(ws, timestamps="keep", extra_env={"FAKE_PRODUCER_VERSION": "fake-2"}), reporter=Recorder()
    )
    assert third.ok, third.message
    assert yaml.safe_load((ws / DOCKER_MANIFEST).read_text())["generator"]["version"] == "fake-2"
    assert third.summary["timestampOnly"] == [CONTAINERD_MANIFEST, DOCKER_MANIFEST]

    # a real change (the template changed: new sha256) is not
    template = ws / "e2e/fixtures/template.e2e.yaml"
    template.write_text(template.read_text() + "# changed\n")
    fourth = await regen.run(ws, settings(ws, timestamps="keep"), reporter=Recorder())
    assert fourth.ok, fourth.message
    assert fourth.summary["changed"] == [CONTAINERD_MANIFEST, DOCKER_MANIFEST]
    assert fourth.summary["timestampOnly"] == []
    assert "generated_at" not in fourth.message


async def test_stamp_only_manifests_get_their_committed_bytes_back(ws):
    """Zero churn (the default): a run that changes nothing but the stamp leaves every byte,
    mode and mtime as committed; a real change is kept and named."""
    first = await regen.run(ws, settings(ws, **stamp("2030-01-01T00:00:00Z")), reporter=Recorder())
    assert first.ok, first.message
    committed = tree(ws / FIXTURES)
    mtimes = {k: os.lstat(ws / k).st_mtime_ns for k in (DOCKER_MANIFEST, CONTAINERD_MANIFEST)}

    second = await regen.run(
        ws, settings(ws, **{"extra_env": {"FAKE_PRODUCER_STAMP": "2031-05-05T05:05:05Z", "FAKE_PRODUCER_VERSION": "fake-9"}}),
        reporter=Recorder(),
    )  # fmt: skip
    assert second.ok, second.message
    assert tree_diff(committed, tree(ws / FIXTURES)) == []
    assert {k: os.lstat(ws / k).st_mtime_ns for k in mtimes} == mtimes
    assert second.summary["stampsRestored"] == [CONTAINERD_MANIFEST, DOCKER_MANIFEST]
    assert second.summary["timestampOnly"] == [CONTAINERD_MANIFEST, DOCKER_MANIFEST]
    assert second.summary["counts"] == {"added": 0, "changed": 0, "removed": 0, "stampsRestored": 2}
    assert "kept the committed generated_at/generator.version of 2 manifest(s)" in second.message

    # one manifest really changes (its template is another file now): it is kept and named,
    # the other one, stamp-only, goes back to its committed bytes
    (ws / "e2e/fixtures/other.yaml").write_text("Resources: {}\n")
    write_script(
        ws / "e2e/scripts/one_changes.sh",
        '#!/usr/bin/env bash\nset -eu\ne2e/scripts/regenerate_artifacts.sh "$@"\n'
        "sed -i 's#e2e/fixtures/template.e2e.yaml#e2e/fixtures/other.yaml#' e2e/artifacts/e2e-docker/artifact.yml\n",
    )
    third = await regen.run(
        ws, settings(ws, script="e2e/scripts/one_changes.sh", **stamp("2032-01-01T00:00:00Z")), reporter=Recorder()
    )
    assert third.ok, third.message
    assert third.summary["changed"] == [DOCKER_MANIFEST]
    assert third.summary["stampsRestored"] == [CONTAINERD_MANIFEST]
    assert (ws / CONTAINERD_MANIFEST).read_bytes() == (first_bytes := (ws / CONTAINERD_MANIFEST).read_bytes())
    assert "2030-01-01" in first_bytes.decode()
    assert "2032-01-01" in (ws / DOCKER_MANIFEST).read_text(), "a file with a real change keeps its new stamp too"
    assert "other.yaml" in (ws / DOCKER_MANIFEST).read_text()


@pytest.mark.parametrize(
    "before, after",
    [
        # data equal without the stamp, but a comment / the key order / a quoting changed
        ("a: 1\ngenerated_at: x\n", "# new comment\na: 1\ngenerated_at: y\n"),
        ("a: 1\nb: 2\ngenerated_at: x\n", "b: 2\na: 1\ngenerated_at: y\n"),
        ("a: '1'\ngenerated_at: x\n", 'a: "1"\ngenerated_at: y\n'),
        ("a: 1\ngenerator:\n  name: esb\n  version: '1'\n", "a: 1\ngenerator:\n  name: other\n  version: '2'\n"),
    ],
)
def test_a_stamp_is_never_restored_over_another_change(before, after):
    assert regen._low_signal_only(before.encode(), after.encode()) is False


@pytest.mark.parametrize(
    "before, after, low",
    [
        ("a: 1\ngenerated_at: x\n", "a: 1\ngenerated_at: y\n", True),
        ("a: 1\ngenerator: {name: esb, version: '1'}\n", "a: 1\ngenerator: {name: esb, version: '2'}\n", True),
        ("a: 1\ngenerated_at: x\n", "a: 1\ngenerated_at: x\n", False),  # no change at all
        ("a: 1\ngenerated_at: x\n", "a: 2\ngenerated_at: y\n", False),
        ("generator: {name: esb, version: '1'}\n", "generator: {name: other, version: '1'}\n", False),
        ("a: 1\n", "a: 1\ngenerated_at: y\n", True),
        ("a: [1\n", "a: [1\n", False),  # broken YAML is never low-signal
    ],
)
def test_low_signal_comparison(before, after, low):
    assert regen._low_signal_only(before.encode(), after.encode()) is low


# --------------------------------------------------------------------------- failure


async def test_failure_restores_every_byte_mode_and_link(ws):
    before = tree(ws / FIXTURES)
    rec = Recorder()
    outcome = await regen.run(ws, settings(ws, "fail"), reporter=rec)
    assert outcome.status == "failed"
    assert outcome.exit_code == 3
    assert outcome.restored
    assert "exit code 3" in outcome.message and "restored" in outcome.message
    assert any("template error" in line for line in outcome.stderr_tail)
    # the script did run (and wiped e2e-docker) before the producer failed
    assert any(line.startswith("arg: ") for line in rec.stdout())
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()


async def test_restore_undoes_every_kind_of_change(ws):
    """A script that adds, changes, deletes, re-modes, re-links and re-types things, then fails."""
    write_script(
        ws / "e2e/scripts/vandal.sh",
        """#!/usr/bin/env bash
set -eu
d=e2e/artifacts/e2e-docker
echo changed >> "$d/artifact.yml"                     # content
chmod 0644 "$d/notes/secret.txt"                      # mode of a file
chmod 0755 "$d/private-folder"                        # mode of a folder
chmod 0644 "$d/notes/tool.sh"                         # lose the x bit
rm "$d/notes/blob.bin"                                # a deleted file
rm -r "$d/empty-folder"                               # a deleted empty folder
rm "$d/notes/link-to-secret"; ln -s tool.sh "$d/notes/link-to-secret"   # a re-pointed link
rm "$d/notes/dangling"; echo now-a-file > "$d/notes/dangling"           # link -> file
rm -r "$d/entries/template-e2e-5f1c2a90/runtime-base"; echo x > "$d/entries/template-e2e-5f1c2a90/runtime-base"  # dir -> file
rm "$d/entries/template-e2e-5f1c2a90/config/routing.yml"; mkdir "$d/entries/template-e2e-5f1c2a90/config/routing.yml"  # file -> dir
mkdir -p "$d/new/deeper"; echo new > "$d/new/deeper/added.txt"          # added files and folders
ln -s /etc/passwd "$d/new/escape"                     # an added link
touch e2e/artifacts/added-at-top
rm -rf e2e/artifacts/e2e-containerd                   # a whole environment gone
echo "vandal: giving up" >&2
exit 1
""",
    )
    before = tree(ws / FIXTURES)
    outcome = await regen.run(ws, settings(ws, script="e2e/scripts/vandal.sh"), reporter=Recorder())
    assert outcome.status == "failed" and outcome.exit_code == 1 and outcome.restored
    assert outcome.stderr_tail == ["vandal: giving up"]
    assert tree_diff(before, tree(ws / FIXTURES)) == []


async def test_restore_when_the_fixture_folder_did_not_exist(tmp_path):
    """A fixture folder that did not exist before the run is removed again on failure."""
    ws = make_workspace(tmp_path, extras=False)
    write_script(ws / "gen.sh", "#!/bin/sh\nmkdir -p out/new && echo x > out/new/f\nexit 4\n")
    outcome = await regen.run(ws, regen.Settings(script="gen.sh", fixtures=["out", FIXTURES]), reporter=Recorder())
    assert outcome.status == "failed" and outcome.exit_code == 4 and outcome.restored
    assert not (ws / "out").exists()


# --------------------------------------------------------------------------- cancel and timeout


async def test_timeout_kills_the_process_group_and_restores(ws, pidfile):
    before = tree(ws / FIXTURES)
    started = time.monotonic()
    outcome = await regen.run(ws, settings(ws, "hang", pidfile, timeout=2), reporter=Recorder())
    took = time.monotonic() - started
    assert outcome.status == "timed out"
    assert outcome.restored
    assert "2 s" in outcome.message and "restored" in outcome.message
    assert 2 <= took < 8
    assert pids_in(pidfile), "the producer ran"
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()


async def test_term_ignored_means_kill(ws, pidfile):
    """A script that ignores SIGTERM (and a child that inherits that) still dies: KILL follows."""
    write_script(
        ws / "stubborn.sh",
        f"""#!/usr/bin/env bash
trap '' TERM
rm -rf e2e/artifacts/e2e-docker
python3 -c 'import os, time, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open("{pidfile}", "a").write(str(os.getpid()) + "\\n")
print("stubborn child", flush=True)
while True: time.sleep(1)' fake_producer.py &
wait
""",
    )
    before = tree(ws / FIXTURES)
    outcome = await regen.run(ws, regen.Settings(script="stubborn.sh", timeout=1.5), reporter=Recorder())
    assert outcome.status == "timed out" and outcome.restored
    assert pids_in(pidfile)
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)) == []


async def test_cancel_event_kills_and_restores(ws, pidfile):
    before = tree(ws / FIXTURES)
    cancel = asyncio.Event()
    task = asyncio.ensure_future(
        regen.run(ws, settings(ws, "hang", pidfile, timeout=60), reporter=Recorder(), cancel=cancel)
    )
    await _wait_for_producer(pidfile, task)
    assert state_dir(ws).is_dir() and regen.read_state(ws)["status"] == "running"
    cancel.set()
    outcome = await asyncio.wait_for(task, 10)
    assert outcome.status == "cancelled" and outcome.restored
    assert "cancelled" in outcome.message and "restored" in outcome.message
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()


async def test_task_cancellation_kills_and_restores(ws, pidfile):
    """Cancelling the task running regen.run (what $/cancelRequest does) restores first."""
    before = tree(ws / FIXTURES)
    task = asyncio.ensure_future(regen.run(ws, settings(ws, "hang", pidfile, timeout=60), reporter=Recorder()))
    await _wait_for_producer(pidfile, task)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()
    assert not regen.busy(ws)


async def _wait_for_producer(pidfile: Path, task) -> None:
    deadline = time.monotonic() + 10
    while not producers_alive(pidfile):
        assert not task.done(), task.result()
        assert time.monotonic() < deadline, "the producer never started"
        await asyncio.sleep(0.02)


async def test_one_run_at_a_time(ws, pidfile):
    cancel = asyncio.Event()
    first = asyncio.ensure_future(
        regen.run(ws, settings(ws, "hang", pidfile, timeout=60), reporter=Recorder(), cancel=cancel)
    )
    await _wait_for_producer(pidfile, first)
    started = time.monotonic()
    second = await regen.run(ws, settings(ws), reporter=Recorder())
    assert time.monotonic() - started < 1
    assert second.status == "busy"
    assert "already running" in second.message
    assert regen.busy(ws)
    assert len(pids_in(pidfile)) == 1, "the second request ran nothing"
    cancel.set()
    assert (await asyncio.wait_for(first, 10)).status == "cancelled"
    assert not regen.busy(ws)
    # and now a run goes through
    assert (await regen.run(ws, settings(ws), reporter=Recorder())).ok


# --------------------------------------------------------------------------- refused


def _outside_script(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "outside-ran"
    script = write_script(tmp_path / "outside" / "regen.sh", f"#!/bin/sh\ntouch {marker}\nrm -rf e2e/artifacts\n")
    return script, marker


@pytest.mark.parametrize(
    "case", ["absolute", "dotdot", "symlink-out", "symlinked-folder-out", "missing", "not-executable", "folder"]
)
async def test_refused_scripts_run_nothing_and_snapshot_nothing(tmp_path, case):
    ws = make_workspace(tmp_path)
    outside, marker = _outside_script(tmp_path)
    if case == "absolute":
        script, hint = str(outside), "regenerate.script"
    elif case == "dotdot":
        script, hint = "../outside/regen.sh", "regenerate.script"
    elif case == "symlink-out":
        os.symlink(outside, ws / "e2e/scripts/link.sh")
        script, hint = "e2e/scripts/link.sh", "regenerate.script"
    elif case == "symlinked-folder-out":
        os.symlink(outside.parent, ws / "tools/out")
        script, hint = "tools/out/regen.sh", "regenerate.script"
    elif case == "missing":
        script, hint = "e2e/scripts/nope.sh", "regenerate.script"
    elif case == "not-executable":
        write_script(ws / "e2e/scripts/plain.sh", f"#!/bin/sh\ntouch {marker}\n", mode=0o644)
        script, hint = "e2e/scripts/plain.sh", "chmod +x"
    else:
        script, hint = "e2e/scripts", "regenerate.script"
    before = tree(ws)
    outcome = await regen.run(ws, regen.Settings(script=script), reporter=Recorder())
    assert outcome.status == "refused", outcome.message
    assert hint in outcome.message
    assert not marker.exists(), "the refused script ran"
    assert not (ws / ".artifact-lsp").exists(), "a refused run snapshotted something"
    assert tree_diff(before, tree(ws)) == []


async def test_default_script_missing_is_refused_with_the_setting_to_use(tmp_path):
    ws = make_workspace(tmp_path, extras=False)
    (ws / "e2e/scripts/regenerate_artifacts.sh").unlink()
    outcome = await regen.run(ws, regen.Settings(), reporter=Recorder())
    assert outcome.status == "refused"
    assert "regenerate.script" in outcome.message and "e2e/scripts/regenerate_artifacts.sh" in outcome.message
    assert not (ws / ".artifact-lsp").exists()


@pytest.mark.parametrize("folder", ["..", ".", "/tmp", "../elsewhere"])
async def test_fixture_folders_outside_the_workspace_are_refused(tmp_path, folder):
    ws = make_workspace(tmp_path, extras=False)
    outcome = await regen.run(ws, regen.Settings(fixtures=[folder]), reporter=Recorder())
    assert outcome.status == "refused" and "regenerate.fixtures" in outcome.message
    assert not (ws / ".artifact-lsp").exists()


@pytest.mark.parametrize(
    "raw",
    [
        {"script": ""},
        {"args": "x"},
        {"args": [1]},
        {"env": {"A": 1}},
        {"timeout": 0},
        {"timeout": True},
        {"fixtures": [""]},
    ],
)
def test_bad_settings_are_refused(raw):
    with pytest.raises(regen.Refused, match=r"regenerate\."):
        regen.Settings.from_dict(raw)


# --------------------------------------------------------------------------- argv, no shell


HOSTILE = ["; rm -rf important", "$(touch pwned)", "`touch pwned2`", "a b", "*", "'\"", "-x"]

ECHO = """#!/usr/bin/env python3
import os, sys
print("cwd: " + os.getcwd(), flush=True)
print("ESB_CMD: " + repr(os.environ.get("ESB_CMD")), flush=True)
for arg in sys.argv[1:]:
    print("arg: " + repr(arg), flush=True)
"""


async def test_arguments_arrive_verbatim_without_a_shell(tmp_path):
    ws = make_workspace(tmp_path, extras=False)
    (ws / "important").write_text("keep me\n")
    write_script(ws / "e2e/scripts/echo.py", ECHO)
    rec = Recorder()
    s = regen.Settings(script="e2e/scripts/echo.py", args=HOSTILE, env={"ESB_CMD": "esb --flag $(x)"})
    outcome = await regen.run(ws, s, ["e2e-docker"], rec)
    assert outcome.ok, outcome.message
    assert rec.stdout() == [
        f"cwd: {ws.resolve()}",
        "ESB_CMD: 'esb --flag $(x)'",
        *[f"arg: {a!r}" for a in HOSTILE],
        "arg: 'e2e-docker'",
    ]
    assert (ws / "important").read_text() == "keep me\n"
    for where in (ws, ws / "e2e/scripts", tmp_path, Path.cwd()):
        assert not (where / "pwned").exists() and not (where / "pwned2").exists()


async def test_hostile_arguments_reach_the_real_script_verbatim(ws):
    (ws / "important").write_text("keep me\n")
    before = tree(ws / FIXTURES)
    outcome = await regen.run(ws, settings(ws, args=HOSTILE[:3]), reporter=Recorder())
    # the upstream script treats its arguments as environment names: refused by the script
    assert outcome.status == "failed" and outcome.exit_code == 2
    assert outcome.stderr_tail == ["unknown environment: ; rm -rf important"]
    assert (ws / "important").exists()
    assert not (ws / "pwned").exists() and not (ws / "pwned2").exists()
    assert tree_diff(before, tree(ws / FIXTURES)) == []


async def test_a_very_long_output_line_does_not_stall_the_run(tmp_path):
    ws = make_workspace(tmp_path, extras=False)
    write_script(
        ws / "long.py",
        "#!/usr/bin/env python3\nimport sys\nsys.stdout.write('x' * (2 * 1024 * 1024) + '\\n')\nprint('done')\n"
        "sys.stderr.write('e' * (1024 * 1024) + '\\n')\n",
    )
    rec = Recorder()
    outcome = await regen.run(ws, regen.Settings(script="long.py", timeout=5), reporter=rec)
    assert outcome.status == "succeeded", outcome.message
    # the long line arrives as one (possibly shortened) line, and the output after it too
    assert len(rec.stdout()) == 2
    assert rec.stdout()[0].startswith("x" * 1000) and rec.stdout()[1] == "done"
    assert len(rec.lines) == 3 and rec.lines[2][0] == "stderr" and rec.lines[2][1].startswith("eeee")


async def test_output_lines_crlf_empty_and_unterminated(tmp_path):
    ws = make_workspace(tmp_path, extras=False)
    write_script(ws / "out.sh", "#!/bin/sh\nprintf 'a\\r\\n\\nb\\n\\377\\376\\nlast'\nprintf 'err1\\nerr2' >&2\n")
    rec = Recorder()
    outcome = await regen.run(ws, regen.Settings(script="out.sh"), reporter=rec)
    assert outcome.ok, outcome.message
    assert rec.stdout() == ["a", "", "b", "\ufffd\ufffd", "last"]
    assert [line for stream, line in rec.lines if stream == "stderr"] == ["err1", "err2"]
    assert outcome.stderr_tail == ["err1", "err2"]


async def test_stderr_tail_keeps_the_last_lines(tmp_path):
    ws = make_workspace(tmp_path, extras=False)
    write_script(ws / "noisy.sh", '#!/bin/sh\nfor i in $(seq 1 100); do echo "line $i" >&2; done\nexit 7\n')
    outcome = await regen.run(ws, regen.Settings(script="noisy.sh"), reporter=Recorder())
    assert outcome.status == "failed" and outcome.exit_code == 7
    assert outcome.stderr_tail[-1] == "line 100"
    assert 5 <= len(outcome.stderr_tail) <= 50
    assert outcome.stderr_tail == [f"line {i}" for i in range(101 - len(outcome.stderr_tail), 101)]


# --------------------------------------------------------------------------- crash recovery


def _damage(root: Path) -> None:
    d = root / DOCKER
    (d / "artifact.yml").write_text("broken\n")
    (d / "notes/blob.bin").unlink()
    os.chmod(d / "notes/secret.txt", 0o644)
    (d / "notes/link-to-secret").unlink()
    (d / "added.txt").write_text("new\n")
    (d / "empty-folder").rmdir()
    import shutil

    shutil.rmtree(root / CONTAINERD)


def _interrupted(root: Path) -> dict:
    """What a crash leaves: a snapshot + state file naming a process that is gone."""
    folders = regen.fixture_folders(root, regen.Settings())
    state = regen.take_snapshot(root, folders, "regenerate_artifacts.sh")
    dead = subprocess.Popen(["true"])
    dead.wait()
    state["pid"] = dead.pid
    (state_dir(root) / "state.json").write_text(json.dumps(state))
    return state


def test_crash_leftover_refuses_new_runs_and_restore_puts_everything_back(ws, monkeypatch, capsys):
    before = tree(ws / FIXTURES)
    _interrupted(ws)
    _damage(ws)
    assert tree_diff(before, tree(ws / FIXTURES))
    monkeypatch.chdir(ws)

    # a new run is refused while the snapshot is there, and runs nothing
    code = main(["regenerate", "--env", "FAKE_PRODUCER_MODE=ok"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--restore" in err and "--discard" in err
    assert (ws / DOCKER_MANIFEST).read_text() == "broken\n"

    code = main(["regenerate", "--restore"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "restored" in out
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()

    code = main(["regenerate", "--restore"])
    assert code == 2 and "no snapshot" in capsys.readouterr().err


def test_discard_drops_the_snapshot_without_restoring(ws, capsys):
    _interrupted(ws)
    _damage(ws)
    damaged = tree(ws / FIXTURES)
    code = main(["regenerate", "--root", str(ws), "--discard"])
    assert code == 0 and "discarded" in capsys.readouterr().out
    assert not state_dir(ws).exists()
    assert tree(ws / FIXTURES) == damaged
    # and a run goes through again
    code = main(["regenerate", "--root", str(ws), "--json"])
    assert code == 0, capsys.readouterr()


async def test_restore_in_process_matches_the_snapshot(ws):
    before = tree(ws / FIXTURES)
    state = regen.take_snapshot(ws, regen.fixture_folders(ws, regen.Settings()), "x")
    _damage(ws)
    touched = regen.restore(ws, state)
    assert f"{DOCKER}/artifact.yml" in touched and f"{DOCKER}/added.txt" in touched
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    # the snapshot is kept until dropped; a second restore is a no-op
    assert regen.restore(ws) == []
    # the snapshot is outside the workspace, in the user cache
    assert not (ws / ".artifact-lsp").exists()
    assert str(state_dir(ws)).startswith(os.environ["XDG_CACHE_HOME"] + "/artifact-lsp/")


# --------------------------------------------------------------------------- CLI


def _cli(root: Path, *args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_PRODUCER")}
    full_env.update(env or {})
    return subprocess.run(
        [console_script(), "regenerate", "--root", str(root), *args],
        capture_output=True, text=True, env=full_env, timeout=timeout,
    )  # fmt: skip


def test_cli_success_json(ws):
    done = _cli(ws, "--json", env={"FAKE_PRODUCER_MODE": "ok"})
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "succeeded"
    assert outcome["summary"]["counts"]["changed"] >= 2
    assert outcome["summary"]["findings"]["total"] == 0
    assert outcome["restored"] is False and outcome["exitCode"] == 0
    assert regen.read_state(ws)["status"] == "succeeded"  # kept for --undo


def test_cli_success_text_names_changes_and_findings_with_places(ws):
    first = _cli(
        ws, "e2e-docker", "--env", "FAKE_PRODUCER_MODE=ok", "--env", "FAKE_PRODUCER_STAMP=2030-01-01T00:00:00Z"
    )
    assert first.returncode == 0, first.stderr
    assert "arg: 'e2e-docker'" in first.stdout
    assert "6 contract finding(s) left" in first.stdout
    out = first.stdout.splitlines()
    # every changed / removed file is named, manifests first
    assert out.index("  changed (1):") < out.index(f"    {DOCKER_MANIFEST}")
    removed = [line for line in out if line.startswith("  removed (")]
    assert len(removed) == 1
    for rel in (
        "notes/secret.txt",
        "notes/blob.bin",
        "private-folder/x.txt",
        "entries/template-e2e-5f1c2a90/config/resources.yml",
    ):
        assert f"    {DOCKER}/{rel}" in out[out.index(removed[0]) :]
    # every finding left, with its place (e2e-containerd was not regenerated)
    assert any(line.startswith(f"    {CONTAINERD_MANIFEST}:") and " AL403 " in line for line in out)
    finding_lines = [line for line in out if line.startswith(f"    {CONTAINERD}/")]
    assert len(finding_lines) == 6
    for line in finding_lines:
        assert re.fullmatch(r"    \S+:[1-9]\d*:[1-9]\d* AL\d{3} .+", line), line
    assert f"    {CONTAINERD_MANIFEST}:10:15 AL403 " in "\n".join(out)
    # the same run again, only the stamp differs: the committed stamp is kept, nothing changed
    second = _cli(
        ws, "e2e-docker", "--env", "FAKE_PRODUCER_MODE=ok", "--env", "FAKE_PRODUCER_STAMP=2031-01-01T00:00:00Z"
    )
    assert second.returncode == 0, second.stderr
    assert "0 added, 0 changed, 0 removed" in second.stdout
    assert "kept the committed generated_at/generator.version of 1 manifest(s)" in second.stdout
    assert f"    {DOCKER_MANIFEST}" in second.stdout.splitlines()
    assert 'generated_at: "2030-01-01T00:00:00Z"' in (ws / DOCKER_MANIFEST).read_text()


def test_cli_failure_exits_1_with_exit_code_and_stderr_tail(ws):
    before = tree(ws / FIXTURES)
    done = _cli(ws, "--env", "FAKE_PRODUCER_MODE=fail")
    assert done.returncode == 1
    assert "exit code 3" in done.stderr
    assert "last lines of stderr" in done.stderr and "template error" in done.stderr
    assert "restored" in done.stderr
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()


def test_cli_timeout(ws, pidfile):
    before = tree(ws / FIXTURES)
    done = _cli(ws, "--timeout", "1.5", "--env", "FAKE_PRODUCER_MODE=hang", "--env", f"FAKE_PRODUCER_PIDFILE={pidfile}")
    assert done.returncode == 1
    assert "ran over 1.5 s" in done.stderr
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)) == []


def test_cli_refused_exits_2_and_names_the_setting(ws, tmp_path):
    outside, marker = _outside_script(tmp_path)
    done = _cli(ws, "--script", str(outside))
    assert done.returncode == 2
    assert "regenerate.script" in done.stderr
    assert not marker.exists() and not (ws / ".artifact-lsp").exists()
    done = _cli(ws, "--env", "NOEQUALS")
    assert done.returncode == 2 and "NAME=VALUE" in done.stderr


def test_cli_no_shell_for_args(ws):
    write_script(ws / "e2e/scripts/echo.py", ECHO)
    args = [f"--arg={a}" for a in HOSTILE]
    done = _cli(ws, "--script", "e2e/scripts/echo.py", *args)
    assert done.returncode == 0, done.stderr
    for a in HOSTILE:
        assert f"arg: {a!r}\n" in done.stdout
    assert not (ws / "pwned").exists() and not (ws / "pwned2").exists()


def _start_cli(root: Path, pidfile: Path, mode: str = "hang") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_PRODUCER")}
    return subprocess.Popen(
        [console_script(), "regenerate", "--root", str(root), "--timeout", "60",
         "--env", f"FAKE_PRODUCER_MODE={mode}", "--env", f"FAKE_PRODUCER_PIDFILE={pidfile}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_cli_sigint_kills_restores_and_exits_130(ws, pidfile):
    before = tree(ws / FIXTURES)
    proc = _start_cli(ws, pidfile)
    try:
        wait_until(lambda: producers_alive(pidfile) or proc.poll() is not None, 15, what="the producer")
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "cancelled" in err and "restored" in err
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()


def test_cli_killed_mid_run_then_restore(ws, pidfile):
    """kill -9 of the regenerating process: the snapshot stays; --restore puts it back."""
    before = tree(ws / FIXTURES)
    proc = _start_cli(ws, pidfile)
    try:
        wait_until(lambda: producers_alive(pidfile) or proc.poll() is not None, 15, what="the producer")
        assert proc.poll() is None, proc.communicate()
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_leftovers(pidfile)  # the orphaned script + producer (their own process group)
        proc.communicate()
    wait_dead(pidfile, 3)
    assert tree_diff(before, tree(ws / FIXTURES)), "the script had wiped e2e-docker"
    assert (state_dir(ws) / "state.json").is_file()

    again = _cli(ws, env={"FAKE_PRODUCER_MODE": "ok"})
    assert again.returncode == 2
    assert "--restore" in again.stderr

    restored = _cli(ws, "--restore")
    assert restored.returncode == 0, restored.stderr
    assert tree_diff(before, tree(ws / FIXTURES)) == []
    assert not state_dir(ws).exists()


def test_restore_stops_the_script_a_crashed_run_left_running(ws, pidfile):
    """kill -9 leaves the script's own process group alive: --restore stops it first, so the
    producer cannot write over the restored fixtures afterwards."""
    before = tree(ws / FIXTURES)
    proc = _start_cli(ws, pidfile)
    try:
        wait_until(lambda: producers_alive(pidfile) or proc.poll() is not None, 15, what="the producer")
        assert proc.poll() is None, proc.communicate()
        # until the producer has printed everything it prints: killed while it still writes,
        # it would die of the broken pipe on its own (and there would be nothing to stop)
        for line in proc.stdout:
            if "waiting for the registry" in line:
                break
        proc.kill()
        proc.wait(10)
        proc.communicate()
        assert producers_alive(pidfile), "the orphaned producer should still be running"
        state = json.loads((state_dir(ws) / "state.json").read_text())
        assert isinstance(state.get("pgid"), int)

        restored = _cli(ws, "--restore")
        assert restored.returncode == 0, restored.stderr
        assert "stopped the regenerate script" in restored.stdout
        assert not producers_alive(pidfile)
        assert tree_diff(before, tree(ws / FIXTURES)) == []
        assert not state_dir(ws).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_leftovers(pidfile)


def test_summary_names_every_file_manifests_first_and_groups_past_twenty():
    many = [f"e2e/artifacts/e2e-docker/entries/x/config/f{i:02}.yml" for i in range(30)]
    summary = {
        "changed": ["e2e/artifacts/e2e-docker/notes.txt", "e2e/artifacts/e2e-docker/artifact.yml"],
        "added": many + ["e2e/artifacts/e2e-new/artifact.yml", "e2e/artifacts/e2e-new/other/a.txt"],
        "removed": [],
        "stampsRestored": ["e2e/artifacts/e2e-containerd/artifact.yml"],
        "findings": {
            "items": [
                {
                    "path": "e2e/artifacts/e2e-docker/artifact.yml",
                    "line": 3,
                    "column": 7,
                    "code": "AL403",
                    "message": "stale",
                }
            ]
        },
    }
    assert regen.format_summary(summary) == [
        "  changed (2):",
        "    e2e/artifacts/e2e-docker/artifact.yml",
        "    e2e/artifacts/e2e-docker/notes.txt",
        "  added (32):",
        "    e2e/artifacts/e2e-new/artifact.yml",
        "    e2e/artifacts/e2e-docker/entries/x/config/ (30 files)",
        "    e2e/artifacts/e2e-new/other/ (1 file)",
        "  committed generated_at / generator.version kept (only the stamp changed) (1):",
        "    e2e/artifacts/e2e-containerd/artifact.yml",
        "  contract findings left (1):",
        "    e2e/artifacts/e2e-docker/artifact.yml:3:7 AL403 stale",
    ]


async def test_a_missing_producer_command_fails_the_run_and_restores(tmp_path):
    ws = make_workspace(tmp_path)
    (ws / "e2e/scripts/regenerate_artifacts.sh").unlink()
    before = tree(ws / FIXTURES)
    s = regen.Settings.from_dict({
        "producer": ["no-such-producer-anywhere", "artifact", "generate"],
        "environments": {"e2e-docker": {"mode": "docker", "template": "e2e/fixtures/template.e2e.yaml", "project": "p"}},
    })  # fmt: skip
    outcome = await regen.run(ws, s, reporter=Recorder())
    assert outcome.status == "failed" and outcome.restored
    assert "'no-such-producer-anywhere' was not found" in outcome.message
    assert tree_diff(before, tree(ws / FIXTURES)) == []


@pytest.mark.parametrize(
    "raw, hint",
    [
        ({"timestamps": "sometimes"}, "regenerate.timestamps"),
        ({"producer": "esb"}, "regenerate.producer"),
        ({"environments": {"e2e-docker": {"mode": "docker"}}}, "regenerate.environments.e2e-docker.template"),
        ({"environments": {"../x": {"mode": "d", "template": "t", "project": "p"}}}, "not an environment name"),
        ({"environments": {"e": {"mode": "d", "template": "t", "project": "p", "colour": 1}}}, "unknown setting"),
    ],
)
def test_bad_producer_settings_are_refused(raw, hint):
    with pytest.raises(regen.Refused, match=re.escape(hint)):
        regen.Settings.from_dict(raw)


async def test_an_environment_output_outside_the_fixture_folders_is_refused(tmp_path):
    ws = make_workspace(tmp_path, extras=False)
    (ws / "e2e/scripts/regenerate_artifacts.sh").unlink()
    s = regen.Settings.from_dict({
        "producer": ["true"],
        "environments": {"e2e-docker": {"mode": "docker", "template": "t", "project": "p", "output": "tools"}},
    })  # fmt: skip
    before = tree(ws)
    outcome = await regen.run(ws, s, reporter=Recorder())
    assert outcome.status == "refused" and "inside a fixture folder" in outcome.message
    assert tree_diff(before, tree(ws)) == []


# --------------------------------------------------------------------------- one settings resolver


def test_resolve_lays_the_overlay_over_the_config_file_env_per_variable(tmp_path):
    """``regen.resolve`` is what the CLI's options and the editor's settings both go through:
    keys replace the file's, ``None`` is unset, ``env`` merges per variable."""
    (tmp_path / ".artifact-lsp.toml").write_text(
        '[regenerate]\nscript = "tools/regen.sh"\ntimeout = 30\n'
        'env = { ARTIFACT_PRODUCER_CMD = "producer", KEEP = "1" }\n',
        encoding="utf-8",
    )
    bare = regen.resolve(tmp_path)
    assert (bare.script, bare.timeout, bare.env) == (
        "tools/regen.sh",
        30.0,
        {"ARTIFACT_PRODUCER_CMD": "producer", "KEEP": "1"},
    )
    over = regen.resolve(tmp_path, {"env": {"ESB_CMD": "esb", "KEEP": "2"}, "timeout": None, "fixtures": ["fx"]})
    assert over.env == {"ARTIFACT_PRODUCER_CMD": "producer", "KEEP": "2", "ESB_CMD": "esb"}
    assert (over.script, over.timeout, over.fixtures) == ("tools/regen.sh", 30.0, ["fx"])
    with pytest.raises(regen.Refused):
        regen.resolve(tmp_path, {"timeout": -1})


def test_the_cli_and_the_server_resolve_settings_the_same_way(tmp_path):
    """``regenerate --env`` and ``artifactLsp.regenerate.env`` give the same settings."""
    from types import SimpleNamespace

    from artifact_lsp.cli.args import build_parser
    from artifact_lsp.cli.regenerate import _overlay
    from artifact_lsp.lsp.handlers.regenerate import settings_for

    (tmp_path / ".artifact-lsp.toml").write_text(
        '[regenerate]\nenv = { ARTIFACT_PRODUCER_CMD = "p" }\n', encoding="utf-8"
    )
    args = build_parser().parse_args(["regenerate", "--env", "ESB_CMD=esb", "--timeout", "5"])
    from_cli = regen.resolve(tmp_path, _overlay(args))
    server = SimpleNamespace(
        settings=SimpleNamespace(raw={"regenerate": {"env": {"ESB_CMD": "esb"}, "timeout": 5, "script": None}})
    )
    assert settings_for(server, tmp_path) == from_cli
    assert from_cli.env == {"ARTIFACT_PRODUCER_CMD": "p", "ESB_CMD": "esb"}
