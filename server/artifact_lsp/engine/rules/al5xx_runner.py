"""AL508-AL511: what the E2E runner does with ``test_matrix.yaml`` beyond its legacy fields.

The runner (``e2e/runner/config.py`` ``load_test_matrix``/``build_env_scenarios``,
``planner.py``, ``deploy.py``) reads the matrix with PyYAML's ``safe_load`` and uses the values
as it finds them: a wrong type makes it crash (AL508), a blank ``esb_project`` or the same
``env`` twice with different settings makes it raise (AL509, AL510), an entry without a usable
``env`` is skipped with ``[ERROR] Invalid matrix entry format`` (AL511). A suite it cannot find
(AL507) and an ``artifact_manifest`` that is not a path (AL504) are reported here too, as the
matrix rules they extend. Key names come from ``spec``.
"""

from __future__ import annotations

from .. import keypath, spec
from ..model import RemoveKey, Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence, deref
from . import al0xx_yaml as yamltypes
from .al5xx_matrix import AL504, AL507
from .base import Context, check, head_span, lookup, related_to, value_span

_X = ("matrix",)
_SUITES, _LIST = spec.SUITES, spec.MATRIX_ENTRIES
_ENV, _MANIFEST, _ENTRY_SUITES = (keypath.leaf(p) for p in (spec.MATRIX_ENV, spec.MATRIX_MANIFEST, spec.MATRIX_SUITES))
_PROJECT, _ENV_DIR, _ENV_FILE = (
    keypath.leaf(p) for p in (spec.MATRIX_PROJECT, spec.MATRIX_ENV_DIR, spec.MATRIX_ENV_FILE)
)
_TARGETS, _EXCLUDE = keypath.leaf(spec.SUITE_TARGETS), keypath.leaf(spec.SUITE_EXCLUDE)
_OLD = keypath.leaf(spec.RENAMED[0].path)

AL508 = Rule(
    "AL508",
    "matrix-wrong-type",
    Severity.ERROR,
    "A matrix value of a type the E2E runner crashes on.",
    f"The runner uses the values as it finds them: top-level `{_SUITES}` must be a mapping (`'str' "
    f"object has no attribute 'get'`), each suite a mapping whose `{_TARGETS}` and `{_EXCLUDE}` are lists "
    f"of strings, an entry's `{_ENTRY_SUITES}` a list of names, `{_ENV_DIR}`/`{_ENV_FILE}` strings (`null` or a "
    f"number raises `TypeError`), `{_ENV}` a string, not a list or mapping. Any of these stops the "
    "whole E2E run with a traceback.",
    files=_X,
)
AL509 = Rule(
    "AL509",
    "blank-esb-project",
    Severity.ERROR,
    f"`{_PROJECT}` is given but blank.",
    f"The runner raises `matrix field '{_PROJECT}' must be non-empty when provided`. Leave the key "
    "out to use the default project (the fix removes it), or name the project.",
    fix=f"Removes the blank `{_PROJECT}` (the default project is used).",
    files=_X,
)
AL510 = Rule(
    "AL510",
    "env-settings-conflict",
    Severity.ERROR,
    f"The same `{_ENV}` appears twice with a different `{_MANIFEST}` or `{_PROJECT}`.",
    f"The runner merges entries of the same `{_ENV}` into one scenario and raises `{_MANIFEST} "
    f"mismatch for env '<env>'` (or `{_PROJECT} mismatch`) when the second entry disagrees with the "
    "first: one environment deploys one manifest of one project.",
    files=_X,
)
AL511 = Rule(
    "AL511",
    "unusable-env",
    Severity.ERROR,
    f"A matrix entry without a usable `{_ENV}` (missing, `null`, `''`, `false`, `0`, `{{}}`, `[]`).",
    "The runner prints `[ERROR] Invalid matrix entry format` and skips the entry: none of its "
    f"suites run, and the run still succeeds. (An entry that still says `{_OLD}` is AL503.)",
    files=_X,
)

RULES = (AL508, AL509, AL510, AL511)

DEFAULT_PROJECT = spec.DEFAULT_PROJECT


def _py(node):
    """(ok, value): what safe_load makes of a scalar node; ok False when it cannot."""
    node = deref(node)
    if type(node) is not Scalar:
        return False, None
    try:
        return True, yamltypes.python_value(node)
    except yamltypes.Unreadable:
        return False, None


def _kind(node) -> str:
    node = deref(node)
    if type(node) is Mapping:
        return "a mapping" if node.pairs else "an empty mapping"
    if type(node) is Sequence:
        return "a list" if node.items else "an empty list"
    ok, value = _py(node)
    if not ok:
        return "an unreadable value"
    if value is None:
        return "null"
    return f"the {yamltypes.type_name(value)} {value!r}" if not isinstance(value, str) else f"the string {value!r}"


def _is_string(node) -> bool:
    ok, value = _py(node)
    return ok and isinstance(value, str)


class _Recorder:
    """Collects what one walk of the matrix finds, for the rule units below to report."""

    def __init__(self, ctx: Context):
        self.root = ctx.root
        self.found: list = []

    def report(self, rule: Rule, message: str, start: int, end: int, **extra) -> None:
        self.found.append((rule, message, start, end, extra))


def _analysis(ctx: Context) -> list:
    recorder = _Recorder(ctx)
    _walk(recorder)
    return recorder.found


def _report(ctx: Context, rule: Rule) -> None:
    for found, message, start, end, extra in ctx.memo("runner-analysis", _analysis):
        if found is rule:
            ctx.report(rule, message, start, end, **extra)


@check(AL508)
def matrix_wrong_type(ctx: Context) -> None:
    _report(ctx, AL508)


@check(AL509)
def blank_esb_project(ctx: Context) -> None:
    _report(ctx, AL509)


@check(AL510)
def env_settings_conflict(ctx: Context) -> None:
    _report(ctx, AL510)


@check(AL511)
def unusable_env(ctx: Context) -> None:
    _report(ctx, AL511)


@check(AL504, files=_X)
def artifact_manifest_not_a_path(ctx: Context) -> None:
    """AL504 for a mapping or list (what the runner turns into a path like ``{}``)."""
    _report(ctx, AL504)


@check(AL507, files=_X)
def suite_not_found(ctx: Context) -> None:
    """AL507 where the runner finds no suite beyond an unknown name (``al5xx_matrix``)."""
    _report(ctx, AL507)


def _walk(ctx) -> None:
    root = ctx.root
    if type(root) is not Mapping:
        return  # AL506
    suites_pair = lookup(root, _SUITES)
    suites = deref(suites_pair[1]) if suites_pair else None
    definitions = _suites(ctx, suites_pair) if suites_pair else {}
    pair = lookup(root, _LIST)
    entries = deref(pair[1]) if pair else None
    if type(entries) is not Sequence:
        return  # AL506
    seen: dict = {}  # env value -> (entry index, project, project node, manifest, manifest node)
    for i, item in enumerate(entries.items):
        entry = deref(item)
        if type(entry) is Mapping:
            _entry(ctx, entry, i, item, suites_pair, suites, definitions, seen)


def _suites(ctx: Context, pair) -> dict | None:
    """{name: definition node} of the top-level suites, or None when it is not a mapping."""
    key, value = pair
    suites = deref(value)
    if type(suites) is not Mapping:
        ctx.report(
            AL508,
            f"suites must be a mapping of suite definitions, not {_kind(value)}: the runner looks "
            f"suites up with .get() and crashes",
            *value_span(key, value),
        )
        return None
    out = {}
    for name, definition in suites.pairs:
        if type(name) is not Scalar:
            continue  # AL006
        out[name.value] = (name, definition)
        node = deref(definition)
        if type(node) is Mapping:
            for field in (_TARGETS, _EXCLUDE):
                sub = lookup(node, field)
                if sub is not None:
                    _path_list(ctx, sub, f"suite '{name.value}': {field}")
            continue
        if _falsy(definition):
            continue  # AL507 where an entry names it
        ctx.report(
            AL508,
            f"suite '{name.value}' must be a mapping of description, targets and exclude, not "
            f"{_kind(definition)}: the runner calls .get() on it and crashes",
            *value_span(name, definition),
        )
    return out


def _path_list(ctx: Context, pair, label: str) -> None:
    key, value = pair
    node = deref(value)
    if type(node) is not Sequence:
        ctx.report(
            AL508,
            f"{label} must be a list of paths, not {_kind(value)}: "
            + (
                "the runner iterates it and crashes with TypeError"
                if not _is_string(value)
                else "the runner would read the string letter by letter"
            ),
            *value_span(key, value),
        )
        return
    for item in node.items:
        if not _is_string(item):
            ctx.report(
                AL508,
                f"{label} must hold paths (strings), not {_kind(item)}: the runner crashes with TypeError",
                item.start,
                max(item.end, item.start + 1),
            )


def _falsy(node) -> bool:
    node = deref(node)
    if type(node) is Mapping:
        return not node.pairs
    if type(node) is Sequence:
        return not node.items
    ok, value = _py(node)
    return ok and not value


def _entry(ctx: Context, entry: Mapping, i: int, item, suites_pair, suites, definitions, seen) -> None:
    env_pair = lookup(entry, _ENV)
    env = env_pair[1] if env_pair else None
    label = f"{_LIST}[{i}]"
    usable = env_pair is not None and not _falsy(env)
    if not usable:
        if entry.get_pair(_OLD) is None:  # AL503 covers an entry that still says esb_env
            where = (env_pair[0].start, env_pair[0].end) if env_pair else head_span(entry)
            what = f"env is {_kind(env)}" if env_pair else "env is missing"
            ctx.report(
                AL511,
                f'{label}: {what}: the runner prints "[ERROR] Invalid matrix entry format" and skips the entry',
                *where,
            )
    else:
        node = deref(env)
        if type(node) in (Mapping, Sequence):
            ctx.report(
                AL508,
                f"{label}: env must be a string, not {_kind(env)}: the runner crashes with TypeError (unhashable)",
                *value_span(*env_pair),
            )
            usable = False
        elif not _is_string(env) and lookup(entry, _ENV_DIR) is None:
            ctx.report(
                AL508,
                f"{label}: env must be a string, not {_kind(env)}: without {_ENV_DIR} the runner tests "
                f"'firecracker' in it and crashes with TypeError",
                *value_span(*env_pair),
            )
        else:
            assert type(node) is Scalar, "a usable env (not falsy) that is no collection is a scalar"
            name = node.value
            label = f"{label} ({name})"

    for field in (_ENV_DIR, _ENV_FILE):
        sub = lookup(entry, field)
        if sub is not None and not _is_string(sub[1]):
            ctx.report(
                AL508,
                f"{label}: {field} must be a string, not {_kind(sub[1])}: the runner tests "
                f"'containerd' in it and crashes with TypeError",
                *value_span(*sub),
            )

    project_pair = lookup(entry, _PROJECT)
    project: str | None = DEFAULT_PROJECT
    if project_pair is not None:
        ok, value = _py(project_pair[1])
        node = deref(project_pair[1])
        if type(node) is Scalar and ok and value is not None:
            project = str(value).strip()
            if project == "":
                ctx.report(
                    AL509,
                    f"{label}: {_PROJECT} is blank: the runner raises \"matrix field '{_PROJECT}' "
                    f'must be non-empty when provided" (leave it out for the default project)',
                    *value_span(*project_pair),
                    plan=RemoveKey(entry, project_pair[0], "the blank"),
                )
                project = None

    manifest_pair = lookup(entry, _MANIFEST)
    manifest = None
    if manifest_pair is not None:
        node = deref(manifest_pair[1])
        if type(node) in (Mapping, Sequence):
            text = "{}" if type(node) is Mapping else "[]"
            ctx.report(
                AL504,
                f"{label}: {_MANIFEST} must be a path, not {_kind(manifest_pair[1])}: the runner "
                f"turns it into text like '{text}' and deploy fails with \"artifact manifest not found\"",
                *value_span(*manifest_pair),
            )
        else:
            ok, value = _py(node)
            if ok and value is not None and str(value).strip():
                manifest = str(value).strip()

    if usable and type(deref(env)) is Scalar:
        ok, key = _py(env)
        if ok:
            _conflicts(ctx, label, key, env_pair, project, project_pair, manifest, manifest_pair, seen, i)

    spair = lookup(entry, _ENTRY_SUITES)
    if spair is not None:
        _entry_suites(ctx, label, spair, suites_pair, definitions)


def _conflicts(ctx, label, env, env_pair, project, project_pair, manifest, manifest_pair, seen, i) -> None:
    try:
        first = seen.get(env)
    except TypeError:
        return
    if first is None:
        seen[env] = (i, project, project_pair, manifest, manifest_pair, env_pair)
        return
    j, first_project, first_project_pair, first_manifest, first_manifest_pair, first_env_pair = first
    if project is not None and first_project is not None and project != first_project:
        there = first_project_pair[1] if first_project_pair else first_env_pair[0]
        ctx.report(
            AL510,
            f"{label}: {_PROJECT} '{project}' differs from {_LIST}[{j}]'s '{first_project}' for the "
            f"same env: the runner raises \"{_PROJECT} mismatch for env '{env}'\"",
            *value_span(*(project_pair or env_pair)),
            related=(related_to(f"{_LIST}[{j}] uses {_PROJECT} '{first_project}' for this env", there),),
        )
    if manifest is not None and first_manifest is not None and manifest != first_manifest:
        ctx.report(
            AL510,
            f"{label}: {_MANIFEST} '{manifest}' differs from {_LIST}[{j}]'s '{first_manifest}' for "
            f"the same env: the runner raises \"{_MANIFEST} mismatch for env '{env}'\"",
            *value_span(*manifest_pair),
            related=(related_to(f"{_LIST}[{j}] deploys this manifest for the env", first_manifest_pair[1]),),
        )


def _entry_suites(ctx: Context, label: str, spair, suites_pair, definitions) -> None:
    key, value = spair
    node = deref(value)
    if type(node) is not Sequence:
        if type(node) is Scalar and _is_string(value):
            effect = (
                f"reads it letter by letter and prints \"[ERROR] Suite '{node.value[:1]}' not defined in suites.\""
                if node.value
                else "runs no suite for this entry"
            )
            ctx.report(
                AL507,
                f"{label}: suites must be a list of suite names, not the string '{node.value}': the runner {effect}",
                *value_span(key, value),
            )
        elif type(node) is Mapping:
            ctx.report(
                AL507,
                f"{label}: suites must be a list of suite names, not a mapping: the runner reads only its keys",
                *value_span(key, value),
            )
        else:
            ctx.report(
                AL508,
                f"{label}: suites must be a list of suite names, not {_kind(value)}: the runner iterates it and crashes with TypeError",
                *value_span(key, value),
            )
        return
    for item in node.items:
        target = deref(item)
        if type(target) in (Mapping, Sequence):
            ctx.report(
                AL508,
                f"{label}: a suite name must be a string, not {_kind(item)}: the runner crashes (unhashable)",
                item.start,
                max(item.end, item.start + 1),
            )
            continue
        if type(target) is not Scalar:
            continue
        if definitions is None:
            continue  # AL508 on the top-level suites
        ok, name = _py(target)
        if not ok:
            continue  # AL005
        shown = target.value if name is not None else "None"
        if suites_pair is None:
            ctx.report(
                AL507,
                f"{label}: suite '{shown}' is not defined: the matrix has no top-level '{_SUITES}' "
                f"(the runner prints \"[ERROR] Suite '{shown}' not defined in suites.\")",
                item.start,
                max(item.end, item.start + 1),
            )
            continue
        found = definitions.get(target.value) if type(target) is Scalar else None
        if found is None:
            continue  # matrix.py reports the unknown name (AL507)
        name_node, definition = found
        if _falsy(definition):
            ctx.report(
                AL507,
                f"{label}: suite '{target.value}' is defined as {_kind(definition)}: the runner "
                f"prints \"[ERROR] Suite '{target.value}' not defined in suites.\" and skips it",
                item.start,
                max(item.end, item.start + 1),
                related=(related_to("defined empty here", name_node),),
            )
