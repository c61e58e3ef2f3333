"""'tipline training start' and 'report' in real subprocesses, beside a live line they must not touch."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table

from storage.db import make_engine
from tests.tipline.training_support import passphrase_of

TIPLINE = str(Path(sys.executable).with_name("tipline"))
CORE = "hi\n2\n1\nWorkers at the farm are locked in at night\n1\n2\n1 2\n1\n0\n2\n1\n2\n"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    values = dict(os.environ)
    values.update({
        "TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
        "TIPLINE_DATABASE_URL": database_url, "TIPLINE_LOCALES": "en",
        "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024", "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
        # Credentials of a live line: the sandbox must drop them (no provider answers here anyway).
        "TIPLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TIPLINE_TWILIO_AUTH_TOKEN": "f" * 32,
        "TIPLINE_TWILIO_API_BASE": "http://127.0.0.1:9",
    })
    values.pop("TIPLINE_INTAKE_PASSPHRASE", None)
    return values


def run(env: dict[str, str], *args: str, stdin: str = "", ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([TIPLINE, *args], input=stdin, env=env, capture_output=True, text=True, timeout=180)
    assert (result.returncode == 0) is ok, result.stderr
    return result


def _rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {n: int(conn.execute(select(func.count()).select_from(table(n))).scalar() or 0) for n in names}
    finally:
        engine.dispose()


def _hashes(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_training_run_leaves_the_live_line_untouched(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "init", stdin="live admin passphrase\n")
    run(env, "chat", "--channel", "sms", "--from", "+15550142", stdin=CORE)
    live_folders = (tmp_path / "var", tmp_path / "secrets", tmp_path / "console-secrets")
    rows, files = _rows(env["TIPLINE_DATABASE_URL"]), _hashes(*live_folders)
    assert rows["tip"] == 1 and files

    started = run(env, "training", "start", "--dir", str(tmp_path / "training")).stdout
    assert "Trainee login: trainee" in started and passphrase_of(started)
    report = run(env, "training", "report", "--dir", str(tmp_path / "training")).stdout
    assert report.startswith("Training report: 0 of 6 rules met.")
    refused = run(env, "training", "start", "--dir", str(tmp_path / "secrets"), ok=False)
    assert "overlaps the live line" in refused.stderr

    assert _hashes(*live_folders) == files
    assert _rows(env["TIPLINE_DATABASE_URL"]) == rows
    sandbox_rows = _rows(f"sqlite:///{tmp_path / 'training' / 'data' / 'db' / 'tipline.sqlite3'}")
    assert sandbox_rows["tip"] == 4 and sandbox_rows["outbox"] == 0
