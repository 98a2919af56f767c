"""``artifact-lsp check``: report contract problems (text, json, sarif, github)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..engine.linter import discover
from ..engine.model import Severity
from .common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Configs
from .output import (
    Row,
    display_path,
    format_github,
    format_json,
    format_sarif,
    format_text,
    json_items,
    rows_of,
)
from .pool import lint_all, worker_count
from .stdin import lint_stdin, read_stdin, stdin_requested

FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "hint": Severity.HINT}


def iter_files(args, configs: Configs):
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


def _stdin_job(args, configs: Configs, fmt: str):
    """The ``(rows, problem, json or None)`` of the buffer on stdin, as ``_lint_one`` gives."""
    buffer = read_stdin(args, configs)
    rows = rows_of(lint_stdin(buffer, not args.no_disk), buffer.shown)
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
    if stdin_requested(args):
        jobs = iter([_stdin_job(args, configs, fmt)])
    else:
        jobs = lint_all(iter_files(args, configs), not args.no_disk, worker_count(args), fmt)
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
            unchecked = failed + len(configs.missing) + len(configs.unreadable_folders)
            out.write(format_text(rows, checked, _colour(args, out), unchecked))
    elif fmt == "json":
        out.write(format_json(rows, checked, encoded))
    elif fmt == "sarif":
        # one rule table per run: its links follow --config, else the current folder's config
        out.write(format_sarif(rows, checked, Path.cwd(), configs.for_folder(Path.cwd()).docs_url))
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
