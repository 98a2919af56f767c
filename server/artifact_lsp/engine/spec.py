"""The ESB deploy-artifact contract, as data: the one place it is written down.

Plain data, no logic. Everything that knows the contract reads it from here:

- the shape rules (AL3xx) check the ``KEYS`` their ``rules`` name (missing, blank, wrong type,
  wrong value), the legacy-key family (AL1xx, AL501, AL502) walks ``REMOVED``, AL503 reads
  ``RENAMED``, the disk rules read ``CONFIG_FILES`` and ``FORBIDDEN_SEGMENTS``, the matrix rules
  read ``MATRIX_KEYS``;
- hover and completion (``engine/contract.py``), the outline (``engine/outline.py``), the JSON
  Schema (``artifact_lsp/schema.py``), ``docs/rules.md`` and ``artifact-lsp rule`` are derived from
  the same entries;
- the configuration's ``extra-legacy-keys`` / ``extra-matrix-legacy-keys`` add rows to
  ``REMOVED`` at run time (rule AL100).

Paths: keys joined by ``.``, ``[]`` for "every list item", ``<name>`` for "any mapping key"
(``artifacts[].source_template.sha256``, ``suites.<name>.targets``); ``engine/keypath.py`` is the
one parser. A contract key name and a removal date are written in this module only
(``tests/test_spec.py`` greps the package for them).

To remove a key from the contract: add one ``Removed`` entry to ``REMOVED`` (a new rule code,
its docs, the path, the date, what replaced it) and a fixture under ``tests/rules/<CODE>/``.
The rule, its fix, hover, completion, the schema and the docs follow. See CONTRIBUTING.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Key:
    """A key of the current contract.

    ``rules`` names which rule reports what (role -> rule code):

    - ``missing``: absent, null or blank (the key is required);
    - ``blank``: present but null or blank (an optional key that must have a value);
    - ``type``: the value is of the wrong kind (``type``);
    - ``value``: the value is not one of ``values`` / does not match ``pattern`` / has a
      ``problem`` (``check`` names a check that a regex cannot say).
    """

    path: str
    required: bool
    type: str  # "text" (any scalar, read as a string), "mapping", "list", "any"
    format: str  # the type/format line of the hover
    summary: str  # one line: what the key is
    docs: str  # more markdown (may be "")
    example: str  # YAML (may be "")
    rules: dict = field(default_factory=dict)
    values: tuple = ()  # (value, description) pairs the value must be one of
    accepted: tuple = ()  # other spellings the deploy tool accepts for ``values`` (schema enum)
    hints: tuple = ()  # (word in a wrong value, what to tell) pairs
    pattern: str = ""  # a regex the stripped text must match
    check: str = ""  # a named check: "relative-inside" (lexical path inside its root)
    problem: str = ""  # what a wrong value is: "<key> <problem>"
    missing: str = ""  # the message when it is missing ("" -> "<path> is required")
    empty: str = "blank"  # a value that is no value at all: "blank" (null or blank) or "null"
    closed: bool = True  # a mapping whose other keys are unknown keys (AL308)
    min_items: int = 0  # a list: how many items it must have
    examples: tuple = ()  # valid values (the schema offers them when it does not check the value)


@dataclass(frozen=True)
class Legacy:
    """One removed key at its contract position (a row of a ``Removed`` entry)."""

    path: str
    what: str  # what the key was, a phrase
    removed: str  # the date it left the contract, or "" when unknown
    replaced_by: str  # what replaced it, a phrase


@dataclass(frozen=True)
class Removed:
    """One legacy-key rule: its code, docs and the keys it reports (fix: remove the key)."""

    code: str
    name: str
    summary: str
    docs: str
    keys: tuple[Legacy, ...]
    severity: str = "error"
    files: tuple[str, ...] = ("manifest", "json")
    # how a finding reads: {path} is the concrete dotted path, {key} the key, {what},
    # {when} (" was removed from the contract on <date>" or " ... contract"), {replaced_by}
    message: str = "legacy key '{path}' ({what}){when}; replaced by {replaced_by}"
    # the first words of the hover's last paragraph
    effect: str = "Readers ignore it silently, so it is dead contract data"  # (": delete it" follows)
    removed_note: str = "removed from the contract"  # the hover's "removed ..." when no date


@dataclass(frozen=True)
class Renamed:
    """A key renamed in place (fix: rename it; remove it when the new name is already set)."""

    code: str
    name: str
    summary: str
    docs: str
    fix: str
    path: str
    new: str
    removed_note: str
    message_only_old: str  # {entry}: "matrix[<i>]"
    message_both: str
    schema_message: str
    hover_summary: str


# --------------------------------------------------------------------------- manifest

MANIFEST_SCHEMA_VERSION = "1"
MODES = (
    ("docker", "Functions run as Docker containers."),
    ("containerd", "Functions run under containerd (firecracker is a containerd runtime, not a mode)."),
)
SHA256 = r"^[a-f0-9]{64}$"
RFC3339_UTC = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?[Zz]$"
TIME_EXAMPLE = "2026-02-27T18:28:02Z"

_TEXT = {"missing": "AL301", "type": "AL303"}

KEYS = (
    Key(
        "schema_version",
        True,
        "text",
        'string `"1"`',
        "The contract's major version.",
        'Must be the string `"1"` (the integer `1` is accepted too). Anything else is an '
        "unsupported major version and the deploy tool refuses the manifest (AL302).",
        'schema_version: "1"',
        rules={"missing": "AL301", "type": "AL302", "value": "AL302"},
        values=(('"1"', "The only supported major version of the contract."),),
        accepted=(MANIFEST_SCHEMA_VERSION, 1),
    ),
    Key(
        "project",
        True,
        "text",
        "non-blank string",
        "The ESB project the manifest deploys.",
        "`null` or a blank string counts as missing (AL301).",
        "project: esb",
        rules=_TEXT,
    ),
    Key(
        "env",
        True,
        "text",
        "non-blank string",
        "The environment this manifest is for (one manifest per environment).",
        "`null` or a blank string counts as missing (AL301). The committed fixtures live under "
        "`e2e/artifacts/<env>/artifact.yml`.",
        "env: e2e-docker",
        rules=_TEXT,
    ),
    Key(
        "mode",
        True,
        "text",
        "`docker` or `containerd`",
        "The runtime mode of the environment.",
        "Only two modes exist: `docker` and `containerd`. `firecracker` is a containerd runtime, "
        "not a mode, so `mode: firecracker` is an error (AL304).",
        "mode: docker",
        rules={"missing": "AL301", "type": "AL303", "value": "AL304"},
        values=MODES,
        hints=(("firecracker", "firecracker is a containerd runtime, not a mode"),),
    ),
    Key(
        "artifacts",
        True,
        "list",
        "list of at least one mapping",
        "The artifact entries; their order is the deploy and merge order.",
        "Each entry has `artifact_root`, `runtime_config_dir` and optionally `source_template`. "
        "Entries have no id: the position in the list identifies them (AL305 when empty).",
        "artifacts:\n  - artifact_root: entries/template-e2e-19477f40\n    runtime_config_dir: config",
        rules={"missing": "AL305", "type": "AL305"},
        missing="must contain at least one entry",
        min_items=1,
    ),
    Key(
        "artifacts[].artifact_root",
        True,
        "text",
        "non-blank path",
        "The folder holding this entry's generated output.",
        "Absolute, or relative to the manifest's folder (`..` is allowed). It must not point into "
        "`runtime-base/`, which is outside the contract since 2026-02-20.",
        "artifact_root: entries/template-e2e-19477f40",
        rules=_TEXT,
    ),
    Key(
        "artifacts[].runtime_config_dir",
        True,
        "text",
        "relative path inside `artifact_root`",
        "The folder, under `artifact_root`, holding the entry's runtime configuration.",
        "Relative to `artifact_root`: not absolute, not `.`, and after lexical normalisation it "
        "must not escape the root (`..`, `../x`, `a/../../x` all do; AL306). It must contain "
        "`functions.yml` and `routing.yml` (required) and may contain `resources.yml`.",
        "runtime_config_dir: config",
        rules={"missing": "AL301", "type": "AL303", "value": "AL306"},
        check="relative-inside",
        problem="is relative to artifact_root: not absolute, not '.', and it must not escape the root",
    ),
    Key(
        "artifacts[].source_template",
        False,
        "mapping",
        "mapping of `path` and `sha256`",
        "The template this entry was generated from.",
        "Checked only when present (AL307): `path` not blank; `sha256` exactly 64 lowercase hex characters.",
        "source_template:\n  path: e2e/fixtures/template.e2e.yaml\n  sha256: f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b",
        rules={"type": "AL307"},
        empty="null",
    ),
    Key(
        "artifacts[].source_template.path",
        False,
        "text",
        "non-blank path",
        "The template file the entry was generated from.",
        "Must not be blank when present (AL307). Relative paths resolve from the repository root in the fixtures.",
        "path: e2e/fixtures/template.e2e.yaml",
        rules={"blank": "AL307", "type": "AL303", "value": "AL307"},  # value: the regeneration check wants a string
    ),
    Key(
        "artifacts[].source_template.sha256",
        False,
        "text",
        "64 lowercase hex characters",
        "The plain sha256 of the template file at `source_template.path`.",
        "Exactly 64 lowercase hex characters when present (AL307). When it differs from the "
        "template on disk, the fixture is stale and should be regenerated.",
        "sha256: f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b",
        rules={"blank": "AL307", "type": "AL303", "value": "AL307"},
        pattern=SHA256,
        problem="must be 64 lowercase hex characters",
    ),
    Key(
        "generated_at",
        False,
        "text",
        "RFC 3339 UTC time",
        "When the producer wrote this manifest (producer metadata).",
        "Every regeneration restamps it, so a regeneration with no real change still shows a "
        "diff. A string (AL310 when not: the Go reader decodes it into one, and the producer writes "
        "it quoted); AL309 advises when it is no RFC 3339 UTC time.",
        f'generated_at: "{TIME_EXAMPLE}"',
        rules={"type": "AL310", "value": "AL309"},
        pattern=RFC3339_UTC,
        problem=f'must be an RFC 3339 UTC time such as "{TIME_EXAMPLE}"',
        examples=(TIME_EXAMPLE,),
    ),
    Key(
        "generator",
        False,
        "mapping",
        "mapping of `name` and `version` strings",
        "The producer that wrote this manifest (producer metadata).",
        "Both values are strings (AL310 when not: the Go reader decodes the mapping into a struct of two strings).",
        "generator:\n  name: esb\n  version: 997b036 (dirty)",
        rules={"type": "AL310"},
        problem="must be a mapping with name and version",
        closed=False,
    ),
    Key("generator.name", False, "text", "string", "The producer's name.", "", "name: esb", rules={"type": "AL310"}),
    Key(
        "generator.version",
        False,
        "text",
        "string",
        "The producer's version.",
        "",
        "version: 997b036 (dirty)",
        rules={"type": "AL310"},
    ),
    Key(
        "merge_policy",
        False,
        "any",
        "any",
        "Documented as recommended, never implemented by any reader.",
        "No deploy tool reads it; it has no effect.",
        "",
    ),
)

# the rule that reports a manifest that is not a mapping at all
ROOT_RULE = "AL305"
# the list whose items are the manifest's entries, and the key that names an entry (outline)
ENTRIES = "artifacts"
ENTRY_NAME = ("artifact_root",)
# the keys rules and their docs name (paths into KEYS)
SCHEMA_VERSION = "schema_version"
MODE = "mode"
ARTIFACT_ROOT = "artifacts[].artifact_root"
RUNTIME_CONFIG_DIR = "artifacts[].runtime_config_dir"
SOURCE_TEMPLATE = "artifacts[].source_template"
TEMPLATE_PATH = "artifacts[].source_template.path"
TEMPLATE_SHA256 = "artifacts[].source_template.sha256"
GENERATED_AT = "generated_at"
GENERATOR = "generator"
GENERATOR_EXAMPLE = "{name: esb, version: 997b036}"
# producer metadata: what a regeneration restamps
PRODUCER_STAMPS = ("generated_at", "generator.version")

# the files an entry needs in <artifact_root>/<runtime_config_dir>/ (AL401, AL402)
CONFIG_FILES = ("functions.yml", "routing.yml")
OPTIONAL_CONFIG_FILES = ("resources.yml",)

# folder names no string value may have as a path segment (AL201), and no artifact root may
# hold (AL202); ``extra-forbidden-path-segments`` adds more
FORBIDDEN_SEGMENTS = ("runtime-base",)
FORBIDDEN_SINCE = "2026-02-20"

# --------------------------------------------------------------------------- removed keys

_STACK = "nothing in the artifact: compatibility is judged from the running stack"
_SECRETS = "a runtime env file outside the artifact (secrets never live in the artifact)"
_HOOKS = "artifacts[].runtime_meta.runtime_hooks"
_RENDER = "artifacts[].runtime_meta.template_renderer"

REMOVED = (
    Removed(
        "AL101",
        "legacy-runtime-meta",
        "`artifacts[].runtime_meta` (runtime hook and template renderer digests) was removed on 2026-02-20.",
        "`runtime_meta` carried `runtime_hooks.{api_version, python_sitecustomize_digest, java_agent_digest, "
        "java_wrapper_digest}` and `template_renderer.{name, api_version, template_digest}`. The java and "
        "template digests were removed on 2026-02-18 and the whole block on 2026-02-20. Nothing replaces "
        "it: compatibility is judged from the running stack. The applier ignores it, so a fixture that "
        "still has it carries dead contract data.",
        (Legacy("artifacts[].runtime_meta", "runtime hook and template renderer digests", "2026-02-20", _STACK),),
    ),
    Removed(
        "AL102",
        "legacy-runtime-meta-digest",
        "A digest inside `runtime_meta` (`*_digest`): explicitly forbidden to use.",
        "The digests in `runtime_meta.runtime_hooks` and `runtime_meta.template_renderer` "
        "(`python_sitecustomize_digest`, `java_agent_digest`, `java_wrapper_digest`, `template_digest`) "
        "are explicitly *forbidden to use*: nothing may compare against them. Each is reported on its own "
        "line so a reader sees exactly which stale hash is there; the fix removes the whole `runtime_meta` "
        "block they live in (see AL101).",
        (
            Legacy(f"{_HOOKS}.python_sitecustomize_digest", "a forbidden digest", "2026-02-20", _STACK),
            Legacy(f"{_HOOKS}.java_agent_digest", "a forbidden digest", "2026-02-18", _STACK),
            Legacy(f"{_HOOKS}.java_wrapper_digest", "a forbidden digest", "2026-02-18", _STACK),
            Legacy(f"{_RENDER}.template_digest", "a forbidden digest", "2026-02-18", _STACK),
        ),
    ),
    Removed(
        "AL103",
        "legacy-runtime-stack",
        "Top-level `runtime_stack` (`api_version`, `mode`, `esb_version`) was removed on 2026-02-25.",
        "`runtime_stack` pinned the stack a fixture was produced for. It was removed on 2026-02-25 and "
        "nothing replaces it.",
        (Legacy("runtime_stack", "the stack pin: api_version, mode, esb_version", "2026-02-25", "nothing"),),
    ),
    Removed(
        "AL104",
        "legacy-entry-id",
        "`artifacts[].id` was removed on 2026-02-24: array order identifies entries.",
        "Entries had an `id`. Since 2026-02-24 the order of `artifacts[]` is the only identity (it is also "
        "the deploy and merge order). The upstream regeneration check failed with "
        "`artifacts[<i>].id must not exist`. A top-level `id` is not this rule (it is an unknown key, AL308).",
        (Legacy("artifacts[].id", "the entry id", "2026-02-24", "nothing: array order identifies entries"),),
    ),
    Removed(
        "AL105",
        "legacy-image-prewarm",
        "`artifacts[].image_prewarm` was removed on 2026-02-19 (prewarm and image import are gone).",
        "Image prewarm and image import were removed on 2026-02-19; nothing replaces the switch.",
        (
            Legacy(
                "artifacts[].image_prewarm",
                "the image prewarm switch",
                "2026-02-19",
                "nothing: prewarm and image import were removed",
            ),
        ),
    ),
    Removed(
        "AL106",
        "legacy-bundle-manifest",
        "`artifacts[].bundle_manifest` was removed on 2026-02-25.",
        "Removed on 2026-02-25 together with `required_secret_env`: secrets come from a runtime env file "
        "outside the artifact.",
        (Legacy("artifacts[].bundle_manifest", "the secrets bundle manifest", "2026-02-25", _SECRETS),),
    ),
    Removed(
        "AL107",
        "legacy-required-secret-env",
        "`artifacts[].required_secret_env` was removed on 2026-02-25.",
        "Removed on 2026-02-25: secrets come from a runtime env file outside the artifact.",
        (Legacy("artifacts[].required_secret_env", "the required secret variables", "2026-02-25", _SECRETS),),
    ),
    Removed(
        "AL108",
        "legacy-template-parameters",
        "`artifacts[].source_template.parameters` was removed on 2026-02-25.",
        "`source_template` keeps only `path` and `sha256`; `parameters` was removed on 2026-02-25 and "
        "nothing replaces it. A `parameters` key anywhere else is an unknown key, not this rule.",
        (Legacy("artifacts[].source_template.parameters", "the template parameters", "2026-02-25", "nothing"),),
    ),
)

# keys inside removed blocks that ``REMOVED`` does not list one by one (for hovers)
INSIDE_REMOVED = {
    "artifacts[].runtime_meta.runtime_hooks": "the runtime hooks the artifact was built against",
    "artifacts[].runtime_meta.runtime_hooks.api_version": "the runtime hooks API version",
    "artifacts[].runtime_meta.template_renderer": "the template renderer that produced the artifact",
    "artifacts[].runtime_meta.template_renderer.name": "the template renderer's name",
    "artifacts[].runtime_meta.template_renderer.api_version": "the template renderer's API version",
    "runtime_stack.api_version": "the stack API version the fixture was produced for",
    "runtime_stack.mode": "the stack mode the fixture was produced for",
    "runtime_stack.esb_version": "the ESB version the fixture was produced for",
}

# --------------------------------------------------------------------------- test_matrix.yaml

MATRIX_KEYS = (
    Key(
        "matrix",
        True,
        "list",
        "list of entry mappings",
        "The environments the E2E suites run on, one entry each.",
        "`matrix: [{env, artifact_manifest, suites, esb_project?, env_dir?, env_file?}]` (AL506).",
        "matrix:\n- env: e2e-docker\n  artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml\n  suites:\n  - smoke",
        rules={"missing": "AL506", "type": "AL506"},
    ),
    Key(
        "suites",
        False,
        "mapping",
        "mapping of suite name to `{description, targets, exclude}`",
        "The test suites the entries can name.",
        "Every name in an entry's `suites` must be defined here (AL507).",
        "suites:\n  smoke:\n    description: Fast connectivity tests\n    targets:\n    - ../scenarios/smoke/\n    exclude: []",
    ),
    Key(
        "matrix[].env",
        True,
        "text",
        "non-blank string",
        "The environment this entry runs.",
        "Renamed from `esb_env`; an entry without `env` is skipped by the runner (AL503).",
        "env: e2e-docker",
    ),
    Key(
        "matrix[].artifact_manifest",
        True,
        "text",
        "path from the repository root",
        "The committed `artifact.yml` this entry deploys.",
        "Required and non-blank (AL504); the file must exist (AL505).",
        "artifact_manifest: e2e/artifacts/e2e-docker/artifact.yml",
        rules={"missing": "AL504", "type": "AL504"},
    ),
    Key(
        "matrix[].suites",
        True,
        "list",
        "list of suite names",
        "The suites to run on this environment.",
        "Each name must be a key of the top-level `suites` mapping (AL507).",
        "suites:\n- smoke\n- standard",
    ),
    Key(
        "matrix[].esb_project",
        False,
        "text",
        "string",
        "The ESB project name for this entry (optional).",
        "",
        "esb_project: esb",
    ),
    Key(
        "matrix[].env_dir",
        False,
        "text",
        "string",
        "The environment folder for this entry (optional).",
        "",
        "env_dir: e2e-docker",
    ),
    Key(
        "matrix[].env_file",
        False,
        "text",
        "string",
        "The env file for this entry (optional).",
        "",
        "env_file: .env.e2e",
    ),
    Key(
        "suites.<name>",
        False,
        "mapping",
        "mapping of `description`, `targets`, `exclude`",
        "One test suite; entries name it in their `suites` list.",
        "",
        "smoke:\n  description: Fast connectivity tests\n  targets:\n  - ../scenarios/smoke/\n  exclude: []",
    ),
    Key(
        "suites.<name>.description",
        False,
        "text",
        "string",
        "What the suite tests.",
        "",
        "description: Fast connectivity tests for all components",
    ),
    Key(
        "suites.<name>.targets",
        False,
        "list",
        "list of paths",
        "The test files and folders the suite runs.",
        "",
        "targets:\n- ../scenarios/smoke/test_smoke.py",
    ),
    Key("suites.<name>.exclude", False, "list", "list of paths", "Tests left out of the suite.", "", "exclude: []"),
)

MATRIX_ROOT_RULE = "AL506"
MATRIX_ENTRIES = "matrix"
MATRIX_ENTRY_NAME = ("env", "esb_env")  # what names a matrix entry (outline, messages)
MATRIX_ENV = "matrix[].env"
MATRIX_MANIFEST = "matrix[].artifact_manifest"
MATRIX_SUITES = "matrix[].suites"  # names of keys of SUITES
MATRIX_PROJECT = "matrix[].esb_project"
MATRIX_ENV_DIR = "matrix[].env_dir"
MATRIX_ENV_FILE = "matrix[].env_file"
SUITE_TARGETS = "suites.<name>.targets"
SUITE_EXCLUDE = "suites.<name>.exclude"
# what the E2E runner uses for an entry without esb_project (AL510 compares against it)
DEFAULT_PROJECT = "esb"
SUITES = "suites"

_MATRIX_REMOVED = "removed from the E2E matrix in the February 2026 realignment"
_RUNNER = "the committed artifact.yml named in artifact_manifest"

MATRIX_REMOVED = (
    Removed(
        "AL501",
        "legacy-matrix-field",
        "`deploy_driver`, `artifact_generate`, `image_uri_overrides` in a matrix entry: rejected by the runner.",
        "The E2E runner refuses these fields with `legacy field '<key>' is no longer supported in E2E "
        "matrix`: deploys are driven by the committed `artifact.yml` named in `artifact_manifest`.",
        tuple(
            Legacy(f"matrix[].{key}", "rejected by the E2E runner", "", _RUNNER)
            for key in ("deploy_driver", "artifact_generate", "image_uri_overrides")
        ),
        files=("matrix",),
        message="legacy field '{key}' is no longer supported in E2E matrix ('{path}'); delete it",
        effect="The E2E runner rejects the matrix while it is there",
        removed_note=_MATRIX_REMOVED,
    ),
    Removed(
        "AL502",
        "ignored-matrix-field",
        "`config_dir`, `env_vars`, `image_runtime_overrides`, `deploy_templates` in a matrix entry: silently ignored.",
        "These fields were removed from the matrix and the runner ignores them without a word, so "
        "whatever they say is not what runs.",
        tuple(
            Legacy(f"matrix[].{key}", "silently ignored by the E2E runner", "", "nothing: delete it")
            for key in ("config_dir", "env_vars", "image_runtime_overrides", "deploy_templates")
        ),
        severity="warning",
        files=("matrix",),
        message="legacy field '{path}' was removed from the E2E matrix and is silently ignored; delete it",
        removed_note=_MATRIX_REMOVED,
    ),
)

RENAMED = (
    Renamed(
        "AL503",
        "esb-env-renamed",
        "`esb_env` in a matrix entry was renamed to `env`; an entry with only `esb_env` is skipped.",
        "The runner reads `env`. An entry that still says `esb_env` (and has no `env`) is silently "
        "skipped, so its suites never run. The fix renames the key (or, when `env` is already there, "
        "removes `esb_env`).",
        "Renames `esb_env` to `env` (removes it when `env` exists).",
        path="matrix[].esb_env",
        new="env",
        removed_note=_MATRIX_REMOVED,
        message_only_old="{entry}: 'esb_env' was renamed to 'env'; an entry with only 'esb_env' is skipped by the runner",
        message_both="{entry}: 'esb_env' was renamed to 'env', which is already set; delete 'esb_env'",
        schema_message="'esb_env' was renamed to 'env'; an entry with only 'esb_env' is skipped by the runner",
        hover_summary="renamed to env; an entry with only esb_env is skipped",
    ),
)

# --------------------------------------------------------------------------- configuration

# rows the configuration adds to REMOVED (``extra-legacy-keys``, ``extra-matrix-legacy-keys``)
CUSTOM_REMOVED_WHAT = "listed as legacy in the configuration"
