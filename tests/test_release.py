"""The release command (README, "Releasing"): ``uv run python .ci/release.py`` builds the wheel,
the sdist and the ``.vsix`` with one version, and each artifact carries the license.

Runs the real command (uv, Node 20 and npm; the extension's npm dependencies are installed once
into the test cache). The checks here are made independently of the script's own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser

import pytest

import vscode_harness as h

RELEASE = h.ROOT / ".ci" / "release.py"
VERSION = re.search(r'__version__ = "([^"]+)"', (h.ROOT / "server" / "artifact_lsp" / "__init__.py").read_text()).group(
    1
)


def test_one_version_in_one_place():
    """The wheel's version comes from __version__ (hatch); the extension's must equal it."""
    pyproject = (h.ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert re.search(r'\[tool\.hatch\.version\]\npath = "server/artifact_lsp/__init__.py"', pyproject)
    assert json.loads((h.EXT_SRC / "package.json").read_text())["version"] == VERSION
    changelog = (h.ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{VERSION}] - " in changelog
    assert (h.ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 artifact-lsp contributors\n")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    for tool in ("uv", "node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"the release command needs {tool}")
    major = h.node_major()
    if major is None or major < 20:
        pytest.skip(f"the release command needs Node 20 or newer (found {major})")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, str(RELEASE), "--out", str(out), "--workdir", str(h.CACHE / "release-ext")],
        cwd=h.ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-5000:]
    assert f"artifact-lsp {VERSION}: wheel, sdist and .vsix checked" in proc.stdout
    return out


def test_release_builds_three_artifacts_with_one_version(released):
    names = sorted(p.name for p in released.iterdir() if not p.name.startswith("."))  # uv build adds a .gitignore
    assert names == sorted(
        [
            f"artifact_lsp-{VERSION}-py3-none-any.whl",
            f"artifact_lsp-{VERSION}.tar.gz",
            f"artifact-lsp-{VERSION}.vsix",
            "SHA256SUMS",
        ]
    ), names
    sums = (released / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 3 and all(re.fullmatch(r"[0-9a-f]{64}  \S+", line) for line in sums), sums


def test_wheel_metadata_names_the_license_file(released):
    license_text = (h.ROOT / "LICENSE").read_text()
    with zipfile.ZipFile(released / f"artifact_lsp-{VERSION}-py3-none-any.whl") as zf:
        meta = Parser().parsestr(zf.read(f"artifact_lsp-{VERSION}.dist-info/METADATA").decode())
        assert zf.read(f"artifact_lsp-{VERSION}.dist-info/licenses/LICENSE").decode() == license_text
    assert meta["Version"] == VERSION
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["License-Expression"] == "MIT"
    # classifiers that exist, no license classifier next to the expression, no made-up URLs
    assert "Programming Language :: Python :: 3.11" in meta.get_all("Classifier")
    assert not [c for c in meta.get_all("Classifier") if c.startswith("License ::")]
    assert meta.get_all("Project-URL") is None


def test_sdist_carries_license_and_changelog(released):
    with tarfile.open(released / f"artifact_lsp-{VERSION}.tar.gz") as tf:
        names = set(tf.getnames())
    for name in ("LICENSE", "CHANGELOG.md", "pyproject.toml", "server/artifact_lsp/__init__.py"):
        assert f"artifact_lsp-{VERSION}/{name}" in names, name


def test_vsix_carries_the_server_its_dependencies_and_the_license(released):
    with zipfile.ZipFile(released / f"artifact-lsp-{VERSION}.vsix") as zf:
        names = set(zf.namelist())
        assert json.loads(zf.read("extension/package.json"))["version"] == VERSION
        assert zf.read("extension/LICENSE.txt").decode() == (h.ROOT / "LICENSE").read_text()
        assert f'__version__ = "{VERSION}"' in zf.read("extension/bundled/libs/artifact_lsp/__init__.py").decode()
    for rel in (
        "artifact_lsp/lsp/server.py",
        "artifact_lsp/engine/linter.py",
        "pygls/__init__.py",
        "lsprotocol/types.py",
        "cattrs/__init__.py",
        "attrs/__init__.py",
        "typing_extensions.py",
        "yaml/__init__.py",
    ):
        assert f"extension/bundled/libs/{rel}" in names, rel
    assert f"extension/bundled/libs/artifact_lsp-{VERSION}.dist-info/METADATA" in names
    assert "extension/bundled/tool/server.py" in names
    assert "extension/changelog.md" in names
