"""The web workers' gunicorn worker class (``tipline.gunicorn_worker``), in real gunicorn processes:
kept-alive connections spread over the workers by their free threads, and idle ones never keep a new
connection waiting."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.serving import free_port
from tipline.gunicorn_worker import WORKER_CLASS



@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., int]]:
    """Starts gunicorn on tests/tipline/pid_app.py with the given workers, threads and keep-alive."""
    started: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "gunicorn.log"

    def start(workers: int, threads: int, keepalive: int = 2) -> int:
        port = free_port()
        with log.open("ab") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--worker-class", WORKER_CLASS, "--workers", str(workers),
                 "--threads", str(threads), "--keep-alive", str(keepalive), "--bind", f"127.0.0.1:{port}",
                 "--log-level", "info", "tests.tipline.pid_app:app"],
                stdout=subprocess.DEVNULL, stderr=err)
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if log.read_text().count("Booting worker with pid") == workers:
                try:
                    with _connect(port) as conn:
                        _get(conn, "/")
                    return port
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")

    yield start
    for process in started:
        process.terminate()
        process.wait(20)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=20)


def _get(conn: socket.socket, path: str) -> str:
    """One HTTP/1.1 request on a kept-alive connection; the body (a worker's pid)."""
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    length = int(next(line.split(b":")[1] for line in lines if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += conn.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head
    return body.decode()


def test_kept_alive_connections_go_to_the_worker_with_a_free_thread(serve: Callable[..., int]) -> None:
    """8 connections opened at once on 2 workers x 4 threads: each worker serves 4 of them, for
    as long as they stay open (gunicorn's stock gthread worker let one worker take 5 to 8)."""
    port = serve(workers=2, threads=4)
    conns = [_connect(port) for _ in range(8)]
    try:
        with ThreadPoolExecutor(8) as pool:  # all 8 requests in progress together
            first = list(pool.map(lambda c: _get(c, "/?hold=0.5"), conns))
        assert sorted(Counter(first).values()) == [4, 4], Counter(first)
        again = [_get(c, "/") for c in conns]  # kept alive: the same connection, the same worker
        assert again == first
    finally:
        for c in conns:
            c.close()


def test_idle_kept_alive_connections_never_keep_a_new_one_waiting(serve: Callable[..., int]) -> None:
    """One worker of 2 threads holding 3 idle kept-alive connections (a proxy's upstream pool) answers
    a fourth connection at once: only requests in progress take a thread's place."""
    port = serve(workers=1, threads=2, keepalive=30)
    idle = [_connect(port) for _ in range(3)]
    try:
        for c in idle:
            _get(c, "/")
        started = time.monotonic()
        with _connect(port) as fresh:
            _get(fresh, "/")
        assert time.monotonic() - started < 2.0
    finally:
        for c in idle:
            c.close()


def test_a_worker_with_every_thread_busy_leaves_new_connections_to_the_other(serve: Callable[..., int]) -> None:
    """2 workers x 1 thread: a slow request keeps one worker's thread busy; the next connections are
    answered by the other worker at once, not queued behind it."""
    port = serve(workers=2, threads=1)
    with _connect(port) as busy, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_get, busy, "/?hold=3")
        time.sleep(0.5)  # the slow request in progress
        started = time.monotonic()
        quick = []
        for _ in range(2):
            with _connect(port) as c:
                quick.append(_get(c, "/"))
        waited = time.monotonic() - started
        slow_pid = slow.result()
    assert waited < 1.5, f"new connections waited {waited:.1f} s behind a busy thread"
    assert slow_pid not in quick
