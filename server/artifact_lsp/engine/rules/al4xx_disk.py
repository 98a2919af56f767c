"""AL4xx: what an entry needs on disk (``spec.CONFIG_FILES``), and a template whose hash still matches."""

from __future__ import annotations

import os

from .. import files, keypath, spec
from ..model import Rule, Severity
from ..yamlmodel import Mapping, deref, mapping_problem
from .al3xx_shape import PATTERNS, relative_path_problem
from .base import Context, check, lookup, string_value, value_span

_M = ("manifest", "json")
_ROOT = keypath.leaf(spec.ARTIFACT_ROOT)
_DIR = keypath.leaf(spec.RUNTIME_CONFIG_DIR)
_TEMPLATE = keypath.leaf(spec.SOURCE_TEMPLATE)
_PATH = keypath.leaf(spec.TEMPLATE_PATH)
_SHA = keypath.leaf(spec.TEMPLATE_SHA256)
_SHA_PATTERN = PATTERNS[spec.TEMPLATE_SHA256]
_FILES = " or ".join(f"`{name}`" for name in spec.CONFIG_FILES)

AL401 = Rule(
    "AL401",
    "missing-config-file",
    Severity.ERROR,
    f"{_FILES} is missing under `<{_ROOT}>/<{_DIR}>/`.",
    f"Every entry needs {_FILES.replace(' or ', ' and ')} (and may have "
    f"{', '.join(f'`{name}`' for name in spec.OPTIONAL_CONFIG_FILES)}) in its "
    f"runtime config folder: `{_ROOT}` resolves from the manifest's folder (or is absolute), "
    f"`{_DIR}` from the artifact root.",
    files=_M,
)
AL402 = Rule(
    "AL402",
    "invalid-config-file",
    Severity.ERROR,
    "`functions.yml`, `routing.yml` or `resources.yml` does not parse to a mapping.",
    "The applier reads each runtime config file as a YAML mapping; an empty file, a list or a "
    "syntax error breaks the deploy.",
    files=_M,
)
AL403 = Rule(
    "AL403",
    "stale-source-template",
    Severity.INFO,
    f"`{_TEMPLATE}.{_SHA}` differs from the template file it names: the fixture is stale.",
    f"`{_SHA}` is the plain sha256 of the file at `{_TEMPLATE}.{_PATH}` (relative paths resolve from "
    "the repository root: the folder of `.artifact-lsp.toml` / `pyproject.toml`, else of `.git`). When "
    "they differ the template changed after the fixture was produced: regenerate it.",
    files=_M,
)

RULES = (AL401, AL402, AL403)

REQUIRED = spec.CONFIG_FILES
OPTIONAL = spec.OPTIONAL_CONFIG_FILES


@check(AL401, AL402)
def config_files(ctx: Context) -> None:
    """AL401 (missing) and AL402 (not a mapping): one look at each entry's config folder."""
    folder = ctx.folder
    if folder is None:
        return
    for i, _item, entry in ctx.entries(spec.ENTRIES):
        _config_files(ctx, folder, entry, i)


@check(AL403)
def stale_source_template(ctx: Context) -> None:
    if ctx.folder is None:
        return
    root = ctx.repo_root
    repo_root = str(root) if root is not None else None
    for i, _item, entry in ctx.entries(spec.ENTRIES):
        _template(ctx, entry, i, repo_root)


def _config_files(ctx: Context, folder: str, entry: Mapping, i: int) -> None:
    root_pair = lookup(entry, _ROOT)
    dir_pair = lookup(entry, _DIR)
    if root_pair is None or dir_pair is None:
        return
    root_text = string_value(root_pair[1])
    dir_text = string_value(dir_pair[1])
    if not root_text or not root_text.strip() or not dir_text or relative_path_problem(dir_text):
        return
    root_text, dir_text = root_text.strip(), dir_text.strip()
    # one verdict per entry (cached in the server between keystrokes): plain string paths,
    # this runs for every entry of every manifest in a repository
    problems = files.cached_fact(
        "entry-config", (str(folder), root_text, dir_text), lambda: _entry_problems(str(folder), root_text, dir_text)
    )
    if not problems:
        return
    shown = f"{root_text.rstrip('/')}/{dir_text.rstrip('/')}"
    span = value_span(*dir_pair)
    for rule, name, verdict in problems:
        if name is None:
            ctx.report(
                rule,
                f"{spec.ENTRIES}[{i}]: config folder '{shown}' does not exist (it must hold {' and '.join(REQUIRED)})",
                *span,
            )
        elif rule is AL401:
            ctx.report(rule, f"{spec.ENTRIES}[{i}]: '{shown}/{name}' is missing (required)", *span)
        else:
            ctx.report(rule, f"{spec.ENTRIES}[{i}]: '{shown}/{name}' {verdict}", *span)


def _entry_problems(folder: str, root_text: str, dir_text: str) -> tuple:
    """What is wrong with an entry's config folder: ``(rule, file name or None, verdict)``."""
    config_dir = os.path.join(folder, root_text, dir_text)
    prefix = config_dir if config_dir.endswith(os.sep) else config_dir + os.sep
    out: list[tuple[Rule, str | None, str | None]] = []
    missing = []
    for name in REQUIRED + OPTIONAL:
        verdict = _config_verdict(prefix + name)
        if verdict == "missing":
            if name in REQUIRED:
                missing.append(name)
        elif verdict is not None:
            out.append((AL402, name, verdict))
    if len(missing) == len(REQUIRED) and not files.is_dir(config_dir):
        return ((AL401, None, None),)
    out.extend((AL401, name, None) for name in missing)
    return tuple(out)


def _config_verdict(path: str) -> str | None:
    """None when the file is a YAML mapping; "missing"; or what is wrong with it."""
    text, why = files.read_small(path)  # one open per file: this runs for every entry
    if text is None:
        return "missing" if why == "missing" else "cannot be read (or is over 4 MiB)"
    return mapping_problem(text)


def _template(ctx: Context, entry: Mapping, i: int, repo_root: str | None) -> None:
    pair = lookup(entry, _TEMPLATE)
    template = deref(pair[1]) if pair else None
    if type(template) is not Mapping:
        return
    path_pair = lookup(template, _PATH)
    sha_pair = lookup(template, _SHA)
    if path_pair is None or sha_pair is None:
        return
    path_text = string_value(path_pair[1])
    sha = string_value(sha_pair[1])
    if not path_text or not path_text.strip() or not sha or not _SHA_PATTERN.match(sha.strip()):
        return
    path = path_text.strip()
    base = "" if os.path.isabs(path) else repo_root
    if base is None:
        return
    actual = files.cached_fact(
        "sha256",
        (base, path),
        lambda: files.sha256_of(os.path.join(base, path) if base else path),
    )
    if actual is None or actual == sha.strip():
        return
    ctx.report(
        AL403,
        f"{keypath.dotted(keypath.concrete(keypath.parse(spec.TEMPLATE_SHA256), i))} does not match '{path_text.strip()}' "
        f"(the file hashes to {actual[:12]}…): the fixture is stale; regenerate it",
        *value_span(*sha_pair),
    )
