"""The generated docs stay in step with the rules, and the README with the CLI and config.

When a test here fails after a rule's docs changed (or a rule was added), regenerate
``docs/rules.md``, the copy the package ships (which every docs link opens) and the README's
rules table with

    ARTIFACT_LSP_UPDATE_SNAPSHOTS=1 uv run pytest tests/test_docs.py

(or by hand: ``uv run artifact-lsp rule --all --markdown > docs/rules.md`` and paste
``artifact_lsp.docs.rules_table_markdown()`` into the README's "## Rules" section).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from artifact_lsp.cli import build_parser
from artifact_lsp.docs import rules_markdown, rules_table_markdown
from artifact_lsp.engine.config import load_config_from
from artifact_lsp.engine.model import DOCS_FILE
from artifact_lsp.engine.rules import RULES

PROJECT = Path(__file__).resolve().parent.parent
RULES_MD = PROJECT / "docs" / "rules.md"
README = PROJECT / "README.md"
REGENERATE = "docs/rules.md is out of date: regenerate it with `ARTIFACT_LSP_UPDATE_SNAPSHOTS=1 uv run pytest tests/test_docs.py`"
UPDATE = os.environ.get("ARTIFACT_LSP_UPDATE_SNAPSHOTS") == "1"


def _read(path: Path) -> str:
    # newline="" : compare the bytes as written, no \r\n translation
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _section(text: str, start: str, end: str) -> str:
    head = re.search(rf"^{re.escape(start)}\s*$", text, re.M)
    assert head, f"README has no {start!r} heading"
    tail = re.search(rf"^{re.escape(end)}\s*$", text[head.end() :], re.M)
    assert tail, f"README has no {end!r} heading after {start!r}"
    return text[head.end() : head.end() + tail.start()]


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def test_rules_md_is_generated():
    if UPDATE and _read(RULES_MD) != rules_markdown():
        _write(RULES_MD, rules_markdown())
    assert _read(RULES_MD) == rules_markdown(), REGENERATE


SHIPPED = PROJECT / "server" / "artifact_lsp" / "rules.md"


def test_shipped_rules_md_is_generated_and_is_what_links_open():
    """Every docs link defaults to the copy the package ships (it opens without a network)."""
    if UPDATE and _read(SHIPPED) != rules_markdown():
        _write(SHIPPED, rules_markdown())
    assert _read(SHIPPED) == rules_markdown(), REGENERATE.replace("docs/rules.md", "server/artifact_lsp/rules.md")
    assert DOCS_FILE.resolve() == SHIPPED.resolve()
    text = _read(SHIPPED)
    for code, rule in RULES.items():
        link = urlsplit(rule.url)
        assert link.scheme == "file", code
        target = Path(url2pathname(link.path))
        assert target.resolve() == SHIPPED.resolve(), code
        assert f'<a id="{link.fragment}"></a>' in text, code


def test_every_rule_has_an_anchor_and_heading_in_rules_md():
    text = _read(RULES_MD)
    anchors = re.findall(r'<a id="([^"]+)"></a>', text)
    assert len(anchors) == len(set(anchors)), "anchors are unique"
    for code, rule in RULES.items():
        assert rule.anchor == code.lower()
        assert f'<a id="{rule.anchor}"></a>' in text, f"{code}: no anchor in docs/rules.md. {REGENERATE}"
        assert re.search(rf"^## {code} `{re.escape(rule.name)}` ", text, re.M), f"{code}: no heading. {REGENERATE}"
        assert f"(#{rule.anchor})" in text, f"{code}: the table at the top does not link to it"
    assert set(anchors) == {rule.anchor for rule in RULES.values()}


def test_rules_md_links_point_at_anchors():
    text = _read(RULES_MD)
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors, target


def test_readme_rules_table_is_generated():
    table = rules_table_markdown()
    if UPDATE:
        text = _read(README)
        start = text.index("| code | name | default | fix | what |")
        end = text.index("\n\n", start)
        if text[start : end + 1] != table:
            _write(README, text[:start] + table + text[end + 1 :])
    section = _section(_read(README), "## Rules", "## How fixes are proven")
    assert table in section, (
        "the README's rules table is out of date: replace it with artifact_lsp.docs.rules_table_markdown()"
    )
    rows = [line for line in section.splitlines() if line.startswith("| [AL")]
    assert len(rows) == len(RULES), "the README lists exactly the rules there are"


def test_readme_links_into_rules_md_resolve():
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', _read(RULES_MD)))
    links = re.findall(r"\(docs/rules\.md#([^)]+)\)", _read(README))
    assert links
    for anchor in links:
        assert anchor in anchors, anchor


def test_rule_summaries_fit_in_a_table_row():
    for code, rule in RULES.items():
        assert "\n" not in rule.summary, code
        assert rule.summary.strip() == rule.summary and rule.summary, code
        assert rule.docs.strip(), code


def _cli_block() -> str:
    section = _section(_read(README), "## CLI", "### pre-commit")
    block = re.search(r"^```\n(.*?)^```", section, re.M | re.S)
    assert block, "the README's CLI section has a usage block"
    return block.group(1)


def test_readme_cli_synopsis_matches_the_parser():
    parser = build_parser()
    subparsers = parser._subparsers._group_actions[0].choices
    synopsis: dict[str, str] = {}
    current = None
    for line in _cli_block().splitlines():
        match = re.match(r"^artifact-lsp (\w+)", line)
        if match:
            current = match.group(1)
            synopsis[current] = line
        elif line.startswith(" ") and current:
            synopsis[current] += " " + line
        else:
            current = None
    assert set(synopsis) == set(subparsers), "the README shows every subcommand, and only those"
    for command, text in synopsis.items():
        known = {opt for action in subparsers[command]._actions for opt in action.option_strings}
        documented = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", text))
        assert documented, command
        assert documented <= known, (command, documented - known)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_readme_formats_exist(fmt):
    assert build_parser().parse_args(["check", "--format", fmt]).format == fmt
    assert "--format text|json|sarif|github" in _cli_block()


def test_readme_config_example_is_a_valid_config(tmp_path):
    section = _section(_read(README), "## Configuration", "## Rules")
    block = re.search(r"^```toml\n(.*?)^```", section, re.M | re.S)
    assert block, "the README's configuration section has a toml example"
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(block.group(1), encoding="utf-8")
    config = load_config_from(pyproject)  # raises ConfigError on any mistake
    assert config.ignore == ("AL308",)
    assert config.exclude == ("vendor/**",)
    assert "artifacts[].build_args" in config.extra_legacy_keys


def test_readme_quick_start_and_development_commands_exist():
    parser = build_parser()
    text = _read(README)
    commands = re.findall(r"uv run (artifact-lsp [^\n#>`]*)", text)
    assert "artifact-lsp check examples" in [c.strip() for c in commands]
    assert "artifact-lsp fix examples --diff" in [c.strip() for c in commands]
    for command in commands:
        argv = shlex.split(command)[1:]
        parser.parse_args(argv)  # SystemExit on an unknown option or subcommand
