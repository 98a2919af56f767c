"""The one parser for contract paths like ``artifacts[].source_template`` or ``suites.<name>``.

A *pattern* is a tuple of keys (``str``) and two markers: ``INDEX`` (``[]``, any list index)
and ``NAME`` (``<name>``, any mapping key). A *concrete* path is a tuple of keys and list
indexes, e.g. ``("artifacts", 0, "source_template")``.
"""

from __future__ import annotations

import re

__all__ = ["INDEX", "NAME", "parse", "render", "concrete", "dotted", "pattern_of", "is_valid"]

INDEX = int  # the marker for "any list index"
NAME = str  # the marker for "any mapping key"

# what a configuration may name as a legacy key path
_VALID = re.compile(r"^[A-Za-z0-9_.-]+(\[\])?(\.[A-Za-z0-9_.-]+(\[\])?)*$")


def is_valid(path: str) -> bool:
    """Whether ``path`` is a key path a configuration may name (``artifacts[].name``, ``name``)."""
    return bool(_VALID.match(path))


def parse(path: str) -> tuple:
    """``"artifacts[].source_template"`` -> ``("artifacts", INDEX, "source_template")``."""
    out: list = []
    for part in path.split("."):
        if part.endswith("[]"):
            out.extend((part[:-2], INDEX))
        elif part == "<name>":
            out.append(NAME)
        else:
            out.append(part)
    return tuple(out)


def render(pattern: tuple) -> str:
    """The inverse of ``parse``."""
    out = ""
    for part in pattern:
        if part is INDEX:
            out += "[]"
        elif part is NAME:
            out += ".<name>" if out else "<name>"
        else:
            out += f".{part}" if out else part
    return out


def concrete(pattern: tuple, index: int = 0, name: str = "x") -> tuple:
    """One concrete path that ``pattern`` matches (``INDEX`` -> ``index``, ``NAME`` -> ``name``)."""
    return tuple(index if p is INDEX else name if p is NAME else p for p in pattern)


def dotted(path: tuple) -> str:
    """A concrete path as messages show it: ``("artifacts", 0, "id")`` -> ``artifacts[0].id``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def pattern_of(path) -> tuple | None:
    """The pattern of a concrete path (indexes -> ``INDEX``), or None when it is not one."""
    out: list[str | type[int]] = []
    for part in path:
        if isinstance(part, bool):
            return None
        if isinstance(part, int):
            out.append(INDEX)
        elif isinstance(part, str):
            out.append(part)
        else:
            return None
    return tuple(out)


def leaf(path: str) -> str:
    """The last key of a path: ``artifacts[].id`` -> ``id``."""
    return path.rsplit(".", 1)[-1].removesuffix("[]")
