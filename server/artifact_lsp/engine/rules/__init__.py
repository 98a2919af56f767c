"""Every rule, by code. One module per family holds its rules' docs, checks and fix plans:

- ``document``: AL0xx, the file is one well-formed YAML document
- ``legacy``: AL1xx and AL501/AL502, keys removed from the contract (fix: remove)
- ``runtime_base``: AL2xx, ``runtime-base`` references and folders
- ``shape``: AL3xx, the contract's shape with the upstream wording
- ``ondisk``: AL4xx, config files and template hashes on disk
- ``matrix``: AL503-AL507, ``test_matrix.yaml``
- ``yamltypes``: AL005, AL006, AL311, what ESB's YAML readers make of tags, keys and YAML 1.1 types
- ``manifest_types``: AL310, AL313, manifest values as each of ESB's gates types them
- ``matrix_types``: AL508-AL511, what the E2E runner does with the matrix's values

docs/gates.md says which of ESB's gates each rule mirrors.
"""

from __future__ import annotations

from ..model import Rule
from . import document, legacy, manifest_types, matrix, matrix_types, ondisk, runtime_base, shape, yamltypes

_ALL: tuple[Rule, ...] = (
    document.RULES
    + yamltypes.RULES
    + legacy.RULES
    + runtime_base.RULES
    + shape.RULES
    + manifest_types.RULES
    + ondisk.RULES
    + matrix.RULES
    + matrix_types.RULES
)
RULES: dict[str, Rule] = {rule.code: rule for rule in sorted(_ALL, key=lambda r: r.code)}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in _ALL}

# The checks that run per kind of file, in order (legacy before shape: shape skips the keys
# that legacy already reported, so a legacy key is never also an "unknown key").
CHECKS = {
    "manifest": (yamltypes.check, legacy.check, runtime_base.check, shape.check, manifest_types.check, ondisk.check),
    "json": (legacy.check_json, legacy.check, runtime_base.check, shape.check, manifest_types.check, ondisk.check),
    "matrix": (yamltypes.check, legacy.check, matrix.check, matrix_types.check),
}


def rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    return RULES.get(key.upper()) or BY_NAME.get(key.lower())
