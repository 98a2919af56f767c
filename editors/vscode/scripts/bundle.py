"""Put the artifact-lsp server and its Python dependencies into the extension (``bundled/libs``).

Run by ``npm run bundle`` (and so by ``npm run package``) and by ``.ci/release.py``; needs
``uv`` on PATH. What it does, the way Microsoft's vscode-python-tools-extension-template does
(``pip install -t bundled/libs --no-deps --implementation py``):

1. the server: the given wheel (``--wheel``), else a wheel built now from the repository;
2. its dependencies at the exact versions of the repository's ``uv.lock`` (``uv export``),
   installed from wheels (``--only-binary :all:``, ``--no-deps``) into ``bundled/libs``;
3. PyYAML's C extension is removed: the rest of PyYAML is pure Python and falls back to its
   own parser (the launcher, bundled/tool/server.py, still uses the interpreter's own PyYAML
   when that one has libyaml). Any other compiled file is an error: the libraries must run on
   every OS and every Python >= 3.11;
4. no ``bin/`` scripts (their shebangs name this machine's Python), no ``__pycache__``, no
   uv ``.lock``;
5. the repository's LICENSE and CHANGELOG.md are copied next to package.json (vsce packs them).

The repository is ``$ARTIFACT_LSP_REPO`` or the folder two levels above the extension; the
extension folder is the one this script is in (``scripts/..``) or ``--ext``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXT = Path(__file__).resolve().parent.parent
# the only compiled files the dependency wheels may hold; removed (pure-Python fallback)
DROPPED_BINARIES = ("yaml/_yaml.",)
BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


def run(cmd: list[str], cwd: Path | None = None) -> str:
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"bundle: {' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def find_repo(ext: Path) -> Path:
    repo = Path(os.environ.get("ARTIFACT_LSP_REPO") or ext.parent.parent).resolve()
    if not (repo / "pyproject.toml").is_file() or not (repo / "server" / "artifact_lsp").is_dir():
        sys.exit(f"bundle: {repo} is not the artifact-lsp repository (set ARTIFACT_LSP_REPO)")
    return repo


def requirements(repo: Path) -> list[str]:
    """``name==version`` of every runtime dependency, from uv.lock (the server itself excluded)."""
    out = run(
        ["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--no-header", "--no-annotate"],
        cwd=repo,
    )
    reqs = [line.strip() for line in out.splitlines() if line.strip() and not line.lstrip().startswith(("#", "-"))]
    if not any(r.lower().startswith("pygls==") for r in reqs):
        sys.exit(f"bundle: uv export gave no pygls pin:\n{out}")
    return reqs


def build_wheel(repo: Path, out: Path) -> Path:
    run(["uv", "build", "--wheel", "--out-dir", str(out), str(repo)])
    wheels = sorted(out.glob("artifact_lsp-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"bundle: expected one wheel in {out}, found {wheels}")
    return wheels[0]


def strip(libs: Path) -> list[str]:
    """Remove bin/, __pycache__ and PyYAML's C extension; fail on any other compiled file."""
    shutil.rmtree(libs / "bin", ignore_errors=True)
    (libs / ".lock").unlink(missing_ok=True)  # uv's lock file for --target
    for cache in sorted(libs.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)
    dropped, foreign = [], []
    for path in sorted(libs.rglob("*")):
        if path.is_file() and (path.name.endswith(BINARY_SUFFIXES) or ".so." in path.name):
            rel = path.relative_to(libs).as_posix()
            if rel.startswith(DROPPED_BINARIES):
                path.unlink()
                dropped.append(rel)
            else:
                foreign.append(rel)
    if foreign:
        sys.exit(f"bundle: compiled files that have no pure-Python fallback: {foreign}")
    return dropped


def bundle(ext: Path, repo: Path, wheel: Path | None) -> dict:
    libs = ext / "bundled" / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    libs.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="artifact-lsp-bundle-") as tmp:
        if wheel is None:
            wheel = build_wheel(repo, Path(tmp))
        reqs = Path(tmp) / "requirements.txt"
        pins = requirements(repo)
        reqs.write_text("\n".join(pins) + "\n")
        run(
            [
                "uv",
                "pip",
                "install",
                "--target",
                str(libs),
                "--no-deps",
                "--only-binary",
                ":all:",
                "--no-compile",
                "--python-version",
                "3.11",
                "-r",
                str(reqs),
                str(wheel),
            ]
        )
    dropped = strip(libs)
    if (
        not (libs / "artifact_lsp" / "__init__.py").is_file()
        or not (libs / "pygls").is_dir()
        or not (libs / "yaml").is_dir()
    ):
        sys.exit(f"bundle: {libs} lacks artifact_lsp, pygls or yaml")
    for name in ("LICENSE", "CHANGELOG.md"):
        if (repo / name).is_file():
            shutil.copy2(repo / name, ext / name)
    size = sum(p.stat().st_size for p in libs.rglob("*") if p.is_file())
    summary = {"libs": str(libs), "wheel": wheel.name, "pins": pins, "dropped": dropped, "bytes": size}
    print(json.dumps(summary, indent=2), file=sys.stderr)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ext", type=Path, default=EXT, help="the extension folder (default: this script's parent's parent)"
    )
    parser.add_argument(
        "--wheel", type=Path, help="the artifact-lsp wheel to bundle (default: build one from the repository)"
    )
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        sys.exit("bundle: uv is needed (https://docs.astral.sh/uv/, or `pip install uv`)")
    ext = args.ext.resolve()
    bundle(ext, find_repo(ext), args.wheel.resolve() if args.wheel else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
