"""The VS Code extension's own checks, run from pytest: the TypeScript type check, the node unit
tests (server resolution, settings; ``node --test`` on the esbuild output) and the packaged
``.vsix``'s contents and manifest.

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
        pytest.skip("the VS Code extension tests need Node 20 and npm (Debian package nodejs, or Node 20 from nodejs.org)")
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
    # only the bundle ships: no sources, tests, node_modules or source maps
    assert {"extension/package.json", "extension/readme.md", "extension/dist/extension.js"} <= names, names
    assert not [n for n in names if n.startswith("extension/") and n not in (
        "extension/package.json", "extension/readme.md", "extension/dist/extension.js")], names
    assert vsix.stat().st_size < 1_000_000

    # activation and document selection: our three file names, never every YAML file
    events = manifest["activationEvents"]
    assert {"workspaceContains:**/artifact.yml", "workspaceContains:**/artifact.json", "workspaceContains:**/test_matrix.yaml"} <= set(events)
    assert "*" not in events and "onStartupFinished" not in events
    # palette commands
    titles = {c["command"]: f'{c["category"]}: {c["title"]}' for c in manifest["contributes"]["commands"]}
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
        "artifactLsp.server.path", "artifactLsp.server.interpreter",
        "artifactLsp.regenerate.script", "artifactLsp.regenerate.args", "artifactLsp.regenerate.env",
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
    assert {"documentGlobs", "server.path", "server.interpreter"} <= contributed
