"""The server inside the packaged ``.vsix``, run as the extension runs it
(``<python> extension/bundled/tool/server.py``) but without VS Code: a plain JSON-RPC client
over stdio.

- on Debian's ``/usr/bin/python3`` (no pygls there, no venv, nothing on PATH needed): it
  answers ``initialize`` with the package's version and publishes the diagnostics of the
  example manifest, and a quick fix comes back for a legacy key;
- with the pure-Python PyYAML the ``.vsix`` carries (``ARTIFACT_LSP_BUNDLED_YAML=1``, or a
  Python without its own libyaml) it publishes exactly the same diagnostics as with libyaml;
- on a Python older than 3.11 it exits with one clear line;
- nothing of the workspace or the working folder is imported (a workspace ``yaml.py``).

Needs Node 20 and npm (to build the ``.vsix``, as tests/test_vscode_unit.py does).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

import vscode_harness as h

DEBIAN_PYTHON = "/usr/bin/python3"
DOCKER = "e2e/artifacts/e2e-docker/artifact.yml"
VERSION = re.search(r'__version__ = "([^"]+)"', (h.ROOT / "server" / "artifact_lsp" / "__init__.py").read_text()).group(
    1
)
WAIT = 60  # seconds: an upper bound on waiting for a message, never a pause


@pytest.fixture(scope="module")
def extension(tmp_path_factory) -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("building the .vsix needs Node 20 and npm")
    major = h.node_major()
    if major is None or major < 20:
        pytest.skip(f"building the .vsix needs Node 20 or newer (found {major})")
    h.extension_workdir()
    vsix = h.build_vsix()
    out = tmp_path_factory.mktemp("vsix")
    with zipfile.ZipFile(vsix) as zf:
        zf.extractall(out)
    return out / "extension"


def _python_without_pygls(python: str) -> bool:
    proc = subprocess.run([python, "-c", "import pygls"], capture_output=True, check=False)
    return proc.returncode != 0


class Session:
    """A language server process and a minimal client (answers every server request)."""

    def __init__(self, argv: list[str], env: dict, cwd: Path):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
        )
        self.messages: queue.Queue = queue.Queue()
        self.next_id = 0
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def _write(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def next_message(self) -> dict:
        try:
            message = self.messages.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no message from the server in {WAIT}s; stderr: {self.err()}") from None
        if message is None:
            raise AssertionError(f"the server exited ({self.proc.wait()}); stderr: {self.err()}")
        if "method" in message and "id" in message:  # a request from the server: answer it
            result = (
                [None] * len(message["params"].get("items", []))
                if message["method"] == "workspace/configuration"
                else None
            )
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})
        return message

    def request(self, method: str, params) -> dict:
        self.next_id += 1
        my_id = self.next_id
        self._write({"jsonrpc": "2.0", "id": my_id, "method": method, "params": params})
        while True:
            message = self.next_message()
            if message.get("id") == my_id and "method" not in message:
                assert "error" not in message, message
                return message["result"]

    def wait_diagnostics(self, uri: str) -> list[dict]:
        while True:
            message = self.next_message()
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == uri
                and message["params"]["diagnostics"]
            ):
                return message["params"]["diagnostics"]

    def err(self) -> str:
        return b"".join(self.stderr).decode(errors="replace")[-3000:]

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=WAIT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def clean_env(**extra: str) -> dict:
    """No venv, no PYTHONPATH, a PATH without artifact-lsp: what a new user's editor has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "UV_", "PYENV"))}
    env["PATH"] = "/usr/bin:/bin"
    env.update(extra)
    return env


def lint_example(extension: Path, python: str, ws: Path, env: dict) -> tuple[dict, list[dict], list[dict], str]:
    """initialize result, the docker manifest's diagnostics, the code actions on `id`, stderr."""
    session = Session([python, str(extension / "bundled" / "tool" / "server.py")], env, cwd=ws)
    try:
        init = session.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": ws.as_uri(),
                "workspaceFolders": [{"uri": ws.as_uri(), "name": "ws"}],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {},
                        "codeAction": {
                            "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}
                        },
                    }
                },
            },
        )
        session.notify("initialized", {})
        path = ws / DOCKER
        uri = path.as_uri()
        session.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": path.read_text()}},
        )
        diagnostics = session.wait_diagnostics(uri)
        on_id = [d for d in diagnostics if d.get("code") == "AL104"]
        assert on_id, diagnostics
        actions = session.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": on_id[0]["range"],
                "context": {"diagnostics": on_id, "only": ["quickfix"]},
            },
        )
        return init, diagnostics, actions, session.err()
    finally:
        session.close()


@pytest.fixture
def ws(tmp_path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(h.EXAMPLES, target, symlinks=True)
    # a workspace module named like a dependency must never be imported (cwd is not on sys.path)
    (target / "yaml.py").write_text("raise SystemExit('the workspace yaml.py was imported')\n")
    (target / "artifact_lsp").mkdir()
    (target / "artifact_lsp" / "__init__.py").write_text(
        "raise SystemExit('the workspace artifact_lsp was imported')\n"
    )
    return target


def _summary(diagnostics: list[dict]) -> list[tuple]:
    return sorted(
        (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"], d["message"]) for d in diagnostics
    )


@pytest.mark.skipif(not os.access(DEBIAN_PYTHON, os.X_OK), reason=f"needs {DEBIAN_PYTHON} (Debian's python3)")
def test_bundled_server_runs_on_debian_python(extension, ws):
    if not _python_without_pygls(DEBIAN_PYTHON):
        pytest.skip(f"{DEBIAN_PYTHON} has pygls installed: it would not show that the .vsix carries it")
    before = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*"))
    init, diagnostics, actions, err = lint_example(extension, DEBIAN_PYTHON, ws, clean_env())
    assert init["serverInfo"] == {"name": "artifact-lsp", "version": VERSION}
    codes = {d["code"] for d in diagnostics}
    assert {"AL101", "AL102", "AL103", "AL104", "AL105", "AL202"} <= codes, codes
    assert "Remove legacy key 'id' (AL104)" in [a["title"] for a in actions], actions
    # the launcher said what runs: the bundled package, on that Python
    assert re.search(
        rf"artifact-lsp {re.escape(VERSION)} \(bundled, .*bundled/libs/artifact_lsp\) on Python 3\.\d+\.\d+ \({DEBIAN_PYTHON}\)",
        err,
    ), err
    # nothing was written into the workspace (no .venv, no uv.lock, no __pycache__)
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")) == before


def test_pure_python_yaml_gives_the_same_diagnostics(extension, ws):
    """The .vsix's PyYAML has no C extension: the engine's pure-Python path must agree with libyaml."""
    python = sys.executable  # this venv's Python has PyYAML with libyaml
    _, with_c, _, err_c = lint_example(extension, python, ws, clean_env())
    assert "libyaml (C) parser" in err_c, err_c
    _, pure, actions, err_pure = lint_example(extension, python, ws, clean_env(ARTIFACT_LSP_BUNDLED_YAML="1"))
    assert "PyYAML 6.0.4 (bundled): pure Python parser" in err_pure or re.search(
        r"PyYAML \S+ \(bundled\): pure Python parser", err_pure
    ), err_pure
    assert _summary(pure) == _summary(with_c)
    assert "Remove legacy key 'id' (AL104)" in [a["title"] for a in actions]


def _old_python() -> str | None:
    for candidate in sorted(Path("/root/.pyenv/versions").glob("3.1[0]*/bin/python")) + [Path("/usr/bin/python3.10")]:
        if candidate.exists():
            return str(candidate)
    return shutil.which("python3.10")


def test_an_old_python_gets_one_clear_line(extension, tmp_path):
    old = _old_python()
    if old is None:
        pytest.skip("no Python 3.10 on this machine")
    proc = subprocess.run(
        [old, str(extension / "bundled" / "tool" / "server.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=WAIT,
        check=False,
    )
    assert proc.returncode == 3, proc
    assert proc.stdout == ""
    assert re.fullmatch(
        r"artifact-lsp \(bundled\): Python 3\.11 or newer is needed, but .+ is Python 3\.10\.\d+\. Install a newer Python or set \"artifactLsp\.server\.interpreter\" to one\.\n",
        proc.stderr,
    ), proc.stderr


def test_from_environment_prefers_the_interpreters_own_package(extension, tmp_path):
    """importStrategy fromEnvironment: this venv's artifact_lsp (the checkout), not the bundled copy."""
    proc = subprocess.run(
        [sys.executable, str(extension / "bundled" / "tool" / "server.py"), "--describe"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=WAIT,
        check=False,
        env=clean_env(ARTIFACT_LSP_IMPORT_STRATEGY="fromEnvironment"),
    )
    assert proc.returncode == 0, proc.stderr
    assert f"(environment, {h.ROOT / 'server' / 'artifact_lsp'})" in proc.stdout, proc.stdout
    bundled = subprocess.run(
        [sys.executable, str(extension / "bundled" / "tool" / "server.py"), "--describe"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=WAIT,
        check=False,
        env=clean_env(),
    )
    assert "(bundled, " in bundled.stdout and "libyaml (C) parser" in bundled.stdout, bundled.stdout


BLOCK_LIBYAML = """
import sys

class _NoLibyaml:
    def find_spec(self, name, path=None, target=None):
        if name in ("yaml._yaml", "_yaml"):
            raise ImportError("libyaml hidden: the .vsix's PyYAML has no C extension")
        return None

sys.meta_path.insert(0, _NoLibyaml())
"""


def test_engine_without_libyaml_agrees(tmp_path):
    """The whole engine (not only the parser) on PyYAML without its C extension, as in the .vsix:
    the CLI's JSON for the examples is the same as with libyaml. No Node needed."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(BLOCK_LIBYAML)
    env_pure = dict(os.environ, PYTHONPATH=str(hide))
    probe = "import yaml, artifact_lsp.engine.yamlmodel as m; print(yaml.__with_libyaml__, m.HAVE_LIBYAML)"
    assert subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env_pure, check=True
    ).stdout.split() == ["False", "False"]
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split() == [
        "True",
        "True",
    ]

    def check(env):
        proc = subprocess.run(
            [sys.executable, "-m", "artifact_lsp", "check", "examples", "--format", "json", "--fail-on", "never"],
            cwd=h.ROOT,
            capture_output=True,
            text=True,
            env=env,
            timeout=WAIT,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    with_c, pure = check(None), check(env_pure)
    assert pure == with_c
    assert len(json.dumps(pure)) > 1000  # findings, not an empty report


def _bundle_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("vsix_bundle", h.EXT_SRC / "scripts" / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundle_strips_pyyaml_c_extension_and_refuses_other_compiled_files(tmp_path):
    bundle = _bundle_module()
    libs = tmp_path / "libs"
    for rel in (
        "yaml/__init__.py",
        "yaml/_yaml.cpython-311-x86_64-linux-gnu.so",
        "pygls/__init__.py",
        "pygls/__pycache__/x.cpython-311.pyc",
        "bin/artifact-lsp",
        ".lock",
    ):
        (libs / rel).parent.mkdir(parents=True, exist_ok=True)
        (libs / rel).write_text("x")
    assert bundle.strip(libs) == ["yaml/_yaml.cpython-311-x86_64-linux-gnu.so"]
    assert sorted(p.relative_to(libs).as_posix() for p in libs.rglob("*") if p.is_file()) == [
        "pygls/__init__.py",
        "yaml/__init__.py",
    ]
    (libs / "cattrs").mkdir()
    (libs / "cattrs" / "_speedups.cpython-311-x86_64-linux-gnu.so").write_text("x")
    with pytest.raises(SystemExit, match=r"compiled files that have no pure-Python fallback: \['cattrs/_speedups"):
        bundle.strip(libs)
