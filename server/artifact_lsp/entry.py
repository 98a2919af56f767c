"""The ``artifact-lsp`` command. ``serve`` on stdio starts without importing the CLI and the
engine (the language server imports them while it answers ``initialize``); everything else
goes to ``cli.main``."""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["serve"] and all(a == "--stdio" for a in args[1:]):
        from .lsp import serve

        return serve()
    from .cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
