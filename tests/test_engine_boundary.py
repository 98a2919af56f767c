"""The engine is plain Python: no LSP library in ``artifact_lsp.engine``, by source and at run time."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import artifact_lsp.engine

ENGINE = Path(artifact_lsp.engine.__file__).resolve().parent
FORBIDDEN = ("pygls", "lsprotocol")
ENGINE_FILES = sorted(ENGINE.rglob("*.py"))


def _imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Call):
            # importlib.import_module("pygls...") / __import__("pygls")
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.append(first.value)
    return names


def test_engine_has_modules():
    names = {p.name for p in ENGINE_FILES}
    assert {"linter.py", "config.py", "model.py", "suppress.py", "text.py"} <= names
    assert any(p.parent.name == "rules" for p in ENGINE_FILES)


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.relative_to(ENGINE).as_posix())
def test_no_lsp_imports_in_engine_source(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [name for name in _imported_modules(tree) if name.split(".")[0] in FORBIDDEN]
    assert bad == [], f"{path.relative_to(ENGINE)} imports {bad}"


def test_the_checker_itself_sees_imports():
    tree = ast.parse(
        "import pygls.server\nfrom lsprotocol import types\nimport importlib\nimportlib.import_module('pygls')\n"
    )
    assert _imported_modules(tree) == ["pygls.server", "lsprotocol", "importlib", "pygls"]


def test_importing_the_engine_does_not_load_pygls():
    code = (
        "import json, sys\n"
        "import artifact_lsp.engine.linter as linter\n"
        "from artifact_lsp.engine.config import load_config\n"
        "result = linter.lint_text('schema_version: \"1\"\\n', kind='manifest')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol'))\n"
        "print(json.dumps({'loaded': loaded, 'findings': len(result.findings)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert report["findings"] > 0  # the engine really ran
