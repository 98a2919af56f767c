"""``test_matrix.yaml``: entries point at committed manifests; legacy driver fields are gone.

The legacy matrix fields themselves (AL501, AL502) live with the other legacy keys in
``legacy.py``; this module holds the rest of the matrix contract.
"""

from __future__ import annotations

from pathlib import Path

from .. import files
from ..model import RemoveKey, RenameKey, Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence, deref
from .base import Context, head_span, is_blank_or_null, string_value, value_span
from .shape import lookup

_X = ("matrix",)

AL503 = Rule(
    "AL503", "esb-env-renamed", Severity.ERROR,
    "`esb_env` in a matrix entry was renamed to `env`; an entry with only `esb_env` is skipped.",
    "The runner reads `env`. An entry that still says `esb_env` (and has no `env`) is silently "
    "skipped, so its suites never run. The fix renames the key (or, when `env` is already there, "
    "removes `esb_env`).", fix="Renames `esb_env` to `env` (removes it when `env` exists).",
    deprecated=True, files=_X,
)
AL504 = Rule(
    "AL504", "missing-artifact-manifest", Severity.ERROR,
    "A matrix entry has no (or a blank) `artifact_manifest`, or one that is a mapping or list, not a path.",
    "Each entry deploys the committed manifest named by `artifact_manifest` (a path from the "
    "repository root, e.g. `e2e/artifacts/e2e-docker/artifact.yml`); it is required. The runner "
    "turns whatever is there into text (`str()`), so `artifact_manifest: {}` becomes the path `{}` "
    "and deploy fails with `artifact manifest not found`.", files=_X,
)
AL505 = Rule(
    "AL505", "artifact-manifest-not-found", Severity.ERROR,
    "`artifact_manifest` names a file that does not exist.",
    "The path resolves from the repository root (the folder of `.artifact-lsp.toml` / "
    "`pyproject.toml`, else of `.git`); the file must exist.", files=_X,
)
AL506 = Rule(
    "AL506", "invalid-matrix", Severity.ERROR,
    "The matrix is a mapping whose `matrix` is a list of entry mappings.",
    "`matrix: [{env, artifact_manifest, suites, esb_project?, env_dir?, env_file?}]` plus "
    "`suites: {name: {description, targets, exclude}}`.", files=_X,
)
AL507 = Rule(
    "AL507", "unknown-suite", Severity.ERROR,
    "A matrix entry names a suite the runner cannot find.",
    "Every name in an entry's `suites` must be a key of the top-level `suites` mapping, defined as a "
    "non-empty mapping. The runner prints `[ERROR] Suite '<name>' not defined in suites.` and "
    "skips the suite when the matrix has no top-level `suites`, when the suite is defined as "
    "`null` or `{}`, and when an entry's `suites` is a string (read letter by letter) or a "
    "mapping instead of a list of names.", files=_X,
)

RULES = (AL503, AL504, AL505, AL506, AL507)


def check(ctx: Context) -> None:
    root = ctx.root
    if root is None or (type(root) is Scalar and root.is_null() and not root.value):
        ctx.report(AL506, "the E2E matrix is empty: it must be a mapping with 'matrix' and 'suites'", 0, 0)
        return
    if type(root) is not Mapping:
        ctx.report(AL506, "the E2E matrix must be a mapping with 'matrix' and 'suites'", *head_span(root))
        return
    pair = lookup(root, "matrix")
    if pair is None or is_blank_or_null(pair[1]):
        ctx.report(AL506, "matrix is required: a list of entries", *(pair[0].start, pair[0].end) if pair else head_span(root))
        return
    entries = deref(pair[1])
    if type(entries) is not Sequence:
        ctx.report(AL506, "matrix must be a list of entries", *value_span(*pair))
        return
    suites_pair = lookup(root, "suites")
    suites = deref(suites_pair[1]) if suites_pair else None
    suite_names = {k.value for k, _ in suites.pairs if type(k) is Scalar} if type(suites) is Mapping else None
    for i, item in enumerate(entries.items):
        entry = deref(item)
        if type(entry) is not Mapping:
            ctx.report(AL506, f"matrix[{i}] must be a mapping", item.start, max(item.end, item.start + 1))
            continue
        _entry(ctx, entry, i, suite_names)


def _entry(ctx: Context, entry: Mapping, i: int, suite_names) -> None:
    env_pair = lookup(entry, "env")
    old = entry.get_pair("esb_env")
    name = string_value(env_pair[1]) if env_pair else None
    if old is not None:
        old_name = string_value(old[1])
        name = name or old_name
        if env_pair is None:
            ctx.report(
                AL503,
                f"matrix[{i}]: 'esb_env' was renamed to 'env'; an entry with only 'esb_env' is skipped by the runner",
                old[0].start, old[0].end, plan=RenameKey(entry, old[0], "env"), key="esb_env",
            )
        else:
            ctx.report(
                AL503,
                f"matrix[{i}]: 'esb_env' was renamed to 'env', which is already set; delete 'esb_env'",
                old[0].start, old[0].end, plan=RemoveKey(entry, old[0]), key="esb_env",
            )
    label = f"matrix[{i}]" + (f" ({name})" if name else "")
    pair = lookup(entry, "artifact_manifest")
    if pair is None or is_blank_or_null(pair[1]):
        span = (pair[0].start, pair[0].end) if pair else head_span(entry)
        ctx.report(AL504, f"{label}: artifact_manifest is required", *span)
    else:
        text = string_value(pair[1])
        root = ctx.repo_root
        if text and root is not None and ctx.path is not None:
            path = Path(text.strip())
            if not path.is_absolute():
                path = root / path
            if files.regular_file(path) is None:
                ctx.report(AL505, f"{label}: artifact_manifest '{text.strip()}' does not exist", *value_span(*pair))
    if suite_names is None:
        return
    spair = lookup(entry, "suites")
    suites = deref(spair[1]) if spair else None
    if type(suites) is Sequence:
        for item in suites.items:
            item = deref(item)
            if type(item) is Scalar and item.value not in suite_names:
                ctx.report(AL507, f"{label}: suite '{item.value}' is not defined under 'suites'", item.start, item.end)
