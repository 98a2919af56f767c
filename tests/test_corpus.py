"""The real ESB manifests and matrices: every legacy key reported at its exact place, clean files clean.

The expected legacy keys are found here independently of the engine: ``yaml.safe_load`` says
which keys sit at the contract positions of CONTRACT.md, PyYAML's own composer says where each
key is written, and the text of that line is checked to start with the key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from artifact_lsp.engine.config import Config
from artifact_lsp.engine.linter import lint_text
from artifact_lsp.engine.model import Severity

# (path of the mapping, key) -> code, at the contract positions (CONTRACT.md "Legacy keys")
MANIFEST_TOP = {"runtime_stack": "AL103"}
MANIFEST_ENTRY = {
    "runtime_meta": "AL101",
    "id": "AL104",
    "image_prewarm": "AL105",
    "bundle_manifest": "AL106",
    "required_secret_env": "AL107",
}
MANIFEST_TEMPLATE = {"parameters": "AL108"}
RUNTIME_META_DIGESTS = {
    "runtime_hooks": ("python_sitecustomize_digest", "java_agent_digest", "java_wrapper_digest"),
    "template_renderer": ("template_digest",),
}
MATRIX_ENTRY = {
    "deploy_driver": "AL501",
    "artifact_generate": "AL501",
    "image_uri_overrides": "AL501",
    "config_dir": "AL502",
    "env_vars": "AL502",
    "image_runtime_overrides": "AL502",
    "deploy_templates": "AL502",
    "esb_env": "AL503",
}
LEGACY_CODES = {"AL101", "AL102", "AL103", "AL104", "AL105", "AL106", "AL107", "AL108", "AL501", "AL502", "AL503"}


def kind_of(name: str) -> str:
    return "matrix" if name.endswith("test_matrix.yaml") else "manifest"


def expected_legacy(text: str, kind: str) -> list[tuple[str, str]]:
    """``[(code, dotted path)]`` of every legacy key in the data, from ``yaml.safe_load``."""
    data = yaml.safe_load(text)
    out: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return out
    if kind == "matrix":
        for i, entry in enumerate(data.get("matrix") or []):
            if isinstance(entry, dict):
                out += [(code, f"matrix[{i}].{key}") for key, code in MATRIX_ENTRY.items() if key in entry]
        return out
    out += [(code, key) for key, code in MANIFEST_TOP.items() if key in data]
    for i, entry in enumerate(data.get("artifacts") or []):
        if not isinstance(entry, dict):
            continue
        out += [(code, f"artifacts[{i}].{key}") for key, code in MANIFEST_ENTRY.items() if key in entry]
        template = entry.get("source_template")
        if isinstance(template, dict):
            out += [
                (code, f"artifacts[{i}].source_template.{key}")
                for key, code in MANIFEST_TEMPLATE.items()
                if key in template
            ]
        meta = entry.get("runtime_meta")
        if isinstance(meta, dict):
            for block, digests in RUNTIME_META_DIGESTS.items():
                inner = meta.get(block)
                if isinstance(inner, dict):
                    out += [("AL102", f"artifacts[{i}].runtime_meta.{block}.{d}") for d in digests if d in inner]
    return out


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_position(text: str, dotted: str) -> tuple[int, int]:
    """1-based (line, UTF-16 column) of the key at ``dotted``, from PyYAML's composer."""
    node = yaml.compose(text)
    key_node = None
    for name, index in _STEP.findall(dotted):
        if index:
            node = node.value[int(index)]
            continue
        for k, v in node.value:
            if k.value == name:
                key_node, node = k, v
        assert key_node is not None and key_node.value == name, dotted
    mark = key_node.start_mark
    line_text = text.splitlines()[mark.line]
    column = len(line_text[: mark.column].encode("utf-16-le")) // 2
    # the line itself must show the key there: '  key:' or '- key:'
    name = dotted.rsplit(".", 1)[-1]
    assert line_text[mark.column :].startswith(f"{name}:"), (dotted, line_text)
    assert re.match(r"^\s*(- )?$", line_text[: mark.column]), (dotted, line_text)
    return mark.line + 1, column + 1


def lint_corpus(path: Path):
    text = path.read_text(encoding="utf-8")
    result = lint_text(text, path=None, kind=kind_of(path.name), config=Config(), disk=False)
    return text, result


def positions(result):
    out = []
    for f in result.findings:
        line, col = result.index.position(f.start)
        out.append((f.code, line + 1, col + 1, f))
    return out


# --------------------------------------------------------------------------- every file


def test_every_legacy_key_is_reported_at_its_place(corpus_file):
    text, result = lint_corpus(corpus_file)
    kind = kind_of(corpus_file.name)
    found = positions(result)
    expected = expected_legacy(text, kind)
    for code, dotted in expected:
        line, col = key_position(text, dotted)
        hits = [f for c, ln, cl, f in found if c == code and (ln, cl) == (line, col)]
        assert hits, (
            f"{corpus_file.name}: {code} for '{dotted}' not reported at {line}:{col}; got {[(c, ln, cl) for c, ln, cl, _ in found]}"
        )
        finding = hits[0]
        key = dotted.rsplit(".", 1)[-1]
        assert key in finding.message
        assert text[finding.start : finding.end] == key
        assert finding.severity is finding.rule.severity
    # and nothing else is called legacy
    legacy_found = sorted((c, ln, cl) for c, ln, cl, _ in found if c in LEGACY_CODES)
    legacy_expected = sorted((code, *key_position(text, dotted)) for code, dotted in expected)
    assert legacy_found == legacy_expected, corpus_file.name


def test_legacy_fix_plans_on_corpus(corpus_file):
    text, result = lint_corpus(corpus_file)
    for f in result.findings:
        if f.code in LEGACY_CODES - {"AL102"}:
            assert f.plan is not None, (corpus_file.name, f.code)
            assert f.plan.key.value == text[f.start : f.end]
        if f.code == "AL102":
            assert f.plan is not None and f.plan.key.value == "runtime_meta"


def test_clean_files_have_no_errors(corpus_file):
    text, result = lint_corpus(corpus_file)
    kind = kind_of(corpus_file.name)
    errors = [(c, ln, cl, f.message) for c, ln, cl, f in positions(result) if f.severity >= Severity.ERROR]
    if not expected_legacy(text, kind):
        assert errors == [], corpus_file.name
    else:
        # a file with legacy keys has no other error, except matrices from before
        # artifact_manifest existed (their entries lack it: AL504)
        others = {c for c, *_ in errors if c not in LEGACY_CODES}
        assert others <= ({"AL504"} if kind == "matrix" else set()), (corpus_file.name, errors)


def test_no_internal_errors_and_positions_in_range(corpus_file):
    text, result = lint_corpus(corpus_file)
    for f in result.findings:
        assert f.code != "AL000", f.message
        assert 0 <= f.start <= f.end <= len(text)


# --------------------------------------------------------------------------- the corpus as a whole


def test_the_clean_fixtures_named_in_the_contract_are_clean(corpus_dir):
    clean = [
        p
        for p in sorted(corpus_dir.iterdir())
        if p.name.endswith("artifact.yml") and (p.name.startswith("2026-02-28") or "esb3-dev" in p.name)
    ]
    assert len(clean) >= 3
    for path in clean:
        text, result = lint_corpus(path)
        assert expected_legacy(text, "manifest") == [], path.name
        assert [f for f in result.findings if f.severity >= Severity.ERROR] == [], path.name


def test_corpus_has_both_legacy_and_clean_files(corpus_dir):
    """Guards the test above against a corpus (or a walker) that finds nothing."""
    codes = set()
    clean_matrices = 0
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix not in (".yml", ".yaml"):
            continue
        text = path.read_text(encoding="utf-8")
        found = expected_legacy(text, kind_of(path.name))
        codes |= {code for code, _ in found}
        clean_matrices += kind_of(path.name) == "matrix" and not found
    # CONTRACT.md: old fixtures carry id, image_prewarm, runtime_meta, runtime_stack; old matrices the driver fields
    assert {"AL101", "AL102", "AL103", "AL104", "AL105", "AL501", "AL502", "AL503"} <= codes
    assert clean_matrices >= 1


def test_old_fixture_exact_findings(corpus_dir):
    """One fixture spelled out in full, so a regression shows as a readable diff."""
    path = corpus_dir / "2026-02-18_1960021a_e2e_artifacts_e2e-docker_artifact.yml"
    if not path.exists():
        pytest.skip("fixture not in this corpus")
    _, result = lint_corpus(path)
    assert [(c, ln, cl) for c, ln, cl, _ in positions(result)] == [
        ("AL104", 6, 5),
        ("AL105", 9, 5),
        ("AL101", 13, 5),
        ("AL102", 16, 9),
        ("AL102", 17, 9),
        ("AL102", 18, 9),
        ("AL102", 22, 9),
    ]
