"""``artifact-lsp serve``: run the language server."""

from __future__ import annotations

from .common import EXIT_ERROR


def cmd_serve(args, out, err) -> int:
    try:
        from ..lsp import serve
    except ImportError as exc:  # pragma: no cover - server ships with the package
        err.write(f"error: the language server is not available: {exc}\n")
        return EXIT_ERROR
    return serve(tcp=args.tcp)
