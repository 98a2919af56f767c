"""Legacy keys: contract data that was removed and is now silently ignored.

Every entry of ``MANIFEST_LEGACY`` / ``MATRIX_LEGACY`` is one rule (code, docs, when removed,
what replaced it). A legacy key is reported only at its contract position (``artifacts[].id``,
not a top-level ``id``); keys brought in by ``<<`` merge keys are reported at the merge.
The fix removes the key with its whole value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from ..model import RemoveKey, Rule, Severity
from ..yamlmodel import Mapping, Scalar, Sequence, deref, merged_pairs
from .base import Context, related_to

REMOVE = "Removes the key with its whole value (and the comment lines inside it)."


def _legacy_rule(code, name, summary, docs, severity=Severity.ERROR, files=("manifest", "json")):
    return Rule(code, name, severity, summary, docs, fix=REMOVE, deprecated=True, files=files)


@dataclass(frozen=True)
class LegacyKey:
    rule: Rule
    path: str  # "artifacts[].id"
    what: str  # what the key was
    removed: str  # date, or "" when unknown
    replaced_by: str  # what replaced it, a phrase

    def message(self, dotted: str) -> str:
        when = f" was removed from the contract on {self.removed}" if self.removed else " was removed from the contract"
        return f"legacy key '{dotted}' ({self.what}){when}; replaced by {self.replaced_by}"


AL100 = Rule(
    "AL100",
    "custom-legacy-key",
    Severity.ERROR,
    "A key your configuration lists as legacy (`extra-legacy-keys`, `extra-matrix-legacy-keys`).",
    "The contract will change again. List newly removed keys in the configuration and they are "
    "reported (and removable) like the built-in ones:\n\n"
    "```toml\n[tool.artifact-lsp.extra-legacy-keys]\n\"artifacts[].build_args\" = \"the build section of template.yaml\"\n```",
    fix=REMOVE,
    deprecated=True,
    files=("manifest", "json", "matrix"),
)

_STACK = "nothing in the artifact: compatibility is judged from the running stack"
_SECRETS = "a runtime env file outside the artifact (secrets never live in the artifact)"

AL101 = _legacy_rule(
    "AL101",
    "legacy-runtime-meta",
    "`artifacts[].runtime_meta` (runtime hook and template renderer digests) was removed on 2026-02-20.",
    "`runtime_meta` carried `runtime_hooks.{api_version, python_sitecustomize_digest, java_agent_digest, "
    "java_wrapper_digest}` and `template_renderer.{name, api_version, template_digest}`. The java and "
    "template digests were removed on 2026-02-18 and the whole block on 2026-02-20. Nothing replaces "
    "it: compatibility is judged from the running stack. The applier ignores it, so a fixture that "
    "still has it carries dead contract data.",
)
AL102 = _legacy_rule(
    "AL102",
    "legacy-runtime-meta-digest",
    "A digest inside `runtime_meta` (`*_digest`): explicitly forbidden to use.",
    "The digests in `runtime_meta.runtime_hooks` and `runtime_meta.template_renderer` "
    "(`python_sitecustomize_digest`, `java_agent_digest`, `java_wrapper_digest`, `template_digest`) "
    "are explicitly *forbidden to use*: nothing may compare against them. Each is reported on its own "
    "line so a reader sees exactly which stale hash is there; the fix removes the whole `runtime_meta` "
    "block they live in (see AL101).",
)
AL103 = _legacy_rule(
    "AL103",
    "legacy-runtime-stack",
    "Top-level `runtime_stack` (`api_version`, `mode`, `esb_version`) was removed on 2026-02-25.",
    "`runtime_stack` pinned the stack a fixture was produced for. It was removed on 2026-02-25 and "
    "nothing replaces it.",
)
AL104 = _legacy_rule(
    "AL104",
    "legacy-entry-id",
    "`artifacts[].id` was removed on 2026-02-24: array order identifies entries.",
    "Entries had an `id`. Since 2026-02-24 the order of `artifacts[]` is the only identity (it is also "
    "the deploy and merge order). The upstream regeneration check failed with "
    "`artifacts[<i>].id must not exist`. A top-level `id` is not this rule (it is an unknown key, AL308).",
)
AL105 = _legacy_rule(
    "AL105",
    "legacy-image-prewarm",
    "`artifacts[].image_prewarm` was removed on 2026-02-19 (prewarm and image import are gone).",
    "Image prewarm and image import were removed on 2026-02-19; nothing replaces the switch.",
)
AL106 = _legacy_rule(
    "AL106",
    "legacy-bundle-manifest",
    "`artifacts[].bundle_manifest` was removed on 2026-02-25.",
    "Removed on 2026-02-25 together with `required_secret_env`: secrets come from a runtime env file "
    "outside the artifact.",
)
AL107 = _legacy_rule(
    "AL107",
    "legacy-required-secret-env",
    "`artifacts[].required_secret_env` was removed on 2026-02-25.",
    "Removed on 2026-02-25: secrets come from a runtime env file outside the artifact.",
)
AL108 = _legacy_rule(
    "AL108",
    "legacy-template-parameters",
    "`artifacts[].source_template.parameters` was removed on 2026-02-25.",
    "`source_template` keeps only `path` and `sha256`; `parameters` was removed on 2026-02-25 and "
    "nothing replaces it. A `parameters` key anywhere else is an unknown key, not this rule.",
)
AL501 = _legacy_rule(
    "AL501",
    "legacy-matrix-field",
    "`deploy_driver`, `artifact_generate`, `image_uri_overrides` in a matrix entry: rejected by the runner.",
    "The E2E runner refuses these fields with `legacy field '<key>' is no longer supported in E2E "
    "matrix`: deploys are driven by the committed `artifact.yml` named in `artifact_manifest`.",
    files=("matrix",),
)
AL502 = _legacy_rule(
    "AL502",
    "ignored-matrix-field",
    "`config_dir`, `env_vars`, `image_runtime_overrides`, `deploy_templates` in a matrix entry: silently ignored.",
    "These fields were removed from the matrix and the runner ignores them without a word, so "
    "whatever they say is not what runs.",
    severity=Severity.WARNING,
    files=("matrix",),
)

RULES = (AL100, AL101, AL102, AL103, AL104, AL105, AL106, AL107, AL108, AL501, AL502)

_HOOKS = "artifacts[].runtime_meta.runtime_hooks"
_RENDER = "artifacts[].runtime_meta.template_renderer"

MANIFEST_LEGACY = (
    LegacyKey(AL101, "artifacts[].runtime_meta", "runtime hook and template renderer digests", "2026-02-20", _STACK),
    LegacyKey(AL102, f"{_HOOKS}.python_sitecustomize_digest", "a forbidden digest", "2026-02-20", _STACK),
    LegacyKey(AL102, f"{_HOOKS}.java_agent_digest", "a forbidden digest", "2026-02-18", _STACK),
    LegacyKey(AL102, f"{_HOOKS}.java_wrapper_digest", "a forbidden digest", "2026-02-18", _STACK),
    LegacyKey(AL102, f"{_RENDER}.template_digest", "a forbidden digest", "2026-02-18", _STACK),
    LegacyKey(AL103, "runtime_stack", "the stack pin: api_version, mode, esb_version", "2026-02-25", "nothing"),
    LegacyKey(AL104, "artifacts[].id", "the entry id", "2026-02-24", "nothing: array order identifies entries"),
    LegacyKey(AL105, "artifacts[].image_prewarm", "the image prewarm switch", "2026-02-19", "nothing: prewarm and image import were removed"),
    LegacyKey(AL106, "artifacts[].bundle_manifest", "the secrets bundle manifest", "2026-02-25", _SECRETS),
    LegacyKey(AL107, "artifacts[].required_secret_env", "the required secret variables", "2026-02-25", _SECRETS),
    LegacyKey(AL108, "artifacts[].source_template.parameters", "the template parameters", "2026-02-25", "nothing"),
)

_RUNNER = "the committed artifact.yml named in artifact_manifest"
MATRIX_LEGACY = tuple(
    LegacyKey(AL501, f"matrix[].{key}", "rejected by the E2E runner", "", _RUNNER)
    for key in ("deploy_driver", "artifact_generate", "image_uri_overrides")
) + tuple(
    LegacyKey(AL502, f"matrix[].{key}", "silently ignored by the E2E runner", "", "nothing: delete it")
    for key in ("config_dir", "env_vars", "image_runtime_overrides", "deploy_templates")
)


def _matrix_message(spec: LegacyKey, dotted: str, name: str) -> str:
    if spec.rule is AL501:
        return f"legacy field '{name}' is no longer supported in E2E matrix ('{dotted}'); delete it"
    if spec.rule is AL502:
        return f"legacy field '{dotted}' was removed from the E2E matrix and is silently ignored; delete it"
    return spec.message(dotted)


def _split(path: str) -> list[str]:
    out = []
    for part in path.split("."):
        if part.endswith("[]"):
            out.extend((part[:-2], "[]"))
        else:
            out.append(part)
    return out


def _trie(specs) -> dict:
    root: dict = {}
    for spec in specs:
        node = root
        parts = _split(spec.path)
        for part in parts[:-1]:
            node = node.setdefault(part, [None, {}])[1]
        entry = node.setdefault(parts[-1], [None, {}])
        entry[0] = spec
    return root


_MANIFEST_TRIE = _trie(MANIFEST_LEGACY)
_MATRIX_TRIE = _trie(MATRIX_LEGACY)


@lru_cache(maxsize=64)
def _trie_for(kind: str, extras: tuple) -> dict:
    base = MATRIX_LEGACY if kind == "matrix" else MANIFEST_LEGACY
    if not extras:
        return _MATRIX_TRIE if kind == "matrix" else _MANIFEST_TRIE
    custom = tuple(LegacyKey(AL100, path, "listed as legacy in the configuration", "", repl) for path, repl in extras)
    return _trie(base + custom)


def check(ctx: Context) -> None:
    kind = "matrix" if ctx.kind == "matrix" else "manifest"
    table = ctx.config.extra_matrix_legacy_keys if kind == "matrix" else ctx.config.extra_legacy_keys
    trie = _trie_for(kind, tuple(sorted(table.items())))
    _walk(ctx, ctx.parsed.root, trie, "", kind, 0, None)


def _walk(ctx: Context, node, trie: dict, dotted: str, kind: str, level: int, outer) -> None:
    """Report legacy keys under ``node``; ``outer`` is the fix of an enclosing legacy block."""
    node = deref(node)
    if level > 32 or node is None:
        return
    t = type(node)
    if t is Sequence:
        step = trie.get("[]")
        if step is not None:
            for i, item in enumerate(node.items):
                _walk(ctx, item, step[1], f"{dotted}[{i}]", kind, level + 1, outer)
        return
    if t is not Mapping:
        return
    for key, value in node.pairs:
        if type(key) is not Scalar:
            continue
        entry = trie.get(key.value)
        if entry is None:
            continue
        spec, children = entry
        path = f"{dotted}.{key.value}" if dotted else key.value
        plan = outer
        if spec is not None:
            if key.start in ctx.legacy_keys:
                continue  # the same physical key reached again through an alias
            ctx.legacy_keys.add(key.start)
            plan = outer or RemoveKey(node, key)
            message = _matrix_message(spec, path, key.value) if kind == "matrix" else spec.message(path)
            ctx.report(spec.rule, message, key.start, key.end, plan=plan, key=key.value)
        if children:
            _walk(ctx, value, children, path, kind, level + 1, plan)
    if not node.has_merge:
        return
    for key, value, via in merged_pairs(node):
        entry = trie.get(key.value)
        if entry is None:
            continue
        spec, children = entry
        path = f"{dotted}.{key.value}" if dotted else key.value
        if spec is not None:
            message = (_matrix_message(spec, path, key.value) if kind == "matrix" else spec.message(path))
            ctx.report(
                spec.rule,
                f"{message} (merged in by '<<')",
                via.start,
                via.end,
                related=(related_to(f"'{key.value}' is defined here", key),),
                key=key.value,
            )


AL109 = Rule(
    "AL109",
    "legacy-artifact-json",
    Severity.ERROR,
    "`artifact.json` is the manifest format from before `artifact.yml`.",
    "The deploy tool reads only `artifact.yml`. An `artifact.json` next to it is dead weight that "
    "readers may mistake for the manifest; one without an `artifact.yml` means the fixture was "
    "never regenerated. Delete it (and regenerate when there is no `artifact.yml`). Its content is "
    "still checked like a manifest, without automatic fixes.",
    deprecated=True,
    files=("json",),
)

RULES = RULES + (AL109,)


def check_json(ctx: Context) -> None:
    end = ctx.text.find("\n")
    end = len(ctx.text) if end < 0 else end
    if ctx.text[:end].endswith("\r"):
        end -= 1
    folder = ctx.folder
    if folder is not None and os.path.exists(os.path.join(folder, "artifact.yml")):
        message = "artifact.json is the legacy manifest format and artifact.yml exists next to it: delete artifact.json"
    else:
        message = "artifact.json is the legacy manifest format: regenerate the fixture as artifact.yml and delete this file"
    ctx.report(AL109, message, 0, min(end, 1) if end else 0)
