"""Harness for the VS Code extension tests: real VS Code (code-server), offline.

Everything it needs from npm is installed on first use into a cache folder
(``.cache/vscode-e2e/`` under the repository, or ``$ARTIFACT_LSP_VSCODE_CACHE``), each part
behind a marker file so later runs reuse it:

- ``code-server/``: code-server 4.100.3 (VS Code 1.100.3; the newest whose ``engines.node`` is
  20), installed with the workarounds it needs offline (see ``install_code_server``);
- ``tools/``: playwright-core, which drives Debian's Chromium (no browser download);
- ``ext/``: a copy of ``editors/vscode`` whose dependencies come from ``npm ci`` (the lock
  file; ``@vscode/vsce`` is one of them), rebuilt and packaged to ``artifact-lsp.vsix`` on every
  run (a few seconds).

System packages (``chromium``, ``ripgrep``, ``libkrb5-dev``, ``build-essential``,
``pkg-config``) are never installed here: ``.ci/run`` installs them (Node 20 and npm come with
the machine), and a test that lacks one skips, naming it.

Debugging: test artifacts (screenshots, code-server and driver logs) land in
``test-artifacts/vscode-e2e/``; ``ARTIFACT_LSP_VSCODE_LOG=trace`` runs code-server at trace
level and ``ARTIFACT_LSP_VSCODE_SETTINGS='{"artifactLsp.trace.server": "messages"}'`` adds user
settings, which together write the LSP traffic to the profile's ``logs/.../Artifact LSP.log``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXT_SRC = ROOT / "editors" / "vscode"
EXAMPLES = ROOT / "examples"
DRIVER = Path(__file__).resolve().parent / "vscode_driver.js"
CACHE = Path(os.environ.get("ARTIFACT_LSP_VSCODE_CACHE") or ROOT / ".cache" / "vscode-e2e")
ARTIFACTS = ROOT / "test-artifacts" / "vscode-e2e"

CODE_SERVER_VERSION = "4.100.3"
PLAYWRIGHT_VERSION = "1.65.1"
# @vscode/ripgrep's postinstall downloads rg from GitHub unless this asset is in its cache
# ($TMPDIR/vscode-ripgrep-cache-<package version>/); versions pinned by code-server 4.100.3
RIPGREP_PACKAGE_VERSION = "1.15.11"
RIPGREP_ASSET = "ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
CHROMIUM = "/usr/bin/chromium"
EXT_FILES = ("package.json", "package-lock.json", "tsconfig.json", "esbuild.mjs", ".vscodeignore", "README.md")
EXT_DIRS = ("src", "test", "scripts", "bundled/tool")  # bundled/libs: written by scripts/bundle.py

INSTALL_TIMEOUT = 900


# --------------------------------------------------------------------------- prerequisites


def _which(name: str) -> str | None:
    return shutil.which(name)


def missing_system_packages(*, building: bool) -> list[str]:
    """Debian packages that are absent (``building``: also what the npm installs compile with)."""
    missing = []
    if not (_which("node") and _which("npm")):
        missing.append("nodejs (node and npm, Node 20)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("chromium")
    if building:
        if not _which("rg"):
            missing.append("ripgrep")
        if not (Path("/usr/include/krb5.h").exists() or _which("krb5-config")):
            missing.append("libkrb5-dev")
        if not (_which("cc") and _which("c++") and _which("make")):
            missing.append("build-essential")
        if not _which("pkg-config"):
            missing.append("pkg-config")
    return missing


def node_major() -> int | None:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def require_tools(*, building: bool) -> None:
    missing = missing_system_packages(building=building)
    if missing:
        pytest.skip(
            "VS Code tests need the Debian package(s) "
            + ", ".join(missing)
            + " (bash .ci/run installs them: apt-get install -y --no-install-recommends chromium ripgrep libkrb5-dev build-essential pkg-config)"
        )
    major = node_major()
    if major is None or major < 20:
        pytest.skip(f"VS Code tests need Node 20 or newer (found {major})")


# --------------------------------------------------------------------------- npm installs


def _npm_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "npm_config_audit": "false",
            "npm_config_fund": "false",
            "npm_config_update_notifier": "false",
            "npm_config_progress": "false",
        }
    )
    env.update(extra)
    return env


def _run_logged(
    cmd: list[str], cwd: Path, log: Path, env: dict | None = None, timeout: float = INSTALL_TIMEOUT
) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"\n$ {' '.join(cmd)}   (in {cwd})\n")
        fh.flush()
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        fh.write(f"exit {proc.returncode} after {time.monotonic() - started:.1f}s\n")
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
        pytest.fail(f"{' '.join(cmd)} failed (exit {proc.returncode}); log {log}:\n{tail}", pytrace=False)


@contextlib.contextmanager
def _locked(name: str):
    """One installer at a time per cache part (parallel pytest runs share the cache)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _marker_ok(marker: Path, value: str) -> bool:
    return marker.exists() and marker.read_text().strip() == value


def _seed_ripgrep(tmp: Path) -> None:
    """Put Debian's rg where @vscode/ripgrep's postinstall looks before downloading."""
    cache = tmp / f"vscode-ripgrep-cache-{RIPGREP_PACKAGE_VERSION}"
    cache.mkdir(parents=True, exist_ok=True)
    asset = cache / RIPGREP_ASSET
    if asset.exists():
        return
    rg = _which("rg")
    assert rg, "ripgrep is checked before installing"
    with tarfile.open(asset, "w:gz") as tar:
        tar.add(os.path.realpath(rg), arcname="rg")


def code_server_dir() -> Path:
    return CACHE / "code-server"


def code_server_entry() -> Path:
    return code_server_dir() / "node_modules" / "code-server" / "out" / "node" / "entry.js"


def install_code_server() -> Path:
    """code-server from npm, offline.

    - kerberos builds from source against Debian's libkrb5-dev;
    - @vscode/ripgrep's download is pre-empted by a cached asset holding Debian's rg;
    - ``npm_config_yes`` (node-pty's install runs ``npx node-gyp``), ``build_from_source=argon2``
      (no prebuilt download), ``unsafe_perm`` (code-server's postinstall refuses root otherwise).
    """
    folder = code_server_dir()
    marker = folder / ".installed"
    if _marker_ok(marker, CODE_SERVER_VERSION) and code_server_entry().exists():
        return folder
    with _locked("code-server"):
        if _marker_ok(marker, CODE_SERVER_VERSION) and code_server_entry().exists():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "package.json").write_text('{"private": true}\n')
        tmp = CACHE / "tmp"
        _seed_ripgrep(tmp)
        env = _npm_env(
            TMPDIR=str(tmp),
            npm_config_yes="true",
            npm_config_build_from_source="argon2",
            npm_config_unsafe_perm="true",
        )
        log = CACHE / "logs" / "code-server-install.log"
        _run_logged(
            ["npm", "install", "--no-audit", "--no-fund", "--foreground-scripts", f"code-server@{CODE_SERVER_VERSION}"],
            folder,
            log,
            env,
        )
        # the native modules must load (a failed build only shows up later as a blank workbench)
        vscode_dir = folder / "node_modules" / "code-server" / "lib" / "vscode"
        check = (
            "for (const m of ['node-pty','@vscode/spdlog','native-watchdog','kerberos','@parcel/watcher']) require(m);"
        )
        _run_logged(["node", "-e", check], vscode_dir, log, env, timeout=60)
        rg = vscode_dir / "node_modules" / "@vscode" / "ripgrep" / "bin" / "rg"
        _run_logged([str(rg), "--version"], folder, log, env, timeout=60)
        marker.write_text(CODE_SERVER_VERSION + "\n")
    return folder


def install_tools() -> Path:
    folder = CACHE / "tools"
    marker = folder / ".installed"
    if _marker_ok(marker, PLAYWRIGHT_VERSION):
        return folder / "node_modules" / "playwright-core"
    with _locked("tools"):
        if not _marker_ok(marker, PLAYWRIGHT_VERSION):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            (folder / "package.json").write_text('{"private": true}\n')
            _run_logged(
                ["npm", "install", "--no-audit", "--no-fund", f"playwright-core@{PLAYWRIGHT_VERSION}"],
                folder,
                CACHE / "logs" / "tools-install.log",
                _npm_env(),
            )
            marker.write_text(PLAYWRIGHT_VERSION + "\n")
    return folder / "node_modules" / "playwright-core"


def _lock_digest() -> str:
    return hashlib.sha256((EXT_SRC / "package-lock.json").read_bytes()).hexdigest()


def extension_workdir() -> Path:
    """``.cache/vscode-e2e/ext``: the extension's sources (copied fresh) over ``npm ci``'d deps."""
    folder = CACHE / "ext"
    marker = folder / ".npm-ci"
    with _locked("ext"):
        folder.mkdir(parents=True, exist_ok=True)
        for name in EXT_FILES:
            shutil.copy2(EXT_SRC / name, folder / name)
        shutil.rmtree(folder / "bundled", ignore_errors=True)
        for name in EXT_DIRS:
            shutil.rmtree(folder / name, ignore_errors=True)
            shutil.copytree(EXT_SRC / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        digest = _lock_digest()
        if not (_marker_ok(marker, digest) and (folder / "node_modules").is_dir()):
            marker.unlink(missing_ok=True)
            _run_logged(["npm", "ci", "--no-audit", "--no-fund"], folder, CACHE / "logs" / "ext-npm-ci.log", _npm_env())
            marker.write_text(digest + "\n")
    return folder


def npm_run(folder: Path, script: str, timeout: float = 300) -> subprocess.CompletedProcess:
    # scripts/bundle.py (npm run bundle) finds this repository through ARTIFACT_LSP_REPO
    return subprocess.run(
        ["npm", "run", "--silent", script],
        cwd=folder,
        env=_npm_env(ARTIFACT_LSP_REPO=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@functools.cache
def build_vsix() -> Path:
    """``npm run package`` in the cache's copy of the extension (once per test session): the
    server and its libraries are bundled from this checkout (scripts/bundle.py), then vsce packs."""
    folder = extension_workdir()
    vsix = folder / "artifact-lsp.vsix"
    vsix.unlink(missing_ok=True)
    proc = npm_run(folder, "package")
    if proc.returncode != 0 or not vsix.exists():
        pytest.fail(
            f"npm run package failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}",
            pytrace=False,
        )
    return vsix


# --------------------------------------------------------------------------- code-server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DEFAULT_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "security.workspace.trust.enabled": False,
    "editor.minimap.enabled": False,
    "files.autoSave": "off",
    "git.enabled": False,
    "chat.commandCenter.enabled": False,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    # a diff editor stays side by side with both sides whole (the review test reads both)
    "diffEditor.renderSideBySide": True,
    "diffEditor.useInlineViewWhenSpaceIsLimited": False,
    "diffEditor.hideUnchangedRegions.enabled": False,
}


@dataclass
class Profile:
    """A fresh code-server user: HOME, user data and extensions under one temp folder."""

    base: Path
    settings: dict = field(default_factory=dict)
    # the PATH code-server and the extension host get (default: the caller's); with one given,
    # no venv or pyenv variables leak in either: what a new user's machine has
    path: str | None = None

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def user_data(self) -> Path:
        return self.base / "user-data"

    @property
    def extensions(self) -> Path:
        return self.base / "extensions"

    def env(self) -> dict:
        env = dict(os.environ)
        for key in list(env):
            if (
                key.startswith(("VSCODE_", "PYTEST_"))
                or key in ("ELECTRON_RUN_AS_NODE",)
                or (self.path is not None and key.startswith(("VIRTUAL_ENV", "PYTHON", "PYENV", "UV_")))
            ):
                env.pop(key)
        if self.path is not None:
            env["PATH"] = self.path
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
        )
        return env

    def write(self) -> None:
        for folder in (self.home, self.user_data / "User", self.extensions):
            folder.mkdir(parents=True, exist_ok=True)
        # ARTIFACT_LSP_VSCODE_SETTINGS='{"artifactLsp.trace.server": "verbose"}' (with
        # ARTIFACT_LSP_VSCODE_LOG=trace) puts the LSP traffic in the profile's logs/.../Artifact LSP.log
        extra = json.loads(os.environ.get("ARTIFACT_LSP_VSCODE_SETTINGS") or "{}")
        settings = {**DEFAULT_SETTINGS, **self.settings, **extra}
        (self.user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
        # The VS Code server builds the extension host's environment from "$SHELL -ilc" with
        # this HOME; without a ~/.profile, /etc/profile resets PATH and the extension host
        # would not find the caller's python3/uv. Keep the caller's PATH.
        path = self.path if self.path is not None else os.environ.get("PATH", "")
        (self.home / ".profile").write_text("export PATH='" + path.replace("'", "'\\''") + "'\n")
        (self.base / "config.yaml").write_text("bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n")

    def _cs_args(self) -> list[str]:
        return [
            "--config",
            str(self.base / "config.yaml"),
            "--user-data-dir",
            str(self.user_data),
            "--extensions-dir",
            str(self.extensions),
        ]

    def install_extension(self, vsix: Path) -> None:
        proc = subprocess.run(
            ["node", str(code_server_entry()), *self._cs_args(), "--install-extension", str(vsix)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode != 0 or "was successfully installed" not in proc.stdout + proc.stderr:
            pytest.fail(f"installing {vsix.name} into code-server failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)


class CodeServer:
    """code-server on 127.0.0.1 in its own process group (so the extension host and the
    language server it started go down with it)."""

    def __init__(self, profile: Profile, workspace: Path, *, trust: bool = False):
        self.profile = profile
        self.workspace = workspace
        self.port = free_port()
        self.log = profile.base / "code-server.log"
        self.trust = trust
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def start(self, timeout: float = 60) -> None:
        args = [
            "node",
            str(code_server_entry()),
            *self.profile._cs_args(),
            "--bind-addr",
            f"127.0.0.1:{self.port}",
            "--auth",
            "none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-getting-started-override",
        ]
        if not self.trust:
            args.append("--disable-workspace-trust")
        if os.environ.get("ARTIFACT_LSP_VSCODE_LOG"):  # e.g. "trace": every log channel, LSP traffic included
            args += ["--log", os.environ["ARTIFACT_LSP_VSCODE_LOG"]]
        args.append(str(self.workspace))
        self.logfh = open(self.log, "w")  # noqa: SIM115 - outlives this method: closed in stop()
        self.proc = subprocess.Popen(
            args,
            env=self.profile.env(),
            stdout=self.logfh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.profile.base,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"code-server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"code-server did not answer in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """TERM the whole process group (KILL after a grace period) and wait until it is empty."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            if self._wait_group(pgid, 8.0):
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.logfh.close()
        self.proc = None

    def _wait_group(self, pgid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.proc.poll()  # reap the leader: a zombie still counts as a group member
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False


def kill_strays(workspace: Path) -> list[str]:
    """Kill processes still naming ``workspace`` on their command line once code-server is gone.

    The server runs the regenerate script in a process group of its own (so it can stop it),
    and a language server that is killed cannot stop it: if a test fails while a regeneration
    runs, the script and the producer would outlive the session. Returns what was killed.
    """
    needle = str(workspace).encode()
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(cmdline.replace(b"\0", b" ").decode(errors="replace").strip())
    return killed


# --------------------------------------------------------------------------- the browser driver


class DriverError(AssertionError):
    pass


class Workbench:
    """The VS Code workbench in headless Chromium, through ``vscode_driver.js`` (playwright-core).

    One JSON request per line on the driver's stdin, one JSON answer per line on its stdout.
    """

    def __init__(self, playwright_core: Path, url: str, log: Path, shots: Path, *, dialog: bool = False):
        self.log = log
        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)
        self.logfh = open(log, "w")  # noqa: SIM115 - outlives this method: closed in close()
        env = dict(
            os.environ, PW_CORE=str(playwright_core), CHROMIUM=CHROMIUM, DRIVER_HOME=str(log.parent / "chrome-home")
        )
        self.proc = subprocess.Popen(
            ["node", str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.logfh,
            text=True,
            env=env,
            start_new_session=True,
            bufsize=1,
        )
        self.next_id = 0
        self.call("open", url=url, dialog=dialog, timeout=90_000)

    def call(self, op: str, timeout: float = 30_000, **params):
        self.next_id += 1
        request = {"id": self.next_id, "op": op, "timeout": timeout, **params}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise DriverError(
                    f"the browser driver died during {op}; log {self.log}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                self.logfh.write(line)
                continue
            if answer.get("id") != self.next_id:
                continue
            if not answer.get("ok"):
                shot = self.shots / f"failed-{op}-{self.next_id}.png"
                with contextlib.suppress(Exception):
                    self._raw("screenshot", path=str(shot))
                raise DriverError(f"{op} {params}: {answer.get('error')} (screenshot {shot})")
            return answer.get("result")

    def _raw(self, op: str, **params):
        self.next_id += 1
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"id": self.next_id, "op": op, "timeout": 10_000, **params}) + "\n")
        self.proc.stdin.flush()
        while True:
            answer = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.next_id:
                return answer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._raw("close")
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.logfh.close()


def python_for_server() -> str:
    """The interpreter of this checkout's venv (``uv run pytest``): it has artifact_lsp."""
    return sys.executable
