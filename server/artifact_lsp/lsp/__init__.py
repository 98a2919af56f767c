"""The language server: ``artifact-lsp serve``. An adapter over the engine: ``server`` is the
server class (all its state), ``routes`` the table of every LSP method and its handler,
``handlers/`` one module per feature, ``scheduler`` the lint scheduling they share.

Importing this package is cheap (pygls, lsprotocol and the engine are imported by
``create_server``): ``serve`` answers ``initialize`` while they import.
"""

from __future__ import annotations

import logging
import sys


def create_server():
    from ..engine import files
    from . import routes
    from .server import ArtifactLanguageServer
    from .state import FACTS_TTL

    files.set_facts_ttl(FACTS_TTL)  # disk facts for a keystroke's lint; watchers clear them
    ls = ArtifactLanguageServer()
    routes.register(ls)
    return ls


def _without_tls() -> None:
    """Keep OpenSSL out of the server process: it never speaks TLS, and ``asyncio`` (through
    ``ssl``) and ``hashlib`` (through ``_hashlib``) would map ``libcrypto`` and ``libssl``,
    about 4 MiB of resident memory for nothing. ``asyncio`` then runs without TLS support and
    ``hashlib`` uses its built-in SHA-256 (templates are a few KiB). Only for ``serve``, only
    when neither was imported yet."""
    for name in ("ssl", "_ssl", "_hashlib"):
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # makes `import` raise ImportError


def serve(tcp: str | None = None) -> int:
    _without_tls()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="artifact-lsp %(levelname)s %(message)s")
    if tcp:
        ls = create_server()
        host, _, port = tcp.rpartition(":")
        ls.start_tcp(host or "127.0.0.1", int(port))
        return 0
    from .transport import serve_stdio_lazy

    return serve_stdio_lazy(_long_lived_server)


def _long_lived_server():
    """The server, with the collector tuned for a long-lived process: everything imported
    so far is frozen out of its scans, and young collections run less often (a lint makes
    tens of thousands of short-lived, acyclic objects)."""
    import gc
    import linecache

    from .state import trim_memory

    ls = create_server()
    # the source lines attrs keeps of the ~600 classes it generated for lsprotocol (only for
    # tracebacks through generated code): freed now, their memory holds what comes next
    # instead of new heap pages in the middle of a big document's lint
    for name in [n for n in linecache.cache if n.startswith("<attrs generated")]:
        del linecache.cache[name]
    trim_memory()  # loads ctypes now, not in the middle of a big document's lint
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    return ls


def __getattr__(name: str):
    if name == "ArtifactLanguageServer":
        from .server import ArtifactLanguageServer

        return ArtifactLanguageServer
    raise AttributeError(name)


__all__ = ["create_server", "serve", "ArtifactLanguageServer"]
