"""The LSP adapter's shape (issue 12 item 3): one routing table, handler modules that never
import each other, state declared on the server class."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "server" / "artifact_lsp" / "lsp" / "handlers"


def _imported_handler_modules(path: Path) -> set[str]:
    """The sibling handler modules ``path`` imports (relative or absolute, anywhere in it)."""
    names = {p.stem for p in HANDLERS.glob("*.py") if p.stem != "__init__"}
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from .x import y / from . import x
                targets = [node.module] if node.module else [a.name for a in node.names]
            elif node.level == 0 and (node.module or "").startswith("artifact_lsp.lsp.handlers"):
                rest = (node.module or "").removeprefix("artifact_lsp.lsp.handlers").lstrip(".")
                targets = [rest.split(".")[0]] if rest else [a.name for a in node.names]
            elif node.level == 2 and node.module == "handlers":  # from ..handlers import x
                targets = [a.name for a in node.names]
            elif node.level == 2 and (node.module or "").startswith("handlers."):
                targets = [node.module.split(".")[1]]
            else:
                continue
            out |= {t for t in targets if t in names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("artifact_lsp.lsp.handlers."):
                    out.add(alias.name.split(".")[3])
    return out - {path.stem}


def test_handler_modules_never_import_each_other():
    modules = sorted(p for p in HANDLERS.glob("*.py") if p.stem != "__init__")
    assert len(modules) >= 5
    offenders = {p.stem: sorted(found) for p in modules if (found := _imported_handler_modules(p))}
    assert not offenders, f"handler modules import each other (move the shared part out): {offenders}"


def test_the_import_check_can_fail(tmp_path):
    probe = HANDLERS / "sync.py"
    text = "from . import reading\nfrom ..handlers import actions\nfrom .diagnostics import OPTIONS\n"
    fake = tmp_path / probe.name
    fake.write_text(text, encoding="utf-8")
    assert _imported_handler_modules(fake) == {"reading", "actions", "diagnostics"}


def test_every_handler_is_routed_once():
    from artifact_lsp.lsp import routes
    from artifact_lsp.lsp.handlers import actions, diagnostics, lifecycle, reading, regenerate, sync

    routed = [handler for _name, handler, _options in routes.ROUTES]
    assert len(routed) == len(set(routed))
    names = [name for name, _handler, _options in routes.ROUTES]
    assert len(names) == len(set(names))
    for module in (actions, diagnostics, lifecycle, reading, regenerate, sync):
        for handler in routed:
            if inspect.getmodule(handler) is module:
                assert handler.__qualname__ == handler.__name__, "handlers are module-level functions"


def test_server_state_is_declared_on_the_class():
    from artifact_lsp.lsp.server import ArtifactLanguageServer

    source = inspect.getsource(ArtifactLanguageServer.__init__)
    for attribute in ("ws_index", "ws_pending", "workspace_ready", "regen_cancels", "regen_active", "doc_stamps"):
        assert f"self.{attribute}" in source, attribute


def test_completion_decisions_are_the_engines():
    """The suite names a matrix offers come from the engine (al5xx_matrix.defined_suites), in
    the order the matrix defines them; a key completion leaves out keys already present."""
    from artifact_lsp.engine import contract
    from artifact_lsp.engine.linter import lint_text

    head = "suites:\n  smoke: {}\n  stable: {}\nmatrix:\n- env: x\n  suites: [smoke, "
    text = head + "\n"
    root = lint_text(text, kind="matrix").parsed.root
    offered = contract.completions("matrix", text, len(head), root)
    assert offered.values is not None
    suites = [value for value, description in offered.values if description == contract.SUITE_CHOICE]
    assert suites == ["smoke", "stable"]
    item = "matrix:\n- env: x\n  suites:\n  - "
    offered = contract.completions(
        "matrix", "suites:\n  smoke: {}\n" + item, len("suites:\n  smoke: {}\n" + item), root
    )
    assert [v for v, _ in offered.values or []] == ["smoke", "stable"]
    assert contract.completions("matrix", text, len(head), None).values == []
