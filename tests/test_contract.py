"""The contract's key documentation: describe / valid_keys / value_choices."""

from __future__ import annotations

import dataclasses
import itertools
from types import SimpleNamespace

import pytest

from artifact_lsp.engine import keypath
from artifact_lsp.engine import spec as contract_spec
from artifact_lsp.engine.contract import KeyInfo, describe, valid_keys, value_choices
from artifact_lsp.engine.rules import RULES
from artifact_lsp.engine.rules.al3xx_shape import CHILDREN


def _rows(entries):
    return [
        SimpleNamespace(path=r.path, rule=RULES[e.code], removed=r.removed, replaced_by=r.replaced_by)
        for e in entries
        for r in e.keys
    ]


def _keys(*pattern):
    return tuple(keypath.leaf(k.path) for k in CHILDREN[pattern])


MANIFEST_LEGACY = _rows(contract_spec.REMOVED)
MATRIX_LEGACY = _rows(contract_spec.MATRIX_REMOVED)
TOP_KEYS = _keys()
ENTRY_KEYS = _keys("artifacts", keypath.INDEX)
TEMPLATE_KEYS = _keys("artifacts", keypath.INDEX, "source_template")
GENERATOR_KEYS = _keys("generator")
MODES = tuple(v for v, _ in contract_spec.MODES)
MANIFEST_SPEC = [(k.path,) for k in contract_spec.KEYS]
MATRIX_SPEC = [(k.path,) for k in contract_spec.MATRIX_KEYS]

MANIFEST_KEYS = {
    ("schema_version",): ("schema_version", True),
    ("project",): ("project", True),
    ("env",): ("env", True),
    ("mode",): ("mode", True),
    ("artifacts",): ("artifacts", True),
    ("artifacts", 0, "artifact_root"): ("artifacts[].artifact_root", True),
    ("artifacts", 2, "runtime_config_dir"): ("artifacts[].runtime_config_dir", True),
    ("artifacts", 0, "source_template"): ("artifacts[].source_template", False),
    ("artifacts", 0, "source_template", "path"): ("artifacts[].source_template.path", False),
    ("artifacts", 0, "source_template", "sha256"): ("artifacts[].source_template.sha256", False),
    ("generated_at",): ("generated_at", False),
    ("generator",): ("generator", False),
    ("generator", "name"): ("generator.name", False),
    ("generator", "version"): ("generator.version", False),
    ("merge_policy",): ("merge_policy", False),
}

MATRIX_KEYS = {
    ("matrix",): ("matrix", True),
    ("suites",): ("suites", False),
    ("matrix", 0, "env"): ("matrix[].env", True),
    ("matrix", 1, "artifact_manifest"): ("matrix[].artifact_manifest", True),
    ("matrix", 0, "suites"): ("matrix[].suites", True),
    ("matrix", 0, "esb_project"): ("matrix[].esb_project", False),
    ("matrix", 0, "env_dir"): ("matrix[].env_dir", False),
    ("matrix", 0, "env_file"): ("matrix[].env_file", False),
    ("suites", "smoke"): ("suites.<name>", False),
    ("suites", "smoke", "description"): ("suites.<name>.description", False),
    ("suites", "standard", "targets"): ("suites.<name>.targets", False),
    ("suites", "restart", "exclude"): ("suites.<name>.exclude", False),
}


def concrete(pattern: str, index: int = 0) -> tuple:
    """'artifacts[].runtime_meta' -> ('artifacts', index, 'runtime_meta')."""
    out: list = []
    for part in pattern.split("."):
        if part.endswith("[]"):
            out += [part[:-2], index]
        else:
            out.append(part)
    return tuple(out)


# --------------------------------------------------------------------------- describe: current keys


@pytest.mark.parametrize("kind", ["manifest", "json"])
@pytest.mark.parametrize("path", list(MANIFEST_KEYS), ids=lambda p: ".".join(map(str, p)))
def test_describe_manifest_keys(kind, path):
    pattern, required = MANIFEST_KEYS[path]
    info = describe(kind, path)
    assert isinstance(info, KeyInfo)
    assert info.path == pattern
    assert info.key == path[-1]
    assert info.required is required
    assert info.legacy is False and info.rule_code is None
    assert "\n" not in info.summary and info.summary
    assert f"`{info.key}`" in info.markdown
    assert ("required" if required else "optional") in info.markdown


@pytest.mark.parametrize("path", list(MATRIX_KEYS), ids=lambda p: ".".join(map(str, p)))
def test_describe_matrix_keys(path):
    pattern, required = MATRIX_KEYS[path]
    info = describe("matrix", path)
    assert info is not None and info.path == pattern
    assert info.required is required
    assert not info.legacy
    assert "\n" not in info.summary


def test_describe_hover_texts_carry_format_and_example():
    mode = describe("manifest", ("mode",)).markdown
    assert "`docker`" in mode and "`containerd`" in mode and "firecracker" in mode
    assert "```yaml\nmode: docker\n```" in mode
    sha = describe("manifest", ("artifacts", 5, "source_template", "sha256")).markdown
    assert "64 lowercase hex" in sha
    rcd = describe("manifest", ("artifacts", 0, "runtime_config_dir")).markdown
    assert "functions.yml" in rcd and "routing.yml" in rcd
    assert '"1"' in describe("manifest", ("schema_version",)).markdown


def test_kinds_do_not_mix():
    assert describe("manifest", ("matrix",)) is None
    assert describe("matrix", ("mode",)) is None
    assert describe("matrix", ("artifacts", 0, "artifact_root")) is None
    assert describe("manifest", ("suites", "smoke")) is None


@pytest.mark.parametrize(
    "kind, path",
    [
        ("manifest", ("id",)),  # a top-level id is unknown, not legacy
        ("manifest", ("parameters",)),
        ("manifest", ("artifacts", 0, "parameters")),  # outside source_template
        ("manifest", ("runtime_meta",)),  # not at its contract position
        ("manifest", ("artifacts", 0, "runtime_meta_notes")),
        ("manifest", ("artifacts", 0, "runtime_stack")),
        ("manifest", ("artifacts", "0", "id")),  # a key named "0" is not a list index
        ("manifest", ("artifacts", True, "id")),
        ("manifest", ("artifacts", 0)),  # an item, not a key
        ("manifest", ("artifacts", 0, "source_template", "sha256", "x")),
        ("manifest", ("nope",)),
        ("manifest", ()),
        ("matrix", ("suites", 0)),
        ("matrix", ("matrix", 0, "suites", 1)),
        ("matrix", ("deploy_driver",)),  # top level: not the legacy position
        ("yaml", ("mode",)),
    ],
)
def test_describe_unknown_paths(kind, path):
    assert describe(kind, path) is None


# --------------------------------------------------------------------------- describe: legacy keys


@pytest.mark.parametrize("spec", MANIFEST_LEGACY, ids=lambda s: s.path)
@pytest.mark.parametrize("kind", ["manifest", "json"])
def test_every_manifest_legacy_key_describes_as_legacy(spec, kind):
    info = describe(kind, concrete(spec.path, 3))
    assert info is not None and info.legacy
    assert info.rule_code == spec.rule.code
    assert info.path == spec.path
    assert info.required is False
    assert f"**Legacy** ({spec.rule.code}): removed {spec.removed}" in info.markdown
    assert spec.replaced_by in info.markdown
    assert spec.rule.code in info.summary and "\n" not in info.summary


@pytest.mark.parametrize("spec", MATRIX_LEGACY, ids=lambda s: s.path)
def test_every_matrix_legacy_key_describes_as_legacy(spec):
    info = describe("matrix", concrete(spec.path, 1))
    assert info is not None and info.legacy and info.rule_code == spec.rule.code
    assert f"**Legacy** ({spec.rule.code})" in info.markdown
    assert describe("manifest", concrete(spec.path, 1)) is None


def test_entry_id_hover_names_rule_date_and_replacement():
    info = describe("manifest", ("artifacts", 0, "id"))
    assert info.markdown.startswith("**Legacy** (AL104): removed 2026-02-24")
    assert "array order identifies entries" in info.markdown
    assert info.key == "id"


def test_digest_dates_come_from_the_table():
    java = describe("manifest", ("artifacts", 0, "runtime_meta", "runtime_hooks", "java_agent_digest"))
    python = describe("manifest", ("artifacts", 0, "runtime_meta", "runtime_hooks", "python_sitecustomize_digest"))
    assert java.rule_code == python.rule_code == "AL102"
    assert "removed 2026-02-18" in java.markdown
    assert "removed 2026-02-20" in python.markdown
    # the fix removes the whole block the digest lives in
    assert "Remove legacy key 'runtime_meta'" in java.markdown


@pytest.mark.parametrize(
    "path, block, code, date",
    [
        (("artifacts", 0, "runtime_meta", "runtime_hooks"), "artifacts[].runtime_meta", "AL101", "2026-02-20"),
        (
            ("artifacts", 0, "runtime_meta", "runtime_hooks", "api_version"),
            "artifacts[].runtime_meta",
            "AL101",
            "2026-02-20",
        ),
        (
            ("artifacts", 1, "runtime_meta", "template_renderer", "name"),
            "artifacts[].runtime_meta",
            "AL101",
            "2026-02-20",
        ),
        (("runtime_stack", "esb_version"), "runtime_stack", "AL103", "2026-02-25"),
        (("runtime_stack", "mode"), "runtime_stack", "AL103", "2026-02-25"),
        (("artifacts", 0, "bundle_manifest", "whatever"), "artifacts[].bundle_manifest", "AL106", "2026-02-25"),
    ],
)
def test_keys_inside_a_legacy_block(path, block, code, date):
    info = describe("manifest", path)
    assert info is not None and info.legacy and info.rule_code == code
    assert info.key == path[-1]
    assert f"`{block}`" in info.markdown
    assert f"**Legacy** ({code}): removed {date}" in info.markdown


def test_keys_inside_a_matrix_legacy_block():
    info = describe("matrix", ("matrix", 0, "env_vars", "E2E_IMAGE_EXPECTED_LOGGER"))
    assert info.legacy and info.rule_code == "AL502" and "`matrix[].env_vars`" in info.markdown


def test_esb_env_is_described_as_renamed():
    info = describe("matrix", ("matrix", 0, "esb_env"))
    assert info.legacy and info.rule_code == "AL503"
    assert "`env`" in info.markdown
    assert "esb_env" not in [k.key for k in valid_keys("matrix", ("matrix", 0))]


def test_runner_rejected_fields_are_not_called_silent():
    info = describe("matrix", ("matrix", 0, "deploy_driver"))
    assert "rejects" in info.markdown
    assert "ignore it silently" not in info.markdown


def test_keyinfo_is_frozen():
    info = describe("manifest", ("mode",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.key = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- valid_keys


def names(kind, path):
    return [k.key for k in valid_keys(kind, path)]


def test_valid_keys_exact():
    assert names("manifest", ()) == list(TOP_KEYS)
    assert names("json", ()) == list(TOP_KEYS)
    assert names("manifest", ("artifacts", 3)) == list(ENTRY_KEYS)
    assert names("manifest", ("artifacts", 0, "source_template")) == list(TEMPLATE_KEYS) == ["path", "sha256"]
    assert names("manifest", ("generator",)) == list(GENERATOR_KEYS)
    assert names("matrix", ()) == ["matrix", "suites"]
    assert names("matrix", ("matrix", 1)) == [
        "env",
        "artifact_manifest",
        "suites",
        "esb_project",
        "env_dir",
        "env_file",
    ]
    assert names("matrix", ("suites", "smoke")) == ["description", "targets", "exclude"]


@pytest.mark.parametrize(
    "kind, path",
    [
        ("manifest", ("artifacts",)),
        ("manifest", ("mode",)),
        ("manifest", ("artifacts", 0, "runtime_meta")),
        ("manifest", ("runtime_stack",)),
        ("manifest", ("artifacts", "x")),
        ("manifest", ("source_template",)),
        ("matrix", ("suites",)),  # suite names are the user's
        ("matrix", ("matrix",)),
        ("matrix", ("matrix", 0, "suites")),
        ("matrix", ("artifacts", 0)),
        ("other", ()),
    ],
)
def test_valid_keys_unknown(kind, path):
    assert valid_keys(kind, path) == []


def _all_paths():
    """Every prefix of every known path (current and legacy), concretised two ways."""
    patterns = [p for p, *_ in MANIFEST_SPEC] + [s.path for s in MANIFEST_LEGACY]
    matrix = [p.replace("<name>", "smoke") for p, *_ in MATRIX_SPEC] + [s.path for s in MATRIX_LEGACY]
    out = set()
    for kind, group in (("manifest", patterns), ("json", patterns), ("matrix", matrix)):
        for pattern in group:
            for index in (0, 7):
                path = concrete(pattern, index)
                for n in range(len(path) + 1):
                    out.add((kind, path[:n]))
    return sorted(out, key=repr)


LEGACY_NAMES = {s.path.split(".")[-1] for s in MANIFEST_LEGACY + MATRIX_LEGACY} | {"esb_env", "runtime_stack", "id"}


@pytest.mark.parametrize("kind, path", _all_paths(), ids=repr)
def test_valid_keys_never_offer_legacy_keys(kind, path):
    keys = valid_keys(kind, path)
    for info in keys:
        assert not info.legacy and info.rule_code is None
        assert info.key not in LEGACY_NAMES
        # what completion offers, hover explains: the same record
        assert describe(kind, path + (info.key,)) == info


def test_valid_keys_every_path_check_is_not_vacuous():
    paths = _all_paths()
    offered = [p for p in paths if valid_keys(*p)]
    assert len(offered) >= 8
    # legacy positions are among the checked paths, and do describe as legacy
    assert ("manifest", ("artifacts", 0, "id")) in paths
    assert describe("manifest", ("artifacts", 0, "id")).legacy


def test_every_documented_key_is_offered_somewhere():
    for kind, spec in (("manifest", MANIFEST_SPEC), ("matrix", MATRIX_SPEC)):
        offered = set()
        for path in [
            (),
            ("artifacts", 0),
            ("artifacts", 0, "source_template"),
            ("generator",),
            ("matrix", 0),
            ("suites", "s"),
        ]:
            offered |= {k.path for k in valid_keys(kind, path)}
        documented = {p for p, *_ in spec} - {"suites.<name>"}
        assert documented <= offered, documented - offered


# --------------------------------------------------------------------------- value_choices


def test_value_choices():
    modes = value_choices("manifest", ("mode",))
    assert [v for v, _ in modes] == list(MODES) == ["docker", "containerd"]
    assert all(doc for _, doc in modes)
    assert "firecracker" in dict(modes)["containerd"]
    assert value_choices("json", ("mode",)) == modes
    assert [v for v, _ in value_choices("manifest", ("schema_version",))] == ['"1"']


@pytest.mark.parametrize(
    "kind, path",
    [
        ("matrix", ("matrix", 0, "suites", 0)),
        ("matrix", ("matrix", 2, "suites", 3)),
        ("matrix", ("mode",)),
        ("manifest", ("project",)),
        ("manifest", ("artifacts", 0, "mode")),
        ("manifest", ()),
        ("other", ("mode",)),
    ],
)
def test_value_choices_empty(kind, path):
    assert value_choices(kind, path) == []


def test_lookups_accept_lists_and_never_raise_on_odd_paths():
    odd = [None, 1.5, object(), b"x", ("a",)]
    for kind, element in itertools.product(("manifest", "matrix", "json"), odd):
        path = ("artifacts", element)
        assert describe(kind, path) is None
        assert valid_keys(kind, path) == []
        assert value_choices(kind, path) == []
    assert describe("manifest", ["artifacts", 0, "artifact_root"]).path == "artifacts[].artifact_root"
