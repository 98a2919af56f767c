"""Helpers for the fix-engine tests: a manifest/matrix generator for hypothesis, the contract's
legacy table applied to plain data (an oracle independent of the engine), and small utilities.

The generator builds a small document model (mappings, sequences, strings, comments), renders
it to YAML text in many styles and remembers, for every comment, which legacy pair (if any) it
lives in, so tests can check that a fix removes exactly the comments inside the removed key.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

# --------------------------------------------------------------------------- the contract oracle

ENTRY_LEGACY = ("id", "image_prewarm", "runtime_meta", "bundle_manifest", "required_secret_env")
TOP_LEGACY = ("runtime_stack",)
TEMPLATE_LEGACY = ("parameters",)
MATRIX_LEGACY = (
    "deploy_driver",
    "artifact_generate",
    "image_uri_overrides",
    "config_dir",
    "env_vars",
    "image_runtime_overrides",
    "deploy_templates",
)


def strip_manifest_legacy(data):
    """``data`` (plain Python, from yaml.safe_load) without the manifest's legacy keys."""
    data = copy.deepcopy(data)
    if not isinstance(data, dict):
        return data
    for key in TOP_LEGACY:
        data.pop(key, None)
    entries = data.get("artifacts")
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ENTRY_LEGACY:
                entry.pop(key, None)
            template = entry.get("source_template")
            if isinstance(template, dict):
                for key in TEMPLATE_LEGACY:
                    template.pop(key, None)
    return data


def strip_matrix_legacy(data):
    """``data`` without the matrix's legacy keys, ``esb_env`` renamed to ``env`` (or dropped)."""
    data = copy.deepcopy(data)
    if not isinstance(data, dict):
        return data
    entries = data.get("matrix")
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in MATRIX_LEGACY:
                entry.pop(key, None)
            if "esb_env" in entry:
                value = entry.pop("esb_env")
                entry.setdefault("env", value)
    return data


def strip_legacy(data, kind: str):
    return strip_matrix_legacy(data) if kind == "matrix" else strip_manifest_legacy(data)


# --------------------------------------------------------------------------- tree utilities


def node_path(root, target):
    """Data path (mapping keys / sequence indexes) from ``root`` to the node ``target``."""
    from artifact_lsp.engine.yamlmodel import Mapping, Scalar, Sequence

    stack = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return list(path)
        if type(node) is Mapping:
            for k, v in node.pairs:
                if type(k) is Scalar:
                    stack.append((v, path + (k.value,)))
        elif type(node) is Sequence:
            for i, item in enumerate(node.items):
                stack.append((item, path + (i,)))
    raise LookupError("node not in tree")


def at_path(data, path):
    for step in path:
        data = data[step]
    return data


def _clean_mapping(mapping) -> bool:
    keys = [k.value for k, _ in mapping.pairs if hasattr(k, "value")]
    return len(keys) == len(set(keys)) and "<<" not in keys and len(keys) == len(mapping.pairs)


def plan_is_simple(plan, root) -> bool:
    """True when plain data can tell what the plan does: no duplicate keys, merge keys or aliases
    on the way from the root to the key (else another value may surface, or the mapping be dead)."""
    from artifact_lsp.engine.model import RemoveTag
    from artifact_lsp.engine.yamlmodel import Mapping, Sequence

    if isinstance(plan, RemoveTag):
        return False  # the data view cannot say what a tag was
    stack = [(root, [])]
    while stack:
        node, trail = stack.pop()
        if node is plan.mapping:
            if hasattr(plan, "new") and any(k.value == plan.new for k, _ in node.pairs if hasattr(k, "value")):
                return False
            return all(_clean_mapping(m) for m in trail + [node])
        if type(node) is Mapping:
            stack.extend((v, trail + [node]) for _k, v in node.pairs)
        elif type(node) is Sequence:
            stack.extend((item, trail) for item in node.items)
    return False


def expected_after_plan(data, parsed_root, plan):
    """The data the fix of ``plan`` must produce: ``data`` with the one key removed/renamed
    (or its value quoted)."""
    from artifact_lsp.engine.model import QuoteValue, RenameKey

    assert plan_is_simple(plan, parsed_root), "duplicate or merged keys: plain data cannot predict the result"
    data = copy.deepcopy(data)
    container = at_path(data, node_path(parsed_root, plan.mapping))
    assert isinstance(container, dict)
    if isinstance(plan, QuoteValue):  # the value becomes the string of its text
        container[plan.key.value] = plan.value.value
        return data
    value = container.pop(plan.key.value)
    if isinstance(plan, RenameKey):
        container[plan.new] = value
    return data


_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def untouched_bounds(text: str, edits):
    """(prefix, suffix): the whole lines before the first edit and after the last one."""
    start = min(e.start for e in edits)
    end = max(e.end for e in edits)
    starts = line_starts(text)
    before = max(s for s in starts if s <= start)
    after = min((s for s in starts if s >= end), default=len(text))
    return text[:before], text[after:]


# --------------------------------------------------------------------------- corpus

CORPUS_CANDIDATES = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "esb-history",
    Path("/work/shared/corpus/esb-history"),
)


def corpus_dir() -> Path | None:
    env = os.environ.get("ARTIFACT_LSP_CORPUS")
    for candidate in (Path(env),) if env else CORPUS_CANDIDATES:
        if candidate.is_dir() and any(candidate.glob("*.y*ml")):
            return candidate
    return None


def corpus_files() -> list[Path]:
    folder = corpus_dir()
    if folder is None:
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))


def corpus_kind(path: Path) -> str:
    return "matrix" if path.name.endswith("test_matrix.yaml") else "manifest"


# --------------------------------------------------------------------------- the document model


@dataclass
class Str:
    text: str
    style: str = ""  # "" plain, "'" single, '"' double, or a block scalar header: | |- |+ > >-
    lines: tuple = ()  # block scalars: the content lines


@dataclass
class Seq:
    items: list
    flow: bool = False
    indentless: bool = False


@dataclass
class Map:
    pairs: list
    flow: bool = False
    multiline: bool = False  # flow only: one pair per line
    trailing_comment: str | None = None  # block only: own-line comment after the last pair


@dataclass(eq=False)
class Pair:
    key: str
    value: object
    legacy: bool = False
    key_style: str = ""
    comment_before: str | None = None  # own-line comment above the pair (block only)
    inline: str | None = None  # comment at the end of the key's line (block only)
    blank_before: bool = False  # an empty line above the pair (and its comment)
    line: int = -1  # set when rendered in block style: the line of the key


@dataclass
class Rendered:
    text: str
    doc: Map
    comments: dict = field(default_factory=dict)  # marker -> owning legacy Pair or None
    newline: str = "\n"

    def __repr__(self) -> str:  # hypothesis prints this for a failing example
        return f"Rendered(text={self.text!r})"


def legacy_pairs(value) -> list:
    """Every pair of the model flagged legacy (not looking inside legacy values)."""
    out = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Map):
            for p in node.pairs:
                if p.legacy:
                    out.append(p)
                else:
                    stack.append(p.value)
        elif isinstance(node, Seq):
            stack.extend(node.items)
    return out


_PLAIN = re.compile(
    r"[A-Za-z0-9\u3040-\u30ff\u4e00-\u9fff\u00e9\U0001F300-\U0001FAFF][A-Za-z0-9 _./\u3040-\u30ff\u4e00-\u9fff\u00e9\U0001F300-\U0001FAFF-]*"
)


def _constructible(plain: str) -> bool:
    """PyYAML resolves some plain scalars to a type it then cannot build (``0x_`` is an int)."""
    import yaml

    try:
        yaml.load(plain, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (ValueError, yaml.YAMLError):
        return False
    return True


def quote(text: str, style: str) -> str:
    if style == "" and _PLAIN.fullmatch(text) and not text.endswith(" ") and _constructible(text):
        return text
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


class Renderer:
    def __init__(self, step: int, dash_offset: int, trailing: str = ""):
        self.step = step
        self.trailing = trailing  # whitespace at the end of every structural line
        self.dash_offset = dash_offset  # column of an item's content relative to its dash
        self.lines: list[str] = []  # physical lines (no line breaks inside)
        self.comments: dict = {}
        self._n = 0

    def emit(self, chunk: str, *, raw: bool = False) -> None:
        for line in chunk.split("\n"):  # a multi-line flow mapping is several lines
            self.lines.append(line if raw or not line else line + self.trailing)

    def comment(self, text: str, owner) -> str:
        self._n += 1
        marker = f"<c{self._n}>"  # '<' and '>' are in no alphabet: a marker is unique
        self.comments[marker] = owner
        return f"# {marker} {text}".rstrip()

    # flow ---------------------------------------------------------------------------
    def inline(self, value, indent: int) -> str:
        if isinstance(value, Str):
            return quote(value.text, value.style)
        if isinstance(value, Seq):
            return "[" + ", ".join(self.inline(v, indent) for v in value.items) + "]"
        parts = [f"{quote(p.key, p.key_style)}: {self.inline(p.value, indent + self.step)}" for p in value.pairs]
        if value.multiline and parts:
            pad = " " * (indent + self.step)
            return "{" + (",\n" + pad).join(parts) + "}"
        return "{" + ", ".join(parts) + "}"

    def is_inline(self, value) -> bool:
        if isinstance(value, Str):
            return not value.style.startswith(("|", ">"))
        return value.flow or (isinstance(value, (Map, Seq)) and not _items(value))

    # block --------------------------------------------------------------------------
    def block_map(self, m: Map, indent: int, owner, first_prefix: str | None = None):
        """Render the pairs of ``m`` at ``indent``; ``first_prefix`` replaces the first line's
        indentation (a "- " of a sequence item)."""
        for i, pair in enumerate(m.pairs):
            own = owner
            if pair.legacy and owner is None:
                own = pair
            if not (i == 0 and first_prefix is not None):
                if pair.blank_before:
                    self.emit("")
                if pair.comment_before is not None:
                    self.emit(" " * indent + self.comment(pair.comment_before, owner))
            lead = first_prefix if (i == 0 and first_prefix is not None) else " " * indent
            key = quote(pair.key, pair.key_style)
            tail = f" {self.comment(pair.inline, own)}" if pair.inline is not None else ""
            value = pair.value
            pair.line = len(self.lines)
            if self.is_inline(value):
                self.emit(f"{lead}{key}: {self.inline(value, indent)}{tail}")
            elif isinstance(value, Str):  # block scalar
                self.emit(f"{lead}{key}: {value.style}{tail}")
                for line in value.lines:
                    self.emit(" " * (indent + self.step) + line if line else "", raw=True)
            elif isinstance(value, Map):
                self.emit(f"{lead}{key}:{tail}")
                self.block_map(value, indent + self.step, own)
            else:  # block sequence
                self.emit(f"{lead}{key}:{tail}")
                self.block_seq(value, indent if value.indentless else indent + self.step, own)
        if m.trailing_comment is not None and m.pairs:
            self.emit(" " * indent + self.comment(m.trailing_comment, owner))

    def block_seq(self, s: Seq, indent: int, owner):
        for item in s.items:
            if isinstance(item, Map) and not item.flow and item.pairs:
                # comments of a first pair go above the dash
                first = item.pairs[0]
                if first.blank_before:
                    self.emit("")
                if first.comment_before is not None:
                    self.emit(" " * indent + self.comment(first.comment_before, owner))
                prefix = " " * indent + "-" + " " * (self.dash_offset - 1)
                self.block_map(item, indent + self.dash_offset, owner, first_prefix=prefix)
            else:
                self.emit(" " * indent + "- " + self.inline(item, indent + 2))


def _items(value) -> list:
    return value.pairs if isinstance(value, Map) else value.items


def render(
    doc: Map,
    *,
    step: int,
    dash_offset: int,
    newline: str,
    final_newline: bool,
    end_comment: str | None,
    header: str = "",
    trailing: str = "",
    bom: bool = False,
) -> Rendered:
    r = Renderer(step, dash_offset, trailing)
    if header:
        r.emit(header)
    r.block_map(doc, 0, None)
    if end_comment is not None:
        r.emit(r.comment(end_comment, None))
    text = newline.join(r.lines)
    assert "\r" not in "".join(r.lines) and "\n" not in "".join(r.lines)
    if final_newline:
        text += newline
    if bom:
        text = "\ufeff" + text  # a byte order mark, as some Windows editors write
    return Rendered(text, doc, r.comments, newline)


# --------------------------------------------------------------------------- strategies

VALUE_ALPHABET = "abcxyzABC019 _./-日本語データ\u00e9😀🎉"
COMMENT_ALPHABET = "abc xyz 日本語 コメント é 😀 # : - ' \""

values = st.text(VALUE_ALPHABET, min_size=1, max_size=10)
comment_texts = st.text(COMMENT_ALPHABET, max_size=12)
styles = st.sampled_from(["", "", "'", '"'])


@st.composite
def maybe_comment(draw, p=0.25):
    if draw(st.floats(0, 1)) < p:
        return draw(comment_texts)
    return None


@st.composite
def scalar(draw, text=None, flow=True):
    if text is None and not flow and draw(st.integers(0, 9)) == 0:
        header = draw(st.sampled_from(["|", "|-", "|+", ">", ">-"]))
        lines = draw(st.lists(values.map(str.strip), min_size=1, max_size=3))
        if not lines[0]:
            lines[0] = "x"
        return Str("", header, tuple(lines))
    return Str(draw(values) if text is None else text, draw(styles))


@st.composite
def pair(draw, key, value, *, legacy=False, block_ok=True):
    return Pair(
        key,
        value,
        legacy=legacy,
        key_style=draw(styles),
        comment_before=draw(maybe_comment()) if block_ok else None,
        inline=draw(maybe_comment()) if block_ok else None,
        blank_before=block_ok and draw(st.integers(0, 7)) == 0,
    )


@st.composite
def mapping(draw, specs, *, flow=None, parent_flow=False, legacy_keys=()):
    """``specs``: list of (key, value strategy-or-callable(flow) -> value); order is shuffled."""
    if parent_flow:
        flow = True
    elif flow is None:
        flow = draw(st.booleans()) and draw(st.booleans())  # block 3 times out of 4
    pairs = []
    for key, make in specs:
        value = draw(make(flow))
        pairs.append(draw(pair(key, value, legacy=key in legacy_keys, block_ok=not flow)))
    pairs = draw(st.permutations(pairs))
    trailing = None if flow else draw(maybe_comment(0.2))
    multiline = flow and not parent_flow and draw(st.booleans())
    return Map(list(pairs), flow=flow, multiline=multiline, trailing_comment=trailing)


def to_flow(value):
    """The same data written in flow style all the way down (comments and block scalars go)."""
    if isinstance(value, Str):
        if value.style.startswith(("|", ">")):
            return Str(_block_scalar_value(value), '"')
        return value
    if isinstance(value, Seq):
        return Seq([to_flow(v) for v in value.items], flow=True)
    pairs = [Pair(p.key, to_flow(p.value), legacy=p.legacy, key_style=p.key_style) for p in value.pairs]
    return Map(pairs, flow=True)


def _block_scalar_value(value: Str) -> str:
    import yaml

    return yaml.safe_load("k: " + value.style + "\n" + "".join(f"  {line}\n" for line in value.lines))["k"]


def str_value(text=None):
    return lambda flow: scalar(text, flow)


def seq_value(min_size=0, max_size=3):
    @st.composite
    def make(draw, flow):
        items = draw(st.lists(scalar(), min_size=min_size, max_size=max_size))
        as_flow = flow or not items or draw(st.booleans())
        return Seq(items, flow=as_flow, indentless=not as_flow and draw(st.booleans()))

    return lambda flow: make(flow)


def map_value(specs, legacy_keys=()):
    return lambda flow: mapping(specs, parent_flow=flow, legacy_keys=legacy_keys)


@st.composite
def some_of(draw, specs, required=()):
    """A random subset of ``specs`` (those named in ``required`` always kept)."""
    return [s for s in specs if s[0] in required or draw(st.booleans())]


def random_map_value(max_size=3):
    @st.composite
    def make(draw, flow):
        keys = draw(st.lists(st.sampled_from(["a", "b", "c", "名前", "key_x", "k😀"]), unique=True, max_size=max_size))
        return draw(mapping([(k, str_value()) for k in keys], parent_flow=flow))

    return lambda flow: make(flow)


@st.composite
def entry(draw):
    template_specs = draw(
        some_of(
            [("path", str_value()), ("sha256", str_value()), ("parameters", random_map_value())],
        )
    )
    hooks = draw(
        some_of(
            [
                ("api_version", str_value("1.0")),
                ("python_sitecustomize_digest", str_value()),
                ("java_agent_digest", str_value()),
                ("java_wrapper_digest", str_value()),
            ],
            required=("api_version",),
        )
    )
    renderer = draw(
        some_of(
            [("name", str_value()), ("api_version", str_value("1.0")), ("template_digest", str_value())],
            required=("name",),
        )
    )
    meta = draw(
        some_of(
            [("runtime_hooks", map_value(hooks)), ("template_renderer", map_value(renderer))],
            required=("runtime_hooks",),
        )
    )
    specs = draw(
        some_of(
            [
                ("artifact_root", str_value()),
                ("runtime_config_dir", str_value("config")),
                ("source_template", map_value(template_specs, legacy_keys=("parameters",))),
                ("id", str_value()),
                ("image_prewarm", str_value("all")),
                ("runtime_meta", map_value(meta)),
                ("bundle_manifest", lambda flow: st.one_of(scalar(), random_map_value()(flow))),
                ("required_secret_env", seq_value(1, 3)),
                ("runtime_meta_notes", str_value()),  # decoy: not runtime_meta
                ("parameters", random_map_value()),  # decoy: parameters outside source_template
            ],
            required=("artifact_root",) if draw(st.integers(0, 5)) else (),
        )
    )
    return draw(mapping(specs, legacy_keys=ENTRY_LEGACY))


@st.composite
def manifest_doc(draw):
    entries = draw(st.lists(entry(), min_size=1, max_size=3))
    if draw(st.integers(0, 5)) == 0:  # artifacts: [{...}, {...}]
        artifacts_seq = Seq([to_flow(e) for e in entries], flow=True)
    else:
        artifacts_seq = Seq(entries, indentless=draw(st.booleans()))

    def artifacts(flow):
        return st.just(artifacts_seq)

    specs = draw(
        some_of(
            [
                ("schema_version", lambda flow: st.just(Str("1", '"'))),
                ("project", str_value()),
                ("env", str_value()),
                ("mode", str_value("docker")),
                ("artifacts", artifacts),
                ("generated_at", lambda flow: st.just(Str("2026-02-27T18:28:02Z", '"'))),
                ("generator", map_value([("name", str_value("esb")), ("version", str_value())])),
                (
                    "runtime_stack",
                    map_value(
                        [("api_version", str_value("1")), ("mode", str_value("docker")), ("esb_version", str_value())]
                    ),
                ),
                ("id", str_value()),  # decoy: a top-level id is not legacy
            ],
            required=("artifacts",),
        )
    )
    return draw(mapping(specs, flow=False, legacy_keys=TOP_LEGACY))


@st.composite
def matrix_entry(draw):
    env_keys = draw(st.sampled_from([("env",), ("esb_env",), ("env", "esb_env")]))
    specs = [(k, str_value()) for k in env_keys]
    specs += draw(
        some_of(
            [
                ("artifact_manifest", str_value()),
                ("suites", seq_value(0, 2)),
                ("esb_project", str_value()),
                ("env_file", str_value()),
                ("deploy_driver", str_value("docker")),
                ("artifact_generate", str_value()),
                ("image_uri_overrides", random_map_value()),
                ("config_dir", str_value()),
                ("env_vars", random_map_value()),
                ("image_runtime_overrides", random_map_value()),
                ("deploy_templates", seq_value(1, 2)),
            ],
            required=("artifact_manifest",),
        )
    )
    return draw(mapping(specs, legacy_keys=MATRIX_LEGACY + ("esb_env",)))


@st.composite
def matrix_doc(draw):
    entries = draw(st.lists(matrix_entry(), min_size=1, max_size=3))
    suites = map_value(
        [("smoke", map_value([("description", str_value()), ("targets", seq_value()), ("exclude", seq_value())]))]
    )
    matrix_seq = Seq(entries, indentless=draw(st.booleans()))
    specs = [("suites", suites), ("matrix", lambda flow: st.just(matrix_seq))]
    return draw(mapping(specs, flow=False))


@st.composite
def rendered(draw, doc_strategy):
    doc = draw(doc_strategy)
    step = draw(st.sampled_from([2, 4]))
    dash_offset = draw(st.sampled_from([2, step]))
    return render(
        doc,
        step=step,
        dash_offset=dash_offset,
        newline=draw(st.sampled_from(["\n", "\n", "\r\n", "\r\n", "\r"])),
        final_newline=draw(st.booleans()),
        end_comment=draw(maybe_comment(0.2)),
        header=draw(st.sampled_from(["", "", "", "---", "--- # <doc>"])),
        trailing=draw(st.sampled_from(["", "", "", " ", "   "])),
        bom=draw(st.sampled_from([False, False, False, True])),
    )
