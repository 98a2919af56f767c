"""``artifact-lsp``: check, fix, explain rules, serve. A thin layer over ``engine.linter``.

One module per command (``check``, ``fix``, ``rule``, ``schema``, ``regenerate``, ``serve``),
the parser in ``args``, the worker pool in ``pool``, the buffer on stdin in ``stdin``, what
they share in ``common`` and the output formats in ``output``.
"""

from __future__ import annotations

import os
import sys

from ..engine.config import ConfigError
from .args import build_parser
from .common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UsageError
from .pool import PARALLEL_THRESHOLD

__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "EXIT_FINDINGS", "PARALLEL_THRESHOLD", "build_parser", "main"]


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
