"""Build the release artifacts with one command: ``uv run python .ci/release.py``.

Writes, into ``dist/`` (or ``--out``):

- ``artifact_lsp-<version>-py3-none-any.whl`` and ``artifact_lsp-<version>.tar.gz`` (``uv build``:
  the wheel is built from the sdist, so the sdist is known to be complete);
- ``artifact-lsp-<version>.vsix``: the VS Code extension with that very wheel's
  ``artifact_lsp`` and its pure-Python dependencies in ``bundled/libs``
  (editors/vscode/scripts/bundle.py);
- ``SHA256SUMS``.

One version, from one place: ``__version__`` in ``server/artifact_lsp/__init__.py`` (the
wheel's version comes from it through hatch). ``editors/vscode/package.json`` must carry the
same version and ``CHANGELOG.md`` a ``## [<version>]`` section, or nothing is built. Then every
artifact is opened and checked: the version, ``License-File: LICENSE`` in the wheel's
metadata, LICENSE in the sdist and the ``.vsix``, the bundled server and its dependencies.

The extension is built in a copy of ``editors/vscode`` (``--workdir``, default
``.cache/release/vscode``) whose npm dependencies come from ``npm ci`` (its lock file), so the
checkout stays clean. Needs uv, Node 20 and npm.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "editors" / "vscode"
EXT_COPY = ("package.json", "package-lock.json", "tsconfig.json", "esbuild.mjs", ".vscodeignore", "README.md")
EXT_COPY_DIRS = ("src", "scripts", "bundled/tool")
BUNDLED_MUST = (
    "artifact_lsp/__init__.py",
    "pygls/__init__.py",
    "lsprotocol/types.py",
    "cattrs/__init__.py",
    "attrs/__init__.py",
    "typing_extensions.py",
    "yaml/__init__.py",
)


class ReleaseError(Exception):
    pass


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> None:
    say(f"$ {' '.join(cmd)}   (in {cwd})")
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReleaseError(
            f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )


def version() -> str:
    """The one version, and the places that must agree with it."""
    text = (ROOT / "server" / "artifact_lsp" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if not m:
        raise ReleaseError('server/artifact_lsp/__init__.py has no __version__ = "..." line')
    v = m.group(1)
    ext_version = json.loads((EXT / "package.json").read_text(encoding="utf-8"))["version"]
    if ext_version != v:
        raise ReleaseError(f"editors/vscode/package.json has version {ext_version}, the package {v}: make them equal")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    if not re.search(rf"^## \[{re.escape(v)}\]", changelog, re.MULTILINE):
        raise ReleaseError(f"CHANGELOG.md has no '## [{v}]' section")
    return v


def extension_workdir(workdir: Path) -> Path:
    """A copy of the extension's sources over ``npm ci``'d dependencies (reused while the lock is the same)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in EXT_COPY:
        shutil.copy2(EXT / name, workdir / name)
    shutil.rmtree(workdir / "bundled", ignore_errors=True)
    for name in EXT_COPY_DIRS:
        shutil.rmtree(workdir / name, ignore_errors=True)
        shutil.copytree(EXT / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256((EXT / "package-lock.json").read_bytes()).hexdigest()
    marker = workdir / ".npm-ci"
    if not (marker.exists() and marker.read_text().strip() == digest and (workdir / "node_modules").is_dir()):
        marker.unlink(missing_ok=True)
        run(["npm", "ci", "--no-audit", "--no-fund"], workdir)
        marker.write_text(digest + "\n")
    return workdir


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_wheel(wheel: Path, v: str, license_text: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = f"artifact_lsp-{v}.dist-info/METADATA"
        if meta_name not in names:
            raise ReleaseError(f"{wheel.name}: no {meta_name}")
        meta = Parser().parsestr(zf.read(meta_name).decode("utf-8"))
        if meta["Version"] != v:
            raise ReleaseError(f"{wheel.name}: Version {meta['Version']} != {v}")
        if "LICENSE" not in (meta.get_all("License-File") or []):
            raise ReleaseError(f"{wheel.name}: metadata does not name License-File: LICENSE")
        lic = f"artifact_lsp-{v}.dist-info/licenses/LICENSE"
        if lic not in names or zf.read(lic).decode("utf-8") != license_text:
            raise ReleaseError(f"{wheel.name}: {lic} missing or not the repository's LICENSE")


def check_sdist(sdist: Path, v: str) -> None:
    with tarfile.open(sdist) as tf:
        names = set(tf.getnames())
    for name in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "server/artifact_lsp/__init__.py"):
        if f"artifact_lsp-{v}/{name}" not in names:
            raise ReleaseError(f"{sdist.name}: no {name}")


def check_vsix(vsix: Path, v: str, license_text: str) -> None:
    with zipfile.ZipFile(vsix) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("extension/package.json"))
        if manifest["version"] != v:
            raise ReleaseError(f"{vsix.name}: extension version {manifest['version']} != {v}")
        if "extension/LICENSE.txt" not in names or zf.read("extension/LICENSE.txt").decode("utf-8") != license_text:
            raise ReleaseError(f"{vsix.name}: extension/LICENSE.txt missing or not the repository's LICENSE")
        for rel in BUNDLED_MUST:
            if f"extension/bundled/libs/{rel}" not in names:
                raise ReleaseError(f"{vsix.name}: no extension/bundled/libs/{rel}")
        init = zf.read("extension/bundled/libs/artifact_lsp/__init__.py").decode("utf-8")
        if f'__version__ = "{v}"' not in init:
            raise ReleaseError(f"{vsix.name}: the bundled artifact_lsp is not version {v}")
        compiled = [n for n in names if n.endswith((".so", ".pyd", ".dylib", ".pyc"))]
        if compiled:
            raise ReleaseError(f"{vsix.name}: compiled files {compiled}")


def release(out: Path, workdir: Path) -> dict:
    v = version()
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"artifact_lsp-{v}-py3-none-any.whl"
    sdist = out / f"artifact_lsp-{v}.tar.gz"
    vsix = out / f"artifact-lsp-{v}.vsix"
    for old in (wheel, sdist, vsix, out / "SHA256SUMS"):
        old.unlink(missing_ok=True)

    run(["uv", "build", "--sdist", "--wheel", "--out-dir", str(out), str(ROOT)], ROOT)
    for built in (wheel, sdist):
        if not built.is_file():
            raise ReleaseError(f"uv build did not write {built.name}")

    work = extension_workdir(workdir)
    env = dict(os.environ, ARTIFACT_LSP_REPO=str(ROOT))
    run([sys.executable, "scripts/bundle.py", "--ext", str(work), "--wheel", str(wheel)], work, env)
    vsce = work / "node_modules" / ".bin" / "vsce"
    run([str(vsce), "package", "--no-dependencies", "--allow-missing-repository", "-o", str(vsix)], work, env)

    check_wheel(wheel, v, license_text)
    check_sdist(sdist, v)
    check_vsix(vsix, v, license_text)
    artifacts = [wheel, sdist, vsix]
    (out / "SHA256SUMS").write_text("".join(f"{sha256(p)}  {p.name}\n" for p in artifacts))
    summary = {"version": v, "artifacts": {p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)} for p in artifacts}}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the wheel, the sdist and the .vsix (one version).")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the artifacts go (default: dist/)")
    parser.add_argument(
        "--workdir", type=Path, default=ROOT / ".cache" / "release" / "vscode", help="where the extension is built"
    )
    args = parser.parse_args(argv)
    for tool in ("uv", "node", "npm"):
        if shutil.which(tool) is None:
            print(f"release: {tool} is needed", file=sys.stderr)
            return 2
    try:
        summary = release(args.out.resolve(), args.workdir.resolve())
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    for name, info in summary["artifacts"].items():
        print(f"{args.out / name}  {info['bytes']:>9,} bytes  sha256 {info['sha256']}")
    print(f"artifact-lsp {summary['version']}: wheel, sdist and .vsix checked (version, LICENSE, bundled server)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
