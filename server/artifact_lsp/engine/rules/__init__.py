"""Every rule, by code. A rule is a unit: its ``Rule`` (code, docs, fix) and its check (a
function decorated with ``@check(RULE)``) sit together in the module of its family, named by
its codes, so ``grep -n AL304 engine/rules/`` finds all of it:

- ``al0xx_document``: AL000-AL004, the file is one well-formed YAML document
- ``al0xx_yaml``: AL005-AL006, tags and keys ESB's YAML readers cannot read
- ``al1xx_legacy``: AL100-AL109, keys removed from the manifest (rows of ``spec.REMOVED``)
- ``al2xx_runtime_base``: AL201-AL202, ``runtime-base`` references and folders
- ``al3xx_shape``: AL301-AL309, the contract's shape (``spec.KEYS``)
- ``al3xx_types``: AL310-AL313, manifest values as ESB's gates type them (and AL005 for the Go reader)
- ``al4xx_disk``: AL401-AL403, config files and template hashes on disk
- ``al5xx_matrix``: AL501-AL507, ``test_matrix.yaml`` (``spec.MATRIX_*``)
- ``al5xx_runner``: AL508-AL511, what the E2E runner does with the matrix's values (and AL504,
  AL507 where the runner finds no manifest path or no suite)

``docs/gates.md`` says which of ESB's gates each rule mirrors.

``removed.py`` is the walker of the table-driven legacy-key family (AL100-AL108, AL501,
AL502); ``base.py`` the lint context and helpers.
"""

from __future__ import annotations

import logging

from ..model import Rule
from . import (
    al0xx_document,
    al0xx_yaml,
    al1xx_legacy,
    al2xx_runtime_base,
    al3xx_shape,
    al3xx_types,
    al4xx_disk,
    al5xx_matrix,
    al5xx_runner,
)

MODULES = (
    al0xx_document,
    al0xx_yaml,
    al1xx_legacy,
    al2xx_runtime_base,
    al3xx_shape,
    al3xx_types,
    al4xx_disk,
    al5xx_matrix,
    al5xx_runner,
)

_ALL: tuple[Rule, ...] = tuple(rule for module in MODULES for rule in module.RULES)
RULES: dict[str, Rule] = {rule.code: rule for rule in sorted(_ALL, key=lambda r: r.code)}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in _ALL}


def _checks(kind: str) -> tuple:
    """The checks that run on a kind of file, in module order (so the legacy keys are known
    before AL308 calls the other keys unknown). The parser's problems (al0xx) run first, in
    the linter, also on a file that does not parse."""
    out = []
    for module in MODULES[1:]:
        for value in vars(module).values():
            if (
                callable(value)
                and getattr(value, "__module__", None) == module.__name__
                and kind in getattr(value, "files", ())
                and hasattr(value, "rules")
            ):
                out.append(value)
    return tuple(out)


CHECKS = {kind: _checks(kind) for kind in ("manifest", "json", "matrix")}


def rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    return RULES.get(key.upper()) or BY_NAME.get(key.lower())


log = logging.getLogger("artifact_lsp.engine.linter")


def run(ctx) -> None:
    """Run every check of ``ctx.kind`` on ``ctx``: the parser's problems first (also on a file
    that does not parse), then, on a well-formed document, the checks in module order. A
    check that raises becomes an AL000 finding; the others still run."""
    al0xx_document.yaml_problems(ctx)
    if ctx.parsed.fatal:
        return
    for check in CHECKS[ctx.kind]:
        try:
            check(ctx)
        except Exception as exc:  # a rule bug must not take the others down
            log.exception("rule module %s failed on %s", check.__module__, ctx.path)
            ctx.report(al0xx_document.AL000, f"internal error in {check.__module__.rsplit('.', 1)[-1]}: {exc!r}", 0, 0)
