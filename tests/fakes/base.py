"""A threading HTTP/1.1 server with fault injection, shared by the fake providers."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Self

# What a fake answers: status, JSON payload, extra headers.
Routed = tuple[int, Any, dict[str, str] | None]


@dataclass
class Fault:
    """The next ``count`` matching calls fail (or are slow) this way."""

    method: str  # a Bot API method or "create"/"delete"; "*" for any
    kind: str  # "status" (answer ``status`` with ``body``), "slow" (sleep ``delay`` then answer normally), "drop"
    count: int = 1
    status: int = 500
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] | None = None


class FakeServer:
    """Subclasses implement ``route(method, path, headers, body) -> (status, payload, headers)``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle and the
            # client's delayed ACK add ~40 ms to every keep-alive answer (a fake's artefact).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests += 1
                status, payload, headers = fake.dispatch(self.command, self.path, dict(self.headers), body)
                if status == -1:  # "drop": close without an answer
                    self.close_connection = True
                    return
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, kind: str = "status", **kw: Any) -> None:
        with self.lock:
            self.faults.append(Fault(method, kind, **kw))

    def _take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def dispatch(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Routed:
        method = self.method_name(verb, path)
        fault = self._take_fault(method)
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "drop":
                return -1, None, None
            else:
                return fault.status, fault.body, fault.headers
        return self.route(verb, path, headers, body)

    def method_name(self, verb: str, path: str) -> str:
        raise NotImplementedError

    def route(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Routed:
        raise NotImplementedError

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate():
                    return True
            time.sleep(0.01)
        with self.lock:
            return predicate()
