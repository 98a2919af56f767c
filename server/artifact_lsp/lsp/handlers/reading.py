"""Reading aids: hover on keys, completion of contract keys and values, document symbols.

The decisions (what a key is, what to offer at a cursor, the outline) are the engine's
(``engine.contract.hover`` / ``completions``, ``engine.outline``); this module only
translates offsets and types.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...engine import contract, outline
from ...engine.text import LineIndex
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


async def hover(ls: ArtifactLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    found = await ls.current_result(params.text_document.uri)
    if found is None:
        return None
    doc, result = found
    index = result.index
    offset = offset_of(index, params.position, ls.encoding)
    shown = contract.hover(doc.kind, result.parsed.root, offset, result.findings, result.docs_url)
    if shown is None:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=shown.markdown),
        range=lsp_range(index, shown.start, shown.end, ls.encoding),
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
    result = doc.result
    root = (await ls.materialize(result)).parsed.root if result is not None else None
    offered = contract.completions(doc.kind, text, offset, root)
    edit_range = lsp_range(index, offered.replace_start, offset, ls.encoding)
    if offered.values is not None:
        items = [
            lsp.CompletionItem(
                label=value,
                kind=lsp.CompletionItemKind.EnumMember,
                detail=description,
                text_edit=lsp.TextEdit(range=edit_range, new_text=value),
            )
            for value, description in offered.values
        ]
        return lsp.CompletionList(is_incomplete=False, items=items)
    items = [
        lsp.CompletionItem(
            label=info.key,
            kind=lsp.CompletionItemKind.Property,
            detail=("required · " if info.required else "") + info.summary,
            documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=info.markdown),
            text_edit=lsp.TextEdit(range=edit_range, new_text=f"{info.key}: "),
            sort_text=("0" if info.required else "1") + info.key,
        )
        for info in offered.keys
    ]
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


__all__ = ["hover", "completion", "document_symbols"]
