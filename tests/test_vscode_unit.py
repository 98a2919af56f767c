"""The VS Code extension's own checks, run from pytest: the TypeScript type check, the node unit
tests (server resolution, settings; ``node --test`` on the esbuild output) and the packaged
``.vsix``'s contents (the server and its libraries, LICENSE, one version) and manifest.

The extension's npm dependencies come from ``npm ci`` (its committed lock file) into the cache
folder (``tests/vscode_harness.py``); only Node 20 and npm are needed (no browser).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import pytest

import vscode_harness as h


@pytest.fixture(scope="module")
def ext():
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip(
            "the VS Code extension tests need Node 20 and npm (Debian package nodejs, or Node 20 from nodejs.org)"
        )
    major = h.node_major()
    if major is None or major < 20:
        pytest.skip(f"the VS Code extension tests need Node 20 or newer (found {major})")
    return h.extension_workdir()


def test_typecheck(ext):
    proc = h.npm_run(ext, "typecheck")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_node_unit_tests(ext):
    proc = h.npm_run(ext, "test")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    passed = re.search(r"^# pass (\d+)$", out, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", out, re.MULTILINE)
    assert passed and failed, out
    assert int(failed.group(1)) == 0, out
    assert int(passed.group(1)) >= 25, out  # resolve.test.ts + settings.test.ts


def test_vsix_contents_and_manifest(ext):
    vsix = h.build_vsix()
    with zipfile.ZipFile(vsix) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("extension/package.json"))
        license_text = zf.read("extension/LICENSE.txt").decode()
        bundled_init = zf.read("extension/bundled/libs/artifact_lsp/__init__.py").decode()
    ext_files = {n.removeprefix("extension/") for n in names if n.startswith("extension/")}
    # the client bundle, the launcher and the libraries: no sources, tests, node_modules or maps
    top = {"package.json", "readme.md", "LICENSE.txt", "changelog.md", "dist/extension.js", "bundled/tool/server.py"}
    assert top <= ext_files, sorted(ext_files - {n for n in ext_files if n.startswith("bundled/libs/")})
    assert not [n for n in ext_files if n not in top and not n.startswith("bundled/libs/")], ext_files
    libs = {n.removeprefix("bundled/libs/") for n in ext_files if n.startswith("bundled/libs/")}
    # the server and its whole runtime closure (pure Python: runs on any OS and Python >= 3.11)
    for need in (
        "artifact_lsp/__init__.py",
        "artifact_lsp/cli/__init__.py",
        "artifact_lsp/lsp/server.py",
        "artifact_lsp/engine/yamlmodel.py",
        "pygls/__init__.py",
        "lsprotocol/types.py",
        "cattrs/__init__.py",
        "attrs/__init__.py",
        "attr/__init__.py",
        "typing_extensions.py",
        "yaml/__init__.py",
        "yaml/reader.py",
    ):
        assert need in libs, need
    for dist in ("artifact_lsp", "pygls", "lsprotocol", "cattrs", "attrs", "pyyaml", "typing_extensions"):
        assert any(n.startswith(f"{dist}-") and n.endswith(".dist-info/METADATA") for n in libs), dist
    compiled = [
        n
        for n in libs
        if n.endswith((".so", ".pyd", ".dylib", ".dll", ".pyc")) or "/__pycache__/" in n or n.startswith("bin/")
    ]
    assert not compiled, compiled
    # one version: the package's, the bundled server's and the extension's
    version = re.search(
        r'__version__ = "([^"]+)"', (h.ROOT / "server" / "artifact_lsp" / "__init__.py").read_text()
    ).group(1)
    assert f'__version__ = "{version}"' in bundled_init
    assert manifest["version"] == version
    assert any(n == f"artifact_lsp-{version}.dist-info/METADATA" for n in libs), libs
    assert license_text == (h.ROOT / "LICENSE").read_text()
    assert "--skip-license" not in json.dumps(manifest["scripts"])
    assert vsix.stat().st_size < 2_000_000

    # activation and document selection: our three file names, never every YAML file
    events = manifest["activationEvents"]
    assert {
        "workspaceContains:**/artifact.yml",
        "workspaceContains:**/artifact.json",
        "workspaceContains:**/test_matrix.yaml",
    } <= set(events)
    assert "*" not in events and "onStartupFinished" not in events
    # palette commands
    titles = {c["command"]: f"{c['category']}: {c['title']}" for c in manifest["contributes"]["commands"]}
    assert titles == {
        "artifactLsp.regenerateFixtures": "Artifact LSP: Regenerate fixtures",
        "artifactLsp.reviewRegeneration": "Artifact LSP: Review regeneration changes",
        "artifactLsp.undoRegeneration": "Artifact LSP: Undo regeneration",
        "artifactLsp.fixAll": "Artifact LSP: Fix all legacy keys",
        "artifactLsp.restartServer": "Artifact LSP: Restart server",
        "artifactLsp.showOutput": "Artifact LSP: Show output",
    }
    # workspace trust
    trust = manifest["capabilities"]["untrustedWorkspaces"]
    assert trust["supported"] == "limited"
    assert set(trust["restrictedConfigurations"]) == {
        "artifactLsp.server.path",
        "artifactLsp.server.interpreter",
        "artifactLsp.server.importStrategy",
        "artifactLsp.regenerate.script",
        "artifactLsp.regenerate.args",
        "artifactLsp.regenerate.env",
    }


def test_settings_cover_what_the_server_reads(ext):
    """Every engine setting the server accepts is contributed (kebab-case config key <-> camelCase setting)."""
    from artifact_lsp.engine import config as engine_config

    manifest = json.loads((h.EXT_SRC / "package.json").read_text())
    props = manifest["contributes"]["configuration"]["properties"]
    contributed = {k.removeprefix("artifactLsp.") for k in props}
    known = engine_config._KEYS  # the keys a config file (and so the settings) may hold
    camel = {re.sub(r"-([a-z])", lambda m: m.group(1).upper(), k) for k in known}
    # `include` is the CLI's discovery; in the editor `documentGlobs` says which files are served
    missing = {k for k in camel - {"include", "regenerate"} if k not in contributed}
    assert not missing, missing
    regenerate = {k.removeprefix("regenerate.") for k in contributed if k.startswith("regenerate.")}
    # the producer / environments of a repository without a script live in its config file only
    assert regenerate == {"script", "args", "env", "timeout", "fixtures", "timestamps"}
    assert {"documentGlobs", "server.path", "server.interpreter", "server.importStrategy"} <= contributed
