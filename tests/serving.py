"""Real ``tipline`` server processes for the tests: a free port, wait for /readyz, stop with SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

TIPLINE = str(Path(sys.executable).with_name("tipline"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stopped:
    returncode: int
    stdout: str
    stderr: str


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([TIPLINE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ready(process: subprocess.Popen[str], port: int, *, within: float = 90.0) -> dict[str, object]:
    """/readyz's JSON once it answers 200; fails (with the process's stderr) if it never does."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {process.communicate()[1][-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as resp:
                return dict(json.loads(resp.read()))
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    stop(process)
    raise AssertionError(f"/readyz on port {port} never answered within {within:.0f} s")


def stop(process: subprocess.Popen[str], *, within: float = 40.0) -> Stopped:
    """SIGTERM (what systemd and docker send), then what it printed and how it exited."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return Stopped(process.returncode, out, err)
