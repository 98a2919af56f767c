"""``artifact-lsp regenerate``: the safe fixture regeneration (``artifact_lsp.regen``) from the
command line: run, ``--check``, ``--undo``, ``--restore``, ``--discard``."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS


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
            err.write(
                "error: the last regeneration succeeded; `artifact-lsp regenerate --undo` puts back what it changed\n"
            )
            return EXIT_ERROR
        if regen.stop_leftover(state):
            out.write(
                f"stopped the regenerate script the interrupted run left running (process group {state.get('pgid')})\n"
            )
        if args.restore:
            touched = regen.restore(root, state)
            late = regen.differences(root, state["folders"])
            if late:
                err.write(
                    f"error: {len(late)} path(s) changed again right after the restore ({', '.join(late[:5])}): "
                    "something is still writing into the fixtures; the snapshot is kept\n"
                )
                return EXIT_ERROR
            out.write(f"restored {len(touched)} path(s) from the snapshot of {state.get('started')}\n")
        regen.drop_snapshot(root, state)
        if args.discard:
            out.write("snapshot discarded\n")
        return EXIT_CLEAN
    try:
        settings = regen.resolve(root, _overlay(args))
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
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, cancel.set)
        return await work(cancel)

    if args.check:
        result = asyncio.run(
            go(lambda cancel: regen.check(root, settings, list(args.targets), Printer(), cancel, args.diff))
        )
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
            if (
                outcome.summary["counts"]["added"]
                + outcome.summary["counts"]["changed"]
                + outcome.summary["counts"]["removed"]
            ):
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


def _overlay(args) -> dict:
    """The regenerate options given on the command line, as settings laid over the config
    file's ``[regenerate]`` table (``regen.resolve``; ``--env`` per variable)."""
    from .. import regen

    overlay: dict = {}
    if args.script:
        overlay["script"] = args.script
    if args.arg:
        overlay["args"] = list(args.arg)
    if args.env:
        env = {}
        for item in args.env:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise regen.Refused(f"--env takes NAME=VALUE, got {item!r}")
            env[name] = value
        overlay["env"] = env
    if args.timeout:
        overlay["timeout"] = args.timeout
    if args.fixtures:
        overlay["fixtures"] = list(args.fixtures)
    if args.keep_timestamps:
        overlay["timestamps"] = "keep"
    return overlay


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
