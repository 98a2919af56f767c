"""The command line: one parser, a sub-command per module."""

from __future__ import annotations

import argparse

from .. import __version__
from .check import cmd_check
from .fix import cmd_fix
from .regenerate import cmd_regenerate
from .rule import cmd_rule
from .schema import cmd_schema
from .serve import cmd_serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="artifact-lsp",
        description="Keep the ESB deploy-artifact contract true in artifact.yml fixtures and test_matrix.yaml.",
    )
    parser.add_argument("--version", action="version", version=f"artifact-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p):
        p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the current folder)")
        p.add_argument("--config", metavar="FILE", help="use this config file instead of discovering one")
        p.add_argument("--select", action="append", metavar="CODE", help="only these rule codes or prefixes")
        p.add_argument("--ignore", action="append", metavar="CODE", help="skip these rule codes or prefixes")
        p.add_argument("--extend-exclude", action="append", metavar="GLOB", help="more paths to skip")
        p.add_argument(
            "--stdin-filename",
            metavar="PATH",
            help="read the buffer from stdin (path `-` or none) and lint it as if it lived at PATH: "
            "its config, its disk rules; the file itself need not exist",
        )

    check = sub.add_parser("check", help="report contract problems", description="Report contract problems.")
    common(check)
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "hint", "never"),
        default="error",
        help="exit 1 when a finding is at least this severe (default: error)",
    )
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("--no-disk", action="store_true", help="skip the rules that look at other files")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing when there is nothing to report")
    check.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: one per core)")
    check.set_defaults(func=cmd_check)

    fix = sub.add_parser("fix", help="apply every safe fix in place", description="Apply every proven fix in place.")
    common(fix)
    fix.add_argument("--diff", action="store_true", help="print a unified diff instead of writing files")
    fix.set_defaults(func=cmd_fix)

    rule = sub.add_parser("rule", help="explain a rule (or list them all)", description="Explain a rule.")
    rule.add_argument("code", nargs="?", help="a rule code (AL104) or name (legacy-entry-id)")
    rule.add_argument("--all", action="store_true", help="list every rule")
    rule.add_argument("--markdown", action="store_true", help="with --all: the full rules reference in markdown")
    rule.set_defaults(func=cmd_rule)

    schema = sub.add_parser(
        "schema",
        help="print a JSON Schema of the contract (for yaml-language-server and other editors)",
        description="Print a JSON Schema (draft-07) of the artifact.yml contract, or of test_matrix.yaml with "
        "--matrix, generated from the same rule data as the linter (with the configuration's extra legacy "
        "keys and forbidden path segments).",
    )
    schema.add_argument("--matrix", action="store_true", help="the schema of test_matrix.yaml instead")
    schema.add_argument("--output", "-o", metavar="FILE", help="write the schema to FILE instead of stdout")
    schema.add_argument("--config", metavar="FILE", help="use this config file instead of discovering one")
    schema.set_defaults(func=cmd_schema)

    regenerate = sub.add_parser(
        "regenerate",
        help="run the fixture regenerate script; restore everything if it fails",
        description="Run the repository's regenerate script (default e2e/scripts/regenerate_artifacts.sh) "
        "with a snapshot of the fixture folders around it: a failed, cancelled or timed-out run is "
        "restored byte for byte. Without a script, the producer configured in regenerate.producer / "
        "regenerate.environments is driven per environment. --check compares what the producer writes today "
        "with the committed fixtures, in a scratch copy.",
    )
    regenerate.add_argument("targets", nargs="*", metavar="ENV", help="environments to limit to (passed to the script)")
    regenerate.add_argument("--root", metavar="DIR", help="the workspace root (default: the repository root)")
    regenerate.add_argument("--script", metavar="PATH", help="the script, from the root (must be inside it)")
    regenerate.add_argument("--arg", action="append", metavar="ARG", help="an extra argument for the script")
    regenerate.add_argument(
        "--env", action="append", metavar="NAME=VALUE", help="an environment variable (ESB_CMD=...)"
    )
    regenerate.add_argument("--timeout", type=float, metavar="SECONDS", help="stop the run after this long")
    regenerate.add_argument(
        "--fixtures", action="append", metavar="DIR", help="a folder the script rewrites (default e2e/artifacts)"
    )
    regenerate.add_argument("--restore", action="store_true", help="restore the snapshot an interrupted run left")
    regenerate.add_argument(
        "--discard",
        action="store_true",
        help="drop the kept snapshot (of an interrupted run, or the undo of the last run)",
    )
    regenerate.add_argument(
        "--undo", action="store_true", help="put back what the fixtures held before the last successful run"
    )
    regenerate.add_argument(
        "--force", action="store_true", help="with --undo: undo even if the fixtures were edited since"
    )
    regenerate.add_argument(
        "--keep-timestamps",
        action="store_true",
        help="keep the new generated_at / generator.version of manifests that changed only in them",
    )
    regenerate.add_argument(
        "--check",
        action="store_true",
        help="drift guard: run in a scratch copy and compare with the committed fixtures (exit 1 on drift)",
    )
    regenerate.add_argument(
        "--diff", action="store_true", help="with --check: a unified diff of each drifted text file"
    )
    regenerate.add_argument(
        "--format", choices=("text", "json", "github"), help="output format (--check: text, json or github)"
    )
    regenerate.add_argument("--json", action="store_true", help="print the outcome as JSON (same as --format json)")
    regenerate.set_defaults(func=cmd_regenerate)

    serve = sub.add_parser("serve", help="run the language server on stdio", description="Run the language server.")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.set_defaults(func=cmd_serve)
    return parser
