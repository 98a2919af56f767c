"""Every rule, by code. One module per family holds its rules' docs, checks and fix plans:

- ``document``: AL0xx, the file is one well-formed YAML document
- ``legacy``: AL1xx and AL501/AL502, keys removed from the contract (fix: remove)
- ``runtime_base``: AL2xx, ``runtime-base`` references and folders
- ``shape``: AL3xx, the contract's shape with the upstream wording
- ``ondisk``: AL4xx, config files and template hashes on disk
- ``matrix``: AL503-AL507, ``test_matrix.yaml``
"""

from __future__ import annotations

from ..model import Rule
from . import document, legacy, matrix, ondisk, runtime_base, shape

_ALL: tuple[Rule, ...] = (
    document.RULES + legacy.RULES + runtime_base.RULES + shape.RULES + ondisk.RULES + matrix.RULES
)
RULES: dict[str, Rule] = {rule.code: rule for rule in sorted(_ALL, key=lambda r: r.code)}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in _ALL}

# The checks that run per kind of file, in order (legacy before shape: shape skips the keys
# that legacy already reported, so a legacy key is never also an "unknown key").
CHECKS = {
    "manifest": (legacy.check, runtime_base.check, shape.check, ondisk.check),
    "json": (legacy.check_json, legacy.check, runtime_base.check, shape.check, ondisk.check),
    "matrix": (legacy.check, matrix.check),
}


def rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    return RULES.get(key.upper()) or BY_NAME.get(key.lower())
