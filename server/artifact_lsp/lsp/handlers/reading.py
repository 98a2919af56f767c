"""Reading aids: hover on keys, completion of contract keys and values, document symbols.

The knowledge (what a key is, which keys are valid where, the outline) is the engine's
(``engine.contract``, ``engine.navigate``, ``engine.outline``); this module only translates.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...engine import contract, navigate, outline
from ...engine.model import relink
from ...engine.text import LineIndex
from ...engine.yamlmodel import Mapping, Scalar, deref
from ..convert import lsp_range, offset_of
from ..server import ArtifactLanguageServer

_SYMBOL_KINDS = {
    "object": lsp.SymbolKind.Object,
    "array": lsp.SymbolKind.Array,
    "string": lsp.SymbolKind.String,
    "number": lsp.SymbolKind.Number,
    "boolean": lsp.SymbolKind.Boolean,
    "null": lsp.SymbolKind.Null,
    "key": lsp.SymbolKind.Key,
}


def _document_text(ls: ArtifactLanguageServer, uri: str) -> str:
    return ls.workspace.get_text_document(uri).source


async def hover(ls: ArtifactLanguageServer, params: lsp.HoverParams):
    found = await ls.current_result(params.text_document.uri)
    if found is None:
        return None
    doc, result = found
    index = result.index
    offset = offset_of(index, params.position, ls.encoding)
    hit = navigate.key_at(result.parsed.root, offset)
    if hit is None:
        return None
    path, key, _value = hit
    info = contract.describe(doc.kind, path)
    if info is None:
        return None
    parts = [relink(info.markdown, result.docs_url)]
    here = [f for f in result.findings if f.start <= offset <= f.end]
    if here:
        parts.append("\n".join(f"- **{f.code}** {f.message}" for f in here))
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
        range=lsp_range(index, key.start, key.end, ls.encoding),
    )


COMPLETION_OPTIONS = lsp.CompletionOptions(trigger_characters=[" ", ":"])


async def completion(ls: ArtifactLanguageServer, params: lsp.CompletionParams):
    uri = params.text_document.uri
    doc = ls.docs.get(uri)
    if doc is None:
        return None
    text = _document_text(ls, uri)  # completion works on text that does not parse yet
    if len(text) > ls.config_for(doc.path).max_file_size:
        return None  # not checked (AL004): build nothing from it
    index = LineIndex(text)
    offset = offset_of(index, params.position, ls.encoding)
    ctx = navigate.completion_context(text, offset)
    edit_range = lsp_range(index, ctx.replace_start, offset, ls.encoding)
    items: list[lsp.CompletionItem] = []
    # a suite name: `suites: sm`, `suites: [sm`, or a `- sm` item of a block list
    suite_item = (
        doc.kind == "matrix"
        and ctx.value_of is None
        and len(ctx.path) >= 4
        and ctx.path[0] == "matrix"
        and ctx.path[-2] == "suites"
        and isinstance(ctx.path[-1], int)
    )
    if ctx.value_of is not None or suite_item:
        path = ctx.path if suite_item else (ctx.value_path or (*ctx.path, ctx.value_of))
        choices = list(contract.value_choices(doc.kind, path))
        if doc.kind == "matrix" and (suite_item or (len(path) >= 3 and path[0] == "matrix" and path[-1] == "suites")):
            choices.extend((name, "a suite defined under suites") for name in _suite_names(doc, ls))
        for value, description in choices:
            if doc.kind == "json":  # a JSON string, replacing the typed text and its quote
                value = '"' + value.strip('"') + '"'
            items.append(
                lsp.CompletionItem(
                    label=value,
                    kind=lsp.CompletionItemKind.EnumMember,
                    detail=description,
                    text_edit=lsp.TextEdit(range=edit_range, new_text=value),
                )
            )
        return lsp.CompletionList(is_incomplete=False, items=items)
    for info in contract.valid_keys(doc.kind, ctx.path):
        if info.key in ctx.existing:
            continue
        items.append(
            lsp.CompletionItem(
                label=info.key,
                kind=lsp.CompletionItemKind.Property,
                detail=("required · " if info.required else "") + info.summary,
                documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=info.markdown),
                text_edit=lsp.TextEdit(range=edit_range, new_text=f"{info.key}: "),
                sort_text=("0" if info.required else "1") + info.key,
            )
        )
    return lsp.CompletionList(is_incomplete=False, items=items)


async def document_symbols(ls: ArtifactLanguageServer, params: lsp.DocumentSymbolParams):
    found = await ls.current_result(params.text_document.uri)
    if found is None:
        return None
    doc, result = found
    index, encoding = result.index, ls.encoding

    def convert(symbol) -> lsp.DocumentSymbol:
        return lsp.DocumentSymbol(
            name=symbol.name or "(empty)",
            detail=symbol.detail or None,
            kind=_SYMBOL_KINDS.get(symbol.kind, lsp.SymbolKind.Key),
            range=lsp_range(index, symbol.start, max(symbol.end, symbol.selection_end), encoding),
            selection_range=lsp_range(index, symbol.selection_start, symbol.selection_end, encoding),
            children=[convert(c) for c in symbol.children] or None,
        )

    return [convert(s) for s in outline.symbols(result.parsed.root, doc.kind)]


def _suite_names(doc, ls) -> list[str]:
    result = doc.result
    if result is None:
        return []
    root = deref(result.parsed.root)
    if type(root) is not Mapping:
        return []
    suites = deref(root.get("suites"))
    if type(suites) is not Mapping:
        return []
    return [k.value for k, _ in suites.pairs if type(k) is Scalar]


__all__ = ["hover", "completion", "document_symbols"]
