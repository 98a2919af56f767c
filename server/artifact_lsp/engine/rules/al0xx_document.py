"""AL0xx: the text must be one well-formed YAML document (the parser's problems, by kind)."""

from __future__ import annotations

from ..model import Related, Rule, Severity
from ..yamlmodel import YamlProblem
from .base import Context, check, related_to

ALL_FILES = ("manifest", "json", "matrix")

AL001 = Rule(
    "AL001",
    "yaml-syntax-error",
    Severity.ERROR,
    "The file is not valid YAML (or not UTF-8, or uses an undefined alias).",
    "Nothing else can be checked until the file parses. The message is the parser's, placed where the parser stopped.",
    files=ALL_FILES,
)
AL002 = Rule(
    "AL002",
    "multiple-documents",
    Severity.ERROR,
    "A manifest or matrix holds exactly one YAML document.",
    "The deploy tool reads the first document and ignores the rest, so anything after a second "
    "`---` is dead text. Only the first document is checked.",
    files=ALL_FILES,
)
AL003 = Rule(
    "AL003",
    "duplicate-key",
    Severity.ERROR,
    "A key appears twice in the same mapping; the last one silently wins.",
    "YAML readers keep the last value of a duplicated key (or refuse the file), so the first one "
    "is dead text that looks authoritative.",
    files=ALL_FILES,
)
AL004 = Rule(
    "AL004",
    "file-not-checked",
    Severity.WARNING,
    "The file is larger than `max-file-size` (default 8 MiB), not a regular file (a symbolic link "
    "loop, a FIFO), or cannot be read, so it was not checked.",
    "Manifests are a few KiB. A huge file is almost certainly not a manifest; raise `max-file-size` "
    "if it really is one.",
    files=ALL_FILES,
)

AL000 = Rule(
    "AL000",
    "internal-error",
    Severity.ERROR,
    "artifact-lsp itself failed on this file (a bug: please report it with the file).",
    "A rule raised an exception. The other rules still ran; this finding names the module that failed.",
    files=ALL_FILES,
)

RULES = (AL000, AL001, AL002, AL003, AL004)

_BY_KIND = {"syntax": AL001, "alias": AL001, "document": AL002, "duplicate": AL003}


@check(AL001, AL002, AL003)
def yaml_problems(ctx: Context) -> None:
    """AL001-AL003: one row per kind of parser problem (``_BY_KIND``); runs before every other
    check, also on a file that does not parse."""
    problem: YamlProblem
    for problem in ctx.parsed.problems:
        rule = _BY_KIND[problem.kind]
        message = problem.message
        if rule is AL001:
            message = f"YAML syntax error: {message}"
        related: tuple[Related, ...] = ()
        if problem.related is not None:
            related = (related_to("first defined here", problem.related),)
        ctx.report(rule, message, problem.start, problem.end, related=related)
