"""``artifact-lsp rule``: explain a rule, or list them all."""

from __future__ import annotations

from ..engine.rules import rule as find_rule
from .common import EXIT_CLEAN, EXIT_ERROR


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
