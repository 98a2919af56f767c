"""``artifact-lsp``: check, fix, explain rules, serve. A thin layer over ``engine.linter``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NamedTuple

from .. import __version__
from ..engine.config import Config, ConfigCache, ConfigError, load_config_from
from ..engine.linter import discover, fix_text, lint_path, lint_text
from ..engine.model import Severity
from ..engine.rules import rule as find_rule
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


# --------------------------------------------------------------------------- stdin

STDIN = "-"


class Stdin(NamedTuple):
    """The buffer an editor-linter bridge pipes in: ``text`` (or ``problem``), the ``path``
    it is linted as (``None`` for a bare ``-``), the path shown, its kind and config."""

    text: str | None
    problem: str | None
    path: str | None
    shown: str
    kind: str
    config: Config


def _stdin_requested(args) -> bool:
    """``-`` among the paths or ``--stdin-filename``: the buffer comes from stdin. Any other
    mix (``-`` next to a path, twice, ``--stdin-filename`` with real paths) is a usage error."""
    paths = list(args.paths or [])
    name = getattr(args, "stdin_filename", None)
    if STDIN not in paths and name is None:
        return False
    if name is not None and not name.strip():
        raise UsageError("--stdin-filename: expected the path the buffer is linted as, got an empty string")
    if paths not in ([], [STDIN]):
        others = [p for p in paths if p != STDIN]
        if others:
            raise UsageError(
                f"`-` (stdin) cannot be combined with other paths ({', '.join(others)}): check the buffer or files, not both"
                if STDIN in paths or name is None
                else f"--stdin-filename reads the buffer from stdin: give `-` or no path, not {', '.join(others)}"
            )
        raise UsageError("`-` (stdin) given more than once")
    return True


def guess_kind(text: str) -> str:
    """The kind of a nameless buffer (``check -``): a top-level ``matrix`` key means
    ``test_matrix.yaml``, a buffer starting with ``{`` is ``artifact.json``, anything else
    ``artifact.yml``."""
    import re

    if re.search(r'^(?:matrix|"matrix"|\'matrix\')\s*:', text, re.M):
        return "matrix"
    return "json" if text.lstrip("\ufeff \t\r\n").startswith("{") else "manifest"


def _read_stdin(args, configs: "Configs") -> Stdin:
    """Read the buffer. With ``--stdin-filename`` it is linted as if it lived at that path
    (its config, its disk rules; the file itself need not exist); a bare ``-`` is shown as
    ``-``, gets the current folder's config, no disk rules and a kind guessed from the text."""
    from ..engine.linter import decode, kind_of

    name = getattr(args, "stdin_filename", None)
    if name is None:
        config = configs.for_folder(Path.cwd())
        path, shown, kind = None, STDIN, None
    else:
        config = configs.for_path(name)
        kind = kind_of(name)
        if kind is None and not config.is_included(Path(name)):
            raise UsageError(
                f"--stdin-filename {name}: not a file artifact-lsp checks (artifact.yml, artifact.json, "
                "test_matrix.yaml, or the config's include globs)"
            )
        path, shown, kind = name, display_path(name), kind or "manifest"
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # pragma: no cover - sys.stdin replaced by a text-only stream
        data = (sys.stdin.read() if sys.stdin is not None else "").encode("utf-8")
    else:
        data = stream.read(config.max_file_size + 1)
    if len(data) > config.max_file_size:
        problem = f"not checked: more than {config.max_file_size} bytes, over max-file-size ({config.max_file_size})"
        return Stdin(None, problem, path, shown, kind or "manifest", config)
    text, problem = decode(data)
    if kind is None:
        kind = guess_kind(text) if text is not None else "manifest"
    return Stdin(text, problem, path, shown, kind, config)


def _lint_stdin(buffer: Stdin, disk: bool):
    from ..engine.linter import not_checked
    from ..engine.rules import al0xx_document as document_rules

    if buffer.text is None:
        rule = document_rules.AL004 if buffer.problem.startswith("not checked") else document_rules.AL001
        return not_checked(buffer.path or STDIN, buffer.kind, buffer.config, buffer.problem, rule=rule)
    return lint_text(buffer.text, path=buffer.path, kind=buffer.kind, config=buffer.config, disk=disk and buffer.path is not None)


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
        return [r.severity for r in rows], None, json_items(rows, config.docs_url)
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
        for path in discover([base], top_config, on_folder=note):
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


def _stdin_job(args, configs: "Configs", fmt: str):
    """The ``(rows, problem, json or None)`` of the buffer on stdin, as ``_lint_one`` gives."""
    buffer = _read_stdin(args, configs)
    rows = rows_of(_lint_stdin(buffer, not args.no_disk), buffer.shown)
    if fmt == "json":
        return [r.severity for r in rows], None, json_items(rows, buffer.config.docs_url)
    return rows, None, None


def cmd_check(args, out, err) -> int:
    configs = Configs(args)
    rows: list[Row] = []
    failed = 0
    checked = 0
    encoded: list[str] = []
    fmt = args.format
    if _stdin_requested(args):
        jobs = iter([_stdin_job(args, configs, fmt)])
    else:
        jobs = _lint_all(_iter_files(args, configs), not args.no_disk, _workers(args), fmt)
    severities: list[int] = []  # of findings that came back already encoded as JSON
    for file_rows, problem, fragment in jobs:
        checked += 1
        if problem:
            err.write(f"error: {problem}\n")
            failed += 1
        if fragment is not None:
            severities.extend(file_rows)
            if fragment:
                encoded.append(fragment)
            continue
        rows.extend(file_rows)
    if fmt == "text":
        if not (args.quiet and not rows):
            unchecked = failed + len(configs.missing)
            out.write(format_text(rows, checked, _colour(args, out), unchecked))
    elif fmt == "json":
        out.write(format_json(rows, checked, encoded))
    elif fmt == "sarif":
        # one rule table per run: its links follow --config, else the current folder's config
        out.write(format_sarif(rows, checked, Path.cwd(), configs.for_folder(Path.cwd()).docs_url))
    elif fmt == "github":
        out.write(format_github(rows, checked))
    if failed or configs.missing:
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
    return list(_iter_files(args, configs)), configs.missing


def _write_text(out, text: str) -> None:
    """The exact text (line endings, BOM) on ``out``: its bytes when it has a buffer."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(text)
        return
    out.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _fix_stdin(args, out, err) -> int:
    """``fix --stdin-filename PATH -``: the fixed buffer on stdout (the buffer unchanged when
    there is nothing to fix, nothing at all when it cannot be read), what was done on stderr;
    with ``--diff`` the diff on stdout instead."""
    buffer = _read_stdin(args, Configs(args))
    if buffer.text is None:
        err.write(f"error: {buffer.shown}: {buffer.problem}\n")
        return EXIT_ERROR
    result = _lint_stdin(buffer, True)
    text = new_text = buffer.text
    fixed = []
    if not result.parsed.fatal and result.fixable:
        new_text, fixed = fix_text(text, path=buffer.path, kind=buffer.kind, config=buffer.config)
    remaining = len(result.findings)
    if new_text != text:
        remaining = len(lint_text(new_text, path=buffer.path, kind=buffer.kind, config=buffer.config).findings)
    if args.diff:
        import difflib

        for line in difflib.unified_diff(
            text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=f"a/{buffer.shown}", tofile=f"b/{buffer.shown}",
        ):
            out.write(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    else:
        _write_text(out, new_text)
    n = len(fixed)
    verb = "Would fix" if args.diff else "Fixed"
    err.write(
        f"{buffer.shown}: {verb.lower()} {n} problem{'s' if n != 1 else ''} ({', '.join(sorted({f.code for f in fixed}))}); {remaining} remaining.\n"
        if n
        else f"{buffer.shown}: nothing to fix; {remaining} problem{'s' if remaining != 1 else ''} without an automatic fix.\n"
    )
    if args.diff:
        return EXIT_FINDINGS if n else EXIT_CLEAN
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


def cmd_fix(args, out, err) -> int:
    if _stdin_requested(args):
        return _fix_stdin(args, out, err)
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
    from ..docs import rule_markdown, rules_markdown, rules_table

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
    from ..engine.config import load_config
    from ..schema import dumps, schema_for

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

    from .. import regen
    from ..engine.config import load_config

    root = Path(args.root).resolve() if args.root else (load_config(Path.cwd()).root or Path.cwd()).resolve()
    if sum(bool(x) for x in (args.restore, args.discard, args.undo, args.check)) > 1:
        err.write("error: --restore, --discard, --undo and --check go alone\n")
        return EXIT_ERROR
    if args.undo:
        done, message, _touched = regen.undo(root, force=args.force)
        (out if done else err).write(f"artifact-lsp: {message}\n")
        return EXIT_CLEAN if done else EXIT_ERROR
    if args.restore or args.discard:
        state = regen.read_state(root)
        if state is None:
            err.write(f"error: no snapshot under {regen.state_dir(root)}\n")
            return EXIT_ERROR
        if regen.busy(root):
            err.write("error: a regeneration is running right now; wait for it or stop it first\n")
            return EXIT_ERROR
        if args.restore and state.get("status") == "succeeded":
            err.write("error: the last regeneration succeeded; `artifact-lsp regenerate --undo` puts back what it changed\n")
            return EXIT_ERROR
        if regen.stop_leftover(state):
            out.write(f"stopped the regenerate script the interrupted run left running (process group {state.get('pgid')})\n")
        if args.restore:
            touched = regen.restore(root, state)
            late = regen.differences(root, state["folders"])
            if late:
                err.write(f"error: {len(late)} path(s) changed again right after the restore ({', '.join(late[:5])}): "
                          "something is still writing into the fixtures; the snapshot is kept\n")
                return EXIT_ERROR
            out.write(f"restored {len(touched)} path(s) from the snapshot of {state.get('started')}\n")
        regen.drop_snapshot(root, state)
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
        if args.keep_timestamps:
            raw["timestamps"] = "keep"
        settings = regen.Settings.from_dict(raw)
    except regen.Refused as exc:
        err.write(f"error: {exc}\n")
        return EXIT_ERROR
    fmt = args.format or ("json" if args.json else "text")

    class Printer(regen.Reporter):
        def output(self, stream, line):
            # a --check keeps stdout for its report
            target = err if stream == "stderr" or args.check else out
            target.write(line + "\n")
            target.flush()

        def progress(self, message):
            if fmt == "text":
                err.write(f"artifact-lsp: {message}\n")

    async def go(work):
        cancel = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal as _signal

        for sig in (_signal.SIGINT, _signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, cancel.set)
            except (NotImplementedError, RuntimeError):
                pass
        return await work(cancel)

    if args.check:
        result = asyncio.run(go(lambda cancel: regen.check(root, settings, list(args.targets), Printer(), cancel, args.diff)))
        _print_check(result, fmt, out, err)
        return result.exit_status

    outcome = asyncio.run(go(lambda cancel: regen.run(root, settings, list(args.targets), Printer(), cancel)))
    if fmt == "json":
        out.write(_json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
    else:
        stream = out if outcome.ok else err
        stream.write(f"artifact-lsp: {outcome.message}\n")
        if outcome.summary:
            stream.write("".join(line + "\n" for line in regen.format_summary(outcome.summary)))
            if outcome.summary["counts"]["added"] + outcome.summary["counts"]["changed"] + outcome.summary["counts"]["removed"]:
                stream.write("  undo with `artifact-lsp regenerate --undo`\n")
        if not outcome.ok and outcome.stderr_tail:
            stream.write("  last lines of stderr:\n" + "".join(f"    {line}\n" for line in outcome.stderr_tail[-10:]))
    if outcome.ok:
        return EXIT_CLEAN
    if outcome.status in ("refused", "busy"):
        return EXIT_ERROR
    if outcome.status == "cancelled":
        return 130
    return EXIT_FINDINGS


def _print_check(result, fmt: str, out, err) -> None:
    """``regenerate --check``'s report: text, json or GitHub workflow annotations."""
    import json as _json

    if fmt == "json":
        out.write(_json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        return
    if fmt == "github":
        for item in result.drift:
            what = item.get("detail") or f"would be {item['change']}" if item["change"] != "changed" else "would change"
            text = f"{item['path']} {what} if the fixtures were regenerated today: run artifact-lsp regenerate"
            out.write(f"::error file={item['path']},title=artifact-lsp fixture drift::{_gh_escape(text)}\n")
        if result.status not in ("clean", "drift"):
            out.write(f"::error title=artifact-lsp regenerate --check::{_gh_escape(result.message)}\n")
        else:
            out.write(f"artifact-lsp: {result.message}\n")
        return
    stream = out if result.status in ("clean", "drift") else err
    for item in result.drift:
        detail = f" ({item['detail']})" if item.get("detail") else ""
        stream.write(f"drift: {item['path']}: {item['change']}{detail}\n")
        if item.get("diff"):
            stream.write(item["diff"])
    for path in result.stamp_only:
        stream.write(f"stamp only (ignored): {path}\n")
    stream.write(f"artifact-lsp: {result.message}\n")
    if result.status not in ("clean", "drift") and result.stderr_tail:
        stream.write("  last lines of stderr:\n" + "".join(f"    {line}\n" for line in result.stderr_tail[-10:]))


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def cmd_serve(args, out, err) -> int:
    try:
        from ..server import serve
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
    regenerate.add_argument("--env", action="append", metavar="NAME=VALUE", help="an environment variable (ESB_CMD=...)")
    regenerate.add_argument("--timeout", type=float, metavar="SECONDS", help="stop the run after this long")
    regenerate.add_argument("--fixtures", action="append", metavar="DIR", help="a folder the script rewrites (default e2e/artifacts)")
    regenerate.add_argument("--restore", action="store_true", help="restore the snapshot an interrupted run left")
    regenerate.add_argument("--discard", action="store_true", help="drop the kept snapshot (of an interrupted run, or the undo of the last run)")
    regenerate.add_argument("--undo", action="store_true", help="put back what the fixtures held before the last successful run")
    regenerate.add_argument("--force", action="store_true", help="with --undo: undo even if the fixtures were edited since")
    regenerate.add_argument("--keep-timestamps", action="store_true", help="keep the new generated_at / generator.version of manifests that changed only in them")
    regenerate.add_argument("--check", action="store_true", help="drift guard: run in a scratch copy and compare with the committed fixtures (exit 1 on drift)")
    regenerate.add_argument("--diff", action="store_true", help="with --check: a unified diff of each drifted text file")
    regenerate.add_argument("--format", choices=("text", "json", "github"), help="output format (--check: text, json or github)")
    regenerate.add_argument("--json", action="store_true", help="print the outcome as JSON (same as --format json)")
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
    except (ConfigError, UsageError) as exc:
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
