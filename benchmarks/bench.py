"""artifact-lsp against yaml-language-server (with our exported schema), same client, same workloads.

One run starts both language servers, one after the other, and drives each through the plain
JSON-RPC client of ``lsp_bench.py`` (stdio, push diagnostics). Then it times the CLI against the
upstream-style ``yaml.safe_load`` loop of ``cli_bench.py``. It prints one table (both figures and
the ratio per row) and writes it as JSON.

Workloads, identical for both servers:

- startup: spawn -> ``initialize`` result;
- a real-sized manifest (one entry with legacy keys), a 2,000-entry manifest (~11k lines) with
  every config folder on disk, and a findings-heavy 2,000-entry manifest (no config folder on
  disk, legacy keys every 10th entry: 2,800 findings):
  ``didOpen`` -> first non-empty diagnostics; then ``--edits`` full-text edits (default 60) that
  remove and re-add a legacy key, each timed from ``didChange`` to the diagnostics *of that
  content* (p50, p95); resident memory of the server's process tree afterwards;
- the CLI on 1,000 and 10,000 generated manifests vs a new Python process running the
  ``yaml.safe_load`` loop the upstream scripts use (interpreter start included on both sides).

yaml-language-server publishes diagnostics without a version and may publish an empty set first,
so an edit's diagnostics are recognised by their count: the client learns, untimed, how many
diagnostics each of the two contents gets, and waits for a publication with the count of the
content just sent (and, when the server sends one, the version). yaml-language-server validates
200 ms after the last change (a fixed delay in its code): that is in its figures, as in an editor.

yaml-language-server is installed with npm into ``.cache/yaml-language-server`` when missing and
run as ``node .../yaml-language-server/bin/yaml-language-server --stdio``, configured with
``yaml.schemas`` mapping the output of ``artifact-lsp schema`` to ``**/artifact.yml``.

Usage: ``uv run python benchmarks/bench.py [--edits 60] [--json FILE] [--no-cli] [--no-yaml-ls]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cli_bench
import lsp_bench
from lsp_bench import (
    CAPABILITIES,
    SMALL,
    Client,
    big_manifest,
    heavy_manifest,
    make_entry_folders,
    server_env,
)

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
YAML_LS_VERSION = "1.25.0"
CACHE = PROJECT / ".cache" / "yaml-language-server"
QUIET_S = 0.6  # no publication for this long: the server has said everything about a content


# --------------------------------------------------------------------------- yaml-language-server


def yaml_ls_entry(cache: Path) -> Path:
    return cache / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


def ensure_yaml_ls(cache: Path, version: str) -> Path:
    """Install yaml-language-server with npm into ``cache`` unless it is there already."""
    entry = yaml_ls_entry(cache)
    if entry.exists():
        return entry
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit("yaml-language-server needs node and npm (or run with --no-yaml-ls)")
    cache.mkdir(parents=True, exist_ok=True)
    print(f"installing yaml-language-server@{version} into {cache} ...", file=sys.stderr)
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
            str(cache),
            f"yaml-language-server@{version}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not entry.exists():
        raise SystemExit(f"npm did not install {entry}")
    return entry


def yaml_ls_version(entry: Path) -> str:
    try:
        return json.loads((entry.parent.parent / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


class SettingsClient(Client):
    """The benchmark client, answering ``workspace/configuration`` from a settings tree."""

    def __init__(self, proc, settings: dict | None):
        self.settings = settings or {}
        super().__init__(proc)

    async def _answer(self, message):
        result = None
        if message["method"] == "workspace/configuration":
            result = [self._section(item.get("section")) for item in message["params"]["items"]]
        self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})

    def _section(self, section):
        node = self.settings
        for part in (section or "").split(".") if section else ():
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node


# --------------------------------------------------------------------------- measuring one server


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        value = lsp_bench.rss_mib(current)
        if not math.isnan(value):
            total += value
        stack.extend(children.get(current, ()))
    return total


async def settle(client: Client, uri: str, since: float, timeout: float = 120) -> int:
    """The number of diagnostics in the last publication once the server has gone quiet
    (at least one publication after ``since``)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        got = client.diagnostics.get(uri) or []
        if got and got[-1][0] > since and time.perf_counter() - got[-1][0] >= QUIET_S:
            return len(got[-1][2])
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no diagnostics for {uri}")


def percentile(values: list[float], q: float) -> float:
    """Nearest rank (as ``lsp_bench.py``: p95 of 60 values is the 57th)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


async def send_text(client: Client, uri: str, text: str, version: int) -> float:
    """A full-text ``didChange``; returns when it was written."""
    sent = time.perf_counter()
    client.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}
    )
    await client.stdin.drain()
    return sent


async def run_server(name: str, argv: list[str], folder: Path, edits: int, settings: dict | None = None) -> dict:
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=64 * 1024 * 1024,
        env=server_env(),
    )
    client = SettingsClient(proc, settings)
    await client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": folder.as_uri(),
            "workspaceFolders": [{"uri": folder.as_uri(), "name": "bench"}],
            "capabilities": CAPABILITIES,
            "initializationOptions": settings or {},
        },
    )
    out: dict = {"server": name, "startup_ms": (time.perf_counter() - started) * 1000}
    client.notify("initialized", {})
    if settings:
        client.notify("workspace/didChangeConfiguration", {"settings": settings})
    await client.stdin.drain()
    await asyncio.sleep(0.5)  # let a server fetch its configuration before the first document
    for label, text, legacy_line, folders in (
        ("small", SMALL, "    image_prewarm: all\n", True),
        ("big", big_manifest(2000), "    image_prewarm: all\n", True),
        # findings-heavy: no config folder on disk, legacy keys every 10th entry
        ("heavy", heavy_manifest(2000), "    image_prewarm: all\n", False),
    ):
        target = folder / label / "e2e" / "artifacts" / "env" / "artifact.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if folders:
            make_entry_folders(target.parent, text)
        uri = target.as_uri()
        lines = text.splitlines(keepends=True)
        at = lines.index(legacy_line)
        contents = {"with": text, "without": "".join(lines[:at] + lines[at + 1 :])}

        # open -> first (non-empty) diagnostics
        waiter = client.wait_diagnostics(uri, lambda p: len(p["diagnostics"]) > 0)
        t0 = time.perf_counter()
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        )
        await client.stdin.drain()
        t1 = await asyncio.wait_for(waiter, 120)
        out[f"{label}_open_ms"] = (t1 - t0) * 1000

        # learn, untimed, how many diagnostics each content gets
        version = 1
        counts = {"with": await settle(client, uri, t0)}

        version += 1
        counts["without"] = await settle(client, uri, await send_text(client, uri, contents["without"], version))
        version += 1
        again = await settle(client, uri, await send_text(client, uri, contents["with"], version))
        if again != counts["with"]:
            raise RuntimeError(f"{name}: {label} gets {counts['with']} then {again} diagnostics for the same text")
        out[f"{label}_diagnostics"] = counts["with"]
        by_count = counts["with"] != counts["without"]
        if not by_count:
            print(
                f"warning: {name} {label}: both contents get {counts['with']} diagnostics; matching by version",
                file=sys.stderr,
            )

        # timed edits: remove, add, remove, ... the legacy key
        latencies = []
        for i in range(edits):
            version += 1
            content = "without" if i % 2 == 0 else "with"
            expect = counts[content]

            def matches(p, v=version, n=expect, by_count=by_count):
                return p.get("version") in (v, None) and (not by_count or len(p["diagnostics"]) == n)

            waiter = client.wait_diagnostics(uri, matches)
            t0 = await send_text(client, uri, contents[content], version)
            t1 = await asyncio.wait_for(waiter, 120)
            latencies.append((t1 - t0) * 1000)
            await asyncio.sleep(0.01)
        out[f"{label}_edit_p50_ms"] = statistics.median(latencies)
        out[f"{label}_edit_p95_ms"] = percentile(latencies, 0.95)
        out[f"{label}_edits"] = len(latencies)
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        await client.stdin.drain()
    await asyncio.sleep(0.5)
    out["rss_mib"] = tree_rss_mib(proc.pid)
    await client.close()
    return out


# --------------------------------------------------------------------------- the CLI


def run_cli(counts: list[int], repeat: int) -> list[dict]:
    exe = shutil.which("artifact-lsp")
    ours_cmd = [exe] if exe else [sys.executable, "-m", "artifact_lsp"]
    rows = []
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="artifact-lsp-bench-") as tmp:
            repo = Path(tmp)
            cli_bench.make_repo(repo, count)
            ours, theirs, findings = [], [], 0
            for _ in range(repeat):
                t, proc = cli_bench.timed([*ours_cmd, "check", str(repo), "--format", "json"])
                if proc.returncode not in (0, 1):
                    raise SystemExit(proc.stderr)
                findings = len(json.loads(proc.stdout)["findings"])
                ours.append(t)
                t, proc = cli_bench.timed([sys.executable, "-c", cli_bench.UPSTREAM_LOOP, str(repo)])
                if proc.returncode != 0:
                    raise SystemExit(proc.stderr)
                theirs.append(t)
            rows.append(
                {
                    "manifests": count,
                    "artifact_lsp_check_s": statistics.median(ours),
                    "safe_load_loop_s": statistics.median(theirs),
                    "findings": findings,
                    "runs": repeat,
                }
            )
    return rows


# --------------------------------------------------------------------------- report


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    node = (
        subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
        if shutil.which("node")
        else ""
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else ""
    from artifact_lsp import __version__

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": node,
        "artifact_lsp": __version__,
        "loadavg_at_start": load,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


LSP_ROWS = (
    ("startup_ms", "startup -> initialize result", "ms"),
    ("small_open_ms", "small manifest: open -> first diagnostics", "ms"),
    ("small_edit_p50_ms", "small manifest: edit -> diagnostics p50", "ms"),
    ("small_edit_p95_ms", "small manifest: edit -> diagnostics p95", "ms"),
    ("big_open_ms", "2,000-entry manifest: open -> first diagnostics", "ms"),
    ("big_edit_p50_ms", "2,000-entry manifest: edit -> diagnostics p50", "ms"),
    ("big_edit_p95_ms", "2,000-entry manifest: edit -> diagnostics p95", "ms"),
    ("heavy_open_ms", "2,000 entries, every one with a finding: open -> first diagnostics", "ms"),
    ("heavy_edit_p50_ms", "2,000 entries, every one with a finding: edit -> diagnostics p50", "ms"),
    ("heavy_edit_p95_ms", "2,000 entries, every one with a finding: edit -> diagnostics p95", "ms"),
    ("rss_mib", "server RSS afterwards (process tree)", "MiB"),
    ("small_diagnostics", "small manifest: diagnostics published", ""),
    ("big_diagnostics", "2,000-entry manifest: diagnostics published", ""),
    ("heavy_diagnostics", "2,000 entries, every one with a finding: diagnostics published", ""),
)


def table(result: dict) -> list[dict]:
    """Rows of ``{figure, unit, artifact_lsp, baseline, baseline_name, ratio}``; ratio is
    baseline / artifact-lsp (above 1: artifact-lsp is faster or smaller)."""
    ours: dict = next((r for r in result["lsp"] if r["server"] == "artifact-lsp"), {})
    theirs: dict = next((r for r in result["lsp"] if r["server"] == "yaml-language-server"), {})
    before = next((r for r in result["lsp"] if r["server"].startswith("artifact-lsp (")), None)
    rows = []
    for key, label, unit in LSP_ROWS:
        a, b = ours.get(key), theirs.get(key)
        ratio = (b / a) if unit and isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > 0 else None
        row = {
            "figure": label,
            "unit": unit,
            "artifact_lsp": a,
            "baseline": b,
            "baseline_name": "yaml-language-server",
            "ratio": ratio,
        }
        if before is not None:
            row["compared"] = before.get(key)
        rows.append(row)
    for row in result.get("cli", []):
        a, b = row["artifact_lsp_check_s"], row["safe_load_loop_s"]
        rows.append(
            {
                "figure": f"CLI: {row['manifests']:,} manifests ({row['findings']:,} findings)",
                "unit": "s",
                "artifact_lsp": a,
                "baseline": b,
                "baseline_name": "yaml.safe_load loop",
                "ratio": b / a if a else None,
            }
        )
    return rows


def _fmt(value, unit) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.2f} s"
    if unit:
        return f"{value:.1f} {unit}"
    return f"{value:,}"


def print_table(result: dict, rows: list[dict]) -> None:
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python {m['python']}, node {m['node']}")
    print(
        f"artifact-lsp {m['artifact_lsp']}, yaml-language-server {result.get('yaml_language_server', '—')}, "
        f"load average at start {m['loadavg_at_start']}, {m['date']}"
    )
    width = max(len(r["figure"]) for r in rows)
    compared = any("compared" in r for r in rows)
    extra = f"  {'compared':>13}" if compared else ""
    print(f"{'figure':<{width}}{extra}  {'artifact-lsp':>13}  {'baseline':>13}  {'ratio':>7}  baseline")
    for r in rows:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "—"
        extra = f"  {_fmt(r.get('compared'), r['unit']):>13}" if compared else ""
        print(
            f"{r['figure']:<{width}}{extra}  {_fmt(r['artifact_lsp'], r['unit']):>13}  {_fmt(r['baseline'], r['unit']):>13}  {ratio:>7}  {r['baseline_name']}"
        )


def markdown(result: dict, rows: list[dict]) -> str:
    compared = result.get("compared")
    if compared:
        out = [
            f"| figure | {compared} | artifact-lsp | baseline | ratio (baseline / ours) | baseline is |",
            "|---|---:|---:|---:|---:|---|",
        ]
    else:
        out = [
            "| figure | artifact-lsp | baseline | ratio (baseline / ours) | baseline is |",
            "|---|---:|---:|---:|---|",
        ]
    for r in rows:
        ratio = f"{r['ratio']:.1f}×" if r["ratio"] is not None else "—"
        first = f" {_fmt(r.get('compared'), r['unit'])} |" if compared else ""
        out.append(
            f"| {r['figure']} |{first} {_fmt(r['artifact_lsp'], r['unit'])} | {_fmt(r['baseline'], r['unit'])} | {ratio} | {r['baseline_name']} |"
        )
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=60, help="timed edits per manifest (at least 40; default 60)")
    parser.add_argument(
        "--json", type=Path, help="write the results here (default benchmarks/results/bench-<time>.json)"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI figures")
    parser.add_argument("--no-yaml-ls", action="store_true", help="measure artifact-lsp only")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="also run the language server of another checkout of artifact-lsp (e.g. the main branch), "
        "with this environment's libraries, as an extra column",
    )
    parser.add_argument("--cli-counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--cli-repeat", type=int, default=3, help="runs per CLI figure (the median is kept)")
    parser.add_argument(
        "--yaml-ls-cache", type=Path, default=CACHE, help=f"where yaml-language-server is installed (default {CACHE})"
    )
    parser.add_argument("--yaml-ls-version", default=YAML_LS_VERSION, help="the version npm installs when missing")
    args = parser.parse_args(argv)
    if args.edits < 40:
        parser.error("--edits must be at least 40")

    from artifact_lsp.schema import dumps, manifest_schema

    result: dict = {"machine": machine(), "edits": args.edits, "lsp": []}
    entry = None if args.no_yaml_ls else ensure_yaml_ls(args.yaml_ls_cache, args.yaml_ls_version)
    if entry is not None:
        result["yaml_language_server"] = yaml_ls_version(entry)
    with tempfile.TemporaryDirectory(prefix="artifact-lsp-bench-") as tmp:
        tmp_path = Path(tmp)
        ours = tmp_path / "ours"
        ours.mkdir()
        lsp_bench.warm_up(lsp_bench.ours_argv())
        print("artifact-lsp ...", file=sys.stderr)
        result["lsp"].append(asyncio.run(run_server("artifact-lsp", lsp_bench.ours_argv(), ours, args.edits)))
        if args.compare is not None:
            other = tmp_path / "compared"
            other.mkdir()
            source = (args.compare / "server").resolve()
            argv_old = [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(source)!r}); from artifact_lsp.cli import main; sys.exit(main(['serve']))",
            ]
            result["compared"] = f"artifact-lsp ({args.compare})"
            print(f"{result['compared']} ...", file=sys.stderr)
            result["lsp"].append(asyncio.run(run_server(result["compared"], argv_old, other, args.edits)))
        if entry is not None:
            theirs = tmp_path / "yaml-ls"
            theirs.mkdir()
            schema_file = tmp_path / "artifact.schema.json"
            schema_file.write_text(dumps(manifest_schema()))
            settings = {
                "yaml": {
                    "validate": True,
                    "hover": True,
                    "completion": True,
                    "schemaStore": {"enable": False},
                    "schemas": {schema_file.as_uri(): "**/artifact.yml"},
                }
            }
            argv_ls = [shutil.which("node") or "node", str(entry), "--stdio"]
            subprocess.run([argv_ls[0], "-e", "0"], check=False)  # warm the node binary like the Python one
            print("yaml-language-server ...", file=sys.stderr)
            result["lsp"].append(asyncio.run(run_server("yaml-language-server", argv_ls, theirs, args.edits, settings)))
    if not args.no_cli:
        print("CLI ...", file=sys.stderr)
        result["cli"] = run_cli(args.cli_counts, args.cli_repeat)
    rows = table(result)
    result["table"] = rows
    print_table(result, rows)
    if args.markdown:
        print()
        print(markdown(result, rows), end="")
    target = args.json or HERE / "results" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
