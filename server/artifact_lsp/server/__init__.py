"""The language server: ``artifact-lsp serve``. An adapter over the engine, one module per
feature (``diagnostics``, ``actions``, ``reading``); ``app`` holds the shared state."""

from __future__ import annotations

import logging
import sys

from .app import ArtifactLanguageServer

FACTS_TTL = 2.0


def create_server() -> ArtifactLanguageServer:
    from . import actions, diagnostics, reading, regenerate

    from ..engine import files

    files.set_facts_ttl(FACTS_TTL)  # disk facts for a keystroke's lint; watchers clear them
    ls = ArtifactLanguageServer()
    diagnostics.register(ls)
    actions.register(ls)
    reading.register(ls)
    regenerate.register(ls)
    return ls


def serve(tcp: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="artifact-lsp %(levelname)s %(message)s")
    ls = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        ls.start_tcp(host or "127.0.0.1", int(port))
        return 0
    from .transport import serve_stdio

    return serve_stdio(ls)


__all__ = ["create_server", "serve", "ArtifactLanguageServer"]
