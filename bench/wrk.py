"""wrk, the C load generator: found on PATH (installed with apt-get when running as root),
driven with bench/replay.lua over a file of pre-built raw requests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "replay.lua"
INSTALL_HINT = "install it with 'sudo apt-get install -y wrk' (Debian/Ubuntu package 'wrk') and run the bench again"


class WrkMissing(RuntimeError):
    """wrk is not on PATH and could not be installed."""


def find_or_install() -> str:
    """The path of wrk; when missing and running as root, ``apt-get install -y wrk`` first."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkMissing(f"wrk is not on PATH; {INSTALL_HINT}")
    print("wrk is not on PATH; installing it: apt-get install -y wrk", flush=True)
    # The package lists may be missing or stale on a fresh machine: update once and retry.
    if _apt("install", "-y", "-q", "wrk") != 0:
        _apt("update", "-q")
        _apt("install", "-y", "-q", "wrk")
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing(f"wrk is not on PATH and 'apt-get install -y wrk' did not provide it; {INSTALL_HINT}")
    return found


def _apt(*args: str) -> int:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env).returncode


def version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "wrk"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int  # non-2xx/3xx answers, socket errors and timeouts
    wrapped: int  # times the request file ran out and started again

    @property
    def ok_rate(self) -> float:
        """Answered requests per second, failures left out."""
        return (self.requests - self.failed) / self.seconds


def run(wrk: str, url: str, requests_file: Path, *, seconds: float, connections: int, threads: int) -> WrkResult:
    """One wrk run replaying ``requests_file`` against ``url`` (scheme, host and port)."""
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
           "-s", str(LUA), url, "--", str(requests_file), str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {out.returncode}): {out.stderr.strip()[-500:]}")
    data = json.loads(line.removeprefix("WRK_RESULT "))
    failed = sum(data[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    return WrkResult(requests=data["requests"], seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
                     p99_ms=data["p99_us"] / 1000, failed=failed, wrapped=data["wrapped"])
