"""Every rule against its fixtures: ``tests/rules/<CODE>/<case>/`` is a tiny repository.

One parametrized test per case: every ``artifact.yml``, ``artifact.json`` and
``test_matrix.yaml`` in the case folder is checked with only ``<CODE>`` selected (disk rules
on; the case folder is the repository root, or the folder of its ``.artifact-lsp.toml``), and
then fixed. The findings (exact ranges, 1-based lines and UTF-16 columns, severity, fix title,
message) and the fix (a unified diff) must equal ``<case>/expected.snap``.

Regenerate the snapshots after an intended change (and read the diff):

    ARTIFACT_LSP_UPDATE_SNAPSHOTS=1 uv run pytest tests/test_rule_fixtures.py

Adding a rule (or a removed key) = a folder with a case + its generated snapshot.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from artifact_lsp.engine.config import Config, load_config_from
from artifact_lsp.engine.linter import FILE_KINDS, fix_text, lint_path
from artifact_lsp.engine.rules import RULES

RULES_DIR = Path(__file__).resolve().parent / "rules"
SNAPSHOT = "expected.snap"
UPDATE = os.environ.get("ARTIFACT_LSP_UPDATE_SNAPSHOTS") == "1"
NO_FIXTURE = {"AL000": "an internal error: raised only by a bug (tests/test_rules_document.py forces one)"}


def _cases() -> list[Path]:
    return sorted(p for p in RULES_DIR.glob("AL*/*") if p.is_dir())


def _config(case: Path, code: str) -> Config:
    toml = case / ".artifact-lsp.toml"
    base = load_config_from(toml) if toml.is_file() else Config(root=case)
    return base.merged({"select": [code]}, origin=str(case))


def _position(index, offset: int) -> str:
    line, col = index.position(offset)
    return f"{line + 1}:{col + 1}"


def render(case: Path) -> str:
    """What the snapshot of ``case`` says: the findings of its code, then what fix changes."""
    code = case.parent.name
    config = _config(case, code)
    files = sorted(p for p in case.rglob("*") if p.is_file() and p.name in FILE_KINDS)
    out = [f"# {code} ({RULES[code].name}) on tests/rules/{code}/{case.name}: findings, then the fix", ""]
    fixes = []
    for path in files:
        rel = path.relative_to(case).as_posix()
        result = lint_path(path, config)
        for f in result.findings:
            span = f"{_position(result.index, f.start)}-{_position(result.index, f.end)}"
            fix = f" [fix: {f.plan.title}]" if f.plan is not None and result.kind != "json" else ""
            out.append(f"{rel}:{span} {f.code} {f.severity.label}{fix}")
            out.append(f"    {f.message}")
            for related in f.related:
                out.append(f"    related {_position(result.index, related.start)}: {related.message}")
        if result.kind == "json" or not result.text:
            continue
        new_text, _fixed = fix_text(result.text, path=path, config=config)
        if new_text != result.text:
            diff = difflib.unified_diff(
                result.text.splitlines(keepends=True), new_text.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
            )
            fixes.append(
                "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)
            )
    if len(out) == 2:
        out.append("(no findings)")
    out += ["", "# fix"]
    return "\n".join(out) + "\n" + ("".join(fixes) if fixes else "(nothing to fix)\n")


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_fixture(case: Path):
    got = render(case)
    snap = case / SNAPSHOT
    if UPDATE:
        if not snap.is_file() or snap.read_text(encoding="utf-8") != got:
            snap.write_text(got, encoding="utf-8", newline="")
        return
    assert snap.is_file(), f"no snapshot for {case}: run ARTIFACT_LSP_UPDATE_SNAPSHOTS=1 uv run pytest {__file__}"
    assert snap.read_text(encoding="utf-8") == got


def test_every_rule_has_a_fixture_that_finds_it():
    """Adding a rule means adding a fixture: every code (but AL000) has a case that reports it."""
    for code in RULES:
        if code in NO_FIXTURE:
            continue
        cases = [c for c in _cases() if c.parent.name == code]
        assert cases, f"{code}: add a case under tests/rules/{code}/"
        snaps = [(c / SNAPSHOT).read_text(encoding="utf-8") for c in cases if (c / SNAPSHOT).is_file()]
        assert any(f" {code} " in snap for snap in snaps), f"{code}: no case of tests/rules/{code}/ reports it"


def test_fixture_folders_are_rule_codes():
    for folder in RULES_DIR.iterdir():
        if folder.is_dir():
            assert folder.name in RULES, f"tests/rules/{folder.name}: not a rule code"
