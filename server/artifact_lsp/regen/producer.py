"""What a run executes (``_produce``): the repository's script, or, without one, the producer
driven once per environment, doing what the script did (wipe the output folder, check the
manifest it wrote, drop the runtime-base folder)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..engine import keypath, spec
from .process import MARKER_VAR, _execute
from .settings import Environment, Job, Settings, _inside, fixture_folders, output_of
from .snapshot import _remove


def _wipe(root: Path, rel: str) -> None:
    path = root / rel
    if path.is_symlink() or path.exists():
        _remove(path)
    path.mkdir(parents=True)


def _leaf(path: str) -> str:
    return keypath.parse(path)[-1]


# the key names the script's check read, from the contract spec
_ENTRIES = spec.ENTRIES
_ROOT = _leaf(spec.ARTIFACT_ROOT)
_TEMPLATE = _leaf(spec.SOURCE_TEMPLATE)
_TEMPLATE_PATH, _TEMPLATE_SHA = _leaf(spec.TEMPLATE_PATH), _leaf(spec.TEMPLATE_SHA256)
_ENTRY_ID = next(_leaf(row.path) for entry in spec.REMOVED if entry.code == "AL104" for row in entry.keys)


def check_manifest(path: Path, mode: str) -> str | None:
    """What the script's ``validate_manifest_contract`` rejected, or None."""
    try:
        data = yaml.safe_load(path.read_bytes())
    except FileNotFoundError:
        return f"no manifest at {path.name}"
    except (OSError, yaml.YAMLError) as exc:
        return f"does not parse: {str(exc).splitlines()[0]}"
    if not isinstance(data, dict):
        return "is not a mapping"
    if str(data.get(spec.MODE, "")).strip('"') != mode:
        return f"has {spec.MODE} {data.get(spec.MODE)!r}, expected {mode!r}"
    entries = data.get(_ENTRIES)
    if not isinstance(entries, list) or not entries:
        return f"has no {_ENTRIES}"
    for i, entry in enumerate(entries):
        where = f"{_ENTRIES}[{i}]"
        if not isinstance(entry, dict):
            return f"{where} is not a mapping"
        if _ENTRY_ID in entry:
            return f"{where}.{_ENTRY_ID} must not exist"
        source = entry.get(_TEMPLATE)
        if source is None:
            continue
        if not isinstance(source, dict):
            return f"{where}.{_TEMPLATE} must be a mapping"
        for key in (_TEMPLATE_PATH, _TEMPLATE_SHA):
            if key in source and (not isinstance(source[key], str) or not source[key].strip()):
                return f"{where}.{_TEMPLATE}.{key} must be a non-blank string"
        if _TEMPLATE_SHA in source and not re.fullmatch(spec.SHA256, source[_TEMPLATE_SHA]):
            return f"{where}.{_TEMPLATE}.{_TEMPLATE_SHA} must be 64 lowercase hex characters"
    return None


def _drop_runtime_base(root: Path, rel_output: str, folders: list[Path]) -> list[str]:
    """Delete every ``runtime-base/`` folder under the output and under each entry's
    ``artifact_root`` (when that is inside a fixture folder), as the script did."""
    out = root / rel_output
    gone = []
    candidates = []
    for current, dirs, _files in os.walk(out):
        for name in list(dirs):
            if name == "runtime-base":
                candidates.append(Path(current) / name)
                dirs.remove(name)
    with contextlib.suppress(OSError, yaml.YAMLError):
        data = yaml.safe_load((out / "artifact.yml").read_bytes())
        for entry in data.get(_ENTRIES) or []:
            if isinstance(entry, dict) and isinstance(entry.get(_ROOT), str):
                candidates.append(out / entry[_ROOT] / "runtime-base")
    for path in candidates:
        real = Path(os.path.realpath(path))
        if (path.is_dir() and not path.is_symlink()) and any(_inside(f, real) for f in folders):
            shutil.rmtree(path)
            gone.append(path.relative_to(root).as_posix() if _inside(root, path) else str(path))
    return gone


def producer_argv(job: Job, env: Environment, root: Path, settings: Settings) -> list[str]:
    """The producer call the script made: ``esb artifact generate --template T --env E --mode M
    --project P --output O --artifact O/artifact.yml [--image-uri fn=URI] [--image-runtime
    fn=RT] --force --no-save-defaults``, then the environment's own ``args``."""
    output = root / output_of(env, settings)
    template = Path(env.template) if os.path.isabs(env.template) else root / env.template
    assert job.producer is not None, "a producer job"  # plan() sets it for every producer job
    argv = [
        *job.producer,
        "--template", str(template),
        "--env", env.name,
        "--mode", env.mode,
        "--project", env.project,
        "--output", str(output),
        "--artifact", str(output / "artifact.yml"),
    ]  # fmt: skip
    for fn, uri in env.images.items():
        argv += ["--image-uri", f"{fn}={uri}"]
    for fn, runtime in env.runtimes.items():
        argv += ["--image-runtime", f"{fn}={runtime}"]
    return [*argv, "--force", "--no-save-defaults", *env.args]


@dataclass
class Produced:
    code: int | None
    tail: list[str]
    reason: str | None
    failure: str | None = None  # what failed, for the message ("the regenerate script failed ...")
    stopped: list[int] = field(default_factory=list)
    survivors: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reason is None and self.failure is None


async def _produce(
    job: Job, root: Path, settings: Settings, targets, reporter, cancel, on_start, marker: str
) -> Produced:
    """Run the job against ``root`` (the workspace, or a scratch copy of it)."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + settings.timeout
    base_env = {**os.environ, **settings.env, MARKER_VAR: marker}
    if job.kind == "script":
        argv = [str(job.script), *settings.args]
        if targets and settings.targets_as_args:
            argv.extend(targets)
        reporter.progress("running " + " ".join(Path(a).name if i == 0 else a for i, a in enumerate(argv)))
        res = await _execute(argv, root, base_env, deadline, reporter, cancel, on_start)
        failure = None if res.code == 0 else f"the regenerate script failed with exit code {res.code}"
        return Produced(
            res.code, res.tail, res.reason, failure if res.reason is None else None, res.stopped, res.survivors
        )
    folders = fixture_folders(root, settings)
    stopped: list[int] = []
    survivors: list[int] = []
    tail: list[str] = []
    code: int | None = 0
    for env in job.environments:
        if cancel is not None and cancel.is_set():
            return Produced(code, tail, "cancelled", None, stopped, survivors)
        rel_output = output_of(env, settings)
        reporter.progress(f"{env.name}: wiping {rel_output}")
        await loop.run_in_executor(None, _wipe, root, rel_output)
        argv = producer_argv(job, env, root, settings)
        reporter.progress(f"{env.name}: running " + " ".join([Path(argv[0]).name, *argv[1:]]))
        env_vars = {
            **base_env,
            "ENV_PREFIX": "ESB",
            "ESB_TAG": f"{env.name}-latest",
            **settings.env,
            **env.env,
            MARKER_VAR: marker,
        }
        try:
            res = await _execute(argv, root, env_vars, deadline, reporter, cancel, on_start)
        except OSError as exc:  # not found, not executable
            why = "was not found" if isinstance(exc, FileNotFoundError) else f"cannot run: {exc.strerror or exc}"
            return Produced(
                None,
                tail,
                None,
                f"the producer command {argv[0]!r} {why} (regenerate.producer / ESB_CMD)",
                stopped,
                survivors,
            )
        stopped += res.stopped
        survivors += res.survivors
        tail = res.tail or tail
        code = res.code
        if res.reason is not None:
            return Produced(res.code, tail, res.reason, None, stopped, survivors)
        if res.code != 0:
            return Produced(
                res.code,
                tail,
                None,
                f"the producer failed for {env.name} with exit code {res.code}",
                stopped,
                survivors,
            )
        problem = await loop.run_in_executor(None, check_manifest, root / rel_output / "artifact.yml", env.mode)
        if problem is not None:
            return Produced(
                res.code, tail, None, f"the manifest the producer wrote for {env.name} {problem}", stopped, survivors
            )
        gone = await loop.run_in_executor(None, _drop_runtime_base, root, rel_output, folders)
        for path in gone:
            reporter.output("stdout", f"artifact-lsp: removed {path}/ (runtime-base is outside the contract)")
    return Produced(code, tail, None, None, stopped, survivors)
