"""End-to-end: the packaged extension in real VS Code (code-server 4.100.3 = VS Code 1.100.3),
driven through its UI by headless Chromium, against a copy of ``examples/``.

What a person would do and see, in order (one VS Code session, tests share it):

1. open a legacy fixture: the Problems panel lists our diagnostics (AL101…AL105, AL202) and
   the editor shows squiggles (screenshot: ``test-artifacts/vscode-e2e/diagnostics.png``);
2. the extension's bundled server was started on ``artifactLsp.server.interpreter`` (this
   checkout's venv Python), as the *Artifact LSP* output channel says;
3. cursor on ``id``, Ctrl+., *Remove legacy key 'id' (AL104)*, Ctrl+S: the key is gone on disk;
4. *Artifact LSP: Fix all legacy keys* from the palette on another manifest, Ctrl+S;
5. *Artifact LSP: Regenerate fixtures* with a producer that hangs: a progress notification with
   Cancel; Cancel restores the fixtures byte for byte;
6. a settings change reaches the server (``workspace/configuration``), then *Regenerate
   fixtures* with the fake producer succeeds: the notification says so, the fixtures on disk
   are rewritten and their diagnostics go away; the run's snapshot is kept in the profile's
   user cache (never in the workspace);
   then a real change (the template, so the manifests' sha256): **Review changes** opens a diff
   editor against the snapshot (the code lens's one file at once; the palette's two from a
   list), **Undo regeneration** (the command, then the notification's button) puts the pre-run
   bytes back (screenshot: ``review-diff.png``);
7. a second session in an untrusted workspace: diagnostics still work, *Regenerate fixtures* is
   refused by the extension (palette) and by the server (code lens);
8. a third with ``artifactLsp.server.interpreter`` pointing at a Python older than 3.11:
   an error notification says so and how to fix it;
9. a new user: only the ``.vsix`` installed, no settings, a PATH with no ``artifact-lsp`` whose
   Python is Debian's ``/usr/bin/python3`` (no pygls): the bundled server starts on it, the
   Problems panel fills, a quick fix applies, and nothing is written into the workspace.
10. ``artifactLsp.server.path`` naming a server of another version: a warning says so.

``ARTIFACT_LSP_UPDATE_DOCS_SHOT=1`` also writes ``docs/vscode-quickfix.png``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

import pytest

import vscode_harness as h
from artifact_lsp import regen

DOCKER = "e2e/artifacts/e2e-docker/artifact.yml"
CONTAINERD = "e2e/artifacts/e2e-containerd/artifact.yml"
PRODUCER = "python3 tools/fake_producer.py"
DOCS_SHOT = h.ROOT / "docs" / "vscode-quickfix.png"
VERSION = re.search(r'__version__ = "([^"]+)"', (h.ROOT / "server" / "artifact_lsp" / "__init__.py").read_text()).group(
    1
)
DEBIAN_PYTHON = "/usr/bin/python3"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def prepared():
    """Everything from npm, installed into the cache on first use; the .vsix built now."""
    h.require_tools(building=not h.code_server_entry().exists())
    h.install_code_server()
    playwright = h.install_tools()
    vsix = h.build_vsix()
    return playwright, vsix


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``root``."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def _workspace_settings(ws: Path, **settings) -> None:
    (ws / ".vscode").mkdir(exist_ok=True)
    (ws / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2))


def _state_dir(session) -> Path:
    """Where the server keeps the workspace's regeneration snapshot: the code-server profile's
    ``$XDG_CACHE_HOME/artifact-lsp/<hash of the workspace path>/`` (see ``regen.state_dir``)."""
    with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": session.profile.env()["XDG_CACHE_HOME"]}):
        return regen.state_dir(session.ws)


def _producer_env(mode: str) -> dict:
    return {"ARTIFACT_PRODUCER_CMD": PRODUCER, "FAKE_PRODUCER_MODE": mode}


NO_SETTING = object()


class Session:
    def __init__(
        self, base: Path, prepared, *, trusted: bool, name: str = "", interpreter=None, path: str | None = None
    ):
        """``interpreter``: the user setting (default this venv's Python; NO_SETTING: none);
        ``path``: the PATH of code-server and the extension host (default the caller's)."""
        playwright, vsix = prepared
        self.base = base
        self.name = name or ("trusted" if trusted else "untrusted")
        self.ws = base / "ws"
        shutil.copytree(h.EXAMPLES, self.ws, symlinks=True)
        user = (
            {}
            if interpreter is NO_SETTING
            else {"artifactLsp.server.interpreter": interpreter or h.python_for_server()}
        )
        if not trusted:
            user.update({"security.workspace.trust.enabled": True, "security.workspace.trust.startupPrompt": "always"})
        self.profile = h.Profile(base / "profile", settings=user, path=path)
        self.profile.write()
        self.profile.install_extension(vsix)
        self.playwright = playwright
        self.trusted = trusted
        self.server = h.CodeServer(self.profile, self.ws, trust=not trusted)
        self.wb: h.Workbench | None = None

    def start(self) -> Session:
        self.server.start()
        h.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.wb = h.Workbench(
            self.playwright, self.server.url, self.base / "driver.log", h.ARTIFACTS, dialog=not self.trusted
        )
        return self

    def stop(self) -> None:
        if self.wb is not None:
            self.wb.close()
        pgid = self.server.proc.pid if self.server.proc else None
        self.server.stop()
        if pgid is not None:  # the extension host and the language server went down with it
            with pytest.raises(ProcessLookupError):
                os.killpg(pgid, 0)
        strays = h.kill_strays(self.ws)  # a regeneration left running by a failed test
        if strays:
            warnings.warn(f"killed processes left in {self.ws}: {strays}", stacklevel=1)
        for name in ("code-server.log", "driver.log"):
            src = (self.profile.base if name == "code-server.log" else self.base) / name
            if src.exists():
                shutil.copy(src, h.ARTIFACTS / f"{self.name}-{name}")

    def file(self, rel: str) -> Path:
        return self.ws / rel


@pytest.fixture(scope="module")
def vscode(prepared, tmp_path_factory):
    session = Session(tmp_path_factory.mktemp("vscode"), prepared, trusted=True)
    # the first regeneration hangs (to be cancelled); test 6 switches the producer to "ok"
    _workspace_settings(session.ws, **{"artifactLsp.regenerate.env": _producer_env("hang")})
    session.start()
    yield session
    session.stop()


def _texts(rows: list[dict]) -> str:
    return "\n".join(r["text"] for r in rows)


def _codes(rows: list[dict]) -> set[str]:
    return set(re.findall(r"\bAL\d{3}\b", _texts(rows)))


# --------------------------------------------------------------------------- the trusted session


def test_problems_panel_lists_our_diagnostics(vscode):
    wb = vscode.wb
    wb.call("openFile", file=DOCKER)
    want = ["AL101", "AL102", "AL103", "AL104", "AL105", "AL202"]
    grouped = wb.call("problems", codes=want, file=DOCKER, timeout=60_000)
    rows = grouped[DOCKER]
    assert set(want) <= _codes(rows), rows
    text = _texts(rows)
    assert "artifact-lsp" in text  # the diagnostics' source
    assert re.search(r"legacy key 'artifacts\[0\]\.id' .*AL104 \[Ln 11, Col 5\]", text), text
    assert wb.call("squiggles", atLeast=6, timeout=20_000) >= 6
    wb.call("screenshot", path=str(h.ARTIFACTS / "diagnostics.png"))
    # only our files are served: the workspace's other manifests are linted, other YAML is not
    assert all(p.endswith(("artifact.yml", "artifact.json", "test_matrix.yaml")) for p in grouped), list(grouped)


def _flat(text: str) -> str:  # the output view wraps long lines
    return re.sub(r"\s+", "", text)


def _wait_output(wb, *wanted: str, timeout: float = 20) -> str:
    """The Artifact LSP output channel's first lines, once they contain every ``wanted``."""
    wb.call("command", title="Artifact LSP: Show output")
    deadline = time.monotonic() + timeout
    while True:
        out = wb.call("outputText", top=True)
        if all(_flat(w) in _flat(out) for w in wanted):
            return out
        assert time.monotonic() < deadline, repr(out)
        time.sleep(0.5)


def test_server_runs_from_the_interpreter_setting(vscode):
    python = h.python_for_server()
    out = _wait_output(
        vscode.wb,
        f"starting the server: artifactLsp.server.interpreter: {python} (Python {'.'.join(map(str, sys.version_info[:3]))}) runs the bundled server",
        f"server running: artifact-lsp {VERSION}",
    )
    assert "workspace trusted" in out
    assert "features may not match" not in out  # the bundled server is the extension's version


def test_quick_fix_removes_the_legacy_key(vscode):
    wb = vscode.wb
    path = vscode.file(DOCKER)
    before = path.read_text(encoding="utf-8")
    assert "  - id: template-e2e-5f1c2a90\n    artifact_root:" in before
    wb.call("openFile", file=DOCKER)
    wb.call("goto", line=11, column=5)  # on `id`
    menu = wb.call("quickFix", pick="Remove legacy key 'id'")
    assert menu["picked"] == "Remove legacy key 'id' (AL104)", menu
    assert any(t.startswith("Ignore AL104") for t in menu["titles"]), menu
    wb.call("save")
    after = path.read_text(encoding="utf-8")
    # exactly the key went; the next key moved up onto the dash line; the rest is untouched
    assert after == before.replace("  - id: template-e2e-5f1c2a90\n    artifact_root:", "  - artifact_root:"), after
    grouped = wb.call("problems", codes=["AL103"], file=DOCKER, timeout=30_000)
    deadline = time.monotonic() + 20
    while "AL104" in _codes(grouped.get(DOCKER, [])):
        assert time.monotonic() < deadline, grouped[DOCKER]
        time.sleep(0.5)
        grouped = wb.call("problems", codes=["AL103"], file=DOCKER, timeout=30_000)


def test_fix_all_command(vscode):
    wb = vscode.wb
    path = vscode.file(CONTAINERD)
    assert "parameters:" in path.read_text() and "bundle_manifest:" in path.read_text()
    wb.call("openFile", file=CONTAINERD)
    wb.call("problems", codes=["AL106", "AL108"], file=CONTAINERD, timeout=60_000)
    wb.call("goto", line=11, column=7)  # on `parameters`
    menu = wb.call("quickFix", keepOpen=True)
    assert "Remove legacy key 'parameters' (AL108)" in menu["titles"], menu
    wb.call("screenshot", path=str(h.ARTIFACTS / "quickfix-menu.png"))
    if os.environ.get("ARTIFACT_LSP_UPDATE_DOCS_SHOT") == "1":
        _docs_shot(wb)
    wb.call("press", key="Escape")
    wb.call("command", title="Artifact LSP: Fix all legacy keys")
    wb.call("waitNotification", match=r"Artifact LSP: removed 2 legacy keys", timeout=20_000)
    wb.call("save")
    text = path.read_text(encoding="utf-8")
    assert "parameters:" not in text and "bundle_manifest:" not in text, text
    assert "sha256: 6a6b873fc6f14e8e2d81093b2c1dd5d9210099ee8f15d4fc684606c05217cd47\ngenerated_at:" in text, text
    wb.call("clearNotifications")


def _docs_shot(wb) -> None:
    """docs/vscode-quickfix.png: the squiggled key, its quick fixes and the Problems panel."""
    wb.call("screenshot", path=str(DOCS_SHOT), clip={"x": 348, "y": 36, "width": 932, "height": 742})
    assert DOCS_SHOT.stat().st_size < 200_000, DOCS_SHOT.stat().st_size


def test_regenerate_progress_can_be_cancelled(vscode):
    wb = vscode.wb
    fixtures = vscode.file("e2e/artifacts")
    before = _tree(fixtures)
    wb.call("command", title="Artifact LSP: Regenerate fixtures")
    # the server's work-done progress, shown by the client as a notification with Cancel
    shown = wb.call("waitNotification", match=r"^Artifact LSP: Regenerate fixtures", timeout=30_000)
    wb.call("screenshot", path=str(h.ARTIFACTS / "regenerate-progress.png"))
    assert any(n["source"].endswith("Artifact LSP") for n in shown), shown
    wb.call("notificationButton", match=r"^Artifact LSP: Regenerate fixtures", button="Cancel", timeout=10_000)
    wb.call(
        "waitNotification", match=r"artifact-lsp: regeneration cancelled; the fixtures were restored", timeout=60_000
    )
    wb.call("waitNoNotification", match=r"^Artifact LSP: Regenerate fixtures", timeout=10_000)
    assert _tree(fixtures) == before
    # the snapshot was taken in the user cache (never in the workspace) and dropped once the
    # restore was checked: no interrupted-run state is left for a later run to trip over
    assert not vscode.file(".artifact-lsp").exists()
    state = _state_dir(vscode)
    assert state.parent.is_dir(), f"no snapshot was taken in {state.parent}"
    assert not state.exists(), sorted(p.name for p in state.iterdir())
    wb.call("clearNotifications")


def test_regenerate_fixtures_succeeds(vscode):
    wb = vscode.wb
    # a settings change reaches the server: AL403 (a warning by the repo's config) becomes an error
    _workspace_settings(
        vscode.ws,
        **{
            "artifactLsp.regenerate.env": _producer_env("ok"),
            "artifactLsp.severity": {"AL403": "error"},
        },
    )
    deadline = time.monotonic() + 30
    while True:
        rows = wb.call("problems", codes=["AL403"], file=CONTAINERD, timeout=30_000)[CONTAINERD]
        if any(r["label"].startswith("Error: artifacts[0].source_template.sha256") for r in rows):
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.5)

    docker = vscode.file(DOCKER)
    old = docker.read_text(encoding="utf-8")
    assert vscode.file("e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/runtime-base").is_dir()
    wb.call("command", title="Artifact LSP: Regenerate fixtures")
    shown = wb.call(
        "waitNotification", match=r"artifact-lsp: regenerated: \d+ added, \d+ changed, \d+ removed", timeout=90_000
    )
    wb.call("screenshot", path=str(h.ARTIFACTS / "regenerate-done.png"))
    message = next(n["message"] for n in shown if "regenerated:" in n["message"])
    assert "no contract finding left" in message, message
    # the progress notification closes when the server ends the progress
    wb.call("waitNoNotification", match=r"^Artifact LSP: Regenerate fixtures", timeout=10_000)
    new = docker.read_text(encoding="utf-8")
    assert new != old
    assert new.startswith(
        'schema_version: "1"\nproject: esb-e2e-docker\nenv: e2e-docker\nmode: docker\nartifacts:\n'
    ), new
    assert "generator:\n  name: esb\n  version: fake-1\n" in new
    for gone in ("runtime_stack", "runtime_meta", "image_prewarm", "id:"):
        assert gone not in new
    assert not vscode.file("e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/runtime-base").exists()
    assert "    source_template:\n      path: e2e/fixtures/template.e2e.yaml\n" in vscode.file(CONTAINERD).read_text()
    # the run's snapshot is kept for "Undo regeneration", in the user cache, not the workspace
    assert not vscode.file(".artifact-lsp").exists()
    assert json.loads((_state_dir(vscode) / "state.json").read_text())["status"] == "succeeded"
    # ...and the extension offers the review and the undo
    wb.call("waitNotification", match=r"^Artifact LSP: the regeneration changed \d+ files\.$", timeout=30_000)
    # the server re-lints: the rewritten fixtures have no diagnostics left
    deadline = time.monotonic() + 30
    while True:
        grouped = wb.call("problems", timeout=10_000)
        left = {f: _codes(rows) for f, rows in grouped.items() if f in (DOCKER, CONTAINERD) and rows}
        if not left:
            break
        assert time.monotonic() < deadline, left
        time.sleep(0.5)


CHANGED = r"^Artifact LSP: the regeneration changed {} files?\.$"
REVIEW_TITLE = "{} (regeneration: before ↔ after)"


def _sha_line(text: str) -> str:
    return re.search(r"sha256: [0-9a-f]{64}", text).group(0)


def _close_editors(wb) -> None:
    """No editor and no notification of an earlier step left to match."""
    wb.call("command", title="View: Close All Editors")
    wb.call("clearNotifications")
    wb.call(
        "waitNoNotification",
        match=r"^artifact-lsp: (undid|regenerated)|^Artifact LSP: the regeneration changed",
        timeout=20_000,
    )


def test_review_and_undo_a_regeneration(vscode):
    """A regeneration that really changes the manifests (the template changed upstream, so
    its sha256 does): "Review changes" opens a diff editor against the snapshot, "Undo
    regeneration" (the palette command, then the notification's button) puts the pre-run
    bytes back."""
    wb = vscode.wb
    fixtures = vscode.file("e2e/artifacts")
    template = vscode.file("e2e/fixtures/template.e2e.yaml")
    old_sha = _sha_line(vscode.file(DOCKER).read_text())
    template.write_bytes(template.read_bytes() + b"# changed upstream\n")
    new_sha = "sha256: " + hashlib.sha256(template.read_bytes()).hexdigest()
    assert new_sha != old_sha

    # 1. one environment, from its code lens: one changed file, its diff opens at once
    _close_editors(wb)
    before = _tree(fixtures)
    wb.call("openFile", file=DOCKER)
    wb.call("codeLens", match=r"^Regenerate fixtures \(e2e-docker\)$", timeout=20_000)
    wb.call("waitNotification", match=CHANGED.format(1), timeout=90_000)
    wb.call("waitNoNotification", match=r"^Artifact LSP: Regenerate fixtures", timeout=20_000)
    assert new_sha in vscode.file(DOCKER).read_text()
    assert _tree(fixtures) != before
    wb.call("notificationButton", match=CHANGED.format(1), button="Review changes", untilGone=True, timeout=20_000)
    diff = wb.call(
        "diffEditor", titles=[REVIEW_TITLE.format(DOCKER)], original=old_sha, modified=new_sha, timeout=30_000
    )
    wb.call("screenshot", path=str(h.ARTIFACTS / "review-diff.png"))
    assert REVIEW_TITLE.format(DOCKER) in diff["active"], diff
    assert new_sha not in diff["original"] and old_sha not in diff["modified"], diff
    wb.call("command", title="Artifact LSP: Undo regeneration")
    wb.call(
        "waitNotification", match=r"^artifact-lsp: undid the regeneration of .*: \d+ path\(s\) restored", timeout=30_000
    )
    assert _tree(fixtures) == before
    assert not _state_dir(vscode).exists()  # the snapshot went with the undo

    # 2. every environment, from the palette: two changed manifests, a list to pick from
    _close_editors(wb)
    wb.call("command", title="Artifact LSP: Regenerate fixtures")
    wb.call("waitNotification", match=CHANGED.format(2), timeout=90_000)
    wb.call("waitNoNotification", match=r"^Artifact LSP: Regenerate fixtures", timeout=20_000)
    assert new_sha in vscode.file(CONTAINERD).read_text() and new_sha in vscode.file(DOCKER).read_text()
    wb.call("notificationButton", match=CHANGED.format(2), button="Review changes", untilGone=True, timeout=20_000)
    rows = wb.call(
        "quickPickRows",
        match=re.escape(CONTAINERD),
        placeholder="Files the regeneration changed",
        accept=True,
        timeout=20_000,
    )
    assert [(r["label"], r["description"], r["checked"]) for r in rows] == [
        (CONTAINERD, "changed", True),
        (DOCKER, "changed", True),
    ], rows
    diff = wb.call(
        "diffEditor",
        titles=[REVIEW_TITLE.format(CONTAINERD), REVIEW_TITLE.format(DOCKER)],
        original=old_sha,
        modified=new_sha,
        timeout=30_000,
    )
    assert sum(REVIEW_TITLE.format(path) in t for t in diff["tabs"] for path in (CONTAINERD, DOCKER)) == 2, diff
    wb.call("command", title="Artifact LSP: Undo regeneration")
    wb.call("waitNotification", match=r"^artifact-lsp: undid the regeneration of ", timeout=30_000)
    assert _tree(fixtures) == before

    # 3. the notification's own "Undo regeneration" button
    _close_editors(wb)
    wb.call("command", title="Artifact LSP: Regenerate fixtures")
    wb.call("waitNotification", match=CHANGED.format(2), timeout=90_000)
    wb.call("waitNoNotification", match=r"^Artifact LSP: Regenerate fixtures", timeout=20_000)
    assert _tree(fixtures) != before
    wb.call("notificationButton", match=CHANGED.format(2), button="Undo regeneration", untilGone=True, timeout=20_000)
    wb.call("waitNotification", match=r"^artifact-lsp: undid the regeneration of ", timeout=30_000)
    assert _tree(fixtures) == before
    assert not _state_dir(vscode).exists()
    assert not vscode.file(".artifact-lsp").exists()
    template.write_bytes(template.read_bytes().removesuffix(b"# changed upstream\n"))
    wb.call("clearNotifications")


# --------------------------------------------------------------------------- untrusted


def test_untrusted_workspace_refuses_regeneration(prepared, tmp_path_factory):
    session = Session(tmp_path_factory.mktemp("vscode-untrusted"), prepared, trusted=False)
    _workspace_settings(session.ws, **{"artifactLsp.regenerate.env": _producer_env("ok")})
    before = _tree(session.file("e2e/artifacts"))
    session.start()
    try:
        wb = session.wb
        dialog = wb.call("dialog", button="No")
        assert "trust" in dialog["message"].lower(), dialog
        # restricted mode still lints (the interpreter comes from user settings)
        wb.call("openFile", file=DOCKER)
        wb.call("problems", codes=["AL104"], file=DOCKER, timeout=60_000)
        # the extension refuses the palette command...
        wb.call("command", title="Artifact LSP: Regenerate fixtures")
        wb.call(
            "waitNotification",
            match=r"Artifact LSP: Regenerate fixtures runs the workspace's regenerate script, so it is disabled in an untrusted workspace",
            timeout=20_000,
        )
        wb.call("clearNotifications")
        # ...and the server (told workspaceTrusted: false) refuses its own code lens command
        wb.call("codeLens", match=r"^Regenerate fixtures \(e2e-docker\)$", timeout=20_000)
        wb.call(
            "waitNotification",
            match=r"artifact-lsp: regeneration is disabled in an untrusted workspace",
            timeout=20_000,
        )
        wb.call("screenshot", path=str(h.ARTIFACTS / "untrusted-refused.png"))
        assert _tree(session.file("e2e/artifacts")) == before
        wb.call("command", title="Artifact LSP: Show output")
        assert "workspace untrusted" in wb.call("outputText", top=True)
    finally:
        session.stop()


# --------------------------------------------------------------------------- no usable server


def test_clear_error_when_the_server_cannot_start(prepared, tmp_path_factory):
    base = tmp_path_factory.mktemp("vscode-noserver")
    python = base / "python3.10"
    # answers the extension's probe as a Python 3.10 would
    python.write_text("#!/bin/sh\necho 3.10.13\n")
    python.chmod(0o755)
    session = Session(base, prepared, trusted=True, name="noserver", interpreter=str(python))
    session.start()
    try:
        wb = session.wb
        wb.call("openFile", file=DOCKER)
        shown = wb.call(
            "waitNotification",
            match=r"^Artifact LSP: artifactLsp\.server\.interpreter is .*python3\.10, but it is Python 3\.10\.13, older than 3\.11",
            timeout=30_000,
        )
        message = next(n["message"] for n in shown if "older than 3.11" in n["message"])
        assert "The server needs Python 3.11 or newer" in message  # the fix
        wb.call("screenshot", path=str(h.ARTIFACTS / "no-server-error.png"))
    finally:
        session.stop()


# --------------------------------------------------------------------------- a new user: the .vsix alone


def _paths(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_the_vsix_alone_runs_on_debian_python(prepared, tmp_path_factory):
    """Nothing but the .vsix: no setting, no artifact-lsp on PATH, Debian's python3 without pygls."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        pytest.skip(f"needs Debian's {DEBIAN_PYTHON}")
    if subprocess.run([DEBIAN_PYTHON, "-c", "import pygls"], capture_output=True, check=False).returncode == 0:
        pytest.skip(f"{DEBIAN_PYTHON} has pygls: it would not show that the .vsix carries it")
    path = "/usr/bin:/bin"
    assert shutil.which("artifact-lsp", path=path) is None
    assert shutil.which("python3", path=path) == DEBIAN_PYTHON
    assert shutil.which("python", path=path) is None
    base = tmp_path_factory.mktemp("vscode-vsix-alone")
    session = Session(base, prepared, trusted=True, name="vsix-alone", interpreter=NO_SETTING, path=path)
    before = _paths(session.ws)
    session.start()
    try:
        wb = session.wb
        wb.call("openFile", file=DOCKER)
        want = ["AL101", "AL102", "AL103", "AL104", "AL105", "AL202"]
        rows = wb.call("problems", codes=want, file=DOCKER, timeout=90_000)[DOCKER]
        assert set(want) <= _codes(rows), rows
        wb.call("screenshot", path=str(h.ARTIFACTS / "vsix-alone-diagnostics.png"))
        out = _wait_output(
            wb,
            f'starting the server: "python3" on PATH: {DEBIAN_PYTHON} (Python 3.',
            "runs the bundled server",
            f"server running: artifact-lsp {VERSION}",
        )
        flat = _flat(out)
        assert _flat("the Python extension (ms-python.python) is not installed") in flat, out
        assert _flat('"artifact-lsp" on PATH') not in flat, (
            out
        )  # bundled by default: an installed one is not looked for
        # the launcher's line (the server's stderr): the bundled package on Debian's Python
        assert re.search(
            r"artifact-lsp"
            + re.escape(VERSION)
            + r"\(bundled,\S*bundled/libs/artifact_lsp\)onPython3\.11\.\d+\(/usr/bin/python3\)",
            flat,
        ), out

        # a quick fix through the UI
        file = session.file(DOCKER)
        text = file.read_text(encoding="utf-8")
        wb.call("openFile", file=DOCKER)
        wb.call("goto", line=11, column=5)  # on `id`
        menu = wb.call("quickFix", pick="Remove legacy key 'id'")
        assert menu["picked"] == "Remove legacy key 'id' (AL104)", menu
        wb.call("save")
        assert file.read_text(encoding="utf-8") == text.replace(
            "  - id: template-e2e-5f1c2a90\n    artifact_root:", "  - artifact_root:"
        )
        # nothing was created in the user's repository (no .venv, no uv.lock, no caches)
        assert _paths(session.ws) == before
    finally:
        session.stop()


# --------------------------------------------------------------------------- another version


def test_a_server_of_another_version_is_warned_about(prepared, tmp_path_factory):
    """artifactLsp.server.path runs an artifact-lsp whose serverInfo.version is not the extension's."""
    base = tmp_path_factory.mktemp("vscode-mismatch")
    exe = base / "bin" / "artifact-lsp"
    exe.parent.mkdir()
    code = "import sys, artifact_lsp; artifact_lsp.__version__ = '0.0.9'; from artifact_lsp.cli import main; sys.exit(main(sys.argv[1:]))"
    exe.write_text(f'#!/bin/sh\nexec {h.python_for_server()} -c "{code}" "$@"\n')
    exe.chmod(0o755)
    session = Session(base, prepared, trusted=True, name="mismatch", interpreter=NO_SETTING)
    settings = json.loads((session.profile.user_data / "User" / "settings.json").read_text())
    settings["artifactLsp.server.path"] = str(exe)
    (session.profile.user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
    session.start()
    try:
        wb = session.wb
        wb.call("openFile", file=DOCKER)
        shown = wb.call(
            "waitNotification", match=r"^Artifact LSP: The artifact-lsp server is version 0\.0\.9 ", timeout=60_000
        )
        message = next(n["message"] for n in shown if "version 0.0.9" in n["message"])
        assert f"but this extension is {VERSION}: features may not match" in message, message
        assert "artifactLsp.server.path" in message and 'importStrategy" to "bundled"' in message, message
        # it still serves
        wb.call("problems", codes=["AL104"], file=DOCKER, timeout=60_000)
    finally:
        session.stop()
