"""The contract is written once: ``engine/spec.py``.

- Every contract key name (current, removed, renamed) and every removal date appears in the
  package's code (string literals other than docstrings: messages, docs, lookups) only in
  ``engine/spec.py``; everything else derives from it. Comments and docstrings may name keys.
  A name with ``_`` (``artifact_root``) counts wherever it is written; a common word (``env``,
  ``mode``, ``path``: also a kind of file, a JSON Schema keyword, an environment variable) where
  it is written as a key (`` `env` ``, ``'env'``, ``a.env``, ``env[]``) or looked up
  (``lookup(m, "env")``, ``d.get("env")``).
- No import cycle inside the package.
- The spec is plain data and consistent: paths parse, rule codes exist, dates are dates.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import artifact_lsp
from artifact_lsp.engine import keypath, spec
from artifact_lsp.engine.rules import RULES

PACKAGE = Path(artifact_lsp.__file__).resolve().parent
SPEC = PACKAGE / "engine" / "spec.py"

# Mentions outside the spec in modules that other work is splitting (the CLI and regeneration
# commands, the LSP adapter): they move to ``spec`` with that split. Shrink, never grow.
KNOWN_ELSEWHERE = {
    # the regeneration summary's "changed only in the producer stamps" (spec.PRODUCER_STAMPS)
    ("cli/args.py", "generated_at"),
    ("cli/args.py", "generator"),
    ("cli/args.py", "version"),
    ("regen/runner.py", "generated_at"),
    ("regen/runner.py", "generator"),
    ("regen/runner.py", "version"),
    ("regen/summary.py", "generated_at"),
    ("regen/summary.py", "generator"),
    ("regen/summary.py", "version"),
    # not contract keys: the regenerate settings' ``env`` and ``targets``, a path example
    ("regen/settings.py", "env"),
    ("lsp/handlers/regenerate.py", "targets"),
    ("engine/config.py", "name"),
    # regen/: an environment table's ``name``, a snapshot record's file ``mode`` and ``sha256``
    ("regen/settings.py", "name"),
    ("regen/snapshot.py", "mode"),
    ("regen/drift.py", "sha256"),
    # protocol fields, not contract keys: a code action's document ``version``, a workspace
    # folder's ``name``, a JSON-RPC message's ``id``
    ("lsp/handlers/actions.py", "version"),
    ("lsp/capabilities.py", "name"),
    ("lsp/transport.py", "id"),
}


def key_names() -> set[str]:
    names: set[str] = set()
    paths = [k.path for k in (*spec.KEYS, *spec.MATRIX_KEYS)]
    paths += [row.path for entry in (*spec.REMOVED, *spec.MATRIX_REMOVED) for row in entry.keys]
    paths += [r.path for r in spec.RENAMED] + list(spec.INSIDE_REMOVED)
    for path in paths:
        names |= {p for p in keypath.parse(path) if p is not keypath.INDEX and p is not keypath.NAME}
    return names


def removal_dates() -> set[str]:
    dates = {row.removed for entry in (*spec.REMOVED, *spec.MATRIX_REMOVED) for row in entry.keys if row.removed}
    dates.add(spec.FORBIDDEN_SINCE)
    text = SPEC.read_text(encoding="utf-8")
    return dates | set(re.findall(r"removed on (\d{4}-\d{2}-\d{2})", text))


def _pattern(name: str) -> re.Pattern:
    word = re.escape(name)
    if "_" in name or "." in name:  # a distinctive name: any mention
        return re.compile(rf"(?<![\w-]){word}(?![\w-])")
    # a common word (env, mode, path, name, also a kind of file or a JSON Schema keyword): only
    # where it is written as a key: `env`, 'env', a.env, env.a, env[]
    return re.compile(
        rf"`{word}`|'{word}'|(?<=[\w\]])\.{word}(?![\w-])|(?<![\w.-]){word}(?:\[\])?\.(?=\w)|(?<![\w.-]){word}\["
    )


_LOOKUPS = {"lookup", "get_pair", "get", "pop", "setdefault"}


def _looked_up(tree: ast.AST):
    """``(line, key)`` of every string a module looks up: ``lookup(m, "env")``, ``d.get("env")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in _LOOKUPS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        yield node.lineno, arg.value


def _string_constants(tree: ast.AST):
    """Every string literal of a module that is not a docstring, with its line."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def mentions() -> list[tuple[str, int, str, str]]:
    """``(module, line, name or date, the literal)`` for every mention outside the spec."""
    patterns = {name: _pattern(name) for name in key_names()}
    dates = removal_dates()
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == SPEC:
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, value in _string_constants(tree):
            for name, pattern in patterns.items():
                if pattern.search(value):
                    out.append((rel, line, name, value))
            for date in dates:
                if date in value:
                    out.append((rel, line, date, value))
        for line, value in _looked_up(tree):
            if value in patterns:
                out.append((rel, line, value, f"a lookup of {value!r}"))
    return out


def test_key_names_and_dates_are_written_only_in_the_spec():
    found = [m for m in mentions() if (m[0], m[2]) not in KNOWN_ELSEWHERE]
    assert not found, "write these in engine/spec.py and derive them:\n" + "\n".join(
        f"  {module}:{line}: {name!r} in {value!r}" for module, line, name, value in found
    )


def test_the_grep_is_not_vacuous():
    names = key_names()
    assert {"artifact_root", "runtime_meta", "esb_env", "deploy_driver", "env", "sha256"} <= names
    assert {"2026-02-18", "2026-02-19", "2026-02-20", "2026-02-24", "2026-02-25"} <= removal_dates()
    assert _pattern("runtime_meta").search("legacy key 'artifacts[0].runtime_meta'")
    assert _pattern("env").search("`env`") and _pattern("env").search("matrix[].env")
    assert not _pattern("env").search("the environment") and not _pattern("env").search("env var")
    # the spec itself is found (the test reads the right files)
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    assert any("runtime_meta" in value for _line, value in _string_constants(tree))


def test_known_elsewhere_is_still_needed():
    still = {(m[0], m[2]) for m in mentions()}
    stale = KNOWN_ELSEWHERE - still
    assert not stale, f"remove from KNOWN_ELSEWHERE: {sorted(stale)}"


# --------------------------------------------------------------------------- imports


def _imports(path: Path, module: str, modules) -> set[str]:
    """The package modules ``module`` imports (also inside functions; not TYPE_CHECKING-only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(n) for n in ast.walk(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
            for alias in node.names:
                out.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        elif isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
    return out


def import_graph() -> dict[str, set[str]]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path, name, modules) if m in modules and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_in_the_package():
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    graph = import_graph()
    assert "artifact_lsp.engine.rules" in graph["artifact_lsp.engine.config"]


# --------------------------------------------------------------------------- the spec itself


def test_spec_is_plain_data():
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    defs = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
    assert defs == [], f"spec.py holds data only, no functions: {defs}"
    imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imports <= {"__future__", "dataclasses"}


@pytest.mark.parametrize("entry", [*spec.REMOVED, *spec.MATRIX_REMOVED, *spec.RENAMED], ids=lambda e: e.code)
def test_removed_entries_are_rules(entry):
    assert entry.code in RULES and RULES[entry.code].name == entry.name
    for row in getattr(entry, "keys", ()):
        assert keypath.is_valid(row.path), row.path
        assert row.removed == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.removed)


def test_key_rules_exist():
    for key in (*spec.KEYS, *spec.MATRIX_KEYS):
        for role, code in key.rules.items():
            assert role in ("missing", "blank", "type", "value") and code in RULES, (key.path, role, code)
        assert key.type in ("text", "mapping", "list", "any"), key.path
