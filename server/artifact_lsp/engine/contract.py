"""The contract's key documentation: what every key is, for hovers and completions.

Plain data plus three lookups, all keyed by a *concrete* path of keys and list indexes, e.g.
``("artifacts", 0, "source_template", "sha256")``:

- ``describe(kind, path)``: a ``KeyInfo`` for a current-contract key, or for a legacy key at
  its contract position (built from the legacy tables, so the rule code and removal date are
  the linter's own), or for a key inside a legacy block; ``None`` for anything else.
- ``valid_keys(kind, path)``: the current-contract keys that may appear in the mapping at
  ``path`` (never a legacy key).
- ``value_choices(kind, path)``: ``(value, description)`` for keys with enumerable values.

``kind`` is ``"manifest"``, ``"json"`` (the legacy ``artifact.json``: same keys) or
``"matrix"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rules.legacy import MANIFEST_LEGACY, MATRIX_LEGACY, LegacyKey
from .rules.matrix import AL503
from .rules.shape import ENTRY_KEYS, GENERATOR_KEYS, MODES, TEMPLATE_KEYS, TOP_KEYS

__all__ = ["KeyInfo", "describe", "valid_keys", "value_choices"]

# pattern elements: a key (str), ``INDEX`` for any list index, ``NAME`` for any mapping key
INDEX = int
NAME = str


@dataclass(frozen=True)
class KeyInfo:
    key: str
    path: str  # pattern, e.g. "artifacts[].source_template.sha256" or "suites.<name>.targets"
    required: bool
    summary: str  # one line
    markdown: str  # the full hover text
    legacy: bool = False
    rule_code: str | None = None


def _render(pattern: tuple) -> str:
    out = ""
    for part in pattern:
        if part is INDEX:
            out += "[]"
        elif part is NAME:
            out += ".<name>" if out else "<name>"
        else:
            out += f".{part}" if out else part
    return out


def _parse(path: str) -> tuple:
    out: list = []
    for part in path.split("."):
        if part.endswith("[]"):
            out.extend((part[:-2], INDEX))
        elif part == "<name>":
            out.append(NAME)
        else:
            out.append(part)
    return tuple(out)


# --------------------------------------------------------------------------- current keys

# (path, required, type/format line, what it is (one line), more markdown, example yaml)
_MANIFEST_SPEC = (
    (
        "schema_version", True, 'string `"1"`',
        "The contract's major version.",
        'Must be the string `"1"` (the integer `1` is accepted too). Anything else is an '
        'unsupported major version and the deploy tool refuses the manifest (AL302).',
        'schema_version: "1"',
    ),
    (
        "project", True, "non-blank string",
        "The ESB project the manifest deploys.",
        "`null` or a blank string counts as missing (AL301).",
        "project: esb",
    ),
    (
        "env", True, "non-blank string",
        "The environment this manifest is for (one manifest per environment).",
        "`null` or a blank string counts as missing (AL301). The committed fixtures live under "
        "`e2e/artifacts/<env>/artifact.yml`.",
        "env: e2e-docker",
    ),
    (
        "mode", True, "`docker` or `containerd`",
        "The runtime mode of the environment.",
        "Only two modes exist: `docker` and `containerd`. `firecracker` is a containerd runtime, "
        "not a mode, so `mode: firecracker` is an error (AL304).",
        "mode: docker",
    ),
    (
        "artifacts", True, "list of at least one mapping",
        "The artifact entries; their order is the deploy and merge order.",
        "Each entry has `artifact_root`, `runtime_config_dir` and optionally `source_template`. "
        "Entries have no id: the position in the list identifies them (AL305 when empty).",
        "artifacts:\n  - artifact_root: entries/template-e2e-19477f40\n    runtime_config_dir: config",
    ),
    (
        "artifacts[].artifact_root", True, "non-blank path",
        "The folder holding this entry's generated output.",
        "Absolute, or relative to the manifest's folder (`..` is allowed). It must not point into "
        "`runtime-base/`, which is outside the contract since 2026-02-20.",
        "artifact_root: entries/template-e2e-19477f40",
    ),
    (
        "artifacts[].runtime_config_dir", True, "relative path inside `artifact_root`",
        "The folder, under `artifact_root`, holding the entry's runtime configuration.",
        "Relative to `artifact_root`: not absolute, not `.`, and after lexical normalisation it "
        "must not escape the root (`..`, `../x`, `a/../../x` all do; AL306). It must contain "
        "`functions.yml` and `routing.yml` (required) and may contain `resources.yml`.",
        "runtime_config_dir: config",
    ),
    (
        "artifacts[].source_template", False, "mapping of `path` and `sha256`",
        "The template this entry was generated from.",
        "Checked only when present (AL307): `path` not blank; `sha256` exactly 64 lowercase hex "
        "characters.",
        "source_template:\n  path: e2e/fixtures/template.e2e.yaml\n  sha256: f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b",
    ),
    (
        "artifacts[].source_template.path", False, "non-blank path",
        "The template file the entry was generated from.",
        "Must not be blank when present (AL307). Relative paths resolve from the repository root "
        "in the fixtures.",
        "path: e2e/fixtures/template.e2e.yaml",
    ),
    (
        "artifacts[].source_template.sha256", False, "64 lowercase hex characters",
        "The plain sha256 of the template file at `source_template.path`.",
        "Exactly 64 lowercase hex characters when present (AL307). When it differs from the "
        "template on disk, the fixture is stale and should be regenerated.",
        "sha256: f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b",
    ),
    (
        "generated_at", False, "RFC 3339 UTC time",
        "When the producer wrote this manifest (producer metadata).",
        "Every regeneration restamps it, so a regeneration with no real change still shows a "
        "diff (AL309 when unreadable).",
        'generated_at: "2026-02-27T18:28:02Z"',
    ),
    (
        "generator", False, "mapping of `name` and `version` strings",
        "The producer that wrote this manifest (producer metadata).",
        "Both values are strings (AL309 when not).",
        "generator:\n  name: esb\n  version: 997b036 (dirty)",
    ),
    (
        "generator.name", False, "string",
        "The producer's name.",
        "",
        "name: esb",
    ),
    (
        "generator.version", False, "string",
        "The producer's version.",
        "",
        "version: 997b036 (dirty)",
    ),
    (
        "merge_policy", False, "any",
        "Documented as recommended, never implemented by any reader.",
        "No deploy tool reads it; it has no effect.",
        "",
    ),
)

_MATRIX_SPEC = (
    (
        "matrix", True, "list of entry mappings",
        "The environments the E2E suites run on, one entry each.",
        "`matrix: [{env, artifact_manifest, suites, esb_project?, env_dir?, env_file?}]` (AL506).",
        "matrix:\n- env: e2e-docker\n  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n  suites:\n  - smoke",
    ),
    (
        "suites", False, "mapping of suite name to `{description, targets, exclude}`",
        "The test suites the entries can name.",
        "Every name in an entry's `suites` must be defined here (AL507).",
        "suites:\n  smoke:\n    description: Fast connectivity tests\n    targets:\n    - ../scenarios/smoke/\n    exclude: []",
    ),
    (
        "matrix[].env", True, "non-blank string",
        "The environment this entry runs.",
        "Renamed from `esb_env`; an entry without `env` is skipped by the runner (AL503).",
        "env: e2e-docker",
    ),
    (
        "matrix[].artifact_manifest", True, "path from the repository root",
        "The committed `artifact.yml` this entry deploys.",
        "Required and non-blank (AL504); the file must exist (AL505).",
        "artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml",
    ),
    (
        "matrix[].suites", True, "list of suite names",
        "The suites to run on this environment.",
        "Each name must be a key of the top-level `suites` mapping (AL507).",
        "suites:\n- smoke\n- standard",
    ),
    (
        "matrix[].esb_project", False, "string",
        "The ESB project name for this entry (optional).",
        "",
        "esb_project: esb",
    ),
    (
        "matrix[].env_dir", False, "string",
        "The environment folder for this entry (optional).",
        "",
        "env_dir: e2e-docker",
    ),
    (
        "matrix[].env_file", False, "string",
        "The env file for this entry (optional).",
        "",
        "env_file: .env.e2e",
    ),
    (
        "suites.<name>", False, "mapping of `description`, `targets`, `exclude`",
        "One test suite; entries name it in their `suites` list.",
        "",
        "smoke:\n  description: Fast connectivity tests\n  targets:\n  - ../scenarios/smoke/\n  exclude: []",
    ),
    (
        "suites.<name>.description", False, "string",
        "What the suite tests.",
        "",
        "description: Fast connectivity tests for all components",
    ),
    (
        "suites.<name>.targets", False, "list of paths",
        "The test files and folders the suite runs.",
        "",
        "targets:\n- ../scenarios/smoke/test_smoke.py",
    ),
    (
        "suites.<name>.exclude", False, "list of paths",
        "Tests left out of the suite.",
        "",
        "exclude: []",
    ),
)


def _current(spec) -> dict:
    out = {}
    for path, required, fmt, what, more, example in spec:
        pattern = _parse(path)
        key = pattern[-1] if pattern[-1] is not NAME else "<name>"
        status = "required" if required else "optional"
        parts = [f"**`{key}`** · {status} · {fmt}", "", what]
        if more:
            parts += ["", more]
        parts += ["", f"`{path}`"]
        if example:
            parts += ["", "```yaml", example, "```"]
        out[pattern] = KeyInfo(key, path, required, f"{what} ({status})", "\n".join(parts))
    return out


_CURRENT = {"manifest": _current(_MANIFEST_SPEC), "matrix": _current(_MATRIX_SPEC)}

# the mappings whose keys the contract defines, in contract order
_CONTAINERS = {
    "manifest": {
        (): TOP_KEYS,
        ("artifacts", INDEX): ENTRY_KEYS,
        ("artifacts", INDEX, "source_template"): TEMPLATE_KEYS,
        ("generator",): GENERATOR_KEYS,
    },
    "matrix": {
        (): ("matrix", "suites"),
        ("matrix", INDEX): ("env", "artifact_manifest", "suites", "esb_project", "env_dir", "env_file"),
        ("suites", NAME): ("description", "targets", "exclude"),
    },
}


# --------------------------------------------------------------------------- legacy keys

_MATRIX_REMOVED = "removed from the E2E matrix in the February 2026 realignment"

# keys inside legacy blocks that the legacy tables do not list one by one
_INSIDE = {
    "artifacts[].runtime_meta.runtime_hooks": "the runtime hooks the artifact was built against",
    "artifacts[].runtime_meta.runtime_hooks.api_version": "the runtime hooks API version",
    "artifacts[].runtime_meta.template_renderer": "the template renderer that produced the artifact",
    "artifacts[].runtime_meta.template_renderer.name": "the template renderer's name",
    "artifacts[].runtime_meta.template_renderer.api_version": "the template renderer's API version",
    "runtime_stack.api_version": "the stack API version the fixture was produced for",
    "runtime_stack.mode": "the stack mode the fixture was produced for",
    "runtime_stack.esb_version": "the ESB version the fixture was produced for",
}


def _removed(spec: LegacyKey, kind: str) -> str:
    if spec.removed:
        return f"removed {spec.removed}"
    return _MATRIX_REMOVED if kind == "matrix" else "removed from the contract"


def _legacy_info(spec: LegacyKey, kind: str, blocks: set) -> KeyInfo:
    rule = spec.rule
    pattern = _parse(spec.path)
    key = pattern[-1]
    removed = _removed(spec, kind)
    # the fix removes the outermost legacy block the key lives in (a digest: all of runtime_meta)
    outer = next((pattern[:n] for n in range(1, len(pattern)) if pattern[:n] in blocks), None)
    target = outer[-1] if outer else key
    if rule.code == "AL501":
        ending = "The E2E runner rejects the matrix while it is there: delete it"
    else:
        ending = "Readers ignore it silently, so it is dead contract data: delete it"
    if outer:
        ending += f" with the whole `{_render(outer)}` block"
    parts = [
        f"**Legacy** ({rule.code}): {removed} — `{spec.path}`, {spec.what}.",
        "",
        f"**Replaced by:** {spec.replaced_by}.",
        "",
        rule.docs,
        "",
        f"{ending} (quick fix *Remove legacy key '{target}'*). [{rule.code}]({rule.url})",
    ]
    summary = f"Legacy ({rule.code}): {spec.what}, {removed}; replaced by {spec.replaced_by}"
    return KeyInfo(key, spec.path, False, summary, "\n".join(parts), legacy=True, rule_code=rule.code)


def _renamed_info() -> KeyInfo:
    rule = AL503
    path = "matrix[].esb_env"
    parts = [
        f"**Legacy** ({rule.code}): renamed to `env`, {_MATRIX_REMOVED} — `{path}`.",
        "",
        "**Replaced by:** `env`.",
        "",
        rule.docs,
        "",
        f"[{rule.code}]({rule.url})",
    ]
    summary = f"Legacy ({rule.code}): renamed to env; an entry with only esb_env is skipped"
    return KeyInfo("esb_env", path, False, summary, "\n".join(parts), legacy=True, rule_code=rule.code)


def _legacy_table(specs, kind: str) -> dict:
    blocks = {_parse(spec.path) for spec in specs}
    return {_parse(spec.path): (spec, _legacy_info(spec, kind, blocks)) for spec in specs}


_LEGACY = {"manifest": _legacy_table(MANIFEST_LEGACY, "manifest"), "matrix": _legacy_table(MATRIX_LEGACY, "matrix")}
_RENAMED = {"matrix": {("matrix", INDEX, "esb_env"): _renamed_info()}}


def _inside_info(pattern: tuple, block: tuple, spec: LegacyKey | None, kind: str) -> KeyInfo:
    """A key inside the legacy block at ``block`` (``spec`` is that block's table entry)."""
    path = _render(pattern)
    block_path = _render(block)
    key = pattern[-1] if isinstance(pattern[-1], str) else "<name>"
    what = _INSIDE.get(path, "part of the legacy block")
    if spec is not None:
        code = spec.rule.code
        removed = _removed(spec, kind)
        url = spec.rule.url
        replaced = spec.replaced_by
    else:  # inside esb_env: a scalar normally, but be total
        code, removed, url, replaced = AL503.code, _MATRIX_REMOVED, AL503.url, "`env`"
    parts = [
        f"**Legacy** ({code}): {removed} — `{path}`, {what}.",
        "",
        f"It lives inside the legacy block `{block_path}`, which the contract no longer has; "
        f"readers ignore the whole block. **Replaced by:** {replaced}.",
        "",
        f"Delete the whole `{block[-1]}` block (quick fix *Remove legacy key '{block[-1]}'*). [{code}]({url})",
    ]
    summary = f"Legacy ({code}): {what}, inside {block_path} ({removed})"
    return KeyInfo(key, path, False, summary, "\n".join(parts), legacy=True, rule_code=code)


# --------------------------------------------------------------------------- lookups


def _table_kind(kind: str) -> str | None:
    if kind in ("manifest", "json"):
        return "manifest"
    if kind == "matrix":
        return "matrix"
    return None


def _pattern(path) -> tuple | None:
    out = []
    for part in path:
        if isinstance(part, bool):
            return None
        if isinstance(part, int):
            out.append(INDEX)
        elif isinstance(part, str):
            out.append(part)
        else:
            return None
    return tuple(out)


def _candidates(kind: str, pattern: tuple):
    """``pattern`` and, in the matrix, the same with the suite name generalised."""
    yield pattern
    if kind == "matrix" and len(pattern) >= 2 and pattern[0] == "suites" and isinstance(pattern[1], str):
        yield ("suites", NAME) + pattern[2:]


def describe(kind: str, path) -> KeyInfo | None:
    """Documentation of the key at the concrete ``path`` (keys and list indexes), or None."""
    table = _table_kind(kind)
    pattern = _pattern(tuple(path)) if path is not None else None
    if table is None or not pattern or not isinstance(pattern[-1], str):
        return None
    for candidate in _candidates(table, pattern):
        info = _CURRENT[table].get(candidate)
        if info is not None:
            return info
    legacy = _LEGACY[table]
    renamed = _RENAMED.get(table, {})
    found = legacy.get(pattern)
    if found is not None:
        return found[1]
    if pattern in renamed:
        return renamed[pattern]
    # inside a legacy block: the outermost legacy ancestor names the block
    for n in range(1, len(pattern)):
        prefix = pattern[:n]
        if prefix in legacy:
            return _inside_info(pattern, prefix, legacy[prefix][0], table)
        if prefix in renamed:
            return _inside_info(pattern, prefix, None, table)
    return None


def valid_keys(kind: str, path) -> list[KeyInfo]:
    """The current-contract keys of the mapping at ``path`` (never legacy keys); [] if unknown."""
    table = _table_kind(kind)
    pattern = _pattern(tuple(path)) if path is not None else None
    if table is None or pattern is None:
        return []
    containers = _CONTAINERS[table]
    for candidate in _candidates(table, pattern):
        keys = containers.get(candidate)
        if keys is not None:
            return [_CURRENT[table][candidate + (key,)] for key in keys]
    return []


_MODE_DOCS = {
    "docker": "Functions run as Docker containers.",
    "containerd": "Functions run under containerd (firecracker is a containerd runtime, not a mode).",
}


def value_choices(kind: str, path) -> list[tuple[str, str]]:
    """``(value, description)`` pairs for keys whose values are enumerable; [] otherwise."""
    table = _table_kind(kind)
    pattern = _pattern(tuple(path)) if path is not None else None
    if table != "manifest" or pattern is None:
        return []
    if pattern == ("mode",):
        return [(mode, _MODE_DOCS.get(mode, "")) for mode in MODES]
    if pattern == ("schema_version",):
        return [('"1"', "The only supported major version of the contract.")]
    return []
