"""What ``tipline serve`` and ``tipline console`` write to stderr, in real gunicorn processes (issue 13):
with ``TIPLINE_LOG_FORMAT=json`` every line is one JSON object, gunicorn's own lines included, so a log
shipper reads one format; routine /readyz probes add nothing above DEBUG."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.serving import free_port, ready, start, stop
from tests.tipline.test_cli import run
from tipline.gunicorn_worker import WORKER_CLASS

PASSPHRASE = "correct horse battery staple"
REAL_COSTS = ("STAFF_KDF_TIME", "STAFF_KDF_MEMORY_KIB", "CODE_KDF_TIME", "CODE_KDF_MEMORY_KIB", "TEST_ONLY_CHEAP_KDF")


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """An initialised install's environment, with the real Argon2id costs the servers insist on."""
    values = {key: value for key, value in os.environ.items() if not key.startswith("TIPLINE_")}
    values.update({
        "TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
        "TIPLINE_CONSOLE_SECRETS_DIR": str(tmp_path / "console-secrets"), "TIPLINE_DATABASE_URL": database_url,
        "TIPLINE_LOCALES": "en", "TIPLINE_ADMIN_PASSPHRASE": PASSPHRASE,
    })
    run(values, "init")
    values.update(TIPLINE_LOG_FORMAT="json", TIPLINE_LOG_LEVEL="INFO")
    return values


def _lines(stderr: str) -> list[dict[str, str]]:
    found = []
    for line in stderr.splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return found


@pytest.mark.parametrize("command", ["serve", "console"])
def test_gunicorns_own_lines_are_json_like_the_rest(env: dict[str, str], command: str) -> None:
    port = free_port()
    process = start([command, "--port", str(port), "--workers", "2"], env)
    try:
        ready(process, port)
        for _ in range(5):  # a load balancer's probes
            ready(process, port)
    finally:
        stopped = stop(process)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    lines = _lines(stopped.stderr)
    gunicorn = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert any(m.startswith("Listening at: http://") for m in gunicorn), gunicorn
    assert sum(m.startswith("Booting worker with pid") for m in gunicorn) == 2, gunicorn
    assert f"Using worker: {WORKER_CLASS}" in gunicorn  # kept-alive connections spread over the workers
    assert "Handling signal: term" in gunicorn
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    # Routine probes log nothing at INFO: alembic's revision reads are DEBUG lines now.
    assert not [line for line in lines if line["logger"] in ("alembic.runtime.migration", "storage.health")]
