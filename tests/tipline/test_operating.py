"""Operating the line from the README (issue 13): provisioning without a keyboard, the audit list,
upgrades, JSON logs, in real subprocesses on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.tipline.test_cli import CODE, CORE, run

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """An install's environment with no admin passphrase set (tests/tipline/test_cli.py's)."""
    values = dict(os.environ)
    values.update({
        "TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
        "TIPLINE_DATABASE_URL": database_url,
        "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024", "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
    })
    for name in ("TIPLINE_INTAKE_PASSPHRASE", "TIPLINE_ADMIN_PASSPHRASE", "TIPLINE_ADMIN_PASSPHRASE_FILE"):
        values.pop(name, None)
    return values


def _shows_tip(env: dict[str, str], passphrase: str) -> None:
    code = CODE.search(run(env, "chat", stdin=CORE).stdout)
    assert code
    shown = run(env, "tips", "show", code.group(), stdin=passphrase + "\n").stdout
    assert "locked in at night" in shown


def test_init_reads_the_first_admins_passphrase_from_a_file(env: dict[str, str], tmp_path: Path) -> None:
    secret = tmp_path / "admin-passphrase"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o644)  # what printf > file makes under umask 022
    env["TIPLINE_ADMIN_PASSPHRASE_FILE"] = str(secret)
    done = run(env, "init")
    assert "Initialised" in done.stdout and PASSPHRASE not in done.stdout
    assert "readable by others (mode 0644): chmod 600 it" in done.stderr
    del env["TIPLINE_ADMIN_PASSPHRASE_FILE"]
    _shows_tip(env, PASSPHRASE)  # the trailing newline was not part of it
    assert "TIPLINE_ADMIN_PASSPHRASE_FILE" in run(env, "init", "--help").stdout


def test_a_missing_passphrase_file_is_one_line_naming_the_setting(env: dict[str, str], tmp_path: Path) -> None:
    env["TIPLINE_ADMIN_PASSPHRASE_FILE"] = str(tmp_path / "nowhere")
    result = run(env, "init", check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "TIPLINE_ADMIN_PASSPHRASE_FILE" in result.stderr


def test_one_piped_passphrase_is_enough_and_none_leaves_no_half_install(env: dict[str, str]) -> None:
    refused = run(env, "init", stdin="", check=False)
    assert refused.returncode != 0 and "TIPLINE_ADMIN_PASSPHRASE_FILE" in refused.stderr
    assert "Traceback" not in refused.stderr
    weak = run(env, "init", stdin="short\n", check=False)  # refused before anything is made, too
    assert weak.returncode != 0 and "at least 10 characters" in weak.stderr and "Traceback" not in weak.stderr
    engine = create_engine(env["TIPLINE_DATABASE_URL"])
    with engine.connect() as conn:  # no tables without an admin: a retry starts clean
        tables = conn.dialect.get_table_names(conn)
    engine.dispose()
    assert "tip" not in tables and "alembic_version" not in tables
    assert "Initialised" in run(env, "init", stdin=PASSPHRASE + "\n").stdout
    _shows_tip(env, PASSPHRASE)


def test_audit_list_says_who_opened_what_with_filters(env: dict[str, str]) -> None:
    run(env, "init", stdin=PASSPHRASE + "\n")
    _shows_tip(env, PASSPHRASE)
    tip_id = json.loads(run(env, "tips", "list", "--json").stdout)[0]["id"]
    header, *opened = run(env, "audit", "list", "--action", "open_tip").stdout.splitlines()
    assert header.split() == ["SEQ", "TIME", "(UTC)", "WHO", "ACTION", "SUBJECT"]  # the columns say what they hold
    assert len(opened) == 1 and "admin" in opened[0] and tip_id in opened[0]
    assert "init" in run(env, "audit", "list", "--actor", "cli").stdout
    assert run(env, "audit", "list", "--tip", tip_id).stdout.count(tip_id) >= 1
    assert "No audit entries match." in run(env, "audit", "list", "--actor", "nobody").stdout
    assert "open_tip" not in run(env, "audit", "list", "--since", "2999-01-01").stdout


def test_upgrade_checks_and_says_what_is_due(env: dict[str, str]) -> None:
    assert "tipline init" in run(env, "upgrade", "--check", check=False).stderr
    run(env, "init", stdin=PASSPHRASE + "\n")
    assert "current" in run(env, "upgrade", "--check").stdout
    engine = create_engine(env["TIPLINE_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005_alert_repeats'"))
    engine.dispose()
    due = run(env, "upgrade", "--check", check=False)
    assert due.returncode == 1 and "an upgrade is due" in due.stderr and "0005_alert_repeats" in due.stdout
    refused = run(env, "upgrade", stdin="n\n", check=False)  # no backup yet: nothing changes
    assert refused.returncode != 0
    assert run(env, "upgrade", "--check", check=False).returncode == 1


def test_json_logs_are_one_object_a_line_and_redacted(env: dict[str, str]) -> None:
    run(env, "init", stdin=PASSPHRASE + "\n")
    env.update(TIPLINE_LOG_FORMAT="json", TIPLINE_LOG_LEVEL="info")
    result = run(env, "chat", "--from", "+15557770142", stdin="hi\n1\n")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert "5557770142" not in result.stderr


def test_a_bad_region_stops_serve_with_one_line_not_a_worker_traceback(env: dict[str, str]) -> None:
    run(env, "init", stdin=PASSPHRASE + "\n")
    env.update(TIPLINE_REGION="ZZ")
    env.pop("TIPLINE_TEST_ONLY_CHEAP_KDF")  # serve refuses the tests' costs before anything else
    env.update(TIPLINE_STAFF_KDF_TIME="2", TIPLINE_STAFF_KDF_MEMORY_KIB="19456", TIPLINE_CODE_KDF_TIME="1",
               TIPLINE_CODE_KDF_MEMORY_KIB="4096")
    result = run(env, "serve", "--port", "1", check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "Error: TIPLINE_REGION: unknown region 'ZZ'" in result.stderr
