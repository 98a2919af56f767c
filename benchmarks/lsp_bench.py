"""Language-server benchmark: edit -> diagnostics latency, open -> first diagnostics, RSS.

A plain JSON-RPC client over stdio (no pygls), so the same code can drive any server. It acts
as a push client (no pull capability) and measures, end to end, from the moment the
notification is written to the moment the matching ``publishDiagnostics`` is read:

- ``startup``: spawn -> ``initialize`` result;
- ``open``: ``didOpen`` -> first diagnostics, for a real-sized manifest and a 2,000-entry one;
- ``edit``: >= 40 edits that add and remove a legacy key -> diagnostics for that version
  (p50 and p95);
- ``rss``: the server's resident memory after the big manifest.

Usage: ``uv run python benchmarks/lsp_bench.py [--edits 60] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SMALL = """# fixture (docker)
schema_version: "1"
project: esb-e2e-docker
env: e2e-docker
mode: docker
artifacts:
  - id: template-e2e-92eecc19
    artifact_root: template.e2e/e2e-docker
    runtime_config_dir: config
    image_prewarm: all
    source_template:
      path: e2e/fixtures/template.e2e.yaml
      sha256: 6a6b873fc6f14e8e2d81093b2c1dd5d9210099ee8f15d4fc684606c05217cd47
    runtime_meta:
      runtime_hooks:
        api_version: "1.0"
        python_sitecustomize_digest: a867884eca03420a44b4e398279e0569fe5209dc3d470ae39d6430944dc08564
      template_renderer:
        name: esb-cli-embedded-templates
        template_digest: f53f58040541cecf3e4bcc8bfd1006126e6543280f3a2031ffadfbdaa32b67bb
generated_at: "2026-02-18T08:27:02Z"
generator:
  name: esb
  version: dev
"""

ENTRY_CLEAN = """  - artifact_root: entries/template-{i:05d}
    runtime_config_dir: config
    source_template:
      path: e2e/fixtures/template-{i:05d}.yaml
      sha256: 6a6b873fc6f14e8e2d81093b2c1dd5d9210099ee8f15d4fc684606c05217cd47
"""
ENTRY_LEGACY = """  - id: template-{i:05d}
    artifact_root: entries/template-{i:05d}
    runtime_config_dir: config
    image_prewarm: all
"""


def big_manifest(entries: int = 2000) -> str:
    """~11k lines, ~600 findings: every 7th entry carries id + image_prewarm."""
    head = 'schema_version: "1"\nproject: big\nenv: e2e-docker\nmode: docker\nartifacts:\n'
    body = "".join((ENTRY_LEGACY if i % 7 == 0 else ENTRY_CLEAN).format(i=i) for i in range(entries))
    tail = 'generated_at: "2026-02-27T18:28:02Z"\ngenerator:\n  name: esb\n  version: dev\n'
    return head + body + tail


ENTRY_HEAVY_LEGACY = """  - id: template-{i:05d}
    artifact_root: entries/template-{i:05d}
    runtime_config_dir: config
    image_prewarm: all
    bundle_manifest: bundle.json
    runtime_meta:
      runtime_hooks:
        api_version: "1.0"
"""


def heavy_manifest(entries: int = 2000) -> str:
    """Every entry has a finding: no config folder is on disk (AL401 on each), and every 10th
    entry carries four legacy keys: 2,800 findings for 2,000 entries."""
    head = 'schema_version: "1"\nproject: heavy\nenv: e2e-docker\nmode: docker\nartifacts:\n'
    body = "".join((ENTRY_HEAVY_LEGACY if i % 10 == 0 else ENTRY_CLEAN).format(i=i) for i in range(entries))
    tail = 'generated_at: "2026-02-27T18:28:02Z"\ngenerator:\n  name: esb\n  version: dev\n'
    return head + body + tail


def make_entry_folders(folder: Path, text: str) -> None:
    """Every entry's config folder exists, as in a real fixture: findings are the legacy keys."""
    import re

    for root, config in re.findall(r"artifact_root: (\S+)\n\s+runtime_config_dir: (\S+)", text):
        config_dir = folder / root / config
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "functions.yml").write_text("functions: {}\n")
        (config_dir / "routing.yml").write_text("routes: []\n")


class Client:
    """A minimal LSP client: requests, notifications, and a diagnostics waiter."""

    def __init__(self, proc: asyncio.subprocess.Process):
        assert proc.stdin is not None and proc.stdout is not None, "start the server with stdin/stdout pipes"
        self.proc = proc
        self.stdin: asyncio.StreamWriter = proc.stdin
        self.stdout: asyncio.StreamReader = proc.stdout
        self.next_id = 0
        self.pending: dict[int, asyncio.Future] = {}
        self.diagnostics: dict[str, list[tuple[float, int | None, list]]] = {}  # uri -> [the latest]
        self.waiters: list[tuple[str, Callable[..., bool], asyncio.Future]] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        stdout = self.stdout
        while True:
            headers = {}
            while True:
                raw = await stdout.readline()
                if not raw:
                    return
                line = raw.decode().strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
            body = await stdout.readexactly(int(headers["content-length"]))
            message = json.loads(body)
            now = time.perf_counter()
            if "id" in message and "method" in message:  # a request from the server
                await self._answer(message)
            elif "id" in message:
                future = self.pending.pop(message["id"], None)
                if future and not future.done():
                    future.set_result(message.get("result"))
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                # the latest publication only: a history of 2,800-diagnostic lists made the
                # client's own garbage collector pause for 100-250 ms every few edits, and
                # those pauses were measured as the server's latency
                self.diagnostics[params["uri"]] = [(now, params.get("version"), params["diagnostics"])]
                for waiter in list(self.waiters):
                    uri, predicate, future = waiter
                    if uri == params["uri"] and predicate(params) and not future.done():
                        future.set_result(now)
                        self.waiters.remove(waiter)

    async def _answer(self, message):
        method = message["method"]
        result = None
        if method == "workspace/configuration":
            result = [None for _ in message["params"]["items"]]
        self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})

    def _write(self, payload):
        body = json.dumps(payload).encode()
        self.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    async def request(self, method, params):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        await self.stdin.drain()
        return await future

    def notify(self, method, params):
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_diagnostics(self, uri: str, predicate: Callable[..., bool]) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((uri, predicate, future))
        return future

    async def close(self):
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except Exception:
            self.proc.kill()
        self.reader.cancel()


def server_env() -> dict:
    """The environment servers run in: like an installed package, bytecode caching allowed
    (some CI images set PYTHONDONTWRITEBYTECODE, which makes every start recompile pygls and
    lsprotocol: a cost no installed server pays). A warm-up start writes the caches."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_up(argv: list[str]) -> None:
    import subprocess

    subprocess.run([argv[0], "-c", "import artifact_lsp.lsp, artifact_lsp.cli"], env=server_env(), check=False)


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


CAPABILITIES = {
    "textDocument": {
        "synchronization": {"didSave": True, "dynamicRegistration": False},
        "publishDiagnostics": {"relatedInformation": True, "versionSupport": True, "tagSupport": {"valueSet": [1, 2]}},
    },
    "workspace": {"configuration": True, "workspaceFolders": True},
    "window": {"workDoneProgress": False},
}


async def start_server(
    argv: list[str],
    folder: Path,
    name: str,
    *,
    limit: int,
    init_options: dict | None = None,
    capabilities: dict | None = None,
) -> tuple[asyncio.subprocess.Process, Client]:
    """Spawn a language server on stdio and answer its ``initialize`` (not yet ``initialized``)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=limit,
        env=server_env(),
    )
    client = Client(proc)
    params: dict = {
        "processId": os.getpid(),
        "rootUri": folder.as_uri(),
        "workspaceFolders": [{"uri": folder.as_uri(), "name": name}],
        "capabilities": CAPABILITIES if capabilities is None else capabilities,
    }
    if init_options is not None:
        params["initializationOptions"] = init_options
    await client.request("initialize", params)
    return proc, client


async def run_server(name: str, argv: list[str], folder: Path, edits: int, settings: dict | None = None) -> dict:
    started = time.perf_counter()
    proc, client = await start_server(argv, folder, "bench", limit=64 * 1024 * 1024, init_options=settings or {})
    startup = time.perf_counter() - started
    client.notify("initialized", {})
    if settings:
        client.notify("workspace/didChangeConfiguration", {"settings": settings})
    out = {"server": name, "startup_ms": startup * 1000}
    for label, text, legacy_line in (
        ("small", SMALL, "    image_prewarm: all\n"),
        ("big", big_manifest(), "    image_prewarm: all\n"),
    ):
        target = folder / label / "e2e" / "artifacts" / "env" / "artifact.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        make_entry_folders(target.parent, text)
        uri = target.as_uri()
        has = lambda p: len(p["diagnostics"]) > 0  # noqa: E731
        waiter = client.wait_diagnostics(uri, has)
        t0 = time.perf_counter()
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        )
        await client.stdin.drain()
        t1 = await asyncio.wait_for(waiter, 120)
        out[f"{label}_open_ms"] = (t1 - t0) * 1000
        out[f"{label}_findings"] = len(client.diagnostics[uri][-1][2])
        # edits: remove and re-add one legacy key (line 9 of the small manifest / of entry 0)
        lines = text.splitlines(keepends=True)
        at = lines.index(legacy_line)
        without = "".join(lines[:at] + lines[at + 1 :])
        latencies = []
        version = 1
        await asyncio.sleep(0.2)
        for i in range(edits):
            version += 1
            new_text = without if i % 2 == 0 else text
            expect = version
            waiter = client.wait_diagnostics(
                uri, lambda p, v=expect, u=uri: p.get("version") in (v, None) and _fresh(client, u, v)
            )
            t0 = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": new_text}]},
            )
            await client.stdin.drain()
            t1 = await asyncio.wait_for(waiter, 60)
            latencies.append((t1 - t0) * 1000)
            await asyncio.sleep(0.01)
        latencies.sort()
        out[f"{label}_edit_p50_ms"] = statistics.median(latencies)
        out[f"{label}_edit_p95_ms"] = latencies[max(0, int(len(latencies) * 0.95) - 1)]
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    await asyncio.sleep(0.3)
    out["rss_mib"] = rss_mib(proc.pid)
    await client.close()
    return out


def _fresh(client: Client, uri: str, version: int) -> bool:
    got = client.diagnostics.get(uri)
    if not got:
        return False
    return got[-1][1] in (version, None)


def ours_argv() -> list[str]:
    return [sys.executable, "-m", "artifact_lsp", "serve"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="artifact-lsp-lsp-bench-") as tmp:
        folder = Path(tmp) / "ours"
        folder.mkdir()
        warm_up(ours_argv())
        rows.append(asyncio.run(run_server("artifact-lsp", ours_argv(), folder, args.edits)))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    keys = [
        ("startup_ms", "startup -> initialize result", "ms"),
        ("small_open_ms", "small manifest: open -> first diagnostics", "ms"),
        ("small_edit_p50_ms", "small manifest: edit -> diagnostics p50", "ms"),
        ("small_edit_p95_ms", "small manifest: edit -> diagnostics p95", "ms"),
        ("big_open_ms", "2,000-entry manifest: open -> first diagnostics", "ms"),
        ("big_edit_p50_ms", "2,000-entry manifest: edit -> diagnostics p50", "ms"),
        ("big_edit_p95_ms", "2,000-entry manifest: edit -> diagnostics p95", "ms"),
        ("big_findings", "2,000-entry manifest: findings", ""),
        ("rss_mib", "server RSS after the big manifest", "MiB"),
    ]
    width = max(len(k[1]) for k in keys)
    print(f"{'figure':<{width}}  " + "  ".join(f"{r['server']:>14}" for r in rows))
    for key, label, unit in keys:
        print(
            f"{label:<{width}}  "
            + "  ".join(f"{r[key]:>11.1f} {unit:<3}" if isinstance(r[key], float) else f"{r[key]:>14}" for r in rows)
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
