"""``artifact-lsp check --format json|sarif|github`` and the columns each format counts in:
code points for text, json and github, UTF-16 code units for SARIF (``columnKind``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pytest

from artifact_lsp import __version__
from artifact_lsp.cli import main
from artifact_lsp.cli.output import Row, format_github
from artifact_lsp.engine.model import Severity
from artifact_lsp.engine.rules import RULES

HEAD = 'schema_version: "1"\nproject: demo\nenv: dev\nmode: docker\n'
CLEAN = HEAD + "artifacts:\n  - artifact_root: entries/one\n    runtime_config_dir: config\n"
MESSY = (
    HEAD  # 1-4
    + "runtime_stack: {}\n"  # 5   AL103 error, fixable
    + "note: x\n"  # 6          AL308 info
    + "artifacts:\n"  # 7
    + "  - id: e\n"  # 8        AL104 error, fixable
    + "    artifact_root: entries/one\n"  # 9
    + "    runtime_config_dir: config\n"  # 10
)
MATRIX = (
    "suites:\n  smoke:\n    targets: []\nmatrix:\n- env: dev\n"
    "  artifact_manifest: e2e/a/artifact.yml\n  suites: [smoke]\n"
    "  config_dir: x\n"  # 8:3 AL502 warning
)
CONFIG_DIR = {"entries/one/config/functions.yml": "functions: {}\n", "entries/one/config/routing.yml": "routes: []\n"}
FINDING_KEYS = {"path", "code", "name", "severity", "message", "start", "end", "fixable", "url"}


def _config(folder: str) -> dict:
    return {f"{folder}/{rel}": text for rel, text in CONFIG_DIR.items()}


@pytest.fixture
def make(tmp_path, write_repo, monkeypatch):
    """``make({path: text})``: a repository with ``.artifact-lsp.toml``, as the current folder."""

    def build(files: dict, config: str = "") -> Path:
        root = write_repo(tmp_path / "repo", {".artifact-lsp.toml": config, **files}, git=False)
        monkeypatch.chdir(root)
        return root

    monkeypatch.delenv("NO_COLOR", raising=False)
    return build


@pytest.fixture
def repo(make) -> Path:
    return make(
        {
            "e2e/a/artifact.yml": MESSY,
            **_config("e2e/a"),
            "e2e/b/artifact.json": '{"schema_version": "1", "project": "p", "env": "b", "mode": "docker",\n'
            ' "artifacts": [{"id": "x", "artifact_root": "entries/one", "runtime_config_dir": "config"}]}\n',
            **_config("e2e/b"),
            "e2e/environments/test_matrix.yaml": MATRIX,
        }
    )


@pytest.fixture
def check(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["check", *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# --------------------------------------------------------------------------- json


def test_json_report(repo, check):
    code, out, err = check("--format", "json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert set(report) == {"files_checked", "findings"}
    assert report["files_checked"] == 3
    findings = report["findings"]
    assert [(f["path"], f["code"]) for f in findings] == [
        (str(Path("e2e/a/artifact.yml")), "AL103"),
        (str(Path("e2e/a/artifact.yml")), "AL308"),
        (str(Path("e2e/a/artifact.yml")), "AL104"),
        (str(Path("e2e/b/artifact.json")), "AL109"),
        (str(Path("e2e/b/artifact.json")), "AL104"),
        (str(Path("e2e/environments/test_matrix.yaml")), "AL502"),
    ]
    for f in findings:
        assert set(f) == FINDING_KEYS, f
        rule = RULES[f["code"]]
        assert f["name"] == rule.name
        assert f["url"] == rule.url and f["url"].endswith("#" + f["code"].lower())
        assert f["severity"] in ("error", "warning", "info", "hint")
        assert isinstance(f["message"], str) and f["message"]
        assert isinstance(f["fixable"], bool)
        for end in ("start", "end"):
            assert set(f[end]) == {"line", "column"}
            assert all(isinstance(v, int) and v >= 1 for v in f[end].values())
        assert (f["end"]["line"], f["end"]["column"]) >= (f["start"]["line"], f["start"]["column"])
    by = {(Path(f["path"]).name, f["code"]): f for f in findings}
    al104 = by[("artifact.yml", "AL104")]
    assert (al104["start"], al104["end"]) == ({"line": 8, "column": 5}, {"line": 8, "column": 7})
    assert al104["severity"] == "error" and al104["fixable"] is True
    assert by[("artifact.yml", "AL308")]["severity"] == "info"
    assert by[("artifact.yml", "AL308")]["fixable"] is False
    assert by[("test_matrix.yaml", "AL502")]["severity"] == "warning"
    assert by[("artifact.json", "AL104")]["fixable"] is False  # artifact.json is never edited


def test_json_items_is_exactly_what_json_dumps_writes():
    from artifact_lsp.cli.output import Row, json_items
    from artifact_lsp.engine.model import Severity
    from artifact_lsp.engine.rules import RULES as ALL

    awkward = ["plain", 'quote " and \\ backslash', "tab\tnew\nline", "日本語 😀", "\x00\x1f\u2028", "</script>"]
    rows = [
        Row(path, code, sev, message, 1 + i, 2 + i, 3 + i, 4 + i, 2 + i, 4 + i, bool(i % 2))
        for i, (path, message) in enumerate(
            zip(["a/artifact.yml", 'we"ird\\path/日本/artifact.yml'] * 3, awkward, strict=True)
        )
        for code, sev in [(sorted(ALL)[i], 1 + i % 4)]
    ]
    expected = json.dumps(
        [
            {
                "path": r.path,
                "code": r.code,
                "name": ALL[r.code].name,
                "severity": Severity(r.severity).label,
                "message": r.message,
                "start": {"line": r.line, "column": r.col},
                "end": {"line": r.end_line, "column": r.end_col},
                "fixable": r.fixable,
                "url": ALL[r.code].url,
            }
            for r in rows
        ],
        ensure_ascii=False,
    )[1:-1]
    assert json_items(rows) == expected
    assert json.loads(f"[{json_items(rows)}]")[3]["message"] == awkward[3]


def test_json_clean(make, check):
    make({"a/artifact.yml": CLEAN, **_config("a")})
    code, out, _ = check("--format", "json")
    assert code == 0
    assert json.loads(out) == {"files_checked": 1, "findings": []}


def test_json_severity_from_config(make, check):
    make({"a/artifact.yml": CLEAN + "note: x\n", **_config("a")}, config='severity = { AL308 = "hint" }\n')
    _, out, _ = check("--format", "json")
    assert [f["severity"] for f in json.loads(out)["findings"]] == ["hint"]


# --------------------------------------------------------------------------- sarif

SARIF_LEVELS = {"error", "warning", "note", "none"}


def validate_sarif(doc: dict) -> None:
    """The parts of SARIF 2.1.0 that code scanning needs, checked by hand."""
    assert doc["version"] == "2.1.0"
    assert isinstance(doc["$schema"], str) and "sarif" in doc["$schema"] and "2.1.0" in doc["$schema"]
    assert isinstance(doc["runs"], list) and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "artifact-lsp"
    rules = driver["rules"]
    assert isinstance(rules, list) and rules
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)), "rule ids are unique"
    for rule in rules:
        assert isinstance(rule["id"], str) and rule["id"]
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
        # the default link opens offline: the rules reference the installed package ships
        help_uri = urlsplit(rule["helpUri"])
        assert help_uri.scheme == "file"
        shipped = Path(url2pathname(help_uri.path))
        assert shipped.is_file(), rule["helpUri"]
        assert f'<a id="{help_uri.fragment}"></a>' in shipped.read_text(encoding="utf-8")
        assert help_uri.fragment == rule["id"].lower()
    assert run["columnKind"] == "utf16CodeUnits"
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert isinstance(result["ruleIndex"], int)
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        assert len(result["locations"]) >= 1
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert isinstance(uri, str) and uri
        assert " " not in uri and "#" not in uri, "a URI reference: percent-encoded"
        if "uriBaseId" in physical["artifactLocation"]:
            assert physical["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
        region = physical["region"]
        assert isinstance(region["startLine"], int) and region["startLine"] >= 1
        assert isinstance(region["startColumn"], int) and region["startColumn"] >= 1
        if "endLine" in region:
            assert region["endLine"] >= region["startLine"]
        if "endColumn" in region:
            assert region["endColumn"] >= 1
            if region.get("endLine", region["startLine"]) == region["startLine"]:
                assert region["endColumn"] >= region["startColumn"]
    for base in run.get("originalUriBaseIds", {}).values():
        assert base["uri"].endswith("/")


MINIMAL_SARIF_SCHEMA = {
    "type": "object",
    "required": ["version", "$schema", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {"id": {"type": "string"}},
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message", "ruleId", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {"text": {"type": "string"}},
                                },
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {"type": "string", "format": "uri-reference"}
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine", "startColumn"],
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1},
                                                            "startColumn": {"type": "integer", "minimum": 1},
                                                            "endLine": {"type": "integer", "minimum": 1},
                                                            "endColumn": {"type": "integer", "minimum": 1},
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def _sarif(check, *argv) -> dict:
    _code, out, err = check("--format", "sarif", *argv)
    assert err == ""
    doc = json.loads(out)
    validate_sarif(doc)
    return doc


def test_sarif_structure(repo, check):
    doc = _sarif(check)
    run = doc["runs"][0]
    assert run["tool"]["driver"]["version"] == __version__
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(RULES)
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("AL103", "error"),
        ("AL308", "note"),
        ("AL104", "error"),
        ("AL109", "error"),
        ("AL104", "error"),
        ("AL502", "warning"),
    ]
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"] == {"uri": "e2e/a/artifact.yml", "uriBaseId": "%SRCROOT%"}
    assert first["region"] == {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 14}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().resolve().as_uri() + "/"
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["helpUri"] == RULES[rule["id"]].url
        assert rule["help"]["markdown"] == RULES[rule["id"]].docs


def test_sarif_exit_codes_follow_fail_on(repo, check):
    assert check("--format", "sarif")[0] == 1
    assert check("--format", "sarif", "--fail-on", "never")[0] == 0


def test_sarif_clean_has_rules_and_no_results(make, check):
    make({"a/artifact.yml": CLEAN, **_config("a")})
    doc = _sarif(check)
    assert doc["runs"][0]["results"] == []
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == len(RULES)


def test_sarif_uri_is_percent_encoded(make, check):
    folder = "odd dir#1,a:b%c"
    make({f"{folder}/artifact.yml": MESSY, **_config(folder)})
    doc = _sarif(check)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {"odd%20dir%231%2Ca%3Ab%25c/artifact.yml"}
    assert unquote(uris.pop()) == f"{folder}/artifact.yml"


def test_sarif_against_a_json_schema(repo, check):
    jsonschema = pytest.importorskip("jsonschema")
    doc = _sarif(check)
    jsonschema.validate(doc, MINIMAL_SARIF_SCHEMA)


# --------------------------------------------------------------------------- UTF-16 columns

# the line holds Japanese text (3 code points, 3 UTF-16 units) and an emoji (1 code point,
# 2 UTF-16 units) before the `id` key of a flow mapping
FLOW_LINE = "  - {artifact_root: entries/one, runtime_config_dir: config, note: 日本語🔥, id: x}"
WIDE = HEAD + "artifacts:\n" + FLOW_LINE + "\n"


def test_columns_after_japanese_and_emoji(make, check):
    make({"a/artifact.yml": WIDE, **_config("a")})
    id_col = FLOW_LINE.index("id: x") + 1
    assert id_col == 74  # code points, 1-based
    assert len(FLOW_LINE[: id_col - 1].encode("utf-16-le")) // 2 + 1 == 75  # UTF-16 units

    code, text, _ = check("--format", "text")
    assert code == 1
    lines = text.splitlines()
    assert lines[0].startswith(f"{Path('a/artifact.yml')}:6:62: AL308 ")  # before the wide text
    assert lines[1].startswith(f"{Path('a/artifact.yml')}:6:74: AL104 [*] ")

    findings = json.loads(check("--format", "json")[1])["findings"]
    assert [(f["code"], f["start"], f["end"]) for f in findings] == [
        ("AL308", {"line": 6, "column": 62}, {"line": 6, "column": 66}),
        ("AL104", {"line": 6, "column": 74}, {"line": 6, "column": 76}),
    ]

    results = _sarif(check)["runs"][0]["results"]
    regions = [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]) for r in results]
    assert regions == [
        ("AL308", {"startLine": 6, "startColumn": 62, "endLine": 6, "endColumn": 66}),
        ("AL104", {"startLine": 6, "startColumn": 75, "endLine": 6, "endColumn": 77}),
    ]

    github = check("--format", "github")[1].splitlines()
    assert github[1].startswith("::error file=a/artifact.yml,line=6,col=74,endLine=6,endColumn=76,title=AL104::AL104 ")


def test_span_across_wide_characters(make, check):
    # the unknown key itself is Japanese: its end column differs between the two units
    make({"a/artifact.yml": CLEAN + "日本🔥: x\n", **_config("a")})
    finding = json.loads(check("--format", "json")[1])["findings"][0]
    assert finding["code"] == "AL308"
    assert (finding["start"], finding["end"]) == ({"line": 8, "column": 1}, {"line": 8, "column": 4})
    region = _sarif(check)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 8, "startColumn": 1, "endLine": 8, "endColumn": 5}


def test_bom_is_not_a_column(make, check):
    root = make({"a/artifact.yml": "", **_config("a")})
    (root / "a/artifact.yml").write_bytes(
        b"\xef\xbb\xbf"
        + MESSY.replace(HEAD, "runtime_stack: {}\n" + HEAD).replace("runtime_stack: {}\nnote", "note").encode()
    )
    _, text, _ = check("--format", "text")
    assert text.splitlines()[0].startswith(f"{Path('a/artifact.yml')}:1:1: AL103 [*] ")
    first = json.loads(check("--format", "json")[1])["findings"][0]
    assert (first["code"], first["start"], first["end"]) == (
        "AL103",
        {"line": 1, "column": 1},
        {"line": 1, "column": 14},
    )
    region = _sarif(check)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 14}


# --------------------------------------------------------------------------- github


def test_github_annotations(repo, check):
    code, out, err = check("--format", "github")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert out.endswith("\n")
    assert len(lines) == 6
    assert lines[0] == (
        "::error file=e2e/a/artifact.yml,line=5,col=1,endLine=5,endColumn=14,title=AL103::AL103 "
        + json.loads(check("--format", "json")[1])["findings"][0]["message"]
    )
    levels = [line.split(" ", 1)[0] for line in lines]
    assert levels == ["::error", "::notice", "::error", "::error", "::error", "::warning"]
    for line in lines:
        props, _, data = line.partition("::")[2].partition("::")
        _level, _, props = props.partition(" ")
        keys = [p.split("=", 1)[0] for p in props.split(",")]
        assert keys == ["file", "line", "col", "endLine", "endColumn", "title"]
        title = props.rsplit("title=", 1)[1]
        assert data.startswith(title + " ")


def test_github_escapes_properties_and_data(make, check):
    folder = "a,b:c%d"
    make({f"{folder}/artifact.yml": CLEAN + '"50%": x\n', **_config(folder)})
    _, out, _ = check("--format", "github")
    assert out.splitlines() == [
        "::notice file=a%2Cb%3Ac%25d/artifact.yml,line=8,col=1,endLine=8,endColumn=6,title=AL308::AL308 "
        "unknown key '50%25' at the top level (the deploy tool ignores it)"
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="a newline in a folder name")
def test_github_escapes_a_newline_in_a_path(make, check):
    folder = "line\nbreak"
    make({f"{folder}/artifact.yml": CLEAN + "note: x\n", **_config(folder)})
    _, out, _ = check("--format", "github")
    assert out.splitlines() == [
        "::notice file=line%0Abreak/artifact.yml,line=8,col=1,endLine=8,endColumn=5,title=AL308::AL308 "
        "unknown key 'note' at the top level (the deploy tool ignores it)"
    ]


def test_format_github_escaping_unit():
    row = Row("x,y:z%\r\n.yml", "AL104", int(Severity.WARNING), "50% done\r\nnext: a, b", 2, 3, 2, 9, 4, 10, True)
    assert format_github([row], 1) == (
        "::warning file=x%2Cy%3Az%25%0D%0A.yml,line=2,col=3,endLine=2,endColumn=9,title=AL104::"
        "AL104 50%25 done%0D%0Anext: a, b\n"
    )
    hint = row._replace(severity=int(Severity.HINT), path="p")
    assert format_github([hint], 1).startswith("::notice file=p,")
    error = row._replace(severity=int(Severity.ERROR), path="p")
    assert format_github([error], 1).startswith("::error file=p,")
    assert format_github([], 3) == ""


def test_github_clean_prints_nothing(make, check):
    make({"a/artifact.yml": CLEAN, **_config("a")})
    assert check("--format", "github") == (0, "", "")


# --------------------------------------------------------------------------- a real process


def test_sarif_from_a_subprocess(repo):
    proc = subprocess.run(
        [sys.executable, "-m", "artifact_lsp", "check", "--format", "sarif"],
        cwd=repo,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"},
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout.decode("utf-8"))
    validate_sarif(doc)
    assert len(doc["runs"][0]["results"]) == 6


def test_docs_url_from_the_config_sets_every_link(repo, check, write_repo):
    write_repo(
        repo, {".artifact-lsp.toml": 'docs-url = "https://wiki.example.com/artifact-lsp/{code}.html"\n'}, git=False
    )
    _code, out, _err = check("--format", "json")
    found = json.loads(out)["findings"]
    assert found and all(f["url"] == f"https://wiki.example.com/artifact-lsp/{f['code']}.html" for f in found)
    _code, out, _err = check("--format", "sarif")
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert all(
        rule["helpUri"] == f"https://wiki.example.com/artifact-lsp/{rule['id']}.html" for rule in driver["rules"]
    )
    assert "informationUri" not in driver  # no link of its own to give: nothing rather than a wrong one
    # control: without the key, the shipped file
    write_repo(repo, {".artifact-lsp.toml": ""}, git=False)
    _code, out, _err = check("--format", "json")
    assert all(f["url"].startswith("file:") for f in json.loads(out)["findings"])
