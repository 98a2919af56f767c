"""Shared fixtures for the engine tests.

- ``corpus_dir``: the real ESB manifests (``../shared/corpus/esb-history``); skips when absent.
- ``write_repo``: lay out a fake repository on disk from ``{relative path: content}``.
- ``lint``: lint a text and get back a ``Linted`` wrapper whose findings carry 1-based
  ``line``/``col`` (from ``LintResult.index.position``), so tests can assert exact places.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from artifact_lsp.engine.config import Config
from artifact_lsp.engine.linter import LintResult, lint_path, lint_text
from artifact_lsp.engine.model import Finding, Severity

PROJECT = Path(__file__).resolve().parent.parent
CORPUS_CANDIDATES = (
    PROJECT.parent / "shared" / "corpus" / "esb-history",
    Path("/work/shared/corpus/esb-history"),
)


def _corpus_path() -> Path | None:
    env = os.environ.get("ARTIFACT_LSP_CORPUS")
    candidates = (Path(env),) if env else CORPUS_CANDIDATES
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.y*ml")):
            return candidate
    return None


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = _corpus_path()
    if path is None:
        pytest.skip("the ESB corpus (../shared/corpus/esb-history) is not available")
    return path


def corpus_files() -> list[str]:
    path = _corpus_path()
    if path is None:
        return []
    return sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def pytest_generate_tests(metafunc):
    """A test asking for ``corpus_name`` runs once per corpus file (skipped without a corpus)."""
    if "corpus_name" in metafunc.fixturenames:
        names = corpus_files()
        metafunc.parametrize("corpus_name", names or [None], ids=names or ["no-corpus"])


@pytest.fixture
def corpus_file(corpus_dir, corpus_name) -> Path:
    if corpus_name is None:
        pytest.skip("the ESB corpus is not available")
    return corpus_dir / corpus_name


# --------------------------------------------------------------------------- fake repositories


def _write_repo(root: Path, files: dict, *, git: bool = True) -> Path:
    """Write ``files`` under ``root``.

    Values: ``str`` (UTF-8 text), ``bytes`` (written as is) or ``None`` (an empty folder).
    A ``.git`` folder makes ``root`` the repository root unless ``git=False``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if git:
        (root / ".git").mkdir(exist_ok=True)
    for rel, content in files.items():
        target = root / rel
        if content is None:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            # newline="" keeps the exact text (no \r\n translation anywhere)
            with open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
    return root


@pytest.fixture
def write_repo():
    """``write_repo(tmp_path, {"a/artifact.yml": "...", "a/entries/x/runtime-base": None})``."""
    return _write_repo


# --------------------------------------------------------------------------- linting helpers


@dataclass(frozen=True)
class Hit:
    """A finding with its 1-based line and UTF-16 column."""

    code: str
    severity: Severity
    line: int
    col: int
    message: str
    finding: Finding

    @property
    def at(self) -> tuple[int, int]:
        return (self.line, self.col)

    def __repr__(self) -> str:  # readable assertion failures
        return f"{self.code}@{self.line}:{self.col}[{self.severity.label}] {self.message!r}"


class Linted:
    def __init__(self, result: LintResult):
        self.result = result
        index = result.index
        self.hits = []
        for f in result.findings:
            line, col = index.position(f.start)
            self.hits.append(Hit(f.code, f.severity, line + 1, col + 1, f.message, f))

    @property
    def codes(self) -> list[str]:
        return [h.code for h in self.hits]

    def of(self, code: str) -> list[Hit]:
        return [h for h in self.hits if h.code == code]

    def one(self, code: str) -> Hit:
        found = self.of(code)
        assert len(found) == 1, f"expected exactly one {code}, got {self.hits}"
        return found[0]

    def none(self, code: str) -> None:
        assert not self.of(code), f"expected no {code}, got {self.of(code)}"

    def span_text(self, hit: Hit) -> str:
        return self.result.text[hit.finding.start : hit.finding.end]

    def __repr__(self) -> str:
        return f"Linted({self.hits})"


@pytest.fixture
def lint():
    """``lint(text, kind=..., path=..., config=..., disk=False)`` -> ``Linted``.

    Disk rules are off unless ``disk=True`` is passed (tests that want them pass a path too).
    """

    def run(text: str, *, kind: str | None = None, path=None, config: Config | None = None, disk: bool = False):
        return Linted(lint_text(text, path=path, kind=kind, config=config, disk=disk))

    return run


@pytest.fixture
def lint_file():
    """``lint_file(path, config)`` -> ``Linted`` (``lint_path`` with disk rules on)."""

    def run(path, config: Config | None = None, *, disk: bool = True):
        return Linted(lint_path(Path(path), config or Config(), disk=disk))

    return run
