"""AL5xx: ``test_matrix.yaml``: entries point at committed manifests; legacy driver fields are gone.

AL501/AL502 are rows of ``spec.MATRIX_REMOVED`` (reported and removed by the legacy-key
walker, ``removed.py``); AL503 is ``spec.RENAMED``; the keys are ``spec.MATRIX_KEYS``.
"""

from __future__ import annotations

from pathlib import Path

from .. import files, keypath, spec
from ..model import RemoveKey, RenameKey, Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence, deref
from . import removed
from .al1xx_legacy import AL100
from .base import Context, check, head_span, is_blank_or_null, lookup, string_value, value_span

_X = ("matrix",)

# ----------------------------------------------------------------------------- AL501, AL502: rows

REMOVED_RULES = {entry.code: removed.rule_of(entry) for entry in spec.MATRIX_REMOVED}
AL501 = REMOVED_RULES["AL501"]
AL502 = REMOVED_RULES["AL502"]


@check(AL100, AL501, AL502, files=_X)
def legacy_matrix_fields(ctx: Context) -> None:
    """AL501, AL502 (and the configuration's ``extra-matrix-legacy-keys``, AL100)."""
    removed.walk(ctx, spec.MATRIX_REMOVED, REMOVED_RULES, AL100, ctx.config.extra_matrix_legacy_keys)


# ----------------------------------------------------------------------------- AL503

RENAME = spec.RENAMED[0]
AL503 = Rule(
    RENAME.code,
    RENAME.name,
    Severity.ERROR,
    RENAME.summary,
    RENAME.docs,
    fix=RENAME.fix,
    deprecated=True,
    files=_X,
)
_OLD = keypath.leaf(RENAME.path)
_ENV = keypath.leaf(spec.MATRIX_ENV)
_MANIFEST = keypath.leaf(spec.MATRIX_MANIFEST)
_SUITES = keypath.leaf(spec.MATRIX_SUITES)
_LIST = spec.MATRIX_ENTRIES
_ENTRY_KEYS = ", ".join(
    keypath.leaf(k.path) + ("" if k.required else "?") for k in spec.MATRIX_KEYS if k.path.startswith(_LIST + "[].")
)
_SUITE_KEYS = ", ".join(keypath.leaf(k.path) for k in spec.MATRIX_KEYS if k.path.startswith(spec.SUITES + ".<name>."))
AL504 = Rule(
    "AL504",
    "missing-artifact-manifest",
    Severity.ERROR,
    f"A matrix entry has no (or a blank) `{_MANIFEST}`, or one that is a mapping or list, not a path.",
    f"Each entry deploys the committed manifest named by `{_MANIFEST}` (a path from the "
    "repository root, e.g. `e2e/artifacts/e2e-docker/artifact.yml`); it is required. The runner "
    f"turns whatever is there into text (`str()`), so `{_MANIFEST}: {{}}` becomes the path `{{}}` "
    "and deploy fails with `artifact manifest not found` (reported by ``al5xx_runner``).",
    files=_X,
)
AL505 = Rule(
    "AL505",
    "artifact-manifest-not-found",
    Severity.ERROR,
    f"`{_MANIFEST}` names a file that does not exist.",
    "The path resolves from the repository root (the folder of `.artifact-lsp.toml` / "
    "`pyproject.toml`, else of `.git`); the file must exist.",
    files=_X,
)
AL506 = Rule(
    "AL506",
    "invalid-matrix",
    Severity.ERROR,
    f"The matrix is a mapping whose `{_LIST}` is a list of entry mappings.",
    f"`{_LIST}: [{{{_ENTRY_KEYS}}}]` plus `{spec.SUITES}: {{name: {{{_SUITE_KEYS}}}}}`.",
    files=_X,
)
AL507 = Rule(
    "AL507",
    "unknown-suite",
    Severity.ERROR,
    "A matrix entry names a suite the runner cannot find.",
    f"Every name in an entry's `{_SUITES}` must be a key of the top-level `{spec.SUITES}` mapping, "
    "defined as a non-empty mapping. The runner prints `[ERROR] Suite '<name>' not defined in "
    f"suites.` and skips the suite when the matrix has no top-level `{spec.SUITES}`, when the suite "
    f"is defined as `null` or `{{}}`, and when an entry's `{_SUITES}` is a string (read letter by "
    "letter) or a mapping instead of a list of names (those cases are reported by ``al5xx_runner``).",
    files=_X,
)

RULES = (AL501, AL502, AL503, AL504, AL505, AL506, AL507)


def _label(entry: Mapping, i: int) -> str:
    """``matrix[<i>]`` and the entry's env, as every message names an entry."""
    env_pair = lookup(entry, _ENV)
    name = string_value(env_pair[1]) if env_pair else None
    if not name:
        old = entry.get_pair(_OLD)
        name = string_value(old[1]) if old is not None else None
    return f"{_LIST}[{i}]" + (f" ({name})" if name else "")


@check(AL503)
def esb_env_renamed(ctx: Context) -> None:
    for i, _item, entry in ctx.entries(_LIST):
        old = entry.get_pair(_OLD)
        if old is None:
            continue
        where = f"{_LIST}[{i}]"
        plan: RenameKey | RemoveKey
        if lookup(entry, _ENV) is None:
            message, plan = RENAME.message_only_old, RenameKey(entry, old[0], RENAME.new)
        else:
            message, plan = RENAME.message_both, RemoveKey(entry, old[0])
        ctx.report(AL503, message.format(entry=where), old[0].start, old[0].end, plan=plan, key=_OLD)


@check(AL504, AL505)
def artifact_manifest(ctx: Context) -> None:
    """AL504 (missing or blank) and AL505 (no such file): one look at each entry's manifest."""
    for i, _item, entry in ctx.entries(_LIST):
        pair = lookup(entry, _MANIFEST)
        if pair is None or is_blank_or_null(pair[1]):
            span = (pair[0].start, pair[0].end) if pair else head_span(entry)
            ctx.report(AL504, f"{_label(entry, i)}: {_MANIFEST} is required", *span)
            continue
        text = string_value(pair[1])
        root = ctx.repo_root
        if text and root is not None and ctx.path is not None:
            path = Path(text.strip())
            if not path.is_absolute():
                path = root / path
            if files.regular_file(path) is None:
                ctx.report(
                    AL505, f"{_label(entry, i)}: {_MANIFEST} '{text.strip()}' does not exist", *value_span(*pair)
                )


@check(AL506)
def invalid_matrix(ctx: Context) -> None:
    root = ctx.root
    shape = f"a mapping with '{_LIST}' and '{spec.SUITES}'"
    if root is None or (type(root) is Scalar and root.is_null() and not root.value):
        ctx.report(AL506, f"the E2E matrix is empty: it must be {shape}", 0, 0)
        return
    if type(root) is not Mapping:
        ctx.report(AL506, f"the E2E matrix must be {shape}", *head_span(root))
        return
    pair = lookup(root, _LIST)
    if pair is None or is_blank_or_null(pair[1]):
        ctx.report(
            AL506, f"{_LIST} is required: a list of entries", *(pair[0].start, pair[0].end) if pair else head_span(root)
        )
        return
    entries = deref(pair[1])
    if type(entries) is not Sequence:
        ctx.report(AL506, f"{_LIST} must be a list of entries", *value_span(*pair))
        return
    for i, item in enumerate(entries.items):
        if type(deref(item)) is not Mapping:
            ctx.report(AL506, f"{_LIST}[{i}] must be a mapping", item.start, max(item.end, item.start + 1))


def defined_suites(root) -> list[str] | None:
    """The suites the matrix defines (the keys of ``suites``, in order), or None when it
    defines none (also what completion offers)."""
    root = deref(root)
    if type(root) is not Mapping:
        return None
    pair = lookup(root, spec.SUITES)
    suites = deref(pair[1]) if pair else None
    return [k.value for k, _ in suites.pairs if type(k) is Scalar] if type(suites) is Mapping else None


def suite_names(root) -> set[str] | None:
    """The suites the matrix defines, as a set (None when it defines none)."""
    names = defined_suites(root)
    return set(names) if names is not None else None


@check(AL507)
def unknown_suite(ctx: Context) -> None:
    names = suite_names(ctx.root)
    if names is None:
        return
    for i, _item, entry in ctx.entries(_LIST):
        pair = lookup(entry, _SUITES)
        suites = deref(pair[1]) if pair else None
        if type(suites) is not Sequence:
            continue
        for item in suites.items:
            suite = deref(item)
            if type(suite) is Scalar and suite.value not in names:
                ctx.report(
                    AL507,
                    f"{_label(entry, i)}: suite '{suite.value}' is not defined under '{spec.SUITES}'",
                    suite.start,
                    suite.end,
                )
