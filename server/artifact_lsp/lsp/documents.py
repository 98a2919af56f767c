"""The server's copy of an open document, kept equal to the client's.

pygls's ``TextDocument`` splits lines with ``str.splitlines``, which also breaks at U+2028,
U+2029, NEL, VT, FF and FS/GS/RS; LSP counts only ``\\n``, ``\\r\\n`` and ``\\r``. After one of
those characters every incremental edit below it landed a line off. Here lines are the
engine's (``LineIndex``: LSP's line breaks and position encodings), and an incremental change
is two offsets and one slice.
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.workspace import TextDocument, Workspace

from ..engine.text import LineIndex, split_lines
from .convert import encoding_of


class LspTextDocument(TextDocument):
    """A ``TextDocument`` whose lines and incremental changes follow LSP's line breaks."""

    @property
    def lines(self):
        return tuple(split_lines(self.source))

    def _apply_incremental_change(self, change: lsp.TextDocumentContentChangePartial) -> None:
        text = self.source
        index = LineIndex(text)
        encoding = encoding_of(self._position_codec.encoding)
        start = index.offset(change.range.start.line, change.range.start.character, encoding)
        end = index.offset(change.range.end.line, change.range.end.character, encoding)
        if end < start:
            start, end = end, start
        self._source = text[:start] + change.text + text[end:]


class LspWorkspace(Workspace):
    def _create_text_document(self, doc_uri, source=None, version=None, language_id=None) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


class ArtifactProtocol(LanguageServerProtocol):
    """pygls's protocol, with documents kept as ``LspTextDocument``, and without its leak of
    one future per notification.

    pygls 2.1 files the future of every handler it runs under a message id in
    ``_request_futures`` and takes it out only when it answers a request: a notification (and
    each step of its built-in generator handlers) gets a made-up id nobody removes. A long
    session kept one finished future, task and lock per keystroke, scattered through the heap.
    Here the finished ones are dropped once there are more than ``_KEEP_FUTURES``.
    """

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        futures = self._request_futures
        if len(futures) > _KEEP_FUTURES:
            # finished ones only (a request's own callback may not have run yet: it pops by id and
            # tolerates its absence); on this thread, from a snapshot taken under the GIL, never
            # from a done callback (pygls's shutdown iterates the dict while it cancels)
            for key, future in list(futures.items()):
                if future.done():
                    futures.pop(key, None)
        super()._execute_handler(msg_id, handler, callback, args=args, kwargs=kwargs)

    @lsp_method(lsp.INITIALIZE)
    def lsp_initialize(self, params: lsp.InitializeParams):
        result = yield from super().lsp_initialize(params)
        if type(self._workspace) is Workspace:
            # same state, our document factory (documents are opened only after initialize)
            self._workspace.__class__ = LspWorkspace
        return result


_KEEP_FUTURES = 64  # finished handler futures pygls may keep before they are dropped


__all__ = ["ArtifactProtocol", "LspTextDocument", "LspWorkspace"]
