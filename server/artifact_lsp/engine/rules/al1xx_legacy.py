"""AL1xx: keys removed from the manifest contract, and the legacy ``artifact.json``.

AL101-AL108 are rows of ``spec.REMOVED`` (their docs, paths and dates live there); AL100 is
the configuration's ``extra-legacy-keys``. One walker (``removed.py``) reports them all.
"""

from __future__ import annotations

import os

from .. import spec
from ..model import Rule, Severity
from . import removed
from .base import Context, check

AL100 = Rule(
    "AL100",
    "custom-legacy-key",
    Severity.ERROR,
    "A key your configuration lists as legacy (`extra-legacy-keys`, `extra-matrix-legacy-keys`).",
    "The contract will change again. List newly removed keys in the configuration and they are "
    "reported (and removable) like the built-in ones:\n\n"
    f'```toml\n[tool.artifact-lsp.extra-legacy-keys]\n"{spec.ENTRIES}[].build_args" = "the build section of template.yaml"\n```',
    fix=removed.REMOVE,
    deprecated=True,
    files=("manifest", "json", "matrix"),
)

# AL101-AL108: one Rule per spec.REMOVED entry
REMOVED_RULES = {entry.code: removed.rule_of(entry) for entry in spec.REMOVED}

AL109 = Rule(
    "AL109",
    "legacy-artifact-json",
    Severity.ERROR,
    "`artifact.json` is the manifest format from before `artifact.yml`.",
    "The deploy tool reads only `artifact.yml`. An `artifact.json` next to it is dead weight that "
    "readers may mistake for the manifest; one without an `artifact.yml` means the fixture was "
    "never regenerated. Delete it (and regenerate when there is no `artifact.yml`). Its content is "
    "still checked like a manifest, without automatic fixes.",
    deprecated=True,
    files=("json",),
)

RULES = (AL100, *REMOVED_RULES.values(), AL109)


@check(AL109)
def legacy_artifact_json(ctx: Context) -> None:
    end = ctx.text.find("\n")
    end = len(ctx.text) if end < 0 else end
    if ctx.text[:end].endswith("\r"):
        end -= 1
    folder = ctx.folder
    if folder is not None and os.path.exists(os.path.join(folder, "artifact.yml")):
        message = "artifact.json is the legacy manifest format and artifact.yml exists next to it: delete artifact.json"
    else:
        message = (
            "artifact.json is the legacy manifest format: regenerate the fixture as artifact.yml and delete this file"
        )
    ctx.report(AL109, message, 0, min(end, 1) if end else 0)


@check(AL100, *REMOVED_RULES.values(), files=("manifest", "json"))
def legacy_keys(ctx: Context) -> None:
    """AL100-AL108: every removed manifest key, at its contract position."""
    removed.walk(ctx, spec.REMOVED, REMOVED_RULES, AL100, ctx.config.extra_legacy_keys)
