"""What an entry needs on disk: its config files, and a template whose hash still matches."""

from __future__ import annotations

from pathlib import Path

from .. import files
from ..model import Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence, deref, parse
from .base import Context, string_value, value_span
from .shape import SHA256, lookup, relative_path_problem

_M = ("manifest", "json")

AL401 = Rule(
    "AL401", "missing-config-file", Severity.ERROR,
    "`functions.yml` or `routing.yml` is missing under `<artifact_root>/<runtime_config_dir>/`.",
    "Every entry needs `functions.yml` and `routing.yml` (and may have `resources.yml`) in its "
    "runtime config folder: `artifact_root` resolves from the manifest's folder (or is absolute), "
    "`runtime_config_dir` from the artifact root.", files=_M,
)
AL402 = Rule(
    "AL402", "invalid-config-file", Severity.ERROR,
    "`functions.yml`, `routing.yml` or `resources.yml` does not parse to a mapping.",
    "The applier reads each runtime config file as a YAML mapping; an empty file, a list or a "
    "syntax error breaks the deploy.", files=_M,
)
AL403 = Rule(
    "AL403", "stale-source-template", Severity.INFO,
    "`source_template.sha256` differs from the template file it names: the fixture is stale.",
    "`sha256` is the plain sha256 of the file at `source_template.path` (relative paths resolve from "
    "the repository root: the folder of `.artifact-lsp.toml` / `pyproject.toml`, else of `.git`). When "
    "they differ the template changed after the fixture was produced: regenerate it.", files=_M,
)

RULES = (AL401, AL402, AL403)

REQUIRED = ("functions.yml", "routing.yml")
OPTIONAL = ("resources.yml",)


def check(ctx: Context) -> None:
    folder = ctx.folder
    root = ctx.root
    if folder is None or type(root) is not Mapping:
        return
    pair = lookup(root, "artifacts")
    artifacts = deref(pair[1]) if pair else None
    if type(artifacts) is not Sequence:
        return
    for i, item in enumerate(artifacts.items):
        entry = deref(item)
        if type(entry) is Mapping:
            _config_files(ctx, folder, entry, i)
            _template(ctx, entry, i)


def _config_files(ctx: Context, folder: Path, entry: Mapping, i: int) -> None:
    root_pair = lookup(entry, "artifact_root")
    dir_pair = lookup(entry, "runtime_config_dir")
    if root_pair is None or dir_pair is None:
        return
    root_text = string_value(root_pair[1])
    dir_text = string_value(dir_pair[1])
    if not root_text or not root_text.strip() or not dir_text or relative_path_problem(dir_text):
        return
    base = Path(root_text.strip())
    if not base.is_absolute():
        base = folder / base
    config_dir = base / dir_text.strip()
    shown = f"{root_text.strip().rstrip('/')}/{dir_text.strip().rstrip('/')}"
    span = value_span(*dir_pair)
    if not files.is_dir(config_dir):
        ctx.report(
            AL401,
            f"artifacts[{i}]: config folder '{shown}' does not exist (it must hold {' and '.join(REQUIRED)})",
            *span,
        )
        return
    for name in REQUIRED + OPTIONAL:
        path = config_dir / name
        if files.regular_file(path) is None:
            if name in REQUIRED:
                ctx.report(AL401, f"artifacts[{i}]: '{shown}/{name}' is missing (required)", *span)
            continue
        problem = _config_problem(path)
        if problem:
            ctx.report(AL402, f"artifacts[{i}]: '{shown}/{name}' {problem}", *span)


def _config_problem(path: Path) -> str | None:
    text = files.read_small_text(path)
    if text is None:
        return "cannot be read (or is larger than 4 MiB)"
    parsed = parse(text)
    if parsed.fatal:
        return f"is not valid YAML: {parsed.problems[0].message}"
    if type(deref(parsed.root)) is not Mapping:
        return "must parse to a mapping"
    return None


def _template(ctx: Context, entry: Mapping, i: int) -> None:
    pair = lookup(entry, "source_template")
    template = deref(pair[1]) if pair else None
    if type(template) is not Mapping:
        return
    path_pair = lookup(template, "path")
    sha_pair = lookup(template, "sha256")
    if path_pair is None or sha_pair is None:
        return
    path_text = string_value(path_pair[1])
    sha = string_value(sha_pair[1])
    if not path_text or not path_text.strip() or not sha or not SHA256.match(sha.strip()):
        return
    path = Path(path_text.strip())
    if not path.is_absolute():
        base = ctx.repo_root
        if base is None:
            return
        path = base / path
    actual = files.sha256_of(path)
    if actual is None or actual == sha.strip():
        return
    ctx.report(
        AL403,
        f"artifacts[{i}].source_template.sha256 does not match '{path_text.strip()}' "
        f"(the file hashes to {actual[:12]}…): the fixture is stale; regenerate it",
        *value_span(*sha_pair),
    )
