"""CLI benchmark: `artifact-lsp check` on N generated manifests vs the upstream-style loop.

The upstream scripts validate fixtures with a pure-Python ``yaml.safe_load`` loop. This script
lays out a fake repository with N manifests (half carry legacy keys, every entry has its
config folder on disk and a template to hash), then times, end to end as a user would run them:

- ``artifact-lsp check <repo> --format json`` (a new process: interpreter start included);
- a new process running the upstream-style loop (``yaml.safe_load`` of every manifest).

Usage: ``uv run python benchmarks/cli_bench.py [--counts 1000 10000] [--repeat 3] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"

CLEAN = """schema_version: "1"
project: bench
env: env-{i}
mode: {mode}
artifacts:
  - artifact_root: entries/template-{i:05d}
    runtime_config_dir: config
    source_template:
      path: fixtures/template.yaml
      sha256: {sha}
generated_at: "2026-02-27T18:28:02Z"
generator:
  name: esb
  version: 997b036
"""

LEGACY = """# fixture {i} (stale: still has the legacy keys)
schema_version: "1"
project: bench
env: env-{i}
mode: {mode}
runtime_stack:
  api_version: "1.0"
  mode: {mode}
  esb_version: latest
artifacts:
  - id: template-{i:05d}
    artifact_root: entries/template-{i:05d}
    runtime_config_dir: config
    image_prewarm: all
    source_template:
      path: fixtures/template.yaml
      sha256: {sha}
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

UPSTREAM_LOOP = """
import sys, yaml
from pathlib import Path
n = 0
for path in sorted(Path(sys.argv[1]).rglob("artifact.yml")):
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    for entry in data.get("artifacts") or []:
        if "id" in entry or "runtime_meta" in entry or "image_prewarm" in entry:
            n += 1
print(n)
"""


def make_repo(root: Path, count: int) -> None:
    import hashlib

    (root / "fixtures").mkdir(parents=True)
    (root / "fixtures" / "template.yaml").write_text(TEMPLATE)
    sha = hashlib.sha256(TEMPLATE.encode()).hexdigest()
    (root / ".artifact-lsp.toml").write_text("# benchmark repository root\n")
    for i in range(count):
        folder = root / "e2e" / "artifacts" / f"env-{i:05d}"
        config = folder / "entries" / f"template-{i:05d}" / "config"
        config.mkdir(parents=True)
        (config / "functions.yml").write_text("functions: {}\n")
        (config / "routing.yml").write_text("routes: []\n")
        body = (LEGACY if i % 2 else CLEAN).format(i=i, mode="docker" if i % 3 else "containerd", sha=sha)
        (folder / "artifact.yml").write_text(body)


def bench_env() -> dict:
    """As an installed package runs: bytecode caching allowed (some CI images set
    PYTHONDONTWRITEBYTECODE, which recompiles every module on every start)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(argv, cwd=None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=bench_env())
    return time.perf_counter() - start, proc


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    exe = shutil.which("artifact-lsp")
    ours_cmd = [exe] if exe else [sys.executable, "-m", "artifact_lsp"]
    rows = []
    for count in args.counts:
        with tempfile.TemporaryDirectory(prefix="artifact-lsp-bench-") as tmp:
            repo = Path(tmp)
            make_repo(repo, count)
            ours, theirs = [], []
            for _ in range(args.repeat):
                t, proc = timed([*ours_cmd, "check", str(repo), "--format", "json"])
                if proc.returncode not in (0, 1):
                    print(proc.stderr, file=sys.stderr)
                    return 2
                findings = len(json.loads(proc.stdout)["findings"])
                ours.append(t)
                t, proc = timed([sys.executable, "-c", UPSTREAM_LOOP, str(repo)])
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return 2
                theirs.append(t)
            row = {
                "manifests": count,
                "artifact_lsp_check_s": round(statistics.median(ours), 3),
                "pure_python_safe_load_loop_s": round(statistics.median(theirs), 3),
                "findings": findings,
            }
            row["speedup"] = round(row["pure_python_safe_load_loop_s"] / row["artifact_lsp_check_s"], 1)
            rows.append(row)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    print(f"{'manifests':>10} {'artifact-lsp check':>19} {'safe_load loop':>15} {'ratio':>6} {'findings':>9}")
    for row in rows:
        print(
            f"{row['manifests']:>10} {row['artifact_lsp_check_s']:>18.2f}s {row['pure_python_safe_load_loop_s']:>14.2f}s "
            f"{row['speedup']:>5.1f}x {row['findings']:>9}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
