"""The stdio transport: JSON-RPC framing that survives a misbehaving client.

pygls' own stdio loop trusts the client: it reads whatever ``Content-Length`` says (a
``Content-Length: 1000000000000`` is a MemoryError), knows only the exact header
``Content-Length: N\\r\\n``, and once the stream is out of step it never finds the next
message again. Here:

- header names are case-insensitive and lines may end in ``\\n`` alone;
- a length over ``MAX_MESSAGE`` (or negative, or not a number, or missing) is a framing
  problem: the bytes are skipped up to the next ``Content-Length`` header, and what was
  skipped is still handled when it is one whole JSON message;
- a body that is not JSON (a truncated body runs into the next message) is searched for the
  next header, and reading goes on from there;
- a request that cannot be read as its method's params, that is not JSON-RPC 2.0, or that
  arrives after ``shutdown`` gets an error response: every request is answered;
- ``exit`` exits 0 after ``shutdown`` and 1 without it (the LSP specification).

``Framer`` is pure (bytes in, events out); ``serve_stdio`` runs it on a reader thread and
hands whole messages to the event loop in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import re
import sys
import threading

log = logging.getLogger("artifact_lsp.server")

MAX_MESSAGE = 128 * 1024 * 1024  # bytes: a 50 MB document still arrives (and becomes AL004)
MAX_HEADER_LINE = 8192
_HEADER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_KEEP = 32  # bytes kept while scanning: a header split across two reads is still found

# JSON-RPC error codes
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class Framer:
    """Turns the bytes of a stream into ``("message", obj)`` and ``("problem", text)`` events."""

    def __init__(self, cap: int = MAX_MESSAGE):
        self.cap = cap
        self.buf = bytearray()
        self.state = "headers"
        self._reset()
        self.skipped = bytearray()  # bytes passed over while scanning (kept up to the cap)
        self.skipped_over = False

    def _reset(self) -> None:
        self.length: int | None = None
        self.bad_length: str | None = None
        self.header_lines = 0

    # ------------------------------------------------------------------ input

    def feed(self, data: bytes) -> list[tuple[str, object]]:
        self.buf += data
        events: list[tuple[str, object]] = []
        while self._step(events):
            pass
        return events

    def close(self) -> list[tuple[str, object]]:
        """End of stream: whatever is left is reported (or salvaged)."""
        events: list[tuple[str, object]] = []
        if self.state == "scan":
            self.skipped += self.buf
            self.buf.clear()
            self._salvage(events)
        elif self.state == "body":
            events.append(
                ("problem", f"the stream ended inside a message body ({len(self.buf)} of {self.length} bytes)")
            )
        elif self.buf.strip():
            events.append(("problem", "the stream ended inside a message header"))
        self.buf.clear()
        return events

    # ------------------------------------------------------------------ states

    def _step(self, events) -> bool:
        if self.state == "headers":
            return self._header(events)
        if self.state == "body":
            assert self.length is not None  # set with the state
            if len(self.buf) < self.length:
                return False
            if len(self.buf) == self.length:  # the usual case: no copy of a big body
                body, self.buf = self.buf, bytearray()
            else:
                body = self.buf[: self.length]
                del self.buf[: self.length]
            self.state = "headers"
            self._reset()
            self._body(body, events)
            return True
        return self._scan(events)

    def _header(self, events) -> bool:
        end = self.buf.find(b"\n")
        if end < 0:
            if len(self.buf) > MAX_HEADER_LINE:
                events.append(("problem", "a header line is too long"))
                self._start_scan()
                return True
            return False
        line = bytes(self.buf[:end]).rstrip(b"\r")
        del self.buf[: end + 1]
        if not line.strip():
            if not self.header_lines:
                return True  # stray blank line between messages
            if self.length is not None:
                self.state = "body"
                return True
            events.append(("problem", self.bad_length or "a message without a Content-Length header"))
            self._start_scan()
            return True
        self.header_lines += 1
        found = _HEADER.search(line)
        if found is not None and found.start() > 0 and line[: found.start()].strip():
            # the tail of a body that was longer than its Content-Length said, with the next
            # message's header glued to it ("...}}Content-Length: 52"): start over from there
            self.buf[:0] = line[found.start() :] + b"\n"
            self._reset()
            events.append(("problem", "bytes outside any message were skipped"))
            return True
        name, colon, value = line.partition(b":")
        if not colon or not _token(name):
            events.append(("problem", "a line that is not a header was skipped"))
            self._reset()
            self._start_scan()
            return True
        if name.strip().lower() == b"content-length":
            text = value.strip()
            if text.isdigit() and len(text) <= 18:
                length = int(text)
                if length <= self.cap:
                    self.length = length
                    return True
                self.bad_length = f"Content-Length {text.decode()} is over the {self.cap // (1024 * 1024)} MiB limit"
            else:
                self.bad_length = f"Content-Length {text[:40].decode('latin-1')!r} is not a length"
            self.length = None
        return True

    def _start_scan(self) -> None:
        self.state = "scan"
        self.skipped.clear()
        self.skipped_over = False

    def _scan(self, events) -> bool:
        found = _HEADER.search(self.buf)
        if found is None:
            keep = len(self.buf) - _KEEP
            if keep > 0:
                self._skip(self.buf[:keep])
                del self.buf[:keep]
            return False
        self._skip(self.buf[: found.start()])
        del self.buf[: found.start()]
        self._salvage(events)
        self.state = "headers"
        self._reset()
        return True

    def _skip(self, data) -> None:
        if self.skipped_over or len(self.skipped) + len(data) > self.cap:
            self.skipped_over = True
            self.skipped.clear()
            return
        self.skipped += data

    def _salvage(self, events) -> None:
        """The bytes skipped after a framing problem, when they are one whole JSON message
        (a body whose length was missing or wrong), are handled after all."""
        data = bytes(self.skipped).strip()
        self.skipped.clear()
        self.skipped_over = False
        if data.startswith(b"{"):
            try:
                obj = json.loads(data)
            except ValueError:
                return
            events.append(("message", obj))

    def _body(self, body: bytearray, events) -> None:
        try:
            obj = json.loads(body)
        except ValueError as exc:
            # a truncated body ran into the next message: read on from its header
            found = _HEADER.search(body, 1)
            if found is not None:
                self.buf[:0] = bytes(body[found.start() :])
                events.append(("problem", f"a message body was cut short ({found.start()} bytes)"))
            else:
                events.append(("problem", f"a message body is not JSON: {exc}"))
            events.append(("parse-error", None))
            return
        events.append(("message", obj))


_SEPARATORS = set(b'"(),/:;<=>?@[\\]{}')


def _token(name: bytes) -> bool:
    """An HTTP header name (RFC 9110 token)."""
    name = name.strip()
    return bool(name) and all(33 <= c <= 126 and c not in _SEPARATORS for c in name)


# --------------------------------------------------------------------------- dispatch


def error_response(msg_id, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


class Session:
    """What the transport itself remembers: a ``shutdown`` was asked for (so later requests
    are refused, and ``exit`` exits 0), and how to end the loop."""

    def __init__(self, on_exit=None):
        self.shutdown_id = None
        self.shutdown_requested = False
        self.exiting = False  # `exit` arrived: end of input no longer ends the loop first
        self.on_exit = on_exit or (lambda code: None)


def dispatch(protocol, obj, session: Session | None = None) -> None:
    """Hand one decoded message to pygls, answering what pygls would drop silently."""
    session = session or Session()
    if not isinstance(obj, dict):
        protocol._send_data(error_response(None, INVALID_REQUEST, "a message must be a JSON object"))
        return
    method = obj.get("method")
    is_request = "id" in obj and "method" in obj
    msg_id = obj.get("id")
    if is_request and (not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool)):
        protocol._send_data(error_response(None, INVALID_REQUEST, "a request id must be a number or a string"))
        return
    if obj.get("jsonrpc") != "2.0" or (method is not None and not isinstance(method, str)):
        if is_request:
            protocol._send_data(error_response(msg_id, INVALID_REQUEST, "not a JSON-RPC 2.0 request"))
        else:
            log.warning("ignored a message that is not JSON-RPC 2.0")
        return
    if method == "exit" and not is_request:
        _exit(protocol, session)
        return
    if session.shutdown_requested or protocol._shutdown:
        if is_request:
            protocol._send_data(error_response(msg_id, INVALID_REQUEST, "the server is shutting down"))
        return
    try:
        message = protocol.structure_message(obj)
    except Exception as exc:
        code = getattr(exc, "code", INTERNAL_ERROR)
        if not isinstance(code, int):
            code = INTERNAL_ERROR
        reason = exc.__cause__ or exc
        if is_request:
            protocol._send_data(error_response(msg_id, code, f"invalid params for {method}: {_short(reason)}"))
        else:
            log.warning("ignored %s with invalid params: %s", method, _short(reason))
        return
    if method == "shutdown" and is_request:
        session.shutdown_requested = True
        session.shutdown_id = msg_id
    protocol.handle_message(message)


def _exit(protocol, session: Session) -> None:
    """``exit``: 0 after ``shutdown``, else 1. A ``shutdown`` still running (it waits for
    regenerations to restore) finishes and is answered first."""
    code = 0 if session.shutdown_requested else 1
    session.exiting = True
    pending = protocol._request_futures.get(session.shutdown_id) if session.shutdown_id is not None else None
    if pending is not None and not pending.done():
        loop = asyncio.get_running_loop()
        pending.add_done_callback(lambda _f: loop.call_soon_threadsafe(session.on_exit, code))
        return
    session.on_exit(code)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    sub = getattr(exc, "exceptions", None)
    if sub:
        text += ": " + "; ".join(_short(e) for e in sub[:3])
    return text[:500]


# --------------------------------------------------------------------------- the loop


class ThreadedWriter:
    """Writes on a thread of its own, in order: the event loop never blocks on a client that
    reads slowly (a big document's diagnostics are megabytes)."""

    def __init__(self, stdout, on_broken=None):
        self.stdout = stdout
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.broken = False
        self.on_broken = on_broken or (lambda: None)
        self.thread = threading.Thread(target=self._run, name="artifact-lsp-stdout", daemon=True)
        self.thread.start()

    def write(self, data: bytes) -> None:
        if not self.broken:
            self.queue.put(data)

    def close(self) -> None:
        """Send what is queued, then close."""
        self.queue.put(None)
        self.thread.join(timeout=30)
        with contextlib.suppress(OSError):
            self.stdout.close()

    def _run(self) -> None:
        while True:
            data = self.queue.get()
            if data is None:
                return
            if self.broken:
                continue
            try:
                self.stdout.write(data)
                self.stdout.flush()
            except (OSError, ValueError) as exc:  # the client is gone
                self.broken = True
                log.error("the connection to the client is lost: %r", exc)
                self.on_broken()


def serve_stdio_lazy(factory, stdin=None, stdout=None) -> int:
    """``serve_stdio(factory())``, answering ``initialize`` before the server exists.

    ``factory`` (which imports pygls, lsprotocol and the engine: most of the start-up) runs
    on a thread while this one reads the first message. When it is ``initialize``, the answer
    comes from ``capabilities`` at once; pygls still handles the request afterwards (its own
    answer is dropped), and every later message waits for it, in order."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    made: dict = {}

    def make() -> None:
        try:
            made["server"] = factory()
        except BaseException as exc:  # reported on the main thread
            made["error"] = exc

    builder = threading.Thread(target=make, name="artifact-lsp-start", daemon=True)
    builder.start()
    framer = Framer()
    pending: list = []
    answered = None
    fd = stdin.fileno()
    while not any(kind == "message" for kind, _ in pending):
        data = os.read(fd, 1 << 16)
        if not data:
            pending.extend(framer.close())
            break
        pending.extend(framer.feed(data))
    first = next((value for kind, value in pending if kind == "message"), None)
    if (
        isinstance(first, dict)
        and first.get("method") == "initialize"
        and isinstance(first.get("id"), (int, str))
        and first.get("jsonrpc") == "2.0"
    ):
        from .capabilities import initialize_result

        result = initialize_result(first.get("params"))
        if result is not None:
            body = json.dumps({"jsonrpc": "2.0", "id": first["id"], "result": result}).encode("utf-8")
            stdout.write(
                b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body)
                + body
            )
            stdout.flush()
            answered = (first["id"], result)
    builder.join()
    if "error" in made:
        raise made["error"]
    return serve_stdio(made["server"], stdin, stdout, framer=framer, pending=pending, answered=answered)


def serve_stdio(server, stdin=None, stdout=None, *, framer=None, pending=(), answered=None) -> int:
    """Run ``server`` (a pygls LanguageServer) on stdio until ``exit`` or end of input.

    Returns the process exit code: 0 after ``shutdown``+``exit`` or end of input, 1 for an
    ``exit`` without ``shutdown``. ``framer``/``pending``: a stream already begun (events
    read but not handled); ``answered``: ``(id, result)`` of an ``initialize`` already
    answered, whose pygls answer is dropped."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    server._stop_event = threading.Event()
    writer = ThreadedWriter(stdout)
    server.protocol.set_writer(writer)
    if answered is not None:
        _drop_answer(server.protocol, *answered)
    code = 0
    try:
        code = asyncio.run(_run(server, stdin, framer or Framer(), list(pending), writer))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        log.error("the connection to the client is lost")
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return code


def _drop_answer(protocol, msg_id, sent: dict) -> None:
    """pygls' answer to the ``initialize`` answered early is not sent again; it is compared
    with the early one (a difference is a bug: ``capabilities.CAPABILITIES`` is stale)."""
    send = protocol._send_data

    def send_data(data) -> None:
        if getattr(data, "id", None) == msg_id and not isinstance(data, dict) and hasattr(data, "result"):
            protocol._send_data = send
            try:
                computed = protocol._converter.unstructure(data.result)
            except Exception:
                computed = None
            if computed != sent:
                log.error("the early initialize answer differs from pygls': %s != %s", sent, computed)
            return
        if getattr(data, "id", None) == msg_id and hasattr(data, "error"):
            protocol._send_data = send
            log.error("initialize was answered early but pygls refused it: %s", getattr(data, "error", None))
            return
        send(data)

    protocol._send_data = send_data


async def _run(server, stdin, framer, pending, writer) -> int:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    protocol = server.protocol

    def finished(code: int = 0) -> None:
        if not done.done():
            done.set_result(code)

    session = Session(on_exit=finished)
    writer.on_broken = lambda: loop.call_soon_threadsafe(finished, 0)

    def deliver(events) -> None:
        for kind, value in events:
            if kind == "message":
                try:
                    dispatch(protocol, value, session)
                except (SystemExit, KeyboardInterrupt, BrokenPipeError):
                    raise
                except Exception as exc:
                    server.report_server_error(exc, dispatch)
            elif kind == "parse-error":
                protocol._send_data(error_response(None, PARSE_ERROR, "a message body is not JSON"))
            elif kind == "problem":
                log.error("protocol: %s", value)

    if pending:
        deliver(pending)

    def read() -> None:
        fd = stdin.fileno() if hasattr(stdin, "fileno") else None
        try:
            while not server._stop_event.is_set():
                data = os.read(fd, 1 << 16) if fd is not None else stdin.read1(1 << 16)
                if not data:
                    break
                events = framer.feed(data)
                if events:
                    loop.call_soon_threadsafe(deliver, events)
            events = framer.close()
            if events:
                loop.call_soon_threadsafe(deliver, events)
        except Exception as exc:  # a closed or broken stdin ends the session
            log.error("reading stdin failed: %r", exc)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(lambda: None if session.exiting else finished(0))

    threading.Thread(target=read, name="artifact-lsp-stdin", daemon=True).start()
    code = await done
    with contextlib.suppress(Exception):
        protocol.writer.close()
    return code


__all__ = ["Framer", "MAX_MESSAGE", "dispatch", "serve_stdio"]
