"""A plain JSON-RPC client over the server's stdio, for tests that need every message in
order (which publications came, and when relative to a response) or the raw bytes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from artifact_lsp.lsp.transport import Framer

TIMEOUT = 60.0
PUSH = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}, "configuration": True}}
PULL = {
    "textDocument": {"diagnostic": {"dynamicRegistration": False}},
    "workspace": {"diagnostics": {"refreshSupport": False}, "configuration": True},
}


def frame(obj) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawClient:
    """Messages from the server are logged in arrival order (``log``); server requests are
    answered (configuration: nothing set; registrations: accepted)."""

    def __init__(self, argv: list[str] | None = None):
        self.proc = subprocess.Popen(
            argv or [sys.executable, "-m", "artifact_lsp", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get("RAW_LSP_STDERR") else subprocess.DEVNULL,
        )
        self.inbox: queue.Queue = queue.Queue()
        self.log: list[dict] = []
        self.next_id = 0
        self.settings = None  # the answer to workspace/configuration (section artifactLsp)
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        framer = Framer()
        while True:
            data = self.proc.stdout.read1(65536)
            if not data:
                break
            for kind, value in framer.feed(data):
                if kind != "message":
                    continue
                if "method" in value and "id" in value:
                    result = (
                        [self.settings] * len(value.get("params", {}).get("items", []))
                        if value["method"] == "workspace/configuration"
                        else None
                    )
                    self.send({"jsonrpc": "2.0", "id": value["id"], "result": result})
                self.inbox.put(value)
        self.inbox.put(None)

    def send(self, obj) -> None:
        with self.lock:
            self.proc.stdin.write(frame(obj))
            self.proc.stdin.flush()

    def notify(self, method: str, params) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params):
        """Send a request; returns its id (``wait_response`` gets the answer)."""
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def call(self, method: str, params):
        answer = self.wait_response(self.request(method, params))
        assert "error" not in answer, answer
        return answer.get("result")

    def wait(self, predicate, what: str = "a message") -> dict:
        """The first message (logged so far or to come) that matches ``predicate``."""
        for message in self.log:
            if predicate(message):
                return message
        while True:
            try:
                message = self.inbox.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"timed out waiting for {what}") from None
            if message is None:
                raise AssertionError(f"the server closed its output while waiting for {what}")
            self.log.append(message)
            if predicate(message):
                return message

    def wait_response(self, msg_id) -> dict:
        return self.wait(lambda m: m.get("id") == msg_id and "method" not in m, f"the response to {msg_id}")

    def wait_published(self, uri: str, predicate=lambda items: True, after: int = 0) -> dict:
        def match(m):
            return (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and self.log.index(m) >= after
                and predicate(m["params"]["diagnostics"])
            )

        return self.wait(match, f"diagnostics for {uri}")

    def publications(self, after: int = 0) -> list[dict]:
        return [m["params"] for m in self.log[after:] if m.get("method") == "textDocument/publishDiagnostics"]

    def start(self, root: Path, capabilities: dict, initialized: bool = True):
        result = self.call(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": capabilities,
                "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
            },
        )
        if initialized:
            self.notify("initialized", {})
        return result

    def close(self) -> None:
        try:
            self.send({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})
            self.wait_response("bye")
            self.notify("exit", None)
            self.proc.wait(timeout=TIMEOUT)
        except Exception:
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def codes(items) -> list[str]:
    return sorted(str(d["code"]) for d in items)
