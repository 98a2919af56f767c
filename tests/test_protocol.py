"""Protocol robustness: the server on raw stdio bytes (issue 10, item 13).

A broken frame costs at most the message it broke; every request is answered (an error is an
answer); ``exit`` exits 0 only after ``shutdown``.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading

import pytest

from artifact_lsp.lsp.transport import Framer

TIMEOUT = 30.0


def frame(obj, *, header: bytes | None = None) -> bytes:
    body = json.dumps(obj).encode()
    if header is None:
        header = b"Content-Length: %d\r\n\r\n" % len(body)
    return header + body


def hover(msg_id, line=0, character=0, params=None):
    if params is None:
        params = {
            "textDocument": {"uri": "file:///nowhere/artifact.yml"},
            "position": {"line": line, "character": character},
        }
    return {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": params}


INIT = {"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {"capabilities": {}, "rootUri": None}}


class Raw:
    """The server as a subprocess, spoken to in bytes; responses collected by id."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "artifact_lsp", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        framer = Framer()
        while True:
            data = self.proc.stdout.read1(65536)
            if not data:
                break
            for kind, value in framer.feed(data):
                if kind == "message":
                    self.messages.put(value)
        self.messages.put(None)

    def send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def response(self, msg_id) -> dict:
        for message in self.seen:
            if message.get("id") == msg_id and "method" not in message:
                return message
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if message is None:
                raise AssertionError(f"the server closed its output before answering {msg_id!r}")
            self.seen.append(message)
            if message.get("id") == msg_id and "method" not in message:
                return message

    def alive_and_answering(self, msg_id) -> None:
        """A good request after the bad bytes is answered: the server is in step again."""
        self.send(frame(hover(msg_id)))
        answer = self.response(msg_id)
        assert "result" in answer, answer

    def close(self) -> int:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def raw():
    client = Raw()
    client.send(frame(INIT))
    assert "result" in client.response("init")
    yield client
    if client.proc.poll() is None:
        client.proc.kill()
        client.proc.wait()


# ------------------------------------------------------------------ framing


def test_huge_content_length_neither_kills_nor_deafens(raw):
    raw.send(b"Content-Length: 1000000000000\r\n\r\n")
    raw.alive_and_answering(1)
    assert raw.proc.poll() is None


@pytest.mark.parametrize("length", [b"-5", b"2147483648", b"abc", b"9" * 40])
def test_bad_content_length_is_skipped(raw, length):
    raw.send(b"Content-Length: " + length + b'\r\n\r\n{"jsonrpc": "2.0", "method": "x"}')
    raw.alive_and_answering(2)


def test_truncated_body_resynchronises(raw):
    body = json.dumps(hover(3)).encode()
    raw.send(b"Content-Length: %d\r\n\r\n" % (len(body) + 40) + body)  # says 40 bytes more than it sends
    raw.alive_and_answering(4)


def test_body_longer_than_its_length_resynchronises(raw):
    body = json.dumps(hover(5)).encode()
    raw.send(b"Content-Length: %d\r\n\r\n" % (len(body) - 10) + body)
    raw.alive_and_answering(6)


def test_missing_content_length_is_salvaged(raw):
    raw.send(b"Content-Type: application/json\r\n\r\n" + json.dumps(hover(7)).encode())
    raw.alive_and_answering(8)
    assert "result" in raw.response(7)  # the body was one whole message: it is answered too


def test_lowercase_and_lf_only_headers_are_read(raw):
    raw.send(frame(hover(9), header=b"content-length: %d\r\n\r\n" % len(json.dumps(hover(9)).encode())))
    assert "result" in raw.response(9)
    raw.send(frame(hover(10), header=b"Content-Length: %d\n\n" % len(json.dumps(hover(10)).encode())))
    assert "result" in raw.response(10)
    raw.send(
        frame(hover(11), header=b"CONTENT-LENGTH:%d\r\nContent-Type: x\r\n\r\n" % len(json.dumps(hover(11)).encode()))
    )
    assert "result" in raw.response(11)


def test_a_body_that_is_not_json_is_answered_with_a_parse_error(raw):
    raw.send(b"Content-Length: 5\r\n\r\n{nope")
    raw.alive_and_answering(12)
    assert any(m.get("error", {}).get("code") == -32700 for m in raw.seen)


# ------------------------------------------------------------------ every request answered


@pytest.mark.parametrize(
    "request_",
    [
        hover("neg", line=-1),
        hover("big", line=2**53),
        hover("char", character=-3),
        hover("str", params="a string"),
        hover("list", params=[1, 2]),
        {"jsonrpc": "2.0", "id": "nop", "method": "textDocument/hover"},
    ],
    ids=["line-1", "line-2^53", "character-3", "params-string", "params-list", "no-params"],
)
def test_invalid_params_get_an_error_response(raw, request_):
    raw.send(frame(request_))
    answer = raw.response(request_["id"])
    assert answer["error"]["code"] == -32602, answer
    raw.alive_and_answering("after")


def test_messages_that_are_not_json_rpc_requests_are_answered(raw):
    raw.send(frame([1, 2, 3]))
    raw.send(frame({"jsonrpc": "1.0", "id": "v1", "method": "textDocument/hover", "params": {}}))
    assert raw.response("v1")["error"]["code"] == -32600
    raw.alive_and_answering("after")
    assert any(m.get("id") is None and m.get("error", {}).get("code") == -32600 for m in raw.seen)


def test_unknown_method_is_answered(raw):
    raw.send(frame({"jsonrpc": "2.0", "id": "u", "method": "no/such", "params": {}}))
    assert raw.response("u")["error"]["code"] == -32601


# ------------------------------------------------------------------ shutdown and exit


def test_requests_after_shutdown_get_an_error_and_exit_is_0(raw):
    raw.send(frame({"jsonrpc": "2.0", "id": "s", "method": "shutdown"}))
    assert "result" in raw.response("s")
    raw.send(frame(hover("late")))
    assert raw.response("late")["error"]["code"] == -32600
    raw.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert raw.close() == 0


def test_shutdown_then_exit_sent_at_once_answers_shutdown_first(raw):
    raw.send(frame({"jsonrpc": "2.0", "id": "s2", "method": "shutdown"}) + frame({"jsonrpc": "2.0", "method": "exit"}))
    assert "result" in raw.response("s2")
    assert raw.close() == 0


def test_exit_without_shutdown_exits_1(raw):
    raw.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert raw.close() == 1


# ------------------------------------------------------------------ the framer alone


def test_framer_finds_a_header_split_across_reads():
    data = b"garbage\r\n\r\n" + frame({"jsonrpc": "2.0", "method": "a"})
    framer = Framer()
    events = []
    for i in range(len(data)):
        events.extend(framer.feed(data[i : i + 1]))
    assert ("message", {"jsonrpc": "2.0", "method": "a"}) in events


def test_framer_never_buffers_more_than_its_cap():
    framer = Framer(cap=1024)
    events = framer.feed(b"Content-Length: 4096\r\n\r\n" + b"x" * 4096)
    assert any(kind == "problem" for kind, _ in events)
    framer.feed(b"y" * 100_000)
    assert len(framer.buf) <= 64 and len(framer.skipped) <= 1024
    events = framer.feed(frame({"jsonrpc": "2.0", "method": "b"}))
    assert ("message", {"jsonrpc": "2.0", "method": "b"}) in events
