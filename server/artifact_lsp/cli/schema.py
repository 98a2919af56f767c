"""``artifact-lsp schema``: the JSON Schema of the contract."""

from __future__ import annotations

from pathlib import Path

from ..engine.config import load_config_from
from .common import EXIT_CLEAN, EXIT_ERROR


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
