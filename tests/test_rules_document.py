"""Document-level rules (AL000-AL004) and how positions are counted."""

from __future__ import annotations

import os

import pytest

from artifact_lsp.engine import rules as rules_pkg
from artifact_lsp.engine.config import Config
from artifact_lsp.engine.linter import lint_path
from artifact_lsp.engine.model import Severity

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\n'
CLEAN = HEAD + "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config\n"


# --------------------------------------------------------------------------- AL001


@pytest.mark.parametrize(
    "text,at,wording",
    [
        ("schema_version: [\n", (2, 1), "did not find expected node content"),
        ('schema_version: "1"\nproject: "unterminated\nenv: x\n', (4, 1), "found unexpected end of stream"),
        ('schema_version: "1"\nartifacts:\n\t- id: x\n', (3, 1), "found character that cannot start any token"),
        ("project: esb\n env: x\n", (2, 5), "mapping values are not allowed in this context"),
        ("project: esb: x\n", (1, 13), "mapping values are not allowed in this context"),
    ],
)
def test_al001_syntax_error(lint, text, at, wording):
    out = lint(text)
    hit = out.one("AL001")
    assert hit.at == at
    assert hit.severity is Severity.ERROR
    assert hit.message.startswith("YAML syntax error: ")
    assert wording in hit.message
    # nothing else can be checked until the file parses
    assert out.codes == ["AL001"]


def test_al001_stops_all_other_rules(lint):
    text = HEAD + "artifacts:\n  - id: x\n    image_prewarm: all\n    bad: [\n"
    assert lint(text).codes == ["AL001"]
    assert lint("matrix:\n- deploy_driver: cli\n  x: [\n", kind="matrix").codes == ["AL001"]


def test_al001_undefined_alias(lint):
    out = lint(CLEAN + "generator: *meta\n")
    hit = out.one("AL001")
    assert hit.at == (8, 12)
    assert hit.message == "YAML syntax error: found undefined alias '*meta'"
    assert out.codes == ["AL001"]


def test_al001_not_utf8(tmp_path):
    path = tmp_path / "artifact.yml"
    path.write_bytes(CLEAN.encode() + b"generator:\n  name: caf\xe9\n")
    result = lint_path(path, Config(root=tmp_path))
    assert [f.code for f in result.findings] == ["AL001"]
    finding = result.findings[0]
    assert finding.severity is Severity.ERROR
    assert finding.message == "the file is not UTF-8 text (byte 0xe9 on line 9)"
    assert (finding.start, finding.end) == (0, 0)


def test_al001_negative(lint):
    lint(CLEAN).none("AL001")
    lint("\ufeff" + CLEAN).none("AL001")
    lint(CLEAN.replace("\n", "\r\n")).none("AL001")


# --------------------------------------------------------------------------- AL002


def test_al002_second_document(lint):
    text = CLEAN + "---\n" + CLEAN.replace("    runtime_config_dir", "    id: x\n    runtime_config_dir")
    out = lint(text)
    hit = out.one("AL002")
    assert hit.at == (8, 1)
    assert hit.severity is Severity.ERROR
    assert hit.message == "a manifest holds exactly one YAML document; a second one starts here"
    # only the first document is checked
    out.none("AL104")
    assert out.codes == ["AL002"]


def test_al002_in_matrix(lint):
    text = "suites: {}\nmatrix:\n- env: e\n  artifact_manifest: a.yml\n---\nother: 1\n"
    assert lint(text, kind="matrix").one("AL002").at == (5, 1)


def test_al002_negative(lint):
    lint("---\n" + CLEAN).none("AL002")
    lint(CLEAN + "...\n").none("AL002")
    lint("%YAML 1.1\n---\n" + CLEAN).none("AL002")


# --------------------------------------------------------------------------- AL003


def test_al003_duplicate_key(lint):
    text = CLEAN.replace("mode: docker\n", "mode: docker\nproject: esb2\n")
    out = lint(text)
    hit = out.one("AL003")
    assert hit.at == (5, 1)
    assert hit.severity is Severity.ERROR
    assert hit.message == "duplicate key 'project' (the last one wins; the first is ignored)"
    related = hit.finding.related
    assert len(related) == 1 and related[0].message == "first defined here"
    assert out.result.index.position(related[0].start) == (1, 0)


def test_al003_in_entry_and_in_matrix(lint):
    out = lint(CLEAN + "    artifact_root: again\n")
    assert out.one("AL003").at == (8, 5)
    matrix = "suites: {}\nmatrix:\n- env: a\n  env: b\n  artifact_manifest: x.yml\n"
    assert lint(matrix, kind="matrix").one("AL003").at == (4, 3)


def test_al003_negative(lint):
    lint(CLEAN).none("AL003")
    # repeated merge keys are not duplicates; same key in different mappings is fine
    text = (
        "x-a: &a {k: 1}\nx-b: &b {k: 2}\nx-c:\n  <<: *a\n  <<: *b\n"
        + CLEAN
        + "  - artifact_root: b\n    runtime_config_dir: c\n"
    )
    lint(text).none("AL003")


# --------------------------------------------------------------------------- AL004


def test_al004_file_over_max_file_size(tmp_path):
    path = tmp_path / "artifact.yml"
    path.write_text(CLEAN)
    size = len(CLEAN.encode())
    result = lint_path(path, Config(root=tmp_path, max_file_size=64))
    assert [f.code for f in result.findings] == ["AL004"]
    finding = result.findings[0]
    assert finding.severity is Severity.WARNING
    assert finding.message == f"not checked: {size} bytes is over max-file-size (64)"
    assert result.index.position(finding.start) == (0, 0)


def test_al004_negative_under_the_limit(tmp_path):
    path = tmp_path / "artifact.yml"
    path.write_text(CLEAN)
    size = len(CLEAN.encode())
    assert lint_path(path, Config(root=tmp_path, max_file_size=size), disk=False).findings == []


def test_al004_not_a_regular_file(tmp_path):
    folder = tmp_path / "artifact.yml"
    folder.mkdir()
    result = lint_path(folder, Config(root=tmp_path))
    assert [(f.code, f.message) for f in result.findings] == [("AL004", "not checked: not a regular file")]


def test_al004_can_be_ignored_and_missing_file_raises(tmp_path):
    path = tmp_path / "artifact.yml"
    path.write_text(CLEAN)
    assert lint_path(path, Config(root=tmp_path, max_file_size=8, ignore=("AL004",))).findings == []
    with pytest.raises(FileNotFoundError):
        lint_path(tmp_path / "missing" / "artifact.yml", Config(root=tmp_path))


# --------------------------------------------------------------------------- AL000


def test_al000_a_rule_bug_becomes_a_finding(lint, monkeypatch):
    def boom(ctx):
        raise RuntimeError("boom")

    boom.__module__ = "artifact_lsp.engine.rules.exploding"
    monkeypatch.setitem(rules_pkg.CHECKS, "manifest", (boom,) + tuple(rules_pkg.CHECKS["manifest"]))
    out = lint(CLEAN + "    id: x\n")
    hit = out.one("AL000")
    assert hit.at == (1, 1)
    assert hit.severity is Severity.ERROR
    assert hit.message == "internal error in exploding: RuntimeError('boom')"
    # the other rules still ran
    assert out.one("AL104").at == (8, 5)


def test_al000_negative(lint, corpus_dir):
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix in (".yml", ".yaml"):
            kind = "matrix" if path.name.endswith("test_matrix.yaml") else "manifest"
            lint(path.read_text(encoding="utf-8"), kind=kind).none("AL000")


# --------------------------------------------------------------------------- positions


def test_positions_with_crlf(lint):
    out = lint((CLEAN + "    id: x\n").replace("\n", "\r\n"))
    hit = out.one("AL104")
    assert hit.at == (8, 5)
    assert out.span_text(hit) == "id"


def test_positions_with_bom(lint):
    out = lint("\ufeff" + CLEAN + "    id: x\n")
    hit = out.one("AL104")
    assert hit.at == (8, 5)
    assert out.span_text(hit) == "id"
    assert lint("\ufeffschema_version: [\n").one("AL001").at == (2, 1)


def test_columns_are_utf16_code_units(lint):
    text = HEAD + 'artifacts:\n  - {note: "\U0001f600é", artifact_root: a, runtime_config_dir: c, id: x}\n'
    out = lint(text)
    hit = out.one("AL104")
    line = text.splitlines()[5]
    prefix = line[: line.index(" id:") + 1]
    assert hit.at == (6, len(prefix.encode("utf-16-le")) // 2 + 1)
    assert hit.at == (6, 60)  # the emoji is two UTF-16 units
    assert out.span_text(hit) == "id"


def test_lint_text_never_raises_on_odd_input(lint):
    for text in ("\x00", "\t", "\r", "\ufeff", ": : :", "[" * 50, "a: !!python/object:os.system x\n", "? [a]\n: b\n"):
        out = lint(text)
        assert "AL000" not in out.codes, (text, out)


def test_no_rule_crashes_on_non_scalar_keys(lint):
    text = (
        HEAD
        + "? [complex]\n: value\nartifacts:\n  - ? {a: 1}\n    : x\n    artifact_root: a\n    runtime_config_dir: c\n"
    )
    assert "AL000" not in lint(text).codes


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "artifact.yml"
    os.mkfifo(fifo)
    result = lint_path(fifo, Config(root=tmp_path))
    assert [(f.code, f.message) for f in result.findings] == [("AL004", "not checked: not a regular file")]


# --------------------------------------------------------------------------- coverage guard


def test_every_rule_code_has_tests():
    """A new rule without a test here fails this (each code must appear in a rule test file)."""
    from pathlib import Path

    from artifact_lsp.engine.rules import RULES

    here = Path(__file__).resolve().parent
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted(here.glob("test_*.py")))
    untested = [code for code in RULES if f'"{code}"' not in corpus]
    assert untested == []


def test_rule_table_is_consistent():
    from artifact_lsp.engine.rules import RULES, rule

    for code, r in RULES.items():
        assert r.code == code and len(code) == 5 and code.startswith("AL")
        assert r.summary and r.docs
        assert set(r.files) <= {"manifest", "json", "matrix"}
        assert rule(code) is r and rule(r.name) is r
        assert r.url.endswith("#" + code.lower())


# --------------------------------------------------------------------------- AL005 prefilter


@pytest.mark.parametrize(
    "text,found",
    [
        ("at: 2026-02-30\n", True),
        ("2026-02-30\n", True),  # at the start of the text
        ("at: [2026-1]\n", True),
        ('at: "2026-02-30"\n', False),  # quoted
        ("at: '2026-02-30'\n", False),
        ("id: t12026-1\n", False),  # after a word character
        ("v: 1.2026-1\n", False),
        ("v: -2026-1\n", False),
        ("v: 12345-6\n", False),  # five digits: the four before "-" follow a digit
        ("v: 2026-x\n", False),
        ("v: 202-1\n", False),
        ("v: é2026-1\n", False),  # a non-ASCII word character
    ],
)
def test_al005_date_prefilter(text, found):
    """The date prefilter of the AL005 walk finds an unquoted date exactly where the plain
    lookbehind-first pattern did (it is written to start at the "-" for speed)."""
    import re

    from artifact_lsp.engine.rules import al0xx_yaml

    plain = re.compile(r"(?<![\"'\w.-])[0-9]{4}-[0-9]")
    assert bool(plain.search(text)) is found
    assert bool(al0xx_yaml._DATE.search(text)) is found
