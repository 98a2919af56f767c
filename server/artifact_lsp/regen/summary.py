"""What a successful run changed: added / changed / removed files, the manifests that changed
only in their producer stamp (put back unless ``timestamps = "keep"``: zero churn), the
contract findings left, and the lines that show it."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import shutil
from pathlib import Path

import yaml

from ..engine import files
from ..engine.config import ConfigCache
from ..engine.linter import FILE_KINDS, lint_path
from .snapshot import _base, _digest, _walk_entries

LOW_SIGNAL_KEYS = ("generated_at", "generator.version")
STAMP_FILES = ("artifact.yml", "artifact.yaml", "artifact.json")
SUMMARY_LINES = 20  # past this many files of one kind, other files are grouped by folder


def _files_of(state: dict) -> dict[str, tuple[str, int]]:
    out = {}
    for record in state["folders"]:
        for e in record["entries"]:
            if e["kind"] == "file":
                out[f"{record['folder']}/{e['path']}"] = (e["sha256"], e["mode"])
    return out


def _is_manifest(key: str) -> bool:
    return Path(key).name in FILE_KINDS


def _strip_stamp(data):
    data = dict(data)
    data.pop("generated_at", None)
    gen = data.get("generator")
    if isinstance(gen, dict):
        gen = dict(gen)
        gen.pop("version", None)
        data["generator"] = gen
    return data


_STAMP_LINE = re.compile(rb"""^\s*["']?(generated_at|version)["']?\s*:|^["']?generator["']?\s*:.*\bversion\b""")


def _low_signal_only(before: bytes, after: bytes) -> bool:
    """True when ``after`` differs from ``before`` only in the producer's stamp
    (``generated_at`` / ``generator.version``): the data without the stamp is equal, in the
    same key order, and every changed line is a stamp line."""
    try:
        a = yaml.safe_load(before)
        b = yaml.safe_load(after)
    except yaml.YAMLError:
        return False
    if not isinstance(a, dict) or not isinstance(b, dict) or a == b:
        return False
    sa, sb = _strip_stamp(a), _strip_stamp(b)
    if sa != sb or json.dumps(sa, default=str) != json.dumps(sb, default=str):
        return False
    old, new = before.splitlines(), after.splitlines()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if not all(_STAMP_LINE.match(line) for line in old[i1:i2] + new[j1:j2]):
            return False
    return True


def _put_back(source: Path, dest: Path, mode: int) -> None:
    """Replace ``dest`` by the snapshot copy ``source`` (bytes, mode and mtime), atomically."""
    tmp = dest.with_name(f".{dest.name}.artifact-lsp-{os.getpid()}.tmp")
    shutil.copy2(source, tmp, follow_symlinks=False)
    os.chmod(tmp, mode)
    os.replace(tmp, dest)


def summarise(root: Path, state: dict, timestamps: str = "restore") -> dict:
    """What the run changed. With ``timestamps="restore"`` every manifest that changed only in
    its stamp gets its snapshot bytes back first (so it is no longer "changed")."""
    root = root.resolve()
    before = _files_of(state)
    after: dict[str, tuple[str, int]] = {}
    for record in state["folders"]:
        folder = root / record["folder"]
        if folder.is_dir():
            for rel, kind, mode, _l in _walk_entries(folder):
                if kind == "file":
                    after[f"{record['folder']}/{rel.as_posix()}"] = (_digest(folder / rel), mode)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    data = _base(root, state) / "data"
    index_of = {r["folder"]: i for i, r in enumerate(state["folders"])}
    timestamp_only, restored = [], []
    for key in changed:
        if Path(key).name not in STAMP_FILES or before[key][1] != after[key][1]:
            continue
        folder = next(f for f in sorted(index_of, key=len, reverse=True) if key.startswith(f + "/"))
        saved = data / str(index_of[folder]) / key[len(folder) + 1 :]
        with contextlib.suppress(OSError):
            if _low_signal_only(saved.read_bytes(), (root / key).read_bytes()):
                timestamp_only.append(key)
                if timestamps == "restore":
                    _put_back(saved, root / key, before[key][1])
                    restored.append(key)
    changed = [k for k in changed if k not in restored]
    by_code: dict[str, int] = {}
    items: list[dict] = []
    # the language server caches disk facts for a while: the script just changed the disk
    files.clear_facts()
    configs = ConfigCache()
    for key in sorted(after):
        if Path(key).name not in FILE_KINDS:
            continue
        path = root / key
        with contextlib.suppress(OSError):
            result = lint_path(path, configs.for_path(path))
            for finding in result.findings:
                by_code[finding.code] = by_code.get(finding.code, 0) + 1
                line, col = result.index.position(finding.start, "utf-32")
                items.append(
                    {"path": key, "line": line + 1, "column": col + 1, "code": finding.code,
                     "severity": finding.severity.name.lower() if hasattr(finding.severity, "name") else str(finding.severity),
                     "message": finding.message}
                )  # fmt: skip
    return {
        "counts": {
            "added": len(added),
            "changed": len(changed),
            "removed": len(removed),
            "stampsRestored": len(restored),
        },
        "added": added,
        "changed": changed,
        "removed": removed,
        "timestampOnly": timestamp_only,
        "stampsRestored": restored,
        "findings": {"total": len(items), "byCode": by_code, "items": items},
    }


def _ordered(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: (not _is_manifest(k), k))


def _file_lines(keys: list[str], limit: int = SUMMARY_LINES) -> list[str]:
    """Manifests first, one per line; other files one per line too, or grouped by folder
    with counts when there are more than ``limit`` lines."""
    keys = _ordered(keys)
    if len(keys) <= limit:
        return keys
    manifests = [k for k in keys if _is_manifest(k)]
    groups: dict[str, int] = {}
    for k in keys:
        if not _is_manifest(k):
            parent = str(Path(k).parent)
            groups[parent] = groups.get(parent, 0) + 1
    return manifests + [f"{folder}/ ({count} file{'s' if count != 1 else ''})" for folder, count in groups.items()]


def format_summary(summary: dict) -> list[str]:
    """The text summary: every added, changed and removed file, the manifests whose stamp was
    put back, and every finding left as ``path:line:col CODE message``."""
    lines = []
    for change in ("changed", "added", "removed"):
        keys = summary.get(change) or []
        if keys:
            lines.append(f"  {change} ({len(keys)}):")
            lines += [f"    {k}" for k in _file_lines(keys)]
    if summary.get("stampsRestored"):
        lines.append(
            f"  committed generated_at / generator.version kept (only the stamp changed) ({len(summary['stampsRestored'])}):"
        )
        lines += [f"    {k}" for k in _ordered(summary["stampsRestored"])]
    elif summary.get("timestampOnly"):
        lines.append(f"  only generated_at / generator.version changed ({len(summary['timestampOnly'])}):")
        lines += [f"    {k}" for k in _ordered(summary["timestampOnly"])]
    items = summary.get("findings", {}).get("items") or []
    if items:
        lines.append(f"  contract findings left ({len(items)}):")
        lines += [f"    {i['path']}:{i['line']}:{i['column']} {i['code']} {i['message']}" for i in items]
    return lines


def review_of(root: Path, state: dict, summary: dict) -> dict:
    """For a diff view: each changed file's snapshot copy (before) and its path (after)."""
    data = _base(root, state) / "data"
    index_of = {r["folder"]: i for i, r in enumerate(state["folders"])}

    def snap(key: str) -> str | None:
        folder = next((f for f in sorted(index_of, key=len, reverse=True) if key.startswith(f + "/")), None)
        return str(data / str(index_of[folder]) / key[len(folder) + 1 :]) if folder is not None else None

    items = []
    for change in ("changed", "added", "removed"):
        for key in summary[change]:
            items.append(
                {
                    "path": key,
                    "change": change,
                    "before": snap(key) if change != "added" else None,
                    "after": str(root / key) if change != "removed" else None,
                }
            )
    items.sort(key=lambda i: (not _is_manifest(i["path"]), i["path"]))
    return {"snapshot": str(data), "files": items}
