#!/usr/bin/env python3
"""A stand-in for the ESB producer (`esb artifact generate ...`) for demos and tests.

It writes a contract-clean artifact.yml and the entry's config files. FAKE_PRODUCER_MODE
chooses how it behaves:
  ok       write the fixture (default)
  fail     write half a fixture, then exit 3 (after the script wiped the folder)
  hang     print a line, then sleep until killed
  chatty   print FAKE_PRODUCER_LINES lines (default 2000) of progress, then succeed
FAKE_PRODUCER_VERSION sets generator.version (default "fake-1"), FAKE_PRODUCER_STAMP
generated_at (default: now). FAKE_PRODUCER_PIDFILE, when
set, names a file the producer appends its pid to (one line per run) so tests can check that
a cancelled or timed-out run left no process behind. Every argument is echoed (one per line,
as repr) so tests can see exactly what arrived.
"""

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path


def main() -> int:
    pidfile = os.environ.get("FAKE_PRODUCER_PIDFILE")
    if pidfile:
        with open(pidfile, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
    for arg in sys.argv[1:]:
        print(f"arg: {arg!r}", flush=True)
    parser = argparse.ArgumentParser(prog="fake-producer")
    parser.add_argument("command", nargs=2)  # "artifact generate"
    parser.add_argument("--template", required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--mode", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--manifest", "--artifact", dest="manifest", required=True)  # ESB: --artifact
    args, _unknown = parser.parse_known_args()
    mode = os.environ.get("FAKE_PRODUCER_MODE", "ok")
    out = Path(args.output)
    entry = out / "entries" / "template-e2e-5f1c2a90"
    config = entry / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "functions.yml").write_text("functions:\n  hello:\n    handler: app.handler\n    runtime: python3.12\n")
    if mode == "fail":
        print("producer: cannot render routing.yml: template error", file=sys.stderr, flush=True)
        return 3
    if mode == "hang":
        print("producer: waiting for the registry...", flush=True)
        while True:
            time.sleep(1)
    if mode == "chatty":
        for i in range(int(os.environ.get("FAKE_PRODUCER_LINES", "2000"))):
            print(f"producer: step {i}", flush=True)
    (config / "routing.yml").write_text("routes:\n  - path: /hello\n    method: GET\n    function: hello\n")
    staged = entry / "runtime-base" / "runtime-hooks" / "python"
    staged.mkdir(parents=True, exist_ok=True)
    (staged / "sitecustomize.py").write_text("# staged by the producer; the script deletes it\n")
    template = Path(args.template)
    sha = hashlib.sha256(template.read_bytes()).hexdigest()
    try:
        rel_template = template.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        rel_template = template.as_posix()
    stamp = os.environ.get("FAKE_PRODUCER_STAMP") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    Path(args.manifest).write_text(
        f'schema_version: "1"\n'
        f"project: {args.project}\n"
        f"env: {args.env}\n"
        f"mode: {args.mode}\n"
        f"artifacts:\n"
        f"  - artifact_root: entries/template-e2e-5f1c2a90\n"
        f"    runtime_config_dir: config\n"
        f"    source_template:\n"
        f"      path: {rel_template}\n"
        f"      sha256: {sha}\n"
        f'generated_at: "{stamp}"\n'
        f"generator:\n"
        f"  name: esb\n"
        f"  version: {os.environ.get('FAKE_PRODUCER_VERSION', 'fake-1')}\n"
    )
    print(f"producer: wrote {args.manifest}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
