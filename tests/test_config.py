"""Configuration: rule selection, severities, excludes, custom legacy keys, config files, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact_lsp.engine.config import Config, ConfigError, load_config, load_config_from
from artifact_lsp.engine.linter import discover, lint_path
from artifact_lsp.engine.model import RemoveKey, Severity
from artifact_lsp.engine.rules import RULES

HEAD = 'schema_version: "1"\nproject: esb\nenv: e2e-docker\nmode: docker\n'
CLEAN = HEAD + "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: config\n"
# AL104 at 8:5, AL308 at 9:5, AL306 at 7:25 (runtime_config_dir escapes), AL309 at 10:15
MESSY = (
    HEAD
    + "artifacts:\n  - artifact_root: entries/t\n    runtime_config_dir: ../x\n"
    + "    id: x\n    note: y\ngenerated_at: yesterday\n"
)
MESSY_CODES = ["AL306", "AL104", "AL308", "AL309"]


def codes(out) -> list[str]:
    return out.codes


def test_default_config_reports_everything(lint):
    assert codes(lint(MESSY)) == MESSY_CODES


# --------------------------------------------------------------------------- select / ignore


@pytest.mark.parametrize(
    "select,ignore,expected",
    [
        (("AL",), (), MESSY_CODES),
        (("ALL",), (), MESSY_CODES),
        (("AL1",), (), ["AL104"]),
        (("AL3",), (), ["AL306", "AL308", "AL309"]),
        (("AL30",), ("AL308",), ["AL306", "AL309"]),
        (("AL",), ("AL104",), ["AL306", "AL308", "AL309"]),
        (("AL",), ("AL3",), ["AL104"]),
        (("AL104", "AL309"), (), ["AL104", "AL309"]),
        # the more specific prefix wins: select AL104 beats ignore AL1
        (("AL104",), ("AL1",), ["AL104"]),
        (("AL",), ("AL1", "AL3"), []),
        ((), (), []),
    ],
)
def test_select_and_ignore(lint, select, ignore, expected):
    out = lint(MESSY, config=Config(select=select, ignore=ignore))
    assert codes(out) == expected


def test_enabled_prefix_semantics():
    config = Config(select=("AL1", "AL501"), ignore=("AL10",))
    assert not config.enabled("AL104")
    assert config.enabled("AL100") is False
    assert config.enabled("AL501")
    assert not config.enabled("AL502")
    assert not config.enabled("AL308")
    # the same code in select and ignore: ignore wins
    assert not Config(select=("AL104",), ignore=("AL104",)).enabled("AL104")


def test_select_and_ignore_from_file(tmp_path, write_repo, lint):
    write_repo(tmp_path, {".artifact-lsp.toml": 'select = ["AL1", "AL3"]\nignore = ["AL308"]\n'})
    config = load_config(tmp_path)
    assert config.select == ("AL1", "AL3") and config.ignore == ("AL308",)
    assert codes(lint(MESSY, config=config)) == ["AL306", "AL104", "AL309"]


@pytest.mark.parametrize(
    "toml",
    [
        'select = ["AL1"]\nextend-select = ["AL309"]\n',
        'extend-select = ["AL309"]\nselect = ["AL1"]\n',
    ],
)
def test_extend_select_adds_to_select_whatever_the_key_order(tmp_path, write_repo, lint, toml):
    write_repo(tmp_path, {".artifact-lsp.toml": toml})
    config = load_config(tmp_path)
    assert set(config.select) == {"AL1", "AL309"}
    assert codes(lint(MESSY, config=config)) == ["AL104", "AL309"]


def test_merged_settings_lay_over_the_file(tmp_path, write_repo, lint):
    write_repo(tmp_path, {".artifact-lsp.toml": 'select = ["AL1"]\n'})
    config = load_config(tmp_path)
    assert codes(lint(MESSY, config=config.merged({"extend-select": ["AL309"]}))) == ["AL104", "AL309"]
    assert codes(lint(MESSY, config=config.merged({"ignore": ["AL104"]}))) == []
    assert load_config(tmp_path, overrides={"select": ["AL3"]}).select == ("AL3",)


def test_string_instead_of_list_is_accepted(tmp_path, write_repo):
    write_repo(tmp_path, {".artifact-lsp.toml": 'select = "AL1"\nexclude = "vendor"\n'})
    config = load_config(tmp_path)
    assert config.select == ("AL1",) and config.exclude == ("vendor",)


# --------------------------------------------------------------------------- severity


@pytest.mark.parametrize(
    "table",
    [
        'AL104 = "warning"\nAL308 = "hint"\nAL309 = "error"\nAL3 = "info"\n',
        'AL3 = "info"\nAL309 = "error"\nAL308 = "hint"\nAL104 = "warning"\n',
    ],
)
def test_per_rule_severity(tmp_path, write_repo, lint, table):
    # a code is more specific than a prefix, whatever the key order in the table
    write_repo(tmp_path, {".artifact-lsp.toml": "[severity]\n" + table})
    config = load_config(tmp_path)
    out = lint(MESSY, config=config)
    severities = {h.code: h.severity for h in out.hits}
    assert severities == {
        "AL104": Severity.WARNING,
        "AL306": Severity.INFO,  # from the AL3 prefix
        "AL308": Severity.HINT,
        "AL309": Severity.ERROR,
    }
    assert out.one("AL104").at == (8, 5)  # only the severity changed


def test_severity_aliases_and_case(tmp_path, write_repo, lint):
    write_repo(tmp_path, {".artifact-lsp.toml": '[severity]\nAL104 = "WARN"\nAL308 = "Information"\n'})
    out = lint(MESSY, config=load_config(tmp_path))
    assert out.one("AL104").severity is Severity.WARNING
    assert out.one("AL308").severity is Severity.INFO
    assert out.one("AL306").severity is Severity.ERROR  # untouched default


def test_severity_all(tmp_path, write_repo, lint):
    write_repo(tmp_path, {".artifact-lsp.toml": '[severity]\nAL104 = "error"\nALL = "hint"\n'})
    out = lint(MESSY, config=load_config(tmp_path))
    assert {h.code: h.severity for h in out.hits} == {
        "AL104": Severity.ERROR,
        "AL306": Severity.HINT,
        "AL308": Severity.HINT,
        "AL309": Severity.HINT,
    }


def test_severity_prefix_covers_every_rule_of_the_family(tmp_path, write_repo):
    write_repo(tmp_path, {".artifact-lsp.toml": '[severity]\nAL5 = "hint"\n'})
    config = load_config(tmp_path)
    family = [code for code in RULES if code.startswith("AL5")]
    assert family and all(config.severity[code] is Severity.HINT for code in family)
    assert "AL104" not in config.severity


# --------------------------------------------------------------------------- exclude / discover


def _layout(tmp_path, write_repo, toml: str) -> Path:
    manifest = CLEAN
    write_repo(
        tmp_path,
        {
            ".artifact-lsp.toml": toml,
            "e2e/artifacts/e2e-docker/artifact.yml": manifest,
            "e2e/artifacts/old/artifact.yml": manifest,
            "e2e/artifacts/old/artifact.json": "{}",
            "e2e/environments/test_matrix.yaml": "matrix: []\n",
            "vendor/esb/e2e/artifacts/x/artifact.yml": manifest,
            "node_modules/pkg/artifact.yml": manifest,
            ".venv/lib/artifact.yml": manifest,
            "docs/notes.yml": "a: 1\n",
            "docs/artifact.yaml": "a: 1\n",
        },
    )
    return tmp_path


def _found(root: Path, config: Config, paths=None) -> list[str]:
    return sorted(Path(p).resolve().relative_to(root.resolve()).as_posix() for p in discover(paths or [root], config))


def test_discover_default(tmp_path, write_repo):
    root = _layout(tmp_path, write_repo, "")
    assert _found(root, load_config(root)) == [
        "e2e/artifacts/e2e-docker/artifact.yml",
        "e2e/artifacts/old/artifact.json",
        "e2e/artifacts/old/artifact.yml",
        "e2e/environments/test_matrix.yaml",
        "vendor/esb/e2e/artifacts/x/artifact.yml",
    ]


@pytest.mark.parametrize(
    "patterns,gone",
    [
        (["e2e/artifacts/old"], {"e2e/artifacts/old/artifact.json", "e2e/artifacts/old/artifact.yml"}),
        (["e2e/artifacts/old/"], {"e2e/artifacts/old/artifact.json", "e2e/artifacts/old/artifact.yml"}),
        (["vendor/**"], {"vendor/esb/e2e/artifacts/x/artifact.yml"}),
        (["**/old"], {"e2e/artifacts/old/artifact.json", "e2e/artifacts/old/artifact.yml"}),
        (["**/artifact.json"], {"e2e/artifacts/old/artifact.json"}),
        (["*/environments/*"], {"e2e/environments/test_matrix.yaml"}),
        (["vendor", "**/*.json"], {"vendor/esb/e2e/artifacts/x/artifact.yml", "e2e/artifacts/old/artifact.json"}),
    ],
)
def test_exclude_globs(tmp_path, write_repo, patterns, gone):
    toml = "exclude = [" + ", ".join(f'"{p}"' for p in patterns) + "]\n"
    root = _layout(tmp_path, write_repo, toml)
    everything = set(_found(root, Config(root=root)))
    config = load_config(root)
    assert config.exclude == tuple(patterns)
    assert set(_found(root, config)) == everything - gone


def test_exclude_does_not_match_a_partial_folder_name(tmp_path, write_repo):
    root = _layout(tmp_path, write_repo, 'exclude = ["e2e/artifacts/ol"]\n')
    assert "e2e/artifacts/old/artifact.yml" in _found(root, load_config(root))


def test_named_files_are_always_checked(tmp_path, write_repo):
    root = _layout(tmp_path, write_repo, 'exclude = ["e2e/artifacts/old"]\n')
    named = root / "e2e/artifacts/old/artifact.yml"
    assert [Path(p) for p in discover([named], load_config(root))] == [named]
    assert not load_config(root).is_excluded(root / "e2e/artifacts/e2e-docker/artifact.yml")
    assert load_config(root).is_excluded(named)


def test_include_patterns(tmp_path, write_repo):
    root = _layout(tmp_path, write_repo, 'include = ["e2e/artifacts/**/artifact.yml"]\n')
    assert _found(root, load_config(root)) == [
        "e2e/artifacts/e2e-docker/artifact.yml",
        "e2e/artifacts/old/artifact.yml",
    ]


def test_discover_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(discover([tmp_path / "nope"], Config(root=tmp_path)))


# --------------------------------------------------------------------------- extra legacy keys


def test_extra_legacy_keys_from_file(tmp_path, write_repo, lint):
    write_repo(
        tmp_path,
        {
            ".artifact-lsp.toml": (
                "[extra-legacy-keys]\n"
                '"artifacts[].build_args" = "the build section of template.yaml"\n'
                '"artifacts[].source_template.stage" = "nothing"\n'
                '"deploy_hint" = "the deploy tool\'s defaults"\n'
            )
        },
    )
    config = load_config(tmp_path)
    text = CLEAN + (
        "    build_args:\n"  # 8
        "      GO_VERSION: '1.22'\n"  # 9
        "    source_template:\n"  # 10
        "      path: t.yaml\n"  # 11
        "      stage: dev\n"  # 12
        "deploy_hint: fast\n"  # 13
    )
    out = lint(text, config=config)
    hits = out.of("AL100")
    assert [(h.at, h.severity) for h in hits] == [
        ((8, 5), Severity.ERROR),
        ((12, 7), Severity.ERROR),
        ((13, 1), Severity.ERROR),
    ]
    assert "legacy key 'artifacts[0].build_args'" in hits[0].message
    assert "replaced by the build section of template.yaml" in hits[0].message
    assert "'artifacts[0].source_template.stage'" in hits[1].message
    assert "legacy key 'deploy_hint'" in hits[2].message
    for hit, key in zip(hits, ("build_args", "stage", "deploy_hint"), strict=True):
        assert isinstance(hit.finding.plan, RemoveKey)
        assert hit.finding.plan.key.value == key
        assert hit.finding.plan.title == f"Remove legacy key '{key}'"
    # custom legacy keys are not also unknown keys
    out.none("AL308")


def test_extra_legacy_keys_only_at_their_position(tmp_path, write_repo, lint):
    config = Config(extra_legacy_keys={"artifacts[].build_args": "x"})
    out = lint(CLEAN + "build_args: {}\n", config=config)
    out.none("AL100")
    assert out.one("AL308").at == (8, 1)


def test_extra_matrix_legacy_keys_from_file(tmp_path, write_repo, lint):
    write_repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.artifact-lsp.extra-matrix-legacy-keys]\n"matrix[].runner" = "the e2e runner defaults"\n'
        },
    )
    config = load_config(tmp_path)
    text = "suites: {}\nmatrix:\n- env: e2e-docker\n  artifact_manifest: a.yml\n  runner: docker\n"
    hit = lint(text, kind="matrix", config=config).one("AL100")
    assert hit.at == (5, 3)
    assert "'matrix[0].runner'" in hit.message and "the e2e runner defaults" in hit.message
    assert isinstance(hit.finding.plan, RemoveKey) and hit.finding.plan.key.value == "runner"
    # the builtin matrix keys are still there
    text2 = text + "  deploy_driver: cli\n"
    assert lint(text2, kind="matrix", config=config).one("AL501").at == (6, 3)


def test_custom_legacy_key_can_be_ignored(lint):
    config = Config(extra_legacy_keys={"artifacts[].build_args": "x"}, ignore=("AL100",))
    out = lint(CLEAN + "    build_args: {}\n", config=config)
    assert out.hits == []


# --------------------------------------------------------------------------- other settings


def test_extra_forbidden_path_segments_from_file(tmp_path, write_repo, lint):
    write_repo(tmp_path, {".artifact-lsp.toml": 'extra-forbidden-path-segments = ["staging", "runtime-base"]\n'})
    config = load_config(tmp_path)
    assert config.forbidden_segments == ("runtime-base", "staging")
    text = CLEAN.replace("entries/t", ".esb/staging/t")
    hit = lint(text, config=config).one("AL201")
    assert hit.at == (6, 20)
    assert "points into 'staging/'" in hit.message


def test_max_file_size_from_file(tmp_path, write_repo):
    write_repo(tmp_path, {".artifact-lsp.toml": "max-file-size = 100\n", "artifact.yml": CLEAN})
    config = load_config(tmp_path)
    assert config.max_file_size == 100
    result = lint_path(tmp_path / "artifact.yml", config)
    assert [(f.code, f.severity) for f in result.findings] == [("AL004", Severity.WARNING)]
    assert f"{len(CLEAN)} bytes is over max-file-size (100)" in result.findings[0].message
    write_repo(tmp_path, {".artifact-lsp.toml": f"max-file-size = {len(CLEAN)}\n"})
    assert [f.code for f in lint_path(tmp_path / "artifact.yml", load_config(tmp_path), disk=False).findings] == []


# --------------------------------------------------------------------------- which file, which root


def test_artifact_lsp_toml(tmp_path, write_repo):
    write_repo(tmp_path, {".artifact-lsp.toml": 'ignore = ["AL308"]\n', "e2e/a/artifact.yml": CLEAN}, git=False)
    config = load_config(tmp_path / "e2e/a/artifact.yml")
    assert config.root == tmp_path.resolve()
    assert config.source == (tmp_path / ".artifact-lsp.toml").resolve()
    assert config.ignore == ("AL308",)


def test_pyproject_section(tmp_path, write_repo):
    write_repo(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n\n[tool.artifact-lsp]\nignore = ["AL309"]\n',
            "e2e/a/artifact.yml": CLEAN,
        },
        git=False,
    )
    config = load_config(tmp_path / "e2e/a/artifact.yml")
    assert config.root == tmp_path.resolve()
    assert config.source.name == "pyproject.toml"
    assert config.ignore == ("AL309",)


def test_artifact_lsp_toml_wins_over_pyproject_in_the_same_folder(tmp_path, write_repo):
    write_repo(
        tmp_path,
        {".artifact-lsp.toml": 'ignore = ["AL308"]\n', "pyproject.toml": '[tool.artifact-lsp]\nignore = ["AL309"]\n'},
    )
    config = load_config(tmp_path)
    assert config.source.name == ".artifact-lsp.toml"
    assert config.ignore == ("AL308",)


def test_pyproject_without_section_is_skipped(tmp_path, write_repo):
    write_repo(
        tmp_path,
        {
            ".artifact-lsp.toml": 'ignore = ["AL308"]\n',
            "sub/pyproject.toml": '[project]\nname = "sub"\n',
            "sub/e2e/artifact.yml": CLEAN,
        },
        git=False,
    )
    config = load_config(tmp_path / "sub/e2e/artifact.yml")
    assert config.root == tmp_path.resolve()
    assert config.ignore == ("AL308",)


def test_nearest_config_wins(tmp_path, write_repo):
    write_repo(
        tmp_path,
        {".artifact-lsp.toml": 'ignore = ["AL308"]\n', "inner/.artifact-lsp.toml": 'ignore = ["AL309"]\n'},
        git=False,
    )
    config = load_config(tmp_path / "inner")
    assert config.root == (tmp_path / "inner").resolve()
    assert config.ignore == ("AL309",)


def test_git_folder_is_the_root_without_config_and_stops_the_walk(tmp_path, write_repo):
    write_repo(tmp_path, {".artifact-lsp.toml": 'ignore = ["AL308"]\n'}, git=False)
    repo = write_repo(tmp_path / "checkout", {"e2e/artifact.yml": CLEAN})
    config = load_config(repo / "e2e/artifact.yml")
    assert config.source is None
    assert config.root == repo.resolve()
    assert config.ignore == ()


def test_load_config_from_named_file(tmp_path, write_repo):
    write_repo(tmp_path, {"custom.toml": 'select = ["AL1"]\n', "pyproject.toml": '[project]\nname = "x"\n'})
    config = load_config_from(tmp_path / "custom.toml")
    assert config.select == ("AL1",)
    assert config.root == tmp_path.resolve()
    with pytest.raises(ConfigError) as info:
        load_config_from(tmp_path / "pyproject.toml")
    assert "pyproject.toml" in str(info.value) and "[tool.artifact-lsp]" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config_from(tmp_path / "missing.toml")
    assert "missing.toml" in str(info.value)


# --------------------------------------------------------------------------- bad config files

BAD = [
    # (settings text, key the message must name, more text the message must hold)
    ('selct = ["AL1"]\n', "selct", "did you mean 'select'?"),
    ('ignroe = ["AL1"]\n', "ignroe", "did you mean 'ignore'?"),
    ("max_file_size = 10\n", "max_file_size", "did you mean 'max-file-size'?"),
    ("select = 3\n", "select", "expected list of rule codes or prefixes"),
    ("ignore = [1, 2]\n", "ignore", "expected list of rule codes or prefixes"),
    ('select = ["AL999"]\n', "select", "unknown rule code or prefix 'AL999'"),
    ('ignore = ["XX1"]\n', "ignore", "unknown rule code or prefix 'XX1'"),
    ('extend-select = ["AL1O4"]\n', "extend-select", "unknown rule code or prefix 'AL1O4' (did you mean AL104?)"),
    ('[severity]\nAL104 = "fatal"\n', "severity.AL104", "expected one of error, warning, info, hint, got 'fatal'"),
    ("[severity]\nAL104 = 3\n", "severity.AL104", "expected one of error, warning, info, hint"),
    ('[severity]\nAL994 = "error"\n', "severity.AL994", "unknown rule code or prefix 'AL994'"),
    ('severity = "error"\n', "severity", "expected table of rule code"),
    ("exclude = [1]\n", "exclude", "expected list of glob patterns"),
    ("include = {a = 1}\n", "include", "expected list of glob patterns"),
    ('[extra-legacy-keys]\n"bad path!" = "x"\n', "extra-legacy-keys.'bad path!'", "expected a key path"),
    ('[extra-legacy-keys]\n"artifacts[].x" = 3\n', "extra-legacy-keys.'artifacts[].x'", "expected a string"),
    ('extra-legacy-keys = ["artifacts[].x"]\n', "extra-legacy-keys", "expected table"),
    ('extra-matrix-legacy-keys = "matrix[].x"\n', "extra-matrix-legacy-keys", "expected table"),
    ('extra-forbidden-path-segments = ["a/b"]\n', "extra-forbidden-path-segments", "one folder name"),
    ('extra-forbidden-path-segments = [""]\n', "extra-forbidden-path-segments", "one folder name"),
    ("extra-forbidden-path-segments = 5\n", "extra-forbidden-path-segments", "expected list of folder names"),
    ('max-file-size = "big"\n', "max-file-size", "expected integer (bytes) > 0"),
    ("max-file-size = 0\n", "max-file-size", "expected integer (bytes) > 0"),
    ("max-file-size = true\n", "max-file-size", "expected integer (bytes) > 0"),
    ("max-file-size = 1.5\n", "max-file-size", "expected integer (bytes) > 0"),
    ("docs-url = 3\n", "docs-url", "expected string: the rule docs link"),
    ('docs-url = ""\n', "docs-url", "expected string: the rule docs link"),
    ('docs-url = "https://example.com/rules.md"\n', "docs-url", "expected {code} or {anchor} in the link"),
    ('docs_url = "https://example.com/{code}"\n', "docs_url", "did you mean 'docs-url'?"),
]


def _pyproject(settings: str) -> str:
    # tables inside the settings become sub-tables of [tool.artifact-lsp]
    lines = []
    for line in settings.splitlines():
        if line.startswith("[") and not line.startswith("[["):
            line = "[tool.artifact-lsp." + line[1:]
        lines.append(line)
    body = "\n".join(lines) + "\n"
    if body.startswith("[tool.artifact-lsp."):
        return '[project]\nname = "x"\n\n' + body
    return '[project]\nname = "x"\n\n[tool.artifact-lsp]\n' + body


@pytest.mark.parametrize("filename", [".artifact-lsp.toml", "pyproject.toml"])
@pytest.mark.parametrize("settings,key,detail", BAD)
def test_bad_config_is_a_config_error_naming_file_and_key(tmp_path, write_repo, filename, settings, key, detail):
    text = settings if filename == ".artifact-lsp.toml" else _pyproject(settings)
    write_repo(tmp_path, {filename: text, "e2e/artifact.yml": CLEAN})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "e2e/artifact.yml")
    message = str(info.value)
    assert str(tmp_path / filename) in message
    assert f": {key}: " in message
    assert detail in message
    if filename == "pyproject.toml":
        assert "[tool.artifact-lsp]" in message


@pytest.mark.parametrize("filename", [".artifact-lsp.toml", "pyproject.toml"])
@pytest.mark.parametrize(
    "raw",
    [
        b"select = [\n",
        b'select = ["AL1"\nignore = []\n',
        b"= 3\n",
        b'select = ["\xff"]\n',
        b"[tool.artifact-lsp]\n[tool.artifact-lsp]\n",
    ],
)
def test_invalid_toml_is_a_config_error_naming_the_file(tmp_path, write_repo, filename, raw):
    write_repo(tmp_path, {filename: raw})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert str(tmp_path / filename) in message
    assert "invalid TOML" in message


def test_pyproject_section_that_is_not_a_table(tmp_path, write_repo):
    write_repo(tmp_path, {"pyproject.toml": '[tool]\nartifact-lsp = "strict"\n'})
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "pyproject.toml") in message and "tool.artifact-lsp" in message


def test_bad_overrides_are_config_errors():
    with pytest.raises(ConfigError) as info:
        Config().merged({"selct": ["AL1"]}, origin="client settings")
    assert str(info.value) == "client settings: selct: unknown setting (did you mean 'select'?)"
    with pytest.raises(ConfigError) as info:
        Config().merged({"severity": {"AL104": None}})
    assert "settings: severity.AL104: " in str(info.value)
    with pytest.raises(ConfigError):
        Config().merged(["select"])  # not a table at all


def test_every_valid_setting_loads(tmp_path, write_repo):
    write_repo(
        tmp_path,
        {
            ".artifact-lsp.toml": (
                'select = ["ALL"]\n'
                'extend-select = ["AL5"]\n'
                'ignore = ["AL308"]\n'
                'exclude = ["vendor"]\n'
                'include = ["**/artifact.yml"]\n'
                'extra-forbidden-path-segments = ["staging"]\n'
                "max-file-size = 1048576\n"
                'docs-url = "https://example.com/rules.md#{anchor}"\n'
                "[severity]\n"
                'AL403 = "warning"\n'
                "[extra-legacy-keys]\n"
                '"artifacts[].build_args" = "x"\n'
                "[extra-matrix-legacy-keys]\n"
                '"matrix[].runner" = "y"\n'
            )
        },
    )
    config = load_config(tmp_path)
    assert config.select == ("ALL", "AL5")
    assert config.ignore == ("AL308",)
    assert config.exclude == ("vendor",)
    assert config.include == ("**/artifact.yml",)
    assert config.extra_forbidden_path_segments == ("staging",)
    assert config.max_file_size == 1048576
    assert config.severity == {"AL403": Severity.WARNING}
    assert config.extra_legacy_keys == {"artifacts[].build_args": "x"}
    assert config.extra_matrix_legacy_keys == {"matrix[].runner": "y"}
    assert config.docs_url == "https://example.com/rules.md#{anchor}"
    assert config.rule_url(RULES["AL104"]) == "https://example.com/rules.md#al104"
    assert Config().rule_url(RULES["AL104"]) == RULES["AL104"].url


def test_docs_url_placeholders():
    rule = RULES["AL101"]
    assert Config(docs_url="https://x/{code}.html").rule_url(rule) == "https://x/AL101.html"
    assert Config(docs_url="https://x/rules.md#{anchor}").rule_url(rule) == "https://x/rules.md#al101"
    # the default: the rules reference the package ships, opened without a network
    assert rule.url.startswith("file:") and rule.url.endswith("/artifact_lsp/rules.md#al101")


# --------------------------------------------------------------------------- never another exception

_SETTING_NAMES = [
    "select",
    "ignore",
    "extend-select",
    "severity",
    "exclude",
    "include",
    "extra-legacy-keys",
    "extra-matrix-legacy-keys",
    "extra-forbidden-path-segments",
    "max-file-size",
    "docs-url",
    "selct",
    "",
]
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["AL", "AL104", "ALL", "error", "warn", "artifacts[].x", "a/b", "runtime-base"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.sampled_from(["AL104", "AL1", "artifacts[].x"]), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_SETTING_NAMES), _VALUES, max_size=4))
def test_any_settings_table_loads_or_is_a_config_error(data):
    try:
        config = Config().merged(data)
    except ConfigError as exc:
        assert str(exc).startswith("settings: ")
    else:
        assert isinstance(config, Config)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=80) | st.text(max_size=80).map(str.encode))
def test_any_config_file_bytes_load_or_are_a_config_error(tmp_path, raw):
    path = tmp_path / ".artifact-lsp.toml"
    path.write_bytes(raw)
    try:
        load_config(tmp_path)
    except ConfigError as exc:
        assert str(path) in str(exc)


def test_overlaid_configs_merge_once_per_config_and_report_a_bad_overlay():
    """The one overlay cache the CLI (command-line options) and the server (editor settings) use."""
    from artifact_lsp.engine.config import OverlaidConfigs

    base, other = Config(), Config(exclude=["a/**"])
    calls = []

    def overlay(config):
        calls.append(config)
        return {"ignore": ["AL104"], "exclude": [*config.exclude, "b/**"]}

    overlaid = OverlaidConfigs(overlay, "command line")
    first = overlaid.of(base)
    assert overlaid.of(base) is first and len(calls) == 1
    assert not first.enabled("AL104") and first.exclude[-1] == "b/**"
    assert list(overlaid.of(other).exclude) == ["a/**", "b/**"]
    overlaid.clear()
    assert overlaid.of(base) is not first and len(calls) == 3
    assert OverlaidConfigs({}, "none").of(base) is base
    with pytest.raises(ConfigError):
        OverlaidConfigs({"select": 3}, "command line").of(base)
    errors = []
    assert OverlaidConfigs({"select": 3}, "settings", on_error=errors.append).of(base) is base and errors
