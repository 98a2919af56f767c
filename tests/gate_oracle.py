"""A test oracle: ESB's own gates, re-implemented from CONTRACT.md ("What ESB's own gates reject").

Each function takes the text of a file and says what one gate does with it. It is written
independently of the engine (it loads YAML with PyYAML, never with ``artifact_lsp``), so a
differential test can ask: whenever a gate rejects a file, does artifact-lsp report an error?

- ``go_reader(text)``: the retired Go deploy reader (``pkg/artifactcore``): yaml.v3 decodes the
  document into structs of strings (a scalar of any type fits a string field, a mapping or a
  list does not; a struct needs a mapping; explicit core tags must decode), then ``Validate``.
- ``py_reader(text)``: the esb-ctl Python reader (``tools/cli/artifact.py``): ``yaml.safe_load``
  (YAML 1.1 implicit types), every field ``str()``-ed, then the same validation.
- ``regeneration_check(text)``: the ``validate_manifest_contract`` heredoc of
  ``e2e/scripts/regenerate_artifacts.sh``: ``safe_load``, then ``id``, ``source_template`` and its
  ``path``/``sha256`` as real strings, ``sha256`` matched without stripping.
- ``runner(text, exists)``: the E2E runner loading and planning ``test_matrix.yaml``, then the
  deploy step's check that the manifest exists. Returns the rejection (an exception the runner
  would raise) and the ``[ERROR]`` lines it prints while skipping work.

Each returns ``None`` (accepted) or a message saying why the gate refuses the input.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

SHA256 = re.compile(r"^[a-f0-9]{64}$")


class Rejected(Exception):
    pass


# --------------------------------------------------------------------------- shared validation


def _validate(schema: str, project: str, env: str, mode: str, entries: list) -> None:
    """``Validate`` of both deploy readers, on the strings each reader produced."""
    schema = schema.strip()
    if schema == "":
        raise Rejected("schema_version is required")
    if schema != "1":
        raise Rejected(f'unsupported schema_version: "{schema}" (supported: "1")')
    for name, value in (("project", project), ("env", env), ("mode", mode)):
        if value.strip() == "":
            raise Rejected(f"{name} is required")
    if not entries:
        raise Rejected("artifacts must contain at least one entry")
    for i, (root, config_dir, template) in enumerate(entries):
        prefix = f"artifacts[{i}]"
        if root.strip() == "":
            raise Rejected(f"{prefix}.artifact_root is required")
        _relative(f"{prefix}.runtime_config_dir", config_dir)
        if template is not None:
            path, path_set, sha, sha_set = template
            if (path_set or path != "") and path.strip() == "":
                raise Rejected(f"{prefix}.source_template.path must not be blank")
            if (sha_set or sha != "") and sha.strip() == "":
                raise Rejected(f"{prefix}.source_template.sha256 must not be blank")
            if sha.strip() and not SHA256.match(sha.strip()):
                raise Rejected(f"{prefix}.source_template.sha256 must be 64 lowercase hex characters")


def _relative(field_name: str, value: str) -> None:
    """POSIX readers: only a leading '/' makes a path absolute (``C:\\x`` is a relative name)."""
    trimmed = value.strip()
    if trimmed == "":
        raise Rejected(f"{field_name} is required")
    if trimmed.startswith("/"):
        raise Rejected(f"{field_name} must be a relative path")
    cleaned = posixpath.normpath(trimmed)
    if cleaned == ".":
        raise Rejected(f"{field_name} must not be '.'")
    if cleaned == ".." or cleaned.startswith("../"):
        raise Rejected(f"{field_name} must not escape artifact root")


# --------------------------------------------------------------------------- the Go reader


class _RawLoader(yaml.SafeLoader):
    """Composes without resolving implicit tags: a plain scalar keeps tag "?plain", a quoted
    one "?quoted", collections "?seq"/"?map"; explicit tags stay as written."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            return "?plain" if implicit[0] else "?quoted"
        return "?seq" if kind is SequenceNode else "?map"


_CORE = "tag:yaml.org,2002:"
_V3_NULL = {"", "~", "null", "Null", "NULL"}
_V3_BOOL = {"true", "True", "TRUE", "false", "False", "FALSE"}
_V3_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_V3_SPECIAL_FLOAT = {
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "+.Inf",
    "+.INF",
    "-.inf",
    "-.Inf",
    "-.INF",
    ".nan",
    ".NaN",
    ".NAN",
}
_TIMESTAMP = re.compile(
    r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    r"(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?$"
)


def _v3_int(text: str) -> bool:
    plain = text.replace("_", "")
    body = plain.lstrip("+-")
    if len(plain) - len(body) > 1 or not body:
        return False
    try:
        if body[:2] in ("0x", "0X"):
            int(body[2:], 16)
        elif body[:2] in ("0o", "0O"):
            int(body[2:], 8)
        elif body[:2] in ("0b", "0B"):
            int(body[2:], 2)
        elif len(body) > 1 and body[0] == "0":
            int(body[1:], 8)  # Go's ParseInt base 0: a leading 0 is octal
        else:
            int(body, 10)
    except ValueError:
        return False
    return True


def _v3_implicit(text: str) -> str:
    """yaml.v3's resolution of a plain scalar (YAML 1.2 core schema plus its leniencies)."""
    if text in _V3_NULL:
        return "null"
    if text in _V3_BOOL:
        return "bool"
    if _v3_int(text):
        return "int"
    if text in _V3_SPECIAL_FLOAT or _V3_FLOAT.match(text.replace("_", "")):
        return "float"
    if _TIMESTAMP.match(text):
        return "timestamp"
    return "str"


def _go_scalar(node: ScalarNode, field_name: str) -> str:
    """A scalar decoded into a Go ``string`` field."""
    tag = node.tag
    if tag == "?quoted":
        return node.value
    if tag == "?plain":
        return "" if _v3_implicit(node.value) == "null" else node.value
    short = tag[len(_CORE) :] if tag.startswith(_CORE) else None
    if short in ("int", "float", "bool", "timestamp"):
        got = _v3_implicit(node.value)
        if not (got == short or (short == "float" and got == "int")):
            raise Rejected(
                f"cannot decode !!{got if got != 'null' else 'null'} `{node.value}` as a !!{short} ({field_name})"
            )
    if short == "binary":
        try:
            return base64.b64decode(node.value.replace("\n", "").replace(" ", ""), validate=True).decode("latin-1")
        except (binascii.Error, ValueError):
            raise Rejected(f"!!binary value contains invalid base64 data ({field_name})") from None
    if short == "null":
        return ""
    return node.value


def _go_string(node, field_name: str) -> str:
    if node is None:
        return ""
    if isinstance(node, ScalarNode):
        return _go_scalar(node, field_name)
    kind = "!!seq" if isinstance(node, SequenceNode) else "!!map"
    raise Rejected(f"cannot unmarshal {kind} into string ({field_name})")


def _is_null(node) -> bool:
    return node is None or (
        isinstance(node, ScalarNode)
        and node.tag in ("?plain", _CORE + "null")
        and (node.tag != "?plain" or _v3_implicit(node.value) == "null")
    )


def _go_struct(node, type_name: str) -> dict | None:
    """The pairs of a mapping decoded into a struct: {field name: value node}, last one wins.
    Keys must decode into strings; merge keys are followed."""
    if _is_null(node):
        return None
    if not isinstance(node, MappingNode):
        if isinstance(node, ScalarNode):
            raise Rejected(f"cannot unmarshal !!str `{node.value}` into {type_name}")
        raise Rejected(f"cannot unmarshal !!seq into {type_name}")
    out: dict = {}
    seen = set()
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise Rejected(
                f"cannot unmarshal {'!!seq' if isinstance(key, SequenceNode) else '!!map'} into string (a key of {type_name})"
            )
        if key.value == "<<" and key.tag == "?plain":
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                merged = _go_struct(source, type_name) or {}
                for k, v in merged.items():
                    out.setdefault(k, v)
            continue
        if key.value in seen:
            raise Rejected(f'mapping key "{key.value}" already defined')
        seen.add(key.value)
        out[key.value] = value
    return out


def go_reader(text: str) -> str | None:
    try:
        nodes = list(yaml.compose_all(text, Loader=_RawLoader))
        root = nodes[0] if nodes else None
        top = _go_struct(root, "artifactcore.ArtifactManifest") or {}
        fields = {
            name: _go_string(top.get(name), name)
            for name in ("schema_version", "project", "env", "mode", "generated_at")
        }
        generator = _go_struct(top.get("generator"), "artifactcore.ArtifactGenerator") or {}
        for name in ("name", "version"):
            _go_string(generator.get(name), f"generator.{name}")
        artifacts = top.get("artifacts")
        entries = []
        if not _is_null(artifacts):
            if not isinstance(artifacts, SequenceNode):
                raise Rejected("cannot unmarshal into []artifactcore.ArtifactEntry")
            for item in artifacts.value:
                entry = _go_struct(item, "artifactcore.ArtifactEntry") or {}
                root_dir = _go_string(entry.get("artifact_root"), "artifact_root")
                config_dir = _go_string(entry.get("runtime_config_dir"), "runtime_config_dir")
                template = None
                raw = entry.get("source_template")
                if not _is_null(raw):
                    t = _go_struct(raw, "artifactcore.rawSourceTemplate") or {}
                    path_node, sha_node = t.get("path"), t.get("sha256")
                    path_set = not _is_null(path_node)  # a *string: null leaves it unset
                    sha_set = not _is_null(sha_node)
                    template = (
                        _go_string(path_node, "source_template.path") if path_set else "",
                        path_set,
                        _go_string(sha_node, "source_template.sha256") if sha_set else "",
                        sha_set,
                    )
                entries.append((root_dir, config_dir, template))
        _validate(fields["schema_version"], fields["project"], fields["env"], fields["mode"], entries)
    except Rejected as exc:
        return str(exc)
    except yaml.YAMLError as exc:
        return f"decode artifact manifest: {str(exc).splitlines()[0]}"
    return None


# --------------------------------------------------------------------------- the Python readers


def _safe_load(text: str):
    """``yaml.safe_load``; any failure (including a constructor's own ValueError or
    AttributeError on a value its tag cannot hold) is a rejection."""
    try:
        return yaml.safe_load(text)
    except Exception as exc:  # every exception stops the reader
        raise Rejected(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None


def py_reader(text: str) -> str | None:
    try:
        payload = _safe_load(text)
        if not isinstance(payload, dict):
            raise Rejected("decode artifact manifest: top-level must be map")
        artifacts = payload.get("artifacts", [])
        if artifacts is None:
            artifacts = []
        if not isinstance(artifacts, list):
            raise Rejected("artifacts must be a list")
        entries = []
        for item in artifacts:
            if not isinstance(item, dict):
                raise Rejected("artifact entry must be map")
            raw = item.get("source_template")
            template = None
            if raw is not None:
                if not isinstance(raw, dict):
                    raise Rejected("source_template must be map")
                template = (
                    str(raw.get("path", "")) if "path" in raw else "",
                    "path" in raw,
                    str(raw.get("sha256", "")) if "sha256" in raw else "",
                    "sha256" in raw,
                )
            entries.append((str(item.get("artifact_root", "")), str(item.get("runtime_config_dir", "")), template))
        _validate(*(str(payload.get(name, "")) for name in ("schema_version", "project", "env", "mode")), entries)
    except Rejected as exc:
        return str(exc)
    return None


def regeneration_check(text: str) -> str | None:
    try:
        manifest = _safe_load(text) or {}
        if not isinstance(manifest, dict):
            raise Rejected("AttributeError: the manifest is not a mapping")
        artifacts = manifest.get("artifacts")
        if not isinstance(artifacts, list) or not artifacts:
            raise Rejected("artifacts must be a non-empty list")
        for i, artifact in enumerate(artifacts):
            if not isinstance(artifact, dict):
                raise Rejected(f"artifacts[{i}] must be an object")
            if "id" in artifact:
                raise Rejected(f"artifacts[{i}].id must not exist")
            template = artifact.get("source_template")
            if template is None:
                continue
            if not isinstance(template, dict):
                raise Rejected(f"artifacts[{i}].source_template must be an object")
            for name in ("path", "sha256"):
                value = template.get(name, "")
                if name in template and (not isinstance(value, str) or not value.strip()):
                    raise Rejected(f"artifacts[{i}].source_template.{name} must not be blank")
            sha = template.get("sha256", "")
            if isinstance(sha, str) and sha.strip() and not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise Rejected(f"artifacts[{i}].source_template.sha256 must be 64 lowercase hex")
    except Rejected as exc:
        return str(exc)
    return None


MANIFEST_GATES = {"go-reader": go_reader, "py-reader": py_reader, "regeneration-check": regeneration_check}


def manifest_gates(text: str) -> dict[str, str]:
    """{gate: why it rejects} for every manifest gate that rejects ``text``."""
    out = {}
    for name, gate in MANIFEST_GATES.items():
        why = gate(text)
        if why is not None:
            out[name] = why
    return out


# --------------------------------------------------------------------------- the E2E runner

LEGACY_MATRIX_FIELDS = ("deploy_driver", "artifact_generate", "image_uri_overrides")
DEFAULT_PROJECT = "esb"


@dataclass
class RunnerResult:
    rejected: str | None = None  # the exception that stops the runner
    errors: list[str] = field(default_factory=list)  # "[ERROR] ..." lines printed while skipping

    @property
    def refuses(self) -> bool:
        return self.rejected is not None or bool(self.errors)


def runner(text: str, exists=lambda path: True) -> RunnerResult:
    """Load, plan and deploy-check ``test_matrix.yaml``; ``exists(path)`` says whether a
    manifest path (as the runner resolves it, relative to the repository root) exists."""
    out = RunnerResult()
    try:
        _run(text, exists, out)
    except Rejected as exc:
        out.rejected = str(exc)
    except Exception as exc:  # the runner crashes: that is a rejection
        out.rejected = f"{type(exc).__name__}: {exc}"
    return out


def _run(text, exists, out: RunnerResult) -> None:
    config = _safe_load(text)
    suites = config.get("suites", {})
    matrix = config.get("matrix", [])
    scenarios: dict = {}
    for entry in matrix:
        env = entry.get("env")
        if not env:
            out.errors.append(f"[ERROR] Invalid matrix entry format: {entry}")
            continue
        for name in LEGACY_MATRIX_FIELDS:
            if name in entry:
                raise Rejected(f"legacy field '{name}' is no longer supported in E2E matrix")
        project = entry.get("esb_project")
        if project is None:
            project = DEFAULT_PROJECT
        else:
            project = str(project).strip()
            if project == "":
                raise Rejected("matrix field 'esb_project' must be non-empty when provided")
        manifest = entry.get("artifact_manifest")
        if manifest is None:
            raise Rejected("matrix field 'artifact_manifest' is required")
        manifest = str(manifest).strip()
        if manifest == "":
            raise Rejected("matrix field 'artifact_manifest' must be non-empty")
        suite_names = entry.get("suites", [])
        if env not in scenarios:  # an unhashable env raises TypeError here
            env_dir = entry.get("env_dir", env)
            env_file = entry.get("env_file", "")
            # membership tests on the values: None or a number raises TypeError
            firecracker = "firecracker" in env_dir or "firecracker" in env_file
            _ = "containerd" in env_dir or "containerd" in env_file or firecracker
            scenarios[env] = {"project": project, "manifest": manifest, "targets": [], "exclude": []}
        else:
            first = scenarios[env]
            if first["project"] != project:
                raise Rejected(f"esb_project mismatch for env '{env}': {first['project']} != {project}")
            if first["manifest"] != manifest:
                raise Rejected(f"artifact_manifest mismatch for env '{env}': {first['manifest']} != {manifest}")
        for suite_name in suite_names:
            definition = suites.get(suite_name)
            if not definition:
                out.errors.append(f"[ERROR] Suite '{suite_name}' not defined in suites.")
                continue
            for target in definition.get("targets", []):
                if not isinstance(target, str):  # Path(target)
                    raise TypeError(f"expected str, bytes or os.PathLike object, not {type(target).__name__}")
                scenarios[env]["targets"].append(target)
            exclude = definition.get("exclude", [])
            scenarios[env]["exclude"].extend(exclude)
    for env, scenario in scenarios.items():
        for item in scenario["exclude"]:
            if not isinstance(item, str):  # handed to pytest as an argument
                raise TypeError(f"exclude of '{env}' holds {type(item).__name__} {item!r}, not a path")
        if not exists(scenario["manifest"]):
            raise Rejected(f"artifact manifest not found: {scenario['manifest']}")
