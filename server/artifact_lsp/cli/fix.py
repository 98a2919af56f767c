"""``artifact-lsp fix``: apply every proven fix in place (or print the diff)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from ..engine.config import Config
from ..engine.linter import fix_text, lint_path, lint_text
from ..engine.text import split_lines
from .check import iter_files
from .common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Configs
from .stdin import lint_stdin, read_stdin, stdin_requested


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    import tempfile

    # write the file a symlink names, not over the link itself
    path = Path(os.path.realpath(path))
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        # never replace a device, FIFO or socket (a link to /dev/null must stay a device)
        raise OSError(errno.EINVAL, "not a regular file")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _collect(args) -> tuple[list[tuple[str, str, Config]], list[str]]:
    """Every file ``fix`` should look at as ``(path, shown path, config)`` (discovery as in
    ``check``), and the paths given that do not exist."""
    configs = Configs(args)
    found = list(iter_files(args, configs))
    return found, configs.missing + configs.unreadable_folders


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
    buffer = read_stdin(args, Configs(args))
    if buffer.text is None:
        err.write(f"error: {buffer.shown}: {buffer.problem}\n")
        return EXIT_ERROR
    result = lint_stdin(buffer, True)
    text = new_text = buffer.text
    fixed = []
    if not result.parsed.fatal and result.fixable:
        new_text, fixed = fix_text(text, path=buffer.path, kind=buffer.kind, config=buffer.config, result=result)
    remaining = len(result.findings)
    if new_text != text:
        remaining = len(lint_text(new_text, path=buffer.path, kind=buffer.kind, config=buffer.config).findings)
    if args.diff:
        import difflib

        for line in difflib.unified_diff(
            split_lines(text),
            split_lines(new_text),
            fromfile=f"a/{buffer.shown}",
            tofile=f"b/{buffer.shown}",
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
    if stdin_requested(args):
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
        new_text, fixed = fix_text(text, path=path, kind=result.kind, config=cfg, result=result)
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
                split_lines(text),
                split_lines(new_text),
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
        stream.write(
            f"{verb} {total_fixed} problem{'s' if total_fixed != 1 else ''} in {changed_files} file{'s' if changed_files != 1 else ''}"
        )
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
