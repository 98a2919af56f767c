"""The regenerate settings: the config file's ``[regenerate]`` table with the command line's
options or the editor's settings laid over it (``resolve``, used by the CLI and the language
server alike), validated into ``Settings``, and what they resolve to: the script to run, or the
producer and its environments (``plan``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.config import load_config

DEFAULT_SCRIPT = "e2e/scripts/regenerate_artifacts.sh"
DEFAULT_FIXTURES = ("e2e/artifacts",)
DEFAULT_TIMEOUT = 900.0
PRODUCER_VARS = ("ARTIFACT_PRODUCER_CMD", "ESB_CMD")  # what the script read, in this order
TIMESTAMP_POLICIES = ("restore", "keep")


class Refused(Exception):
    """The run cannot start; the message says what to configure or do."""


@dataclass
class Environment:
    """One environment the producer is driven for when there is no script."""

    name: str
    mode: str
    template: str
    project: str
    output: str | None = None  # default <first fixture folder>/<name>
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # --image-uri fn=URI
    runtimes: dict[str, str] = field(default_factory=dict)  # --image-runtime fn=RT


@dataclass
class Settings:
    script: str = DEFAULT_SCRIPT
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    fixtures: list[str] = field(default_factory=lambda: list(DEFAULT_FIXTURES))
    targets_as_args: bool = True  # pass the environments to limit to as extra arguments
    timestamps: str = "restore"  # "restore": put back stamp-only manifests; "keep"
    producer: list[str] | None = None  # the producer command, without a script
    environments: list[Environment] = field(default_factory=list)
    script_set: bool = False  # the script was configured (not the default)

    @classmethod
    def from_dict(cls, raw: dict | None) -> Settings:
        raw = raw or {}
        out = cls()
        if "script" in raw:
            if not isinstance(raw["script"], str) or not raw["script"].strip():
                raise Refused("regenerate.script must be a path (from the workspace root) to the script")
            out.script = raw["script"]
            out.script_set = True
        if "args" in raw:
            if not isinstance(raw["args"], list) or not all(isinstance(a, str) for a in raw["args"]):
                raise Refused("regenerate.args must be a list of strings")
            out.args = list(raw["args"])
        if "env" in raw:
            out.env = _str_map(raw["env"], "regenerate.env must map variable names to strings")
        if "timeout" in raw:
            if not isinstance(raw["timeout"], (int, float)) or isinstance(raw["timeout"], bool) or raw["timeout"] <= 0:
                raise Refused("regenerate.timeout must be a number of seconds > 0")
            out.timeout = float(raw["timeout"])
        if "fixtures" in raw:
            if not isinstance(raw["fixtures"], list) or not all(
                isinstance(a, str) and a.strip() for a in raw["fixtures"]
            ):
                raise Refused("regenerate.fixtures must be a list of folders (from the workspace root)")
            out.fixtures = list(raw["fixtures"])
        if "targetsAsArgs" in raw:
            out.targets_as_args = bool(raw["targetsAsArgs"])
        if "timestamps" in raw:
            if raw["timestamps"] not in TIMESTAMP_POLICIES:
                raise Refused('regenerate.timestamps must be "restore" (the default) or "keep"')
            out.timestamps = raw["timestamps"]
        if "producer" in raw and raw["producer"] is not None:
            value = raw["producer"]
            if not isinstance(value, list) or not value or not all(isinstance(a, str) and a for a in value):
                raise Refused(
                    'regenerate.producer must be the producer command as a list, e.g. ["esb", "artifact", "generate"]'
                )
            out.producer = list(value)
        if "environments" in raw and raw["environments"] is not None:
            out.environments = _environments(raw["environments"])
        return out


def _str_map(value, message: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise Refused(message)
    return dict(value)


def _environments(raw) -> list[Environment]:
    """``{name: {mode, template, project, ...}}`` (a TOML table of tables), or a list of
    tables with a ``name``."""
    if isinstance(raw, dict):
        items = [(name, table) for name, table in raw.items()]
    elif isinstance(raw, list):
        items = [(t.get("name") if isinstance(t, dict) else None, t) for t in raw]
    else:
        raise Refused("regenerate.environments must be a table of environments (name = {mode, template, project})")
    out = []
    for name, table in items:
        where = f"regenerate.environments.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
            raise Refused(f"regenerate.environments: {name!r} is not an environment name (letters, digits, . _ -)")
        if not isinstance(table, dict):
            raise Refused(f"{where} must be a table (mode, template, project)")
        known = {"name", "mode", "template", "project", "output", "args", "env", "images", "runtimes"}
        for key in table:
            if key not in known:
                raise Refused(f"{where}.{key}: unknown setting (known: {', '.join(sorted(known - {'name'}))})")
        for key in ("mode", "template", "project"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise Refused(f"{where}.{key} must be a non-blank string")
        output = table.get("output")
        if output is not None and (not isinstance(output, str) or not output.strip()):
            raise Refused(f"{where}.output must be a folder (from the workspace root)")
        args = table.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise Refused(f"{where}.args must be a list of strings")
        out.append(
            Environment(
                name=name,
                mode=table["mode"],
                template=table["template"],
                project=table["project"],
                output=output,
                args=list(args),
                env=_str_map(table.get("env", {}), f"{where}.env must map variable names to strings"),
                images=_str_map(table.get("images", {}), f"{where}.images must map function names to image URIs"),
                runtimes=_str_map(table.get("runtimes", {}), f"{where}.runtimes must map function names to runtimes"),
            )
        )
    return out


def resolve(root: Path, overlay: dict | None = None) -> Settings:
    """The regenerate settings of the workspace at ``root``: its config file's ``[regenerate]``
    table with ``overlay`` (the command line's options, or the editor's
    ``artifactLsp.regenerate`` settings) laid over it key by key, validated. ``None`` values in
    the overlay are unset; ``env`` is merged per variable (an overlay's ``ESB_CMD`` does not
    drop the repository's ``ARTIFACT_PRODUCER_CMD``). Reads the config file: call it off the
    event loop. Raises ``Refused`` (bad settings) or ``ConfigError`` (a bad config file)."""
    raw = dict(load_config(root / "_").regenerate)
    if overlay:
        overlay = {k: v for k, v in overlay.items() if v is not None}
        if isinstance(overlay.get("env"), dict) and isinstance(raw.get("env"), dict):
            overlay["env"] = {**raw["env"], **overlay["env"]}
        raw.update(overlay)
    return Settings.from_dict(raw)


# --------------------------------------------------------------------------- checks


def _inside(root: Path, path: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


HOW_TO_CONFIGURE = (
    "set regenerate.script (artifactLsp.regenerate.script) to your repository's script, or let artifact-lsp "
    'drive the producer itself: regenerate.producer = ["esb", "artifact", "generate"] (or ESB_CMD / '
    "ARTIFACT_PRODUCER_CMD in regenerate.env) and one regenerate.environments.<env> = {mode, template, project} "
    "per fixture folder (README: Regenerating without a script)"
)


def resolve_script(root: Path, settings: Settings) -> Path:
    """The script to run, checked: inside the workspace (symlinks resolved), a regular file,
    executable. Anything else is refused with what to configure."""
    root = root.resolve()
    raw = Path(settings.script)
    candidate = raw if raw.is_absolute() else root / raw
    real = Path(os.path.realpath(candidate))
    if not _inside(root, real):
        raise Refused(
            f"the regenerate script must be inside the workspace ({root}); {settings.script!r} resolves to {real}. "
            "Set artifactLsp.regenerate.script to a path inside the workspace."
        )
    if not real.exists():
        raise Refused(
            f"no regenerate script at {real.relative_to(root)} (default {DEFAULT_SCRIPT}): {HOW_TO_CONFIGURE}"
        )
    if not real.is_file():
        raise Refused(
            f"the regenerate script {real.relative_to(root)} is not a regular file: "
            "set artifactLsp.regenerate.script to the script itself"
        )
    if not os.access(real, os.X_OK):
        raise Refused(f"the regenerate script {real.relative_to(root)} is not executable: chmod +x it")
    return real


def fixture_folders(root: Path, settings: Settings) -> list[Path]:
    root = root.resolve()
    out = []
    for rel in settings.fixtures:
        path = Path(os.path.realpath(root / rel))
        if not _inside(root, path) or path == root:
            raise Refused(
                f"fixture folder {rel!r} must be a folder inside the workspace (artifactLsp.regenerate.fixtures)"
            )
        out.append(path)
    return out


def producer_command(settings: Settings) -> list[str] | None:
    """The producer's argv prefix: ``regenerate.producer``, else ``ARTIFACT_PRODUCER_CMD`` or
    ``ESB_CMD`` (from ``regenerate.env``, then the environment) split on whitespace as the
    script did, followed by ``artifact generate``."""
    if settings.producer:
        return list(settings.producer)
    for source in (settings.env, os.environ):
        for var in PRODUCER_VARS:
            value = source.get(var, "")
            if value.split():
                return [*value.split(), "artifact", "generate"]
    return None


@dataclass
class Job:
    """What a run executes: the script, or the producer once per environment."""

    kind: str  # "script" | "producer"
    label: str
    script: Path | None = None
    producer: list[str] | None = None
    environments: list[Environment] = field(default_factory=list)


def plan(root: Path, settings: Settings, targets: list[str] | None = None) -> Job:
    """Script or producer, checked; raises Refused with what to configure."""
    root = root.resolve()
    if settings.script_set or not settings.environments:
        script = resolve_script(root, settings)
        return Job("script", script.name, script=script)
    producer = producer_command(settings)
    if producer is None:
        raise Refused(
            "regenerate.environments is configured but no producer command: set regenerate.producer "
            '(e.g. ["esb", "artifact", "generate"]) or ESB_CMD / ARTIFACT_PRODUCER_CMD in regenerate.env'
        )
    envs = settings.environments
    if targets:
        known = {e.name: e for e in envs}
        unknown = [t for t in targets if t not in known]
        if unknown:
            raise Refused(f"unknown environment {', '.join(unknown)} (configured: {', '.join(known)})")
        envs = [known[t] for t in dict.fromkeys(targets)]
    folders = fixture_folders(root, settings)
    for env in envs:
        out = Path(os.path.realpath(root / output_of(env, settings)))
        if not any(_inside(f, out) and out != f for f in folders):
            raise Refused(
                f"the output of environment {env.name} ({output_of(env, settings)}) must be a folder inside "
                "a fixture folder (regenerate.fixtures), so that it is snapshotted"
            )
    return Job("producer", Path(producer[0]).name, producer=producer, environments=list(envs))


def output_of(env: Environment, settings: Settings) -> str:
    return env.output or f"{settings.fixtures[0].rstrip('/')}/{env.name}"
