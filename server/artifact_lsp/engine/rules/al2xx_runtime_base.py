"""AL2xx: references to folders outside the contract (``spec.FORBIDDEN_SEGMENTS``), and those folders on disk."""

from __future__ import annotations

import os
import re
from functools import partial

from .. import files, keypath, spec
from ..files import is_dir
from ..model import Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence
from .base import Context, check, lookup, string_value, value_span

_SINCE = spec.FORBIDDEN_SINCE
_ROOT = keypath.leaf(spec.ARTIFACT_ROOT)

AL201 = Rule(
    "AL201",
    "runtime-base-reference",
    Severity.ERROR,
    "A string value points into `runtime-base/` (or another forbidden folder), which is outside the contract.",
    "`runtime-base/` was a folder the producer staged in each artifact root (runtime hooks, "
    f"Dockerfile, `sitecustomize.py`, java agent jars). Since {_SINCE} it is outside the contract: "
    "deploy must not use it as a build source and regeneration deletes it. Any string value with a "
    "`runtime-base` path segment (`/` or `\\\\` separated), under any key, is a violation. More "
    "folder names can be forbidden with `extra-forbidden-path-segments`.",
    files=("manifest", "json"),
)
AL202 = Rule(
    "AL202",
    "runtime-base-folder",
    Severity.WARNING,
    f"`<{_ROOT}>/runtime-base/` exists on disk: out-of-contract payload that regeneration deletes.",
    "The folder is not part of the artifact any more; regeneration deletes it. Committed fixtures "
    "that still have it carry stale runtime hooks. Regenerate the fixtures (or delete the folder).",
    files=("manifest", "json"),
)

RULES = (AL201, AL202)

_SEP = re.compile(r"[\\/]")


def _segments_hit(value: str, forbidden) -> str | None:
    if not any(name in value for name in forbidden):
        return None
    for part in _SEP.split(value):
        if part in forbidden:
            return part
    return None


@check(AL201)
def runtime_base_reference(ctx: Context) -> None:
    root = ctx.parsed.root
    if root is None:
        return
    forbidden = ctx.config.forbidden_segments
    if "\\" not in ctx.text and not any(name in ctx.text for name in forbidden):
        return  # nothing to find: skip the walk (an escape like "\x2d" can spell a name)
    # iterative walk over the physical tree: (node, dotted path of its key)
    stack = [(root, "")]
    while stack:
        node, dotted = stack.pop()
        if type(node) is Mapping:
            for key, value in node.pairs:
                name = key.value if type(key) is Scalar else "?"
                stack.append((value, f"{dotted}.{name}" if dotted else name))
        elif type(node) is Sequence:
            for i, item in enumerate(node.items):
                stack.append((item, f"{dotted}[{i}]"))
        elif type(node) is Scalar:
            hit = _segments_hit(node.value, forbidden)
            if hit:
                where = f"'{dotted}'" if dotted else "a value"
                ctx.report(
                    AL201,
                    f"{where} points into '{hit}/' ({node.value!r}), which is outside the contract "
                    f"since {_SINCE}; deploy must not use it",
                    node.start,
                    node.end,
                )


@check(AL202)
def runtime_base_folder(ctx: Context) -> None:
    folder = ctx.folder
    if folder is None or ctx.parsed.root is None:
        return
    forbidden = ctx.config.forbidden_segments
    for i, _item, entry in ctx.entries(spec.ENTRIES):
        pair = lookup(entry, _ROOT)
        if pair is None:
            continue
        text = string_value(pair[1])
        if not text or not text.strip():
            continue
        base = os.path.join(str(folder), text.strip())  # an absolute root stays absolute
        for segment in forbidden:
            folder_path = os.path.join(base, segment)
            if files.cached_fact("dir", folder_path, partial(is_dir, folder_path)):
                start, end = value_span(*pair)
                ctx.report(
                    AL202,
                    f"{spec.ENTRIES}[{i}]: '{text.strip().rstrip('/')}/{segment}/' exists on disk: "
                    "out-of-contract payload that regeneration deletes",
                    start,
                    end,
                )
