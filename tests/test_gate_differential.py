"""Differential check: whenever one of ESB's gates (``gate_oracle``) refuses a generated
manifest or matrix, artifact-lsp reports at least one error on it.

The variants (``gate_variants``) drop, blank, null and mistype every key, add tags, non-scalar
keys and legacy keys, and pair such edits. Run ``python tests/test_gate_differential.py`` for
the figures (variants, refusals, misses, and errors no gate agrees with).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gate_oracle
import gate_variants
from artifact_lsp.engine.config import Config
from artifact_lsp.engine.linter import lint_text
from artifact_lsp.engine.model import Severity

# artifact-lsp flags these on purpose where no gate does (CONTRACT.md: legacy keys,
# runtime-base, mode; the deliberate strictness kept by issue 13: AL003, AL505 folder, AL506)
DELIBERATE = {
    "AL101",
    "AL102",
    "AL103",
    "AL104",
    "AL105",
    "AL106",
    "AL107",
    "AL108",
    "AL201",
    "AL202",
    "AL304",
    "AL003",
    "AL506",
    "AL501",
    "AL502",
    "AL503",
}


def _errors(result):
    return [f for f in result.findings if f.severity >= Severity.ERROR]


def manifest_run():
    rows = []
    for label, text in gate_variants.manifest_variants():
        refused = gate_oracle.manifest_gates(text)
        errors = _errors(lint_text(text, kind="manifest", config=Config(), disk=False))
        rows.append((label, text, refused, errors))
    return rows


def _matrix_repo(tmp: Path) -> Path:
    (tmp / ".git").mkdir(exist_ok=True)
    for name in gate_variants.MANIFESTS:
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("schema_version: '1'\n", encoding="utf-8")
    (tmp / "e2e" / "environments").mkdir(parents=True, exist_ok=True)
    return tmp


def matrix_run(tmp: Path):
    root = _matrix_repo(tmp)
    path = root / "e2e" / "environments" / "test_matrix.yaml"
    config = Config(root=root)

    def exists(name: str) -> bool:
        p = Path(name)
        return (p if p.is_absolute() else root / p).is_file()

    rows = []
    for label, text in gate_variants.matrix_variants():
        verdict = gate_oracle.runner(text, exists)
        refused = {}
        if verdict.rejected:
            refused["runner"] = verdict.rejected
        if verdict.errors:
            refused["runner [ERROR]"] = verdict.errors[0]
        errors = _errors(lint_text(text, path=path, kind="matrix", config=config, disk=True))
        rows.append((label, text, refused, errors))
    return rows


def _misses(rows):
    return [(label, text, refused) for label, text, refused, errors in rows if refused and not errors]


def _unmatched(rows):
    return [
        (label, sorted({f.code for f in errors}))
        for label, text, refused, errors in rows
        if errors and not refused and not {f.code for f in errors} & DELIBERATE
    ]


def test_manifest_base_is_accepted_everywhere():
    text = gate_variants.render(gate_variants.manifest_base())
    assert gate_oracle.manifest_gates(text) == {}
    assert _errors(lint_text(text, kind="manifest", disk=False)) == []


def test_matrix_base_is_accepted(tmp_path):
    text = gate_variants.render(gate_variants.matrix_base())
    assert not gate_oracle.runner(text).refuses
    root = _matrix_repo(tmp_path)
    result = lint_text(text, path=root / "e2e/environments/test_matrix.yaml", kind="matrix", config=Config(root=root))
    assert _errors(result) == []


def test_oracle_refuses_what_the_contract_lists():
    """The oracle itself, on the examples of CONTRACT.md and issue 13."""
    base = gate_variants.manifest_base()
    render, edit = gate_variants.render, gate_variants.edit
    assert "ArtifactGenerator" in gate_oracle.go_reader(render(edit(base, ("generator",), "5")))
    assert "constructor" in gate_oracle.py_reader(render(edit(base, ("project",), "!custom x")))
    octal = "0" + "1234567" * 9
    assert "64 lowercase hex" in gate_oracle.py_reader(
        render(edit(base, ("artifacts", 0, "source_template", "sha256"), octal))
    )
    assert '"1.0"' in gate_oracle.py_reader(render(edit(base, ("schema_version",), "!!float 1")))
    assert "must not be blank" in gate_oracle.regeneration_check(
        render(edit(base, ("artifacts", 0, "source_template", "path"), "5"))
    )
    spaced = f'" {gate_variants.SHA}"'
    assert "64 lowercase hex" in gate_oracle.regeneration_check(
        render(edit(base, ("artifacts", 0, "source_template", "sha256"), spaced))
    )
    assert gate_oracle.py_reader(render(edit(base, ("artifacts", 0, "source_template", "sha256"), spaced))) is None
    assert gate_oracle.manifest_gates(render(edit(base, ("artifacts", 0, "runtime_config_dir"), "'C:\\x'"))) == {}
    m = gate_variants.matrix_base()
    assert "non-empty when provided" in gate_oracle.runner(render(edit(m, ("matrix", 0, "esb_project"), '""'))).rejected
    assert gate_oracle.runner(render(edit(m, ("matrix", 0, "env"), "0"))).errors
    assert gate_oracle.runner(render(edit(m, ("suites", "smoke"), "{}"))).errors
    assert "TypeError" in gate_oracle.runner(render(edit(m, ("suites", "smoke", "targets"), "[5]"))).rejected
    assert (
        "not found"
        in gate_oracle.runner(
            render(edit(m, ("matrix", 0, "artifact_manifest"), "{}")), lambda p: p in gate_variants.MANIFESTS
        ).rejected
    )


def test_every_manifest_gate_refusal_is_an_error():
    rows = manifest_run()
    assert len(rows) > 1500
    misses = _misses(rows)
    assert not misses, "\n\n".join(f"{label}: {refused}\n{text}" for label, text, refused in misses[:10])


def test_every_runner_refusal_is_an_error(tmp_path):
    rows = matrix_run(tmp_path)
    assert len(rows) > 800
    misses = _misses(rows)
    assert not misses, "\n\n".join(f"{label}: {refused}\n{text}" for label, text, refused in misses[:10])


def test_held_out_triples_are_errors_too(tmp_path):
    """Three edits at once, drawn with another seed: nothing the gates refuse slips through."""
    misses = []
    for label, text in gate_variants.triples("manifest", 600):
        if gate_oracle.manifest_gates(text) and not _errors(lint_text(text, kind="manifest", disk=False)):
            misses.append(label)
    root = _matrix_repo(tmp_path)
    path, config = root / "e2e" / "environments" / "test_matrix.yaml", Config(root=root)
    for label, text in gate_variants.triples("matrix", 400):
        verdict = gate_oracle.runner(text, lambda name: (root / name).is_file())
        if verdict.refuses and not _errors(lint_text(text, path=path, kind="matrix", config=config)):
            misses.append(label)
    assert misses == []


if __name__ == "__main__":  # figures for the report
    import tempfile

    m_rows = manifest_run()
    with tempfile.TemporaryDirectory() as tmp:
        x_rows = matrix_run(Path(tmp))
    for name, rows in (("manifest", m_rows), ("matrix", x_rows)):
        refused = sum(1 for r in rows if r[2])
        misses = _misses(rows)
        unmatched = _unmatched(rows)
        print(
            f"{name}: {len(rows)} variants, {refused} refused by a gate, {len(misses)} misses, {len(unmatched)} errors no gate agrees with"
        )
        for label, _text, why in misses[: int(sys.argv[1]) if len(sys.argv) > 1 else 0]:
            print("  MISS", label, why)
        for label, codes in unmatched[: int(sys.argv[2]) if len(sys.argv) > 2 else 0]:
            print("  EXTRA", label, codes)
