"""Fix and position benchmark (issue 10, items 7 and 8).

- ``codeAction``: the lightbulb request at the first legacy key of a manifest whose 100 / 300 /
  1,000 entries each carry legacy keys (``id``, ``image_prewarm``, ``runtime_meta``), and the
  ``codeAction/resolve`` that computes "Remove all legacy keys in this file" when the client
  picks it (when the server offers it lazily), and an explicit ``source.fixAll`` request;
- ``cli fix``: ``artifact-lsp fix`` on the same manifests (a fresh copy each time);
- ``long line``: a one-line flow manifest with 2,000 entries (each with a finding) and one
  non-ASCII character, against its ASCII twin: the engine's lint plus the conversion of every
  finding to UTF-16 and UTF-8 positions (what the server and the CLI's SARIF output do).

Usage: ``uv run python benchmarks/fix_bench.py [--counts 100,300,1000] [--timeout 20] [--json out.json]``
A request that has not answered after ``--timeout`` seconds is reported as ``>timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lsp_bench import Client, ours_argv, server_env, start_server, warm_up

ENTRY = """  - id: template-{i:05d}
    artifact_root: entries/template-{i:05d}
    runtime_config_dir: config
    image_prewarm: all
    runtime_meta:
      runtime_hooks:
        api_version: "1.0"
"""


def legacy_manifest(entries: int) -> str:
    head = 'schema_version: "1"\nproject: fixbench\nenv: e2e-docker\nmode: docker\nartifacts:\n'
    tail = 'generated_at: "2026-02-27T18:28:02Z"\ngenerator:\n  name: esb\n  version: dev\n'
    return head + "".join(ENTRY.format(i=i) for i in range(entries)) + tail


def flow_line(entries: int, non_ascii: bool) -> str:
    project = "projé" if non_ascii else "proje"
    items = ", ".join(f"{{id: e{i}, artifact_root: r{i}, runtime_config_dir: c}}" for i in range(entries))
    return f'{{schema_version: "1", project: {project}, env: e, mode: docker, artifacts: [{items}]}}\n'


CAPABILITIES = {
    "textDocument": {
        "synchronization": {"didSave": True, "dynamicRegistration": False},
        "publishDiagnostics": {"relatedInformation": True, "versionSupport": True},
        "codeAction": {
            "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source", "source.fixAll"]}},
            "resolveSupport": {"properties": ["edit"]},
            "dataSupport": True,
        },
    },
    "workspace": {"configuration": True, "workspaceFolders": True, "workspaceEdit": {"documentChanges": True}},
}


async def timed_request(client: Client, method: str, params, timeout: float):
    t0 = time.perf_counter()
    try:
        result = await asyncio.wait_for(client.request(method, params), timeout)
    except TimeoutError:
        return None, None
    return (time.perf_counter() - t0) * 1000, result


async def bench_code_actions(folder: Path, counts: list[int], timeout: float) -> list[dict]:
    proc, client = await start_server(ours_argv(), folder, "b", limit=256 * 1024 * 1024, capabilities=CAPABILITIES)
    client.notify("initialized", {})
    rows = []
    for count in counts:
        text = legacy_manifest(count)
        target = folder / f"m{count}" / "artifact.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        uri = target.as_uri()
        waiter = client.wait_diagnostics(uri, lambda p: len(p["diagnostics"]) > 0)
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        )
        await client.stdin.drain()
        await asyncio.wait_for(waiter, 300)
        line = text.splitlines().index(f"  - id: template-{0:05d}")
        where = {"start": {"line": line, "character": 6}, "end": {"line": line, "character": 6}}
        params = {"textDocument": {"uri": uri}, "range": where, "context": {"diagnostics": [], "only": ["quickfix"]}}
        row: dict[str, object] = {"entries": count}
        ms, actions = await timed_request(client, "textDocument/codeAction", params, timeout)
        row["code_action_ms"] = ms
        lazy = next((a for a in actions or [] if a["title"].startswith("Remove all legacy keys")), None)
        if lazy is not None and "edit" not in lazy:
            ms, resolved = await timed_request(client, "codeAction/resolve", lazy, timeout * 10)
            row["resolve_ms"] = ms
            row["resolve_edits"] = len(resolved["edit"]["documentChanges"][0]["edits"]) if resolved else None
        params = {
            "textDocument": {"uri": uri},
            "range": where,
            "context": {"diagnostics": [], "only": ["source.fixAll"]},
        }
        ms, _ = await timed_request(client, "textDocument/codeAction", params, timeout * 10)
        row["source_fix_all_ms"] = ms
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        rows.append(row)
        if row["code_action_ms"] is None:
            break  # the server is still busy with it: later figures would measure the queue
    proc.kill()
    await proc.wait()
    client.reader.cancel()
    return rows


def bench_cli_fix(folder: Path, counts: list[int], timeout: float) -> dict:
    out: dict[int, float | None] = {}
    for count in counts:
        target = folder / f"cli{count}" / "artifact.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(legacy_manifest(count))
        t0 = time.perf_counter()
        try:
            subprocess.run(
                [sys.executable, "-m", "artifact_lsp", "fix", str(target)],
                env=server_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
            out[count] = (time.perf_counter() - t0) * 1000
        except subprocess.TimeoutExpired:
            out[count] = None
            break
    return out


def bench_long_line(entries: int) -> dict:
    from artifact_lsp.engine.linter import lint_text
    from artifact_lsp.lsp.convert import diagnostic

    out = {}
    for label, non_ascii in (("ascii", False), ("non_ascii", True)):
        text = flow_line(entries, non_ascii)
        t0 = time.perf_counter()
        result = lint_text(text, path=None, kind="manifest")
        index = result.index
        for encoding in ("utf-16", "utf-8"):
            for finding in result.findings:
                diagnostic(finding, index, encoding, "file:///x/artifact.yml")
        out[f"{label}_ms"] = (time.perf_counter() - t0) * 1000
        out[f"{label}_findings"] = len(result.findings)
    return out


def fmt(ms, timeout) -> str:
    return f">{timeout:g} s" if ms is None else f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,300,1000")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--cli-timeout", type=float, default=150.0)
    parser.add_argument("--line-entries", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated: lsp,cli,line")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="artifact-lsp-fix-bench-") as tmp:
        folder = Path(tmp)
        if "line" not in skip:
            result["long_line"] = line = bench_long_line(args.line_entries)
            print(
                f"long line ({args.line_entries} entries, {line['ascii_findings']} findings): "
                f"ASCII {fmt(line['ascii_ms'], 0)}, one non-ASCII character {fmt(line['non_ascii_ms'], 0)}"
            )
        if "lsp" not in skip:
            warm_up(ours_argv())
            result["code_action"] = rows = asyncio.run(bench_code_actions(folder, counts, args.timeout))
            for row in rows:
                print(
                    f"{row['entries']:>5} entries: codeAction {fmt(row['code_action_ms'], args.timeout)}"
                    + (
                        f", resolve fix-all {fmt(row['resolve_ms'], args.timeout * 10)} ({row['resolve_edits']} edits)"
                        if "resolve_ms" in row
                        else ""
                    )
                    + f", source.fixAll {fmt(row.get('source_fix_all_ms'), args.timeout * 10)}"
                )
        if "cli" not in skip:
            result["cli_fix"] = cli = bench_cli_fix(folder, counts, args.cli_timeout)
            print("cli fix: " + ", ".join(f"{c} entries {fmt(ms, args.cli_timeout)}" for c, ms in cli.items()))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
