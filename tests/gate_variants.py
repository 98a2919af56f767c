"""Generated manifests and matrices for the differential test against ``gate_oracle``.

A document is a tree of ``M`` (mapping: a list of ``(key, value)``) and ``S`` (sequence), with
leaves given as raw YAML text, so a variant can hold anything a person could type: tags,
unquoted digits, Windows paths, a ``? [a]`` key. ``render`` writes block YAML.

``manifest_variants()`` / ``matrix_variants()`` yield ``(label, text)``: every key dropped,
blanked, nulled and mistyped, tags, non-scalar keys, legacy keys, format variants of
``schema_version``, ``sha256`` and ``runtime_config_dir``, suite and entry variants, and a
seeded sample of pairs of such edits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SHA = "f9d521e447e653e1574522524b14ab2ace861bcbc21fe74304cc12135b4deb0b"


@dataclass
class M:
    pairs: list  # [(key text, value)]


@dataclass
class S:
    items: list


DROP = object()


def render(node, indent: int = 0) -> str:
    pad = " " * indent
    out = []
    if isinstance(node, M):
        if not node.pairs:
            return pad + "{}\n"
        for key, value in node.pairs:
            head = f"? {key}\n{pad}:" if key.startswith(("[", "{")) else f"{key}:"
            if isinstance(value, (M, S)) and (value.pairs if isinstance(value, M) else value.items):
                out.append(f"{pad}{head}\n{render(value, indent + 2)}")
            elif isinstance(value, M):
                out.append(f"{pad}{head} {{}}\n")
            elif isinstance(value, S):
                out.append(f"{pad}{head} []\n")
            else:
                out.append(f"{pad}{head} {value}\n" if value != "" else f"{pad}{head}\n")
        return "".join(out)
    assert isinstance(node, S)
    for item in node.items:
        if isinstance(item, M) and item.pairs:
            inner = render(item, indent + 2)
            out.append(f"{pad}- {inner[indent + 2 :]}")
        elif isinstance(item, (M, S)):
            out.append(f"{pad}- {'{}' if isinstance(item, M) else '[]'}\n")
        else:
            out.append(f"{pad}- {item}\n")
    return "".join(out)


def copy(node):
    if isinstance(node, M):
        return M([(k, copy(v)) for k, v in node.pairs])
    if isinstance(node, S):
        return S([copy(i) for i in node.items])
    return node


def paths(node, prefix=()):
    """Every (path, value) below ``node``; a path is a tuple of keys and indexes."""
    if isinstance(node, M):
        for key, value in node.pairs:
            yield prefix + (key,), value
            yield from paths(value, prefix + (key,))
    elif isinstance(node, S):
        for i, item in enumerate(node.items):
            yield prefix + (i,), item
            yield from paths(item, prefix + (i,))


def edit(tree, path, value):
    """A copy of ``tree`` with the value at ``path`` replaced (``DROP`` removes the pair)."""
    tree = copy(tree)
    node = tree
    for step in path[:-1]:
        node = dict(node.pairs)[step] if isinstance(node, M) else node.items[step]
    last = path[-1]
    if isinstance(node, M):
        if value is DROP:
            node.pairs = [(k, v) for k, v in node.pairs if k != last]
        else:
            node.pairs = [(k, value if k == last else v) for k, v in node.pairs]
    elif value is DROP:
        del node.items[last]
    else:
        node.items[last] = value
    return tree


def add(tree, path, key, value):
    """A copy with ``key: value`` added to the mapping at ``path``."""
    tree = copy(tree)
    node = tree
    for step in path:
        node = dict(node.pairs)[step] if isinstance(node, M) else node.items[step]
    node.pairs.append((key, value))
    return tree


# --------------------------------------------------------------------------- values

MISTYPED = (
    "",  # null (empty)
    "null",
    "~",
    '""',
    "'  '",
    "5",
    "0",
    "1.5",
    "yes",
    "true",
    "false",
    "on",
    "2026-01-01",
    "2026-02-27T18:28:02Z",
    "2026-02-30",
    "0755",
    "0x1F",
    "[a]",
    "[]",
    "{a: b}",
    "{}",
    "!!binary aGVsbG8=",
    "!!binary '!!notbase64'",
    "!custom x",
    "!!int x",
    "!!float x",
    "!!float 1",
    "!!bool yes",
    "!!str 5",
    "!!python/str x",
    "!!python/name:os.system x",
    "!!timestamp x",
    "!!null x",
    "! x",
)


def manifest_base() -> M:
    return M(
        [
            ("schema_version", '"1"'),
            ("project", "esb"),
            ("env", "e2e-docker"),
            ("mode", "docker"),
            (
                "artifacts",
                S(
                    [
                        M(
                            [
                                ("artifact_root", "entries/template-e2e-19477f40"),
                                ("runtime_config_dir", "config"),
                                ("source_template", M([("path", "e2e/fixtures/template.e2e.yaml"), ("sha256", SHA)])),
                            ]
                        )
                    ]
                ),
            ),
            ("generated_at", '"2026-02-27T18:28:02Z"'),
            ("generator", M([("name", "esb"), ("version", "997b036 (dirty)")])),
        ]
    )


SPECIFIC = {
    ("schema_version",): (
        '"1"',
        "1",
        "1.0",
        '"2"',
        "2",
        "!!float 1",
        "01",
        "0x1",
        "!!str 1",
        '"1 "',
        "'1.0'",
        "+1",
        "!!int 1",
    ),
    ("mode",): ("containerd", "firecracker", "Docker", "' docker '"),
    ("artifacts", 0, "runtime_config_dir"): (
        "/abs",
        ".",
        "..",
        "../x",
        "a/../../x",
        "a/..",
        "a/../b",
        "./config",
        '"C:\\\\x"',
        "C:/x",
        "'\\\\server\\share'",
        "'..\\x'",
        "' config '",
        "runtime-base/config",
    ),
    ("artifacts", 0, "artifact_root"): ("/abs/root", "..", "../x", "'C:\\x'", "runtime-base"),
    ("artifacts", 0, "source_template", "sha256"): (
        "0" + "1234567" * 9,  # all octal digits, leading 0: an octal int
        "1" + "2" * 63,  # all digits: a decimal int
        "0" + "9" * 63,  # leading 0 but not octal: a string
        SHA.upper(),
        f'" {SHA}"',
        f'"{SHA} "',
        f"'{SHA}\\n'",
        SHA[:-1],
        SHA + "0",
        f'"{SHA}"',
        "1e" + "5" * 62,
    ),
    ("artifacts", 0, "source_template", "path"): ("'  '", "5", "runtime-base/x.yaml", "/abs/t.yaml"),
    ("generated_at",): ("2026-02-27T18:28:02Z", "'yesterday'", "2026-02-27", '"2026-02-27T18:28:02+09:00"'),
}

LEGACY = (
    ((), "runtime_stack", M([("api_version", '"1.0"')])),
    (("artifacts", 0), "id", "template-e2e"),
    (("artifacts", 0), "image_prewarm", "all"),
    (("artifacts", 0), "runtime_meta", M([("runtime_hooks", M([("api_version", '"1.0"')]))])),
    (("artifacts", 0, "source_template"), "parameters", M([("a", "b")])),
    ((), "id", "x"),
    ((), "merge_policy", "replace"),
)

NON_SCALAR_KEYS = ("[a]", "{a: b}")


def _single_manifest_edits(base: M):
    """(label, path-or-None, function tree -> tree) for every single edit."""
    out = []
    for path, value in list(paths(base)):
        if isinstance(path[-1], int):
            continue
        out.append((f"drop {path}", lambda t, p=path: edit(t, p, DROP)))
        for raw in MISTYPED:
            out.append((f"{path} = {raw!r}", lambda t, p=path, r=raw: edit(t, p, r)))
        for raw in SPECIFIC.get(path, ()):
            out.append((f"{path} = {raw!r}", lambda t, p=path, r=raw: edit(t, p, r)))
        if isinstance(value, M):
            for key in NON_SCALAR_KEYS:
                out.append((f"{path} key {key}", lambda t, p=path, k=key: add(t, p, k, "b")))
            out.append((f"{path} tagged", lambda t, p=path: edit(t, p, "!custom {a: b}")))
    for key in NON_SCALAR_KEYS:
        out.append((f"top key {key}", lambda t, k=key: add(t, (), k, "b")))
    for where, key, value in LEGACY:
        out.append((f"legacy {where}.{key}", lambda t, w=where, k=key, v=value: add(t, w, k, v)))
    out.append(("artifacts entry scalar", lambda t: edit(t, ("artifacts",), S(["x"]))))
    out.append(("artifacts entry null", lambda t: edit(t, ("artifacts",), S(["null"]))))
    out.append(("two entries", lambda t: edit(t, ("artifacts",), S([copy(dict(t.pairs)["artifacts"].items[0])] * 2))))
    return out


def manifest_variants(pairs: int = 1500, seed: int = 13):
    base = manifest_base()
    yield "base", render(base)
    singles = _single_manifest_edits(base)
    for label, fn in singles:
        yield label, render(fn(base))
    rng = random.Random(seed)
    for _ in range(pairs):
        (l1, f1), (l2, f2) = rng.sample(singles, 2)
        try:
            tree = f2(f1(base))
        except (KeyError, IndexError, AttributeError, TypeError):
            continue  # the first edit removed what the second edits
        yield f"{l1} + {l2}", render(tree)


# --------------------------------------------------------------------------- matrices

MANIFESTS = ("e2e/artifacts/e2e-docker/artifact.yml", "e2e/artifacts/e2e-containerd/artifact.yml")


def matrix_base() -> M:
    def suite(desc, target):
        return M([("description", desc), ("targets", S([target])), ("exclude", S([]))])

    def entry(env, manifest, names, extra=()):
        return M([("env", env), ("artifact_manifest", manifest), ("suites", S(list(names))), *extra])

    return M(
        [
            (
                "suites",
                M(
                    [
                        ("smoke", suite("Fast tests", "../scenarios/smoke/")),
                        ("standard", suite("Standard", "../scenarios/standard/")),
                    ]
                ),
            ),
            (
                "matrix",
                S(
                    [
                        entry(
                            "e2e-docker",
                            MANIFESTS[0],
                            ["smoke", "standard"],
                            [("esb_project", "esb"), ("env_dir", "e2e-docker")],
                        ),
                        entry(
                            "e2e-containerd",
                            MANIFESTS[1],
                            ["smoke"],
                            [("env_file", "e2e/environments/e2e-containerd/.env")],
                        ),
                    ]
                ),
            ),
        ]
    )


MATRIX_SPECIFIC = {
    ("matrix", 0, "artifact_manifest"): ("e2e/artifacts/missing/artifact.yml", "' '", MANIFESTS[1]),
    ("matrix", 0, "suites"): ("smoke", "{smoke: x}", "[smoke, nope]", "[[smoke]]", "[5]"),
    ("suites", "smoke", "targets"): ("[5]", "[null]", "x", "[[a]]"),
    ("suites", "smoke", "exclude"): ("[5]", "x", "[null]"),
    ("matrix", 0, "esb_project"): ("' '", "other"),
    ("matrix", 1, "env"): ("e2e-docker",),
}


def _single_matrix_edits(base: M):
    out = []
    for path, value in list(paths(base)):
        if isinstance(path[-1], int):
            if path[:1] == ("matrix",) and len(path) == 2:
                out.append((f"{path} = scalar", lambda t, p=path: edit(t, p, "x")))
                out.append((f"drop {path}", lambda t, p=path: edit(t, p, DROP)))
            continue
        out.append((f"drop {path}", lambda t, p=path: edit(t, p, DROP)))
        for raw in MISTYPED:
            out.append((f"{path} = {raw!r}", lambda t, p=path, r=raw: edit(t, p, r)))
        for raw in MATRIX_SPECIFIC.get(path, ()):
            out.append((f"{path} = {raw!r}", lambda t, p=path, r=raw: edit(t, p, r)))
        if isinstance(value, M):
            for key in NON_SCALAR_KEYS:
                out.append((f"{path} key {key}", lambda t, p=path, k=key: add(t, p, k, "b")))
    for key in (
        "deploy_driver",
        "artifact_generate",
        "image_uri_overrides",
        "config_dir",
        "env_vars",
        "esb_env",
        "esb_project",
        "env_dir",
        "env_file",
    ):
        out.append((f"entry + {key}", lambda t, k=key: add(t, ("matrix", 1), k, "x")))
    # the same env twice
    for name, value in (("artifact_manifest", MANIFESTS[1]), ("esb_project", "other"), ("suites", S(["standard"]))):

        def twice(t, n=name, v=value):
            t = copy(t)
            matrix = dict(t.pairs)["matrix"]
            clone = copy(matrix.items[0])
            clone.pairs = [(k, v if k == n else w) for k, w in clone.pairs]
            if n not in dict(clone.pairs):
                clone.pairs.append((n, v))
            matrix.items.append(clone)
            return t

        out.append((f"env twice with {name}", twice))
    out.append(
        (
            "entry with esb_env only",
            lambda t: edit(
                t,
                ("matrix", 0),
                M([("esb_env", "e2e-docker"), ("artifact_manifest", MANIFESTS[0]), ("suites", S(["smoke"]))]),
            ),
        )
    )
    return out


def matrix_variants(pairs: int = 800, seed: int = 13):
    base = matrix_base()
    yield "base", render(base)
    singles = _single_matrix_edits(base)
    for label, fn in singles:
        yield label, render(fn(base))
    rng = random.Random(seed)
    for _ in range(pairs):
        (l1, f1), (l2, f2) = rng.sample(singles, 2)
        try:
            tree = f2(f1(base))
        except (KeyError, IndexError, AttributeError, TypeError):
            continue
        yield f"{l1} + {l2}", render(tree)


# --------------------------------------------------------------------------- held out


def triples(kind: str, count: int, seed: int = 99):
    """``count`` documents of three random single edits each (another seed, another shape of
    variant than the pairs above): a check that the rules were not fitted to the pairs."""
    base, singles = (
        (manifest_base(), _single_manifest_edits(manifest_base()))
        if kind == "manifest"
        else (matrix_base(), _single_matrix_edits(matrix_base()))
    )
    rng = random.Random(seed)
    for _ in range(count):
        edits = rng.sample(singles, 3)
        try:
            tree = base
            for _label, fn in edits:
                tree = fn(tree)
        except (KeyError, IndexError, AttributeError, TypeError):
            continue
        yield " + ".join(label for label, _fn in edits), render(tree)
