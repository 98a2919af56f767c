"""Configuration: ``[tool.artifact-lsp]`` in ``pyproject.toml`` or ``.artifact-lsp.toml``.

The folder holding the config file is the repository root for path resolution (template
paths, matrix manifest paths). Without one, the nearest folder with ``.git`` is the root.
Every mistake in a config file is a ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from . import keypath, spec
from .model import SEVERITY_NAMES, Severity, docs_link
from .rules import RULES  # the rules never import the config (only its type): no cycle

CONFIG_FILENAMES = (".artifact-lsp.toml", "pyproject.toml")
CONFIG_MARKERS = frozenset((*CONFIG_FILENAMES, ".git"))  # what ends the walk up to a config
DEFAULT_INCLUDE = ("**/artifact.yml", "**/artifact.json", "**/test_matrix.yaml")
ALWAYS_SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".hg", ".svn", ".artifact-lsp"})
DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024


class ConfigError(Exception):
    """A config file (or setting) that cannot be used; the message names file and key."""


@dataclass(frozen=True)
class Config:
    root: Path | None = None  # the repository root (folder of the config file)
    source: Path | None = None  # the config file this came from
    select: tuple[str, ...] = ("AL",)
    ignore: tuple[str, ...] = ()
    severity: dict = field(default_factory=dict)  # code -> Severity
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = DEFAULT_INCLUDE
    extra_legacy_keys: dict = field(default_factory=dict)  # "artifacts[].x" -> replacement
    extra_matrix_legacy_keys: dict = field(default_factory=dict)  # "matrix[].x" -> replacement
    extra_forbidden_path_segments: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    regenerate: dict = field(default_factory=dict)  # checked by artifact_lsp.regen
    docs_url: str | None = None  # a template with {code}/{anchor}; None: the shipped rules.md
    # code -> bool, per config (a hot path); not settings: no init, repr or comparison
    _enabled: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ rule selection
    def enabled(self, code: str) -> bool:
        hit = self._enabled.get(code)
        if hit is None:
            sel = _longest_prefix(code, self.select)
            ign = _longest_prefix(code, self.ignore)
            hit = sel >= 0 and (ign < sel or ign < 0)
            self._enabled[code] = hit
        return hit

    def rule_url(self, rule) -> str:
        """The docs link of ``rule`` under this config (``docs-url``, else the shipped file)."""
        return rule.url if self.docs_url is None else docs_link(self.docs_url, rule.code)

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    @property
    def forbidden_segments(self) -> tuple[str, ...]:
        return spec.FORBIDDEN_SEGMENTS + tuple(
            s for s in self.extra_forbidden_path_segments if s not in spec.FORBIDDEN_SEGMENTS
        )

    # ------------------------------------------------------------------ paths
    def relpath(self, path: Path) -> str:
        base = self.root or Path.cwd()
        # lexically first: a symlinked manifest keeps its own place (and a symlink loop,
        # which cannot be resolved, is still a path in the tree)
        absolute, folder = os.path.abspath(path), os.path.abspath(base)
        if absolute.startswith(folder.rstrip(os.sep) + os.sep):
            return PurePosixPath(*Path(absolute[len(folder.rstrip(os.sep)) + 1 :]).parts).as_posix()
        try:
            return PurePosixPath(Path(path).resolve().relative_to(base.resolve())).as_posix()
        except (ValueError, RuntimeError, OSError):
            return Path(path).as_posix()

    def is_excluded(self, path: Path) -> bool:
        if not self.exclude:
            return False
        rel = self.relpath(path)
        # "vendor/**" excludes the folder itself too, so the walk never enters it
        return any(_glob_match(rel, pattern) or _glob_match(rel + "/", pattern) for pattern in self.exclude)

    def is_included(self, path: Path) -> bool:
        rel = self.relpath(path)
        return any(_glob_match(rel, pattern) for pattern in self.include)

    def merged(self, settings: dict, origin: str = "settings") -> Config:
        """This config with ``settings`` (same keys as the file) laid over it."""
        values = _validate(settings, origin, base_select=self.select)
        return replace(self, **values)


def _longest_prefix(code: str, prefixes) -> int:
    """How specific the most specific prefix matching ``code`` is (-1: none matches).

    ``ALL`` is as specific as ``AL`` (every code starts with it), so ``ignore = ["ALL"]``
    silences the default selection while ``ignore = ["ALL"]`` + ``select = ["AL104"]``
    keeps AL104.
    """
    best = -1
    for p in prefixes:
        if p == "ALL":
            best = max(best, 2)
        elif code.startswith(p):
            best = max(best, len(p))
    return best


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.strip("/")
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:]):
        return True
    # a pattern naming a folder excludes everything below it
    parts = rel.split("/")
    for i in range(1, len(parts)):
        prefix = "/".join(parts[:i])
        if fnmatch.fnmatchcase(prefix, pattern) or (
            pattern.startswith("**/") and fnmatch.fnmatchcase(parts[i - 1], pattern[3:])
        ):
            return True
    return False


# --------------------------------------------------------------------------- loading

_KEYS = {
    "select": "list of rule codes or prefixes",
    "ignore": "list of rule codes or prefixes",
    "extend-select": "list of rule codes or prefixes",
    "severity": "table of rule code = error|warning|info|hint",
    "exclude": "list of glob patterns",
    "include": "list of glob patterns",
    "extra-legacy-keys": f'table of "{spec.ENTRIES}[].key" = "what replaced it"',
    "extra-matrix-legacy-keys": f'table of "{spec.MATRIX_ENTRIES}[].key" = "what replaced it"',
    "extra-forbidden-path-segments": "list of folder names",
    "max-file-size": "integer (bytes)",
    "regenerate": "table: script, args, env, timeout, fixtures, timestamps, producer, environments (see `artifact-lsp regenerate --help`)",
    "docs-url": 'string: the rule docs link, with {code} (AL101) or {anchor} (al101), e.g. "https://example.com/rules.md#{anchor}"',
}


def _fail(origin: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{origin}: {key}: {problem}")


def _str_list(origin, key, value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(origin, key, f"expected {_KEYS[key]}, got {value!r}")
    return tuple(value)


def _codes(origin, key, value) -> tuple[str, ...]:
    codes = _str_list(origin, key, value)
    for code in codes:
        if code == "ALL":
            continue
        if not any(c.startswith(code) for c in RULES):
            import difflib

            hint = difflib.get_close_matches(code, list(RULES), n=1)
            extra = f" (did you mean {hint[0]}?)" if hint else ""
            raise _fail(origin, key, f"unknown rule code or prefix {code!r}{extra}")
    return codes


def _legacy_table(origin, key, value) -> dict:
    if not isinstance(value, dict):
        raise _fail(origin, key, f"expected {_KEYS[key]}, got {value!r}")
    out = {}
    for path, replacement in value.items():
        if not keypath.is_valid(path):
            raise _fail(origin, f"{key}.{path!r}", f"expected a key path like '{spec.ENTRIES}[].name' or 'name'")
        if not isinstance(replacement, str):
            raise _fail(origin, f"{key}.{path!r}", "expected a string: what replaced the key")
        out[path] = replacement
    return out


def _validate(data: dict, origin: str, base_select: tuple[str, ...] = ("AL",)) -> dict:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a table of settings, got {data!r}")
    values: dict = {}
    extend: tuple[str, ...] = ()
    for key, value in data.items():
        if key not in _KEYS:
            import difflib

            hint = difflib.get_close_matches(key, list(_KEYS), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise _fail(origin, key, f"unknown setting{extra}")
        if key == "select":
            values["select"] = _codes(origin, key, value)
        elif key == "extend-select":
            extend = _codes(origin, key, value)  # applied after the loop: key order must not matter
        elif key == "ignore":
            values["ignore"] = _codes(origin, key, value)
        elif key == "severity":
            if not isinstance(value, dict):
                raise _fail(origin, key, f"expected {_KEYS[key]}, got {value!r}")
            sev = {}
            for code, name in value.items():
                _codes(origin, f"severity.{code}", [code])
                if not isinstance(name, str) or name.lower() not in (*SEVERITY_NAMES, "warn", "information"):
                    raise _fail(
                        origin, f"severity.{code}", f"expected one of {', '.join(SEVERITY_NAMES)}, got {name!r}"
                    )
            # shorter prefixes first: a code (or longer prefix) wins whatever the key order
            prefixes = [("" if code == "ALL" else code, name) for code, name in value.items()]
            for prefix, name in sorted(prefixes, key=lambda item: len(item[0])):
                for rule_code in RULES:
                    if rule_code.startswith(prefix):
                        sev[rule_code] = Severity.parse(name)
            values["severity"] = sev
        elif key in ("exclude", "include", "extra-forbidden-path-segments"):
            items = _str_list(origin, key, value)
            if key == "extra-forbidden-path-segments":
                for seg in items:
                    if not seg or "/" in seg or "\\" in seg:
                        raise _fail(origin, key, f"a path segment is one folder name, got {seg!r}")
            values[key.replace("-", "_")] = items
        elif key in ("extra-legacy-keys", "extra-matrix-legacy-keys"):
            values[key.replace("-", "_")] = _legacy_table(origin, key, value)
        elif key == "max-file-size":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise _fail(origin, key, f"expected {_KEYS[key]} > 0, got {value!r}")
            values["max_file_size"] = value
        elif key == "docs-url":
            if not isinstance(value, str) or not value.strip():
                raise _fail(origin, key, f"expected {_KEYS[key]}, got {value!r}")
            if "{code}" not in value and "{anchor}" not in value:
                raise _fail(origin, key, f"expected {{code}} or {{anchor}} in the link, got {value!r}")
            values["docs_url"] = value.strip()
        elif key == "regenerate":
            allowed = {
                "script",
                "args",
                "env",
                "timeout",
                "fixtures",
                "targetsAsArgs",
                "targets-as-args",
                "timestamps",
                "producer",
                "environments",
            }
            if not isinstance(value, dict):
                raise _fail(origin, key, f"expected {_KEYS[key]}, got {value!r}")
            for sub in value:
                if sub not in allowed:
                    raise _fail(origin, f"{key}.{sub}", f"unknown setting (known: {', '.join(sorted(allowed))})")
            values["regenerate"] = {("targetsAsArgs" if k == "targets-as-args" else k): v for k, v in value.items()}
    if extend:
        values["select"] = values.get("select", base_select) + extend
    return values


def read_config_file(path: Path) -> dict | None:
    """The settings table of one config file, or None when a pyproject has no section."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "artifact-lsp" not in tool:
            return None
        return tool["artifact-lsp"]
    return data


def find_config_file(start: Path) -> tuple[Path | None, dict | None]:
    """Walk up from ``start`` to the first config file with settings for us."""
    start = Path(start).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        for name in CONFIG_FILENAMES:
            path = candidate / name
            if path.is_file():
                data = read_config_file(path)
                if data is not None:
                    return path, data
        if (candidate / ".git").exists():
            return None, None
    return None, None


def find_repo_root(start: Path) -> Path | None:
    start = Path(start).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


class ConfigCache:
    """Finds the config for many files at once: one walk up per folder, memoised.

    A folder walk can tell it what each folder holds (``note_folder``), so that finding the
    config of the files in it asks the disk nothing.
    """

    def __init__(self, base: Config | None = None):
        self._by_folder: dict[str, Config] = {}
        self._bare: set[str] = set()  # folders known to hold no config file and no .git
        self.base = base

    def note_folder(self, folder: str, markers) -> None:
        """What a walk saw in ``folder``: the ``CONFIG_MARKERS`` names in it."""
        if not markers:
            self._bare.add(os.path.abspath(folder) if not os.path.isabs(folder) else folder)

    def for_path(self, path) -> Config:
        folder = os.path.dirname(os.path.abspath(path))
        hit = self._by_folder.get(folder)
        if hit is not None:
            return hit
        chain = []
        current = folder
        config = None
        while True:
            hit = self._by_folder.get(current)
            if hit is not None:
                config = hit
                break
            chain.append(current)
            config = None if current in self._bare else self._at(current)
            if config is not None:
                break
            parent = os.path.dirname(current)
            if parent == current:
                config = Config()
                break
            current = parent
        for item in chain:
            self._by_folder[item] = config
        return config

    def _at(self, folder: str) -> Config | None:
        for name in CONFIG_FILENAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                data = read_config_file(Path(candidate))
                if data is not None:
                    origin = _origin(Path(candidate))
                    return Config(root=Path(folder), source=Path(candidate), **_validate(data, origin))
        if os.path.exists(os.path.join(folder, ".git")):
            return Config(root=Path(folder))
        return None


class OverlaidConfigs:
    """Configs with one overlay of settings laid over each (the command line's options, an
    editor's ``artifactLsp`` settings), merged once per config: the CLI and the language
    server share it.

    ``overlay`` is a dict of settings (same keys as the file) or a function of the config
    giving one (``--extend-exclude`` extends each config's own ``exclude``). A bad overlay
    raises ``ConfigError``, or, with ``on_error``, is reported there and the config is used as
    it is. ``clear()`` forgets every merge (the overlay changed).
    """

    def __init__(self, overlay, origin: str, on_error=None):
        self.overlay = overlay
        self.origin = origin
        self.on_error = on_error
        self._merged: dict[int, tuple[Config, Config]] = {}  # id(config) -> (config, merged)

    def of(self, config: Config) -> Config:
        hit = self._merged.get(id(config))
        if hit is not None and hit[0] is config:
            return hit[1]
        values = self.overlay(config) if callable(self.overlay) else self.overlay
        merged = config
        if values:
            try:
                merged = config.merged(values, self.origin)
            except ConfigError as exc:
                if self.on_error is None:
                    raise
                self.on_error(str(exc))
        self._merged[id(config)] = (config, merged)
        return merged

    def clear(self) -> None:
        self._merged.clear()


def load_config(start: Path, overrides: dict | None = None) -> Config:
    """The config that applies to ``start`` (a file or folder)."""
    path, data = find_config_file(start)
    if path is not None and data is not None:  # (find_config_file returns both or neither)
        values = _validate(data, _origin(path))
        config = Config(root=path.parent, source=path, **values)
    else:
        config = Config(root=find_repo_root(start))
    if overrides:
        config = config.merged(overrides)
    return config


def load_config_from(path: Path) -> Config:
    """Load one named config file (``--config``)."""
    path = Path(path)
    data = read_config_file(path)
    if data is None:
        raise ConfigError(f"{path}: no [tool.artifact-lsp] section")
    return Config(root=path.resolve().parent, source=path, **_validate(data, _origin(path)))


def _origin(path: Path) -> str:
    """How errors name a config file: ``pyproject.toml [tool.artifact-lsp]`` or the file."""
    return f"{path} [tool.artifact-lsp]" if path.name == "pyproject.toml" else str(path)
