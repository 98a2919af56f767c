"""The exported JSON Schema (``artifact-lsp schema``) against the engine.

The schema is valid draft-07, and it agrees with the engine, file by file, on the examples, the
ESB corpus (read in place, never copied) and mutations of both:

- **sound**: every error the schema reports has an engine finding of ``error`` severity, with a
  rule code the failing part of the schema names (its ``$comment``), at a corresponding place
  (the same key, a key inside it or around it, or a sibling for a missing key);
- **complete** for the rule classes a schema can express (legacy keys, ``runtime-base``
  references, required keys, ``schema_version``, ``mode``, ``sha256``, the shape of
  ``artifacts`` / ``source_template`` / the matrix): every such engine error has a schema error
  at a corresponding place. Disk rules, duplicate keys, YAML errors, suites (AL507) and the
  lexical normalisation half of AL306 are out of a schema's reach (the schema may say less, never
  more).

The data a schema sees is the YAML read the way yaml-language-server reads it (YAML 1.2 core:
timestamps and ``yes``/``no`` stay strings).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import shutil
import subprocess
import sys
import time

import jsonschema
import pytest
import yaml

from artifact_lsp.cli import main
from artifact_lsp.engine import keypath, spec
from artifact_lsp.engine.config import Config, load_config
from artifact_lsp.engine.linter import kind_of, lint_text
from artifact_lsp.engine.model import Severity
from artifact_lsp.engine.rules import RULES
from artifact_lsp.engine.yamlmodel import Mapping, Sequence
from artifact_lsp.schema import (
    EXPRESSED,
    NOT_EXPRESSED,
    PARTLY_EXPRESSED,
    dumps,
    manifest_schema,
    matrix_schema,
    schema_for,
)
from conftest import PROJECT, _corpus_path

EXAMPLES = PROJECT / "examples"

# engine errors the schema must also report (when the rule is asserted)
COMPLETE = {
    "AL100",
    "AL101",
    "AL102",
    "AL103",
    "AL104",
    "AL105",
    "AL106",
    "AL107",
    "AL108",
    "AL201",
    "AL301",
    "AL302",
    "AL303",
    "AL304",
    "AL305",
    "AL307",
    "AL308",
    "AL309",
    "AL501",
    "AL502",
    "AL503",
    "AL504",
    "AL506",
}
# a missing key: which rule the engine reports it under
REQUIRED_CODE = {"artifacts": "AL305", "artifact_manifest": "AL504", "matrix": "AL506"}


# --------------------------------------------------------------------------- YAML as editors read it


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Yaml12Loader(_SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core scalars: timestamps and yes/no/on/off are strings."""


def _str_scalar(loader, node):
    return loader.construct_scalar(node)


def _bool_scalar(loader, node):
    value = loader.construct_scalar(node)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _str_scalar)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _bool_scalar)


def load(text: str):
    return yaml.load(text, Loader=Yaml12Loader)


# --------------------------------------------------------------------------- both sides as (path, codes)


def engine_errors(text: str, kind: str, config: Config) -> list[tuple[tuple, str]]:
    result = lint_text(text, kind=kind, config=config, disk=False)
    root = result.parsed.root
    return [(_path_at(root, f.start), f.code) for f in result.findings if f.severity >= Severity.ERROR]


def _contains(node, offset: int) -> bool:
    return node.start <= offset < max(node.end, node.start + 1)


def _path_at(root, offset: int) -> tuple:
    """The path of the key or value at ``offset`` (keys and list indexes)."""
    path: tuple = ()
    node = root
    while True:
        t = type(node)
        if t is Mapping:
            for key, value in node.pairs:
                if _contains(key, offset):
                    return path + (key.value,)
                if value is not None and _contains(value, offset):
                    path, node = path + (key.value,), value
                    break
            else:
                return path
        elif t is Sequence:
            for i, item in enumerate(node.items):
                if _contains(item, offset):
                    path, node = path + (i,), item
                    break
            else:
                return path
        else:
            return path


def schema_errors(validator: jsonschema.Draft7Validator, data, kind: str) -> list[tuple[tuple, set, str]]:
    out = []
    for error in validator.iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            key = re.match(r"'([^']*)' is a required property", error.message).group(1)
            path, codes = path + (key,), {REQUIRED_CODE.get(key, "AL301")}
        elif error.validator == "propertyNames":
            path, codes = path + (error.instance,), {"AL308"}
        elif not path and error.validator == "type":
            codes = {"AL506" if kind == "matrix" else "AL305"}
        else:
            codes = set(re.findall(r"AL\d{3}", error.schema.get("$comment", "")))
        assert codes, f"a schema error that names no rule: {error.message} at {path} ({error.schema})"
        out.append((path, codes, error.message))
    return out


def _corresponds(a: tuple, b: tuple) -> bool:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:  # the same place, or one inside the other
        return True
    return len(a) == len(b) and a[:-1] == b[:-1]  # siblings: a missing key is reported at its mapping's first key


_VALIDATORS: dict = {}


def _validator(kind: str, config: Config) -> jsonschema.Draft7Validator:
    key = (kind, id(config))
    if key not in _VALIDATORS:
        _VALIDATORS[key] = (config, jsonschema.Draft7Validator(schema_for(kind, config)))
    return _VALIDATORS[key][1]


def compare(text: str, kind: str, config: Config, label: str) -> tuple[int, int]:
    """Assert agreement; returns (schema errors, engine errors) for the caller's bookkeeping."""
    data = load(text)
    theirs = schema_errors(_validator(kind, config), data, kind)
    ours = engine_errors(text, kind, config)
    for path, codes, message in theirs:
        assert any(code in codes and _corresponds(path, where) for where, code in ours), (
            f"{label}: the schema rejects {path} ({message}; rules {sorted(codes)}) but the engine has no "
            f"such error there; engine errors: {ours}"
        )
    for where, code in ours:
        if code not in COMPLETE:
            continue
        assert any(code in codes and _corresponds(path, where) for path, codes, _ in theirs), (
            f"{label}: the engine reports {code} at {where} but the schema does not; schema errors: "
            f"{[(p, sorted(c), m) for p, c, m in theirs]}"
        )
    return len(theirs), len(ours)


# --------------------------------------------------------------------------- the schema itself

STRICT = Config(
    extra_legacy_keys={"artifacts[].build_args": "the build section of template.yaml", "notes.owner": "CODEOWNERS"},
    extra_matrix_legacy_keys={"matrix[].compose_file": "nothing"},
    extra_forbidden_path_segments=("staging-base", "a.b"),
    severity={"AL308": Severity.ERROR, "AL309": Severity.ERROR, "AL502": Severity.ERROR},
)
LENIENT = Config(
    ignore=("AL104", "AL301", "AL303", "AL503"),
    severity={"AL304": Severity.WARNING, "AL201": Severity.WARNING},
)
ODD = Config(ignore=("AL303", "AL305", "AL506"), severity={"AL307": Severity.ERROR})
CONFIGS = {"default": Config(), "strict": STRICT, "lenient": LENIENT, "odd": ODD}


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("kind", ["manifest", "matrix"])
def test_schema_is_valid_draft_07(kind, name):
    schema = schema_for(kind, CONFIGS[name])
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert json.loads(dumps(schema)) == schema


def test_expressed_rules_are_every_rule():
    listed = set(EXPRESSED) | set(PARTLY_EXPRESSED) | set(NOT_EXPRESSED)
    assert listed == set(RULES), "every rule is either expressed by the schema or listed as not expressible"
    assert not set(EXPRESSED) & set(NOT_EXPRESSED)


def _walk(schema, path=()):
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _walk(value, path + (key,))
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _walk(value, path + (i,))


def test_legacy_keys_are_forbidden_with_a_deprecation_message():
    schema = manifest_schema()
    entry = schema["properties"]["artifacts"]["items"]["properties"]
    id_ = entry["id"]
    assert id_["not"] == {} and id_["deprecated"] is True and id_["doNotSuggest"] is True
    assert "2026-02-24" in id_["deprecationMessage"] and "AL104" in id_["deprecationMessage"]
    assert "Legacy" in id_["markdownDescription"]
    assert "runtime_stack" in schema["properties"] and schema["properties"]["runtime_stack"]["not"] == {}
    digests = entry["runtime_meta"]["properties"]["runtime_hooks"]["properties"]
    assert digests["java_agent_digest"]["not"] == {} and "AL102" in digests["java_agent_digest"]["$comment"]
    template = entry["source_template"]["properties"]
    assert template["parameters"]["not"] == {}
    # only at the contract positions: a top-level id is an unknown key, allowed
    assert "id" not in schema["properties"]
    assert "parameters" not in entry


def test_matrix_warnings_are_annotations_errors_are_assertions():
    entry = matrix_schema()["properties"]["matrix"]["items"]["properties"]
    assert entry["deploy_driver"]["not"] == {}  # AL501: error
    assert "not" not in entry["config_dir"] and entry["config_dir"]["deprecated"] is True  # AL502: warning
    assert entry["esb_env"]["not"] == {} and "renamed to 'env'" in entry["esb_env"]["deprecationMessage"]
    strict = matrix_schema(STRICT)["properties"]["matrix"]["items"]["properties"]
    assert strict["config_dir"]["not"] == {} and strict["compose_file"]["not"] == {}


def test_required_keys_formats_and_unknown_keys():
    schema = manifest_schema()
    assert schema["required"] == ["schema_version", "project", "env", "mode", "artifacts"]
    props = schema["properties"]
    assert props["schema_version"]["enum"] == ["1", 1]
    assert props["mode"]["enum"] == ["docker", "containerd"]
    assert props["artifacts"]["minItems"] == 1
    entry = props["artifacts"]["items"]
    assert entry["required"] == ["artifact_root", "runtime_config_dir"]
    sha = entry["properties"]["source_template"]["properties"]["sha256"]["pattern"]
    assert re.search(sha, "f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b")
    assert not re.search(sha, "F9D521E447E653E1574522524B14AB2ACE861BCBC21FE74304CC12135B4DEB0B")
    # unknown keys are allowed everywhere (the applier ignores them; AL308 is info)
    assert not any(
        "additionalProperties" in node and node["additionalProperties"] is False for _, node in _walk(schema)
    )
    assert not any("propertyNames" in node for _, node in _walk(schema))
    assert any("propertyNames" in node for _, node in _walk(manifest_schema(STRICT)))


def test_runtime_base_pattern():
    schema = manifest_schema()
    pattern = schema["definitions"]["anyValue"]["pattern"]
    ok = [
        "entries/x",
        "runtime-based/x",
        "my-runtime-base",
        "runtime-base-2/x",
        "runtime-base\n",
        "x/runtime-base/\n"[:-1] + "y",
    ]
    bad = [
        "runtime-base",
        "entries/runtime-base/x",
        "x\\runtime-base\\y",
        "x/runtime-base",
        "runtime-base/",
        "a\nb/runtime-base",
    ]
    for value in ok[:-1]:
        assert re.search(pattern, value), value
    for value in bad:
        assert not re.search(pattern, value), value
    custom = manifest_schema(STRICT)["definitions"]["anyValue"]["pattern"]
    assert not re.search(custom, "x/staging-base/y") and not re.search(custom, "x/a.b")
    assert re.search(custom, "x/aXb/y"), "a segment name is a literal, not a regex"


def test_config_extras_become_legacy_keys():
    schema = manifest_schema(STRICT)
    entry = schema["properties"]["artifacts"]["items"]["properties"]
    assert entry["build_args"]["not"] == {} and "AL100" in entry["build_args"]["$comment"]
    assert "template.yaml" in entry["build_args"]["deprecationMessage"]
    assert schema["properties"]["notes"]["properties"]["owner"]["not"] == {}
    lenient = manifest_schema(LENIENT)
    entry = lenient["properties"]["artifacts"]["items"]["properties"]
    assert "id" not in entry, "a disabled rule is left out"
    assert lenient["properties"]["runtime_stack"]["not"] == {}
    assert "definitions" not in lenient, "AL201 as a warning is not asserted"
    assert lenient["required"] == ["artifacts"], "AL301 is off; a missing artifacts is AL305"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("name", CONFIGS)
def test_patterns_compile_in_javascript_with_the_unicode_flag(name):
    """Editors compile patterns as ECMAScript with the ``u`` flag, where ``\\-`` is an error."""
    patterns = sorted(
        {
            node["pattern"]
            for kind in ("manifest", "matrix")
            for _, node in _walk(schema_for(kind, CONFIGS[name]))
            if isinstance(node.get("pattern"), str)
        }
    )
    script = "const ps = JSON.parse(require('fs').readFileSync(0, 'utf8')); for (const p of ps) new RegExp(p, 'u'); console.log(ps.length)"
    proc = subprocess.run(
        ["node", "-e", script], input=json.dumps(patterns), capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(patterns)


# --------------------------------------------------------------------------- against the engine: real files


def _example_files():
    return sorted(p for p in EXAMPLES.rglob("*") if kind_of(p) in ("manifest", "matrix"))


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_examples_agree_with_the_engine(path):
    config = load_config(path)
    kind = kind_of(path)
    text = path.read_text(encoding="utf-8")
    schema_count, engine_count = compare(text, kind, config, path.name)
    assert schema_count and engine_count, "every example carries contract errors"


def test_corpus_agrees_with_the_engine(corpus_dir):
    totals = [0, 0]
    names = sorted(p for p in corpus_dir.iterdir() if p.suffix in (".yml", ".yaml"))
    for path in names:
        kind = "matrix" if path.name.endswith("test_matrix.yaml") else "manifest"
        counts = compare(path.read_text(encoding="utf-8"), kind, Config(), path.name)
        totals = [totals[0] + counts[0], totals[1] + counts[1]]
    assert totals[0] > 50 and totals[1] > 50, totals


# --------------------------------------------------------------------------- against the engine: mutations

SHA = "f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b"
BASE_MANIFEST = {
    "schema_version": "1",
    "project": "esb",
    "env": "e2e-docker",
    "mode": "docker",
    "artifacts": [
        {
            "artifact_root": "entries/template-e2e-19477f40",
            "runtime_config_dir": "config",
            "source_template": {"path": "e2e/fixtures/template.e2e.yaml", "sha256": SHA},
        }
    ],
    "generated_at": "2026-02-27T18:28:02Z",
    "generator": {"name": "esb", "version": "997b036 (dirty)"},
}
BASE_MATRIX = {
    "matrix": [
        {"env": "e2e-docker", "artifact_manifest": "e2e/artifacts/e2e-docker/artifact.yml", "suites": ["smoke"]}
    ],
    "suites": {"smoke": {"description": "Fast", "targets": ["../scenarios/smoke/"], "exclude": []}},
}

_VALUES = [None, "", "  ", {"a": 1}, ["x"], 5, True, "runtime-base/x"]
_MISSING = object()


def _set(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    if value is _MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def manifest_mutations(data: dict):
    """``(label, data)``: one change each, over every kind of rule the schema expresses."""
    if not isinstance(data, dict):
        return
    entries = data.get("artifacts") if isinstance(data.get("artifacts"), list) else []
    entry = ("artifacts", 0) if entries and isinstance(entries[0], dict) else None
    changes = []
    for key in ("schema_version", "project", "env", "mode", "artifacts", "generated_at", "generator", "merge_policy"):
        changes += [((key,), v) for v in (_MISSING, *_VALUES)]
    changes += [(("schema_version",), v) for v in ("2", 2, 1, "1", 1.5, "v1")]
    changes += [(("mode",), v) for v in ("firecracker", "Docker", "containerd", "docker")]
    changes += [(("artifacts",), v) for v in ([], [None], ["x"], [[]], [{}])]
    changes += [(("generated_at",), v) for v in ("yesterday", "2026-02-27 18:28:02+09:00")]
    changes += [(("generator", "name"), {"a": 1})] if isinstance(data.get("generator"), dict) else []
    changes += [(("runtime_stack",), {"api_version": "1", "mode": "docker"}), (("id",), "x")]
    changes += [(("notes",), {"owner": "me", "paths": ["a", "b\\runtime-base\\c"]})]
    changes += [(("merge_policy",), {"x": ["staging-base/y"]})]
    if entry:
        for key in ("artifact_root", "runtime_config_dir", "source_template"):
            changes += [(entry + (key,), v) for v in (_MISSING, *_VALUES)]
        changes += [
            (entry + ("runtime_config_dir",), v)
            for v in (
                "/abs",
                ".",
                "./",
                "..",
                "../x",
                "a/../../x",
                "..foo",
                "C:\\x",
                ".hidden",
                "a/..",
                "app/config",
                "a/b/..",
            )
        ]
        changes += [
            (entry + ("artifact_root",), v) for v in ("x/runtime-base", "runtime-based", "x/staging-base/y", "a.b")
        ]
        changes += [
            (entry + ("id",), "template-1"),
            (entry + ("image_prewarm",), "all"),
            (entry + ("bundle_manifest",), {"path": "runtime-base/b"}),
            (entry + ("required_secret_env",), ["A"]),
            (entry + ("runtime_meta",), {"runtime_hooks": {"java_agent_digest": SHA, "api_version": "1"}}),
            (entry + ("parameters",), {"a": 1}),
            (entry + ("build_args",), {"a": 1}),
        ]
        template = entries[0].get("source_template")
        if isinstance(template, dict):
            t = entry + ("source_template",)
            changes += [(t + ("path",), v) for v in (_MISSING, *_VALUES)]
            changes += [(t + ("sha256",), v) for v in (_MISSING, *_VALUES, SHA.upper(), SHA[:-1], "g" * 64, SHA + " ")]
            changes += [(t + ("parameters",), {"Stage": "dev"})]
    # every removed key of the spec at its contract position: a newly removed key is covered too
    changes += [
        (keypath.concrete(keypath.parse(row.path)), {"legacy": 1}) for entry in spec.REMOVED for row in entry.keys
    ]
    for path, value in changes:
        mutated = copy.deepcopy(data)
        try:
            _set(mutated, path, value)
        except (KeyError, IndexError, TypeError):
            continue
        yield f"{'.'.join(map(str, path))}={value!r}", mutated
    yield "root=list", [data]
    yield "root=scalar", "x"


def matrix_mutations(data: dict):
    if not isinstance(data, dict):
        return
    changes = [(("matrix",), v) for v in (_MISSING, *_VALUES, [], [None], ["x"])]
    entries = data.get("matrix") if isinstance(data.get("matrix"), list) else []
    if entries and isinstance(entries[0], dict):
        e = ("matrix", 0)
        changes += [(e + ("artifact_manifest",), v) for v in (_MISSING, *_VALUES)]
        changes += [
            (e + (key,), "x")
            for key in ("deploy_driver", "artifact_generate", "config_dir", "env_vars", "esb_env", "compose_file")
        ]
        changes += [
            (keypath.concrete(keypath.parse(row.path)), "x") for entry in spec.MATRIX_REMOVED for row in entry.keys
        ]
        changes += [(e + ("env",), _MISSING), (e + ("suites",), ["nope"])]
    for path, value in changes:
        mutated = copy.deepcopy(data)
        _set(mutated, path, value)
        yield f"{'.'.join(map(str, path))}={value!r}", mutated
    yield "root=list", [data]


def _dump(data) -> str:
    return yaml.dump(data, Dumper=_SafeDumper, sort_keys=False, allow_unicode=True)


def _sources(corpus: bool = True):
    out = [("base", "manifest", _dump(BASE_MANIFEST)), ("base", "matrix", _dump(BASE_MATRIX))]
    for path in _example_files():
        out.append((path.name, kind_of(path), path.read_text(encoding="utf-8")))
    corpus = _corpus_path() if corpus else None
    if corpus is not None:
        for path in sorted(corpus.iterdir()):
            if path.suffix in (".yml", ".yaml"):
                kind = "matrix" if path.name.endswith("test_matrix.yaml") else "manifest"
                out.append((path.name, kind, path.read_text(encoding="utf-8")))
    return out


@pytest.mark.parametrize("name", CONFIGS)
def test_mutations_agree_with_the_engine(name):
    config = CONFIGS[name]
    checked = 0
    # every corpus file under the default configuration; the other configurations on the
    # base documents and the examples (the corpus files are alike: same keys, other values)
    for label, kind, text in _sources(corpus=name == "default"):
        data = load(text)
        mutations = matrix_mutations(data) if kind == "matrix" else manifest_mutations(data)
        for change, mutated in mutations:
            compare(_dump(mutated), kind, config, f"{label} [{name}] {change}")
            checked += 1
    assert checked > 100


def test_the_examples_mutations_hit_every_expressed_rule():
    """The mutations above exercise every rule the schema claims to express."""
    seen = set()
    for _label, kind, text in _sources()[:2]:
        data = load(text)
        mutations = matrix_mutations(data) if kind == "matrix" else manifest_mutations(data)
        for _, mutated in mutations:
            for config in (Config(), STRICT):
                seen |= {code for _, code in engine_errors(_dump(mutated), kind, config)}
    assert set(EXPRESSED) <= seen | {"AL309", "AL502", "AL308"} and {"AL306", "AL100"} <= seen, set(EXPRESSED) - seen


# --------------------------------------------------------------------------- CLI


def test_cli_prints_the_manifest_schema(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == manifest_schema(Config(root=None))


def test_cli_matrix_and_output(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "out" / "matrix.schema.json"
    target.parent.mkdir()
    assert main(["schema", "--matrix", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text()) == matrix_schema()
    assert main(["schema", "--output", str(tmp_path / "missing" / "x.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_cli_uses_the_configuration(capsys, tmp_path, monkeypatch):
    (tmp_path / ".artifact-lsp.toml").write_text(
        'extra-forbidden-path-segments = ["staging-base"]\n[extra-legacy-keys]\n"artifacts[].build_args" = "template.yaml"\n'
    )
    sub = tmp_path / "e2e"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "build_args" in schema["properties"]["artifacts"]["items"]["properties"]
    assert "staging" in schema["definitions"]["anyValue"]["pattern"]
    other = tmp_path / "other.toml"
    other.write_text('[extra-matrix-legacy-keys]\n"matrix[].compose_file" = "nothing"\n')
    assert main(["schema", "--matrix", "--config", str(other)]) == 0
    assert "compose_file" in capsys.readouterr().out
    (tmp_path / "bad.toml").write_text("nope = 1\n")
    assert main(["schema", "--config", str(tmp_path / "bad.toml")]) == 2
    assert "unknown setting" in capsys.readouterr().err


# --------------------------------------------------------------------------- in yaml-language-server

YAML_LS = (
    PROJECT
    / ".cache"
    / "yaml-language-server"
    / "node_modules"
    / "yaml-language-server"
    / "bin"
    / "yaml-language-server"
)
BAD = """schema_version: "2"
project: ""
mode: firecracker
notes: [a/runtime-base/b]
artifacts:
  - id: x
    artifact_root: entries/runtime-base
    runtime_config_dir: ../x
    source_template:
      sha256: ABC
      parameters: {a: 1}
"""


@pytest.mark.skipif(
    not YAML_LS.exists() or shutil.which("node") is None,
    reason="yaml-language-server is not installed (benchmarks/bench.py installs it)",
)
async def test_yaml_language_server_reports_what_the_engine_reports(tmp_path):
    """The schema in its real consumer: the same lines, and the linter's messages."""
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from bench import CAPABILITIES, SettingsClient, settle

    schema = tmp_path / "artifact.schema.json"
    schema.write_text(dumps(manifest_schema()))
    settings = {
        "yaml": {"validate": True, "schemaStore": {"enable": False}, "schemas": {schema.as_uri(): "**/artifact.yml"}}
    }
    proc = await asyncio.create_subprocess_exec(
        shutil.which("node"),
        str(YAML_LS),
        "--stdio",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=1 << 24,
    )
    client = SettingsClient(proc, settings)
    try:
        await asyncio.wait_for(
            client.request(
                "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": CAPABILITIES}
            ),
            30,
        )
        client.notify("initialized", {})
        client.notify("workspace/didChangeConfiguration", {"settings": settings})
        texts = {"bad": BAD, "example": (EXAMPLES / "e2e" / "artifacts" / "e2e-docker" / "artifact.yml").read_text()}
        for name, text in texts.items():
            uri = (tmp_path / name / "artifact.yml").as_uri()
            since = time.perf_counter()
            client.notify(
                "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
            )
            await proc.stdin.drain()
            await settle(client, uri, since, timeout=60)
            published = client.diagnostics[uri][-1][2]
            # a legacy key gets two: the deprecation message on the key, and this one on its value
            theirs = {
                d["range"]["start"]["line"]
                for d in published
                if d["message"] != "Matches a schema that is not allowed."
            }
            result = lint_text(text, kind="manifest", disk=False)
            ours = {result.index.position(f.start)[0] for f in result.findings if f.severity >= Severity.ERROR}
            assert theirs == ours, (name, sorted(theirs), sorted(ours), [d["message"] for d in published])
            messages = " ".join(d["message"] for d in published)
            assert "[AL104]" in messages and "2026-02-24" in messages
            if name == "bad":
                for code in ("AL201", "AL301", "AL302", "AL304", "AL306", "AL307", "AL108"):
                    assert f"[{code}]" in messages, code
    finally:
        await client.close()


def test_the_schema_module_is_plain_python():
    code = "import sys, artifact_lsp.schema as s; s.manifest_schema(); s.matrix_schema(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
