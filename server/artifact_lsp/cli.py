"""``artifact-lsp``: check, fix, explain rules, serve. A thin layer over ``engine.linter``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .engine.config import Config, ConfigCache, ConfigError, load_config_from
from .engine.linter import discover, fix_text, lint_path, lint_text
from .engine.model import Severity
from .engine.rules import rule as find_rule
from .output import (
    Row,
    display_path,
    format_github,
    format_json,
    json_items,
    format_sarif,
    format_text,
    rows_of,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PARALLEL_THRESHOLD = 256  # below this many files a worker pool costs more than it saves
BATCH = 200  # files per task sent to a worker
FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "hint": Severity.HINT}


class UsageError(Exception):
    pass


# --------------------------------------------------------------------------- config


def _overrides(args) -> dict:
    overrides = {}
    if getattr(args, "select", None):
        overrides["select"] = args.select
    if getattr(args, "ignore", None):
        overrides["ignore"] = args.ignore
    return overrides


class Configs:
    """The config of each file: ``--config`` for all, else the nearest config file's, with the
    command-line options laid over it."""

    def __init__(self, args):
        self.overrides = _overrides(args)
        self.extra_exclude = list(getattr(args, "extend_exclude", None) or [])
        self.explicit = load_config_from(Path(args.config)) if args.config else None
        self.cache = ConfigCache()
        self.missing: list[str] = []  # paths given on the command line that do not exist
        self.unreadable_folders: list[str] = []  # folders the walk could not list
        self._merged: dict[int, Config] = {}

    def _finish(self, config: Config) -> Config:
        key = id(config)
        hit = self._merged.get(key)
        if hit is None:
            values = dict(self.overrides)
            if self.extra_exclude:
                values["exclude"] = [*config.exclude, *self.extra_exclude]
            hit = config.merged(values, "command line") if values else config
            self._merged[key] = hit
        return hit

    def for_path(self, path: Path) -> Config:
        return self._finish(self.explicit or self.cache.for_path(path))

    def for_folder(self, folder: Path) -> Config:
        return self.for_path(Path(folder) / "_")

    def folder_error(self, folder: str, exc: OSError) -> None:
        """A folder the walk cannot list: its files are not checked, so say so (exit 2)."""
        self.unreadable_folders.append(folder)
        sys.stderr.write(f"error: {display_path(folder)}: cannot read the folder ({exc.strerror or exc}); its files were not checked\n")


# --------------------------------------------------------------------------- check


def _lint_one(path: str, shown: str, config: Config, disk: bool, fmt: str):
    """``(rows, problem, json fragment or None)`` for one file. For ``--format json`` the
    rows are only their severities (all the parent needs besides the JSON)."""
    try:
        result = lint_path(path, config, disk=disk)
    except OSError as exc:
        return [], f"{shown}: cannot read: {exc.strerror or exc}", None
    rows = rows_of(result, shown)
    if fmt == "json":
        return [r.severity for r in rows], None, json_items(rows)
    return rows, None, None


_WORKER: dict = {}


def _init_worker(disk: bool, fmt: str) -> None:
    import gc

    # the imported modules live as long as the worker: keep the collector off them
    gc.freeze()
    _WORKER.update(disk=disk, fmt=fmt, configs={})


def _lint_batch(batch: list[tuple[str, str, int]], new_configs: dict[int, Config]) -> list:
    """Worker side: lint a batch of ``(path, shown path, config key)``; the configs the batch
    uses come along with it (each worker keeps the ones it has seen)."""
    disk, fmt, configs = _WORKER["disk"], _WORKER["fmt"], _WORKER["configs"]
    configs.update(new_configs)
    return [_lint_one(path, shown, configs[key], disk, fmt) for path, shown, key in batch]


def _iter_files(args, configs: "Configs"):
    """``(path, shown path, config)`` for the files under every path given; a missing path is
    reported (exit 2 at the end) and the others are still checked.

    Folders are walked from their absolute path; the path shown is the one given (relative
    to the current folder when below it), computed once per folder given.
    """
    note = configs.cache.note_folder
    for top in args.paths or ["."]:
        if not os.path.lexists(top):
            configs.missing.append(top)
            sys.stderr.write(f"error: {top}: no such file or folder\n")
            continue
        if not os.path.isdir(top):
            try:
                for path in discover([top], configs.for_path(top)):
                    yield path, display_path(path), configs.for_path(path)
            except FileNotFoundError:
                configs.missing.append(top)
                sys.stderr.write(f"error: {top}: no such file or folder\n")
            continue
        base = os.path.abspath(top)
        top_config = configs.for_folder(base)
        shown_base = display_path(base)
        shown_base = "" if shown_base in (".", "") else shown_base.rstrip(os.sep) + os.sep
        cut = len(base.rstrip(os.sep)) + 1
        for_path = configs.for_path
        for path in discover([base], top_config, on_folder=note, on_error=configs.folder_error):
            yield path, shown_base + path[cut:], for_path(path)


def _lint_all(files, disk: bool, workers: int, fmt: str = "text"):
    """Lint every ``(path, shown, config)``; yields ``(rows, problem, json or None)`` in
    discovery order.

    Small runs stay in this process. Large ones go to a pool of worker processes while this
    process keeps walking the tree, so discovery and linting overlap.
    """
    files = iter(files)
    head = []
    for item in files:
        head.append(item)
        if len(head) >= PARALLEL_THRESHOLD:
            break
    if workers <= 1 or len(head) < PARALLEL_THRESHOLD:
        for path, shown, config in [*head, *files]:
            yield _lint_one(path, shown, config, disk, fmt)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    keys: dict[int, int] = {}  # id(config) -> key sent to the workers
    alive: list[Config] = []  # keeps each config (and so its id) alive while keys are in use
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(disk, fmt)) as pool:
        futures = []
        batch: list = []
        used: dict[int, Config] = {}

        def add(item):
            path, shown, config = item
            key = keys.get(id(config))
            if key is None:
                key = keys[id(config)] = len(alive)
                alive.append(config)
            used[key] = config
            batch.append((path, shown, key))

        for item in head:
            add(item)
        for item in files:
            add(item)
            if len(batch) >= BATCH:
                futures.append(pool.submit(_lint_batch, batch, used))
                batch, used = [], {}
        if batch:
            futures.append(pool.submit(_lint_batch, batch, used))
        for future in futures:
            yield from future.result()


def _workers(args) -> int:
    if args.jobs:
        return max(1, args.jobs)
    return os.cpu_count() or 1


def cmd_check(args, out, err) -> int:
    configs = Configs(args)
    rows: list[Row] = []
    failed = False
    checked = 0
    encoded: list[str] = []
    fmt = args.format
    jobs = _lint_all(_iter_files(args, configs), not args.no_disk, _workers(args), fmt)
    severities: list[int] = []  # of findings that came back already encoded as JSON
    unreadable = 0
    for file_rows, problem, fragment in jobs:
        checked += 1
        if problem:
            err.write(f"error: {problem}\n")
            failed = True
            unreadable += 1
        if fragment is not None:
            severities.extend(file_rows)
            if fragment:
                encoded.append(fragment)
            continue
        rows.extend(file_rows)
    if fmt == "text":
        if not (args.quiet and not rows):
            out.write(format_text(rows, checked, _colour(args, out), unreadable + len(configs.unreadable_folders)))
    elif fmt == "json":
        out.write(format_json(rows, checked, encoded))
    elif fmt == "sarif":
        out.write(format_sarif(rows, checked, Path.cwd()))
    elif fmt == "github":
        out.write(format_github(rows, checked))
    if failed or configs.missing or configs.unreadable_folders:
        return EXIT_ERROR
    if args.fail_on == "never":
        return EXIT_CLEAN
    threshold = FAIL_ON[args.fail_on]
    worst = max([*(r.severity for r in rows), *severities], default=0)
    return EXIT_FINDINGS if worst >= threshold else EXIT_CLEAN


def _colour(args, stream) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


# --------------------------------------------------------------------------- fix


def _atomic_write(path: Path, data: bytes) -> None:
    import tempfile

    # write the file a symlink names, not over the link itself
    path = Path(os.path.realpath(path))
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _collect(args) -> tuple[list[tuple[str, str, Config]], list[str]]:
    """Every file ``fix`` should look at as ``(path, shown path, config)`` (discovery as in
    ``check``), and the paths given that do not exist."""
    configs = Configs(args)
    found = list(_iter_files(args, configs))
    return found, configs.missing + configs.unreadable_folders


def cmd_fix(args, out, err) -> int:
    files, missing = _collect(args)
    changed_files = 0
    total_fixed = 0
    remaining = 0
    failed = bool(missing)
    for path, shown, cfg in files:
        try:
            result = lint_path(path, cfg)
        except OSError as exc:
            err.write(f"error: {shown}: cannot read: {exc.strerror or exc}\n")
            failed = True
            continue
        if result.parsed.fatal or not result.fixable:
            remaining += len(result.findings)
            continue
        text = result.text
        new_text, fixed = fix_text(text, path=path, kind=result.kind, config=cfg)
        if new_text == text:
            remaining += len(result.findings)
            continue
        after = lint_text(new_text, path=path, kind=result.kind, config=cfg)
        remaining += len(after.findings)
        changed_files += 1
        total_fixed += len(fixed)
        if args.diff:
            import difflib

            diff = difflib.unified_diff(
                text.splitlines(keepends=True),
                new_text.splitlines(keepends=True),
                fromfile=f"a/{shown}",
                tofile=f"b/{shown}",
            )
            for line in diff:
                out.write(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
            continue
        try:
            _atomic_write(path, new_text.encode("utf-8"))
        except OSError as exc:
            err.write(f"error: {shown}: cannot write: {exc.strerror or exc}\n")
            failed = True
            continue
        codes = sorted({f.code for f in fixed})
        out.write(f"{shown}: fixed {len(fixed)} problem{'s' if len(fixed) != 1 else ''} ({', '.join(codes)})\n")
    verb = "Would fix" if args.diff else "Fixed"
    stream = err if args.diff else out
    if total_fixed:
        stream.write(f"{verb} {total_fixed} problem{'s' if total_fixed != 1 else ''} in {changed_files} file{'s' if changed_files != 1 else ''}")
        stream.write(f"; {remaining} remaining.\n" if remaining else ".\n")
    else:
        checked = f"{len(files)} file{'s' if len(files) != 1 else ''} checked"
        stream.write(
            f"Nothing to fix ({checked}; {remaining} problem{'s' if remaining != 1 else ''} without an automatic fix).\n"
            if remaining
            else f"Nothing to fix ({checked}).\n"
        )
    if failed:
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if total_fixed else EXIT_CLEAN
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


# --------------------------------------------------------------------------- rules


def cmd_rule(args, out, err) -> int:
    from .docs import rule_markdown, rules_markdown, rules_table

    if args.all or not args.code:
        out.write(rules_markdown() if args.markdown else rules_table())
        return EXIT_CLEAN
    rule = find_rule(args.code)
    if rule is None:
        err.write(f"error: unknown rule {args.code!r} (see `artifact-lsp rule --all`)\n")
        return EXIT_ERROR
    out.write(rule_markdown(rule))
    return EXIT_CLEAN


def cmd_schema(args, out, err) -> int:
    """Print (or write) the JSON Schema of the contract, built from the rules (see ``schema``)."""
    from .engine.config import load_config
    from .schema import dumps, schema_for

    config = load_config_from(Path(args.config)) if args.config else load_config(Path.cwd())
    text = dumps(schema_for("matrix" if args.matrix else "manifest", config))
    if not args.output:
        out.write(text)
        return EXIT_CLEAN
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        err.write(f"error: {args.output}: cannot write: {exc.strerror or exc}\n")
        return EXIT_ERROR
    return EXIT_CLEAN


def cmd_regenerate(args, out, err) -> int:
    """Run the repository's regenerate script with a snapshot around it (see ``regen``)."""
    import asyncio
    import json as _json

    from . import regen
    from .engine.config import load_config

    root = Path(args.root).resolve() if args.root else (load_config(Path.cwd()).root or Path.cwd()).resolve()
    if args.restore or args.discard:
        state = regen.read_state(root)
        if state is None:
            err.write(f"error: no snapshot under {regen.state_dir(root)}\n")
            return EXIT_ERROR
        if regen.busy(root):
            err.write("error: a regeneration is running right now; wait for it or stop it first\n")
            return EXIT_ERROR
        if regen.stop_leftover(state):
            out.write(f"stopped the regenerate script the interrupted run left running (process group {state['pgid']})\n")
        if args.restore:
            touched = regen.restore(root, state)
            out.write(f"restored {len(touched)} path(s) from the snapshot of {state.get('started')}\n")
        regen.drop_snapshot(root)
        if args.discard:
            out.write("snapshot discarded\n")
        return EXIT_CLEAN
    try:
        raw = dict(load_config(root / "_").regenerate)
        if args.script:
            raw["script"] = args.script
        if args.arg:
            raw["args"] = list(args.arg)
        if args.env:
            env = dict(raw.get("env") or {})
            for item in args.env:
                name, sep, value = item.partition("=")
                if not sep or not name:
                    raise regen.Refused(f"--env takes NAME=VALUE, got {item!r}")
                env[name] = value
            raw["env"] = env
        if args.timeout:
            raw["timeout"] = args.timeout
        if args.fixtures:
            raw["fixtures"] = list(args.fixtures)
        settings = regen.Settings.from_dict(raw)
    except regen.Refused as exc:
        err.write(f"error: {exc}\n")
        return EXIT_ERROR

    class Printer(regen.Reporter):
        def output(self, stream, line):
            (err if stream == "stderr" else out).write(line + "\n")
            (err if stream == "stderr" else out).flush()

        def progress(self, message):
            if not args.json:
                err.write(f"artifact-lsp: {message}\n")

    async def go():
        cancel = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal as _signal

        for sig in (_signal.SIGINT, _signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, cancel.set)
            except (NotImplementedError, RuntimeError):
                pass
        return await regen.run(root, settings, list(args.targets), Printer(), cancel)

    outcome = asyncio.run(go())
    if args.json:
        out.write(_json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
    else:
        stream = out if outcome.ok else err
        stream.write(f"artifact-lsp: {outcome.message}\n")
        if outcome.summary:
            for key in outcome.summary["timestampOnly"]:
                stream.write(f"  only generated_at / generator.version changed: {key}\n")
            for code, count in sorted(outcome.summary["findings"]["byCode"].items()):
                stream.write(f"  {count} x {code} still reported\n")
        if not outcome.ok and outcome.stderr_tail:
            stream.write("  last lines of stderr:\n" + "".join(f"    {line}\n" for line in outcome.stderr_tail[-10:]))
    if outcome.ok:
        return EXIT_CLEAN
    if outcome.status in ("refused", "busy"):
        return EXIT_ERROR
    if outcome.status == "cancelled":
        return 130
    return EXIT_FINDINGS


def cmd_serve(args, out, err) -> int:
    try:
        from .server import serve
    except ImportError as exc:  # pragma: no cover - server ships with the package
        err.write(f"error: the language server is not available: {exc}\n")
        return EXIT_ERROR
    return serve(tcp=args.tcp)


# --------------------------------------------------------------------------- parser


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
        "restored byte for byte.",
    )
    regenerate.add_argument("targets", nargs="*", metavar="ENV", help="environments to limit to (passed to the script)")
    regenerate.add_argument("--root", metavar="DIR", help="the workspace root (default: the repository root)")
    regenerate.add_argument("--script", metavar="PATH", help="the script, from the root (must be inside it)")
    regenerate.add_argument("--arg", action="append", metavar="ARG", help="an extra argument for the script")
    regenerate.add_argument("--env", action="append", metavar="NAME=VALUE", help="an environment variable (ESB_CMD=...)")
    regenerate.add_argument("--timeout", type=float, metavar="SECONDS", help="stop the run after this long")
    regenerate.add_argument("--fixtures", action="append", metavar="DIR", help="a folder the script rewrites (default e2e/artifacts)")
    regenerate.add_argument("--restore", action="store_true", help="restore the snapshot an interrupted run left")
    regenerate.add_argument("--discard", action="store_true", help="drop the snapshot an interrupted run left")
    regenerate.add_argument("--json", action="store_true", help="print the outcome as JSON")
    regenerate.set_defaults(func=cmd_regenerate)

    serve = sub.add_parser("serve", help="run the language server on stdio", description="Run the language server.")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on usage errors, 0 for --help/--version
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    out, err = sys.stdout, sys.stderr
    try:
        return args.func(args, out, err)
    except ConfigError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_ERROR
    except FileNotFoundError as exc:
        err.write(f"error: {exc.filename}: no such file or folder\n")
        return EXIT_ERROR
    except BrokenPipeError:  # `artifact-lsp check | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
