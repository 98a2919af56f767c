"""Incremental lint (``engine/incremental.py``) against the full lint, which is the oracle.

Every result ``relint`` returns must equal a full lint of the same text: the findings (code,
message, span, severity, related spans, key, fixable) in order, the tree ``parsed`` builds
(every node's type and span), the parser's problems, and the fixes (each fix's edits and the
fix-all text). Compared on manifests in many styles (the fix property generator), on chains of
edits (each from the result before, incremental or not), on ``examples/`` and on the corpus.
"""

from __future__ import annotations

import random
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fixgen import corpus_files, manifest_doc, rendered
from artifact_lsp.engine import files, incremental, linter
from artifact_lsp.engine.config import Config
from artifact_lsp.engine.yamlmodel import iter_nodes

ROOT = Path(__file__).resolve().parent.parent

ENTRY = """  - artifact_root: entries/e{i}
    runtime_config_dir: config
    source_template:
      path: e2e/fixtures/t{i}.yaml
      sha256: 6a6b873fc6f14e8e2d81093b2c1dd5d9210099ee8f15d4fc684606c05217cd47
"""
LEGACY = "    image_prewarm: all\n    id: e{i}\n"


def manifest(entries: int = 12, *, legacy_every: int = 3) -> str:
    body = "".join(ENTRY.format(i=i) + (LEGACY.format(i=i) if i % legacy_every == 0 else "") for i in range(entries))
    return (
        'schema_version: "1"\nproject: p  # プロジェクト 😀\nenv: e2e-docker\nmode: docker\nartifacts:\n'
        + body
        + 'generated_at: "2026-02-27T18:28:02Z"\ngenerator:\n  name: esb\n  version: dev\n'
    )


# lines an edit inserts: legacy keys, bad values, comments (non-ASCII too), a new entry, a
# top-level key, anchors and aliases, a document marker, a tab, a suppression directive
POOL = [
    "    image_prewarm: all\n",
    "    id: x\n",
    "    runtime_meta:\n      digest: abc\n",
    "  # コメント 😀\n",
    "    artifact_root: entries/新しい\n",
    "    runtime_config_dir: ../x\n",
    "    bad: [1, 2]\n",
    '    q: "quoted # x"\n',
    "  - artifact_root: a\n    runtime_config_dir: config\n",
    "mode: docker\n",
    "  -\n",
    "    dup: 1\n    dup: 2\n",
    "      path: p\n",
    "    source_template: {path: x, sha256: y}\n",
    "\n",
    "    # artifact-lsp: ignore\n",
    "    k: |\n      block\n      text\n",
    "    tagged: !!int 12\n",
    "    when: 2026-02-30\n",
    "  - &a {x: 1}\n",
    "    ref: *a\n",
    "    x: 0755\n",
    "    windows: C:\\x\n",
    "---\n",
    "    key: 'it''s'\n",
    "\t- tab: 1\n",
    '    "quoted key": 1\n',
    "    <<: {a: 1}\n",
]


def mutate(text: str, rnd: random.Random) -> str:
    """One random line edit, mostly inside the list's entries (lines indented by 2+)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.replace("\r\n", "\n").splitlines(keepends=True) or [""]
    inside = [k for k, line in enumerate(lines) if line.startswith("  ")]
    i = rnd.choice(inside) if inside and rnd.random() < 0.85 else rnd.randrange(len(lines))
    op = rnd.random()
    if op < 0.25:
        del lines[i]
    elif op < 0.5:
        lines.insert(i, rnd.choice(POOL))
    elif op < 0.6:
        lines.insert(i, lines[i])
    elif op < 0.8:
        line = lines[i]
        if len(line) > 1:
            j = rnd.randrange(len(line) - 1)
            lines[i] = line[:j] + rnd.choice("abc: -#'\"é😀") + line[j + 1 :]
    elif op < 0.9:
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        line = lines[i]
        j = rnd.randrange(len(line) + 1)
        lines[i] = line[:j] + line[j + 1 :]
    return "".join(lines).replace("\n", newline)


def picture(result: linter.LintResult) -> list:
    return [
        (f.code, f.message, f.start, f.end, f.severity, f.related, f.key, f.plan is not None) for f in result.findings
    ]


def tree(result: linter.LintResult) -> list:
    parsed = result.parsed
    nodes = [
        (
            type(n).__name__,
            n.start,
            n.end,
            n.anchor,
            n.tag,
            getattr(n, "value", None),
            getattr(n, "style", None),
            getattr(n, "flow", None),
        )
        for n in iter_nodes(parsed.root)
    ]
    problems = [
        (p.kind, p.message, p.start, p.end, p.related and (p.related.start, p.related.end)) for p in parsed.problems
    ]
    return [nodes, problems, parsed.fatal]


def assert_same(full: linter.LintResult, inc: linter.LintResult, *, fixes: bool = True) -> None:
    assert inc.text == full.text
    assert picture(inc) == picture(full)
    assert tree(inc) == tree(full)
    if not fixes:
        return
    assert [(f.code, f.start) for f in inc.fixable] == [(f.code, f.start) for f in full.fixable]
    for a, b in list(zip(full.fixable, inc.fixable, strict=True))[:8]:
        fa, fb = full.fixer.fix_for(a), inc.fixer.fix_for(b)
        assert (fa and (fa.title, fa.edits)) == (fb and (fb.title, fb.edits))
    assert (
        linter.fix_text(inc.text, path=inc.path, result=inc)[0]
        == linter.fix_text(full.text, path=full.path, result=full)[0]
    )


def in_tree(tmp_path: Path, text: str, name: str = "env") -> str:
    folder = tmp_path / "e2e" / "artifacts" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "artifact.yml"
    path.write_text(text, encoding="utf-8", newline="")
    (folder / "entries" / "e1" / "config").mkdir(parents=True, exist_ok=True)  # one entry's folder exists
    for name in ("functions.yml", "routing.yml"):
        (folder / "entries" / "e1" / "config" / name).write_text("{}\n")
    return str(path)


def chain(path: str, text: str, seed: int, steps: int, config: Config) -> tuple[int, int]:
    """``steps`` random edits from ``text``, each re-linted from the result before (mostly the
    incremental one) and compared with a full lint. Returns (incremental, full) counts."""
    rnd = random.Random(seed)
    current = linter.lint_text(text, path=path, config=config)
    counts = [0, 0]
    for step in range(steps):
        new = mutate(current.text, rnd)
        full = linter.lint_text(new, path=path, config=config)
        inc = incremental.relint(current, new, path=path, config=config)
        if inc is None:
            counts[1] += 1
            current = (
                full if incremental.layout_of(full) is not None else linter.lint_text(text, path=path, config=config)
            )
            continue
        counts[0] += 1
        assert inc.reused or inc is current
        assert_same(full, inc, fixes=step % 3 == 0)
        current = inc if rnd.random() < 0.8 else full
    return counts[0], counts[1]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_chains_of_edits_equal_full_lints(tmp_path, crlf):
    text = manifest(12)
    if crlf:
        text = text.replace("\n", "\r\n")
    path = in_tree(tmp_path, text)
    config = Config()
    done = [chain(path, text, seed, 30, config) for seed in range(12)]
    incremental_count = sum(a for a, _ in done)
    # not a vacuous comparison: most edits land in an entry and are re-linted incrementally
    assert incremental_count > 150, done


def test_examples_and_corpus_edits_equal_full_lints(tmp_path):
    sources = sorted((ROOT / "examples").rglob("artifact.yml"))
    sources += [p for p in corpus_files() if p.name.endswith("artifact.yml")]
    config = Config()
    total = 0
    for n, source in enumerate(sources):
        path = in_tree(tmp_path / str(n), source.read_text(encoding="utf-8"))
        for seed in range(3):
            total += chain(path, Path(path).read_text(encoding="utf-8"), seed, 12, config)[0]
    assert total > 20


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=rendered(manifest_doc()), seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 4))
def test_generated_manifests_and_edits(doc, seed, edits):
    text = doc.text if hasattr(doc, "text") else doc
    rnd = random.Random(seed)
    current = linter.lint_text(text, kind="manifest")
    for _ in range(edits):
        new = mutate(current.text, rnd)
        inc = incremental.relint(current, new, kind="manifest")
        full = linter.lint_text(new, kind="manifest")
        if inc is not None:
            assert_same(full, inc)
            current = inc
        else:
            current = full


# --------------------------------------------------------------------------- what it reuses


def test_an_edit_in_one_entry_parses_only_that_entry(tmp_path, monkeypatch):
    text = manifest(50)
    path = in_tree(tmp_path, text)
    full = linter.lint_text(text, path=path, config=Config())
    pieces = []
    real_parse = incremental.parse
    monkeypatch.setattr(incremental, "parse", lambda piece: pieces.append(piece) or real_parse(piece))
    lines = text.splitlines(keepends=True)
    at = lines.index("    image_prewarm: all\n", 200)  # an entry in the middle
    inc = incremental.relint(full, "".join(lines[:at] + lines[at + 1 :]), path=path, config=Config())
    assert inc is not None and inc.reused
    assert len(pieces) == 1 and pieces[0].count("  - ") == 1  # one entry's lines
    assert not inc.materialized  # the diagnostics did not need the tree
    assert_same(linter.lint_text(inc.text, path=path, config=Config()), inc)


def test_the_previous_tree_is_never_changed(tmp_path):
    text = manifest(20)
    path = in_tree(tmp_path, text)
    full = linter.lint_text(text, path=path, config=Config())
    before = tree(full), picture(full)
    lines = text.splitlines(keepends=True)
    new = "".join(lines[:8] + ["    # a comment that moves every later entry\n"] + lines[8:])
    inc = incremental.relint(full, new, path=path, config=Config())
    assert inc is not None
    assert inc.parsed.root is not None  # builds the tree: clones what moved, never moves what it shares
    assert (tree(full), picture(full)) == before
    again = incremental.relint(inc, text, path=path, config=Config())
    assert again is not None
    assert_same(full, again)


@pytest.mark.parametrize(
    "why",
    ["config", "disk", "added entry", "top level", "anchor", "json"],
)
def test_it_refuses_what_it_cannot_do_exactly(tmp_path, why):
    text = manifest(6)
    path = in_tree(tmp_path, text)
    config = Config()
    full = linter.lint_text(text, path=path, config=config)
    lines = text.splitlines(keepends=True)
    first = lines.index("  - artifact_root: entries/e1\n")
    edited = "".join(lines[: first + 1] + ["    extra: 1\n"] + lines[first + 1 :])
    if why == "config":
        assert incremental.relint(full, edited, path=path, config=Config(ignore=("AL104",))) is None
    elif why == "disk":
        files.clear_facts()  # what file watchers do: every disk finding may be stale
        assert incremental.relint(full, edited, path=path, config=config) is None
    elif why == "added entry":
        added = "".join(lines[:first] + ["  - artifact_root: new\n"] + lines[first:])
        assert incremental.relint(full, added, path=path, config=config) is None
    elif why == "top level":
        assert (
            incremental.relint(full, text.replace("mode: docker", "mode: containerd"), path=path, config=config) is None
        )
    elif why == "anchor":
        anchored = text.replace("runtime_config_dir: config\n", "runtime_config_dir: &c config\n", 1)
        base = linter.lint_text(anchored, path=path, config=config)
        assert incremental.relint(base, anchored.replace("entries/e3", "entries/x3"), path=path, config=config) is None
    else:
        base = linter.lint_text(text, path=path, kind="json", config=config)
        assert incremental.relint(base, edited, path=path, kind="json", config=config) is None


def test_a_suppression_directive_is_applied_to_reused_findings(tmp_path):
    text = manifest(6).replace("    image_prewarm: all\n", "    image_prewarm: all  # artifact-lsp: ignore[AL105]\n", 1)
    path = in_tree(tmp_path, text)
    full = linter.lint_text(text, path=path, config=Config())
    count = [f.code for f in full.findings].count("AL105")
    assert count == [f.code for f in full.raw_findings].count("AL105") - 1
    new = text.replace("entries/e3", "entries/x3")
    inc = incremental.relint(full, new, path=path, config=Config())
    assert inc is not None and [f.code for f in inc.findings].count("AL105") == count
    assert_same(linter.lint_text(new, path=path, config=Config()), inc)


def test_the_tree_is_built_once_under_concurrent_readers(tmp_path):
    text = manifest(40)
    path = in_tree(tmp_path, text)
    full = linter.lint_text(text, path=path, config=Config())
    new = text.replace("  - artifact_root: entries/e0\n", "  - artifact_root: entries/e0  # moved\n")
    inc = incremental.relint(full, new, path=path, config=Config())
    assert inc is not None and not inc.materialized
    roots = []
    threads = [threading.Thread(target=lambda: roots.append(inc.parsed.root)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in roots}) == 1
    assert_same(linter.lint_text(new, path=path, config=Config()), inc)


def test_disk_findings_of_untouched_entries_come_from_the_lint_before(tmp_path):
    """What ``relint`` reuses from the disk is as old as ``checked_at`` (the language server
    lints in full once that is older than its facts may be: tests/test_server.py)."""
    text = manifest(4)
    path = in_tree(tmp_path, text)
    files.set_facts_ttl(60)
    try:
        full = linter.lint_text(text, path=path, config=Config())
        assert any("entries/e2/config" in f.message for f in full.findings)
        shutil.copytree(Path(path).parent / "entries" / "e1", Path(path).parent / "entries" / "e2")
        inc = incremental.relint(full, text.replace("entries/e0", "entries/e0b"), path=path, config=Config())
        assert inc is not None and inc.checked_at == full.checked_at
        assert any("entries/e2/config" in f.message for f in inc.findings)  # reused, as old as `full`
    finally:
        files.set_facts_ttl(0)
