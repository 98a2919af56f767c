"""What the VS Code extension's bundled server costs with PyYAML's pure-Python parser vs libyaml.

The ``.vsix`` carries PyYAML without its C extension; its launcher
(``editors/vscode/bundled/tool/server.py``) uses the interpreter's own PyYAML when that one has
libyaml, the bundled pure-Python one otherwise. This runs the launcher exactly as the extension
does, on the same Python, both ways (``ARTIFACT_LSP_BUNDLED_YAML=1`` forces the bundled one),
through the workloads of ``bench.py``: spawn -> ``initialize``, ``didOpen`` -> first
diagnostics and edit -> diagnostics (p50/p95) on a real-sized manifest and a 2,000-entry one.

Usage: ``uv run python benchmarks/bundled_bench.py [--edits 20] [--rounds 2] [--python PATH]``
(builds ``editors/vscode/bundled/libs`` first when it is missing: needs uv).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
EXT = PROJECT / "editors" / "vscode"
LAUNCHER = EXT / "bundled" / "tool" / "server.py"
sys.path.insert(0, str(HERE))

import bench  # noqa: E402

KEYS = (
    "startup_ms",
    "small_open_ms",
    "small_edit_p50_ms",
    "small_edit_p95_ms",
    "big_open_ms",
    "big_edit_p50_ms",
    "big_edit_p95_ms",
    "rss_mib",
)


def describe(python: str, pure: bool) -> str:
    env = dict(os.environ, ARTIFACT_LSP_BUNDLED_YAML="1" if pure else "0")
    return subprocess.run(
        [python, str(LAUNCHER), "--describe"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()


async def one(python: str, pure: bool, edits: int) -> dict:
    os.environ["ARTIFACT_LSP_BUNDLED_YAML"] = "1" if pure else "0"
    with tempfile.TemporaryDirectory(prefix="al-bundled-bench-") as tmp:
        return await bench.run_server("pure" if pure else "libyaml", [python, str(LAUNCHER)], Path(tmp), edits)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter (default: this one; it needs PyYAML with libyaml)"
    )
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="runs per variant, alternating; the median is shown")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not (EXT / "bundled" / "libs" / "artifact_lsp").is_dir():
        subprocess.run([sys.executable, str(EXT / "scripts" / "bundle.py")], check=True)
    lines = {pure: describe(args.python, pure) for pure in (False, True)}
    if "libyaml" not in lines[False]:
        print(f"note: {args.python} has no PyYAML with libyaml; both runs use the pure-Python parser", file=sys.stderr)
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(args.rounds):
        for pure in (False, True):
            runs[pure].append(asyncio.run(one(args.python, pure, args.edits)))
    result = {"python": args.python, "edits": args.edits, "rounds": args.rounds, "servers": {}}
    print(f"{'':22}{'libyaml (C)':>14}{'pure Python':>14}{'ratio':>8}")
    for key in KEYS:
        c = statistics.median(r[key] for r in runs[False])
        p = statistics.median(r[key] for r in runs[True])
        print(f"{key:22}{c:14.1f}{p:14.1f}{p / c if c else float('nan'):8.1f}")
    for pure in (False, True):
        result["servers"]["pure" if pure else "libyaml"] = {"launcher": lines[pure], "runs": runs[pure]}
        print(f"{'pure' if pure else 'libyaml'}: {lines[pure]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
