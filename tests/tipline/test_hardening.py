"""Issue 9's hardening findings, as a staff member or an operator meets them (in process, so
SQLite and PostgreSQL both run quickly; tests/tipline/test_cli.py drives the installed command)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from storage import keys
from storage.crypto import CryptoError, KdfParams, create_server_secrets
from storage.tables import AuditEntry
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock, table_of
from tipline.cli import main
from tipline.install import InstallError, prepare
from tipline.runtime import Runtime
from tipline.safe_text import json_shown, shown
from tipline.settings import Settings, SettingsError, load_settings
from triage.addenda import seal_addendum

CLEAR_AND_FAKE = "\x1b[2J\x1b[H\x1b]0;owned\x07\rPriority P4\u202etxt.exe\u2066"
MEMBER_PASSPHRASE = "maria's own passphrase"


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment a staff member's shell has for this test's install."""
    return {
        "TIPLINE_DATA_DIR": str(tmp_path / "var"),
        "TIPLINE_SECRETS_DIR": str(settings.secrets_dir),
        "TIPLINE_DATABASE_URL": settings.database_url,
        "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024",
        "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
    }


@pytest.fixture(autouse=True)
def _keep_logging_and_umask() -> Iterator[None]:
    # The command sets a umask and replaces the root handlers; other tests must not inherit them.
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    os.umask(umask)


def tipline(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    obj: dict[str, Runtime] = {}
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, obj=obj)
    runtime = obj.get("runtime")
    if runtime is not None and "db" in runtime.__dict__:  # the command's engine, if it built one
        runtime.db.dispose()
    return result


def finished_tip(rt: Runtime, answer: str) -> str:
    reporter = Reporter(service_with_clock(rt, FakeClock()), "+15550100")
    for line in ["hi", "2", "1", answer, "1", "2", "1 2", "1", "2", "1", "2"]:
        reporter.send(line)
    with rt.db.connect() as conn:
        return str(conn.execute(text("SELECT id FROM tip")).scalar_one())


# -- 1. staff output is safe --------------------------------------------------------------


def test_shown_escapes_controls_bidi_and_lone_surrogates() -> None:
    assert shown("a\x1b[2Jb\rc\u202ed\ud800\\x") == "a\\x1b[2Jb\\x0dc\\u202ed\\ud800\\\\x"
    assert shown("Trabajadores en la granja, niñas 14 años") == "Trabajadores en la granja, niñas 14 años"
    assert json_shown('["\u202e\x9b", "é"]') == '["\\u202e\\u009b", "é"]'


def test_tips_show_prints_escape_sequences_visibly_and_no_fake_line(rt: Runtime, cli_env: dict[str, str]) -> None:
    # Given an answer that would clear the screen, retitle the window and print a fake
    # "Priority P4" line, and an addendum holding a lone surrogate
    tip_id = finished_tip(rt, "Workers locked in " + CLEAR_AND_FAKE)
    with rt.db.begin() as conn:
        assert seal_addendum(conn, secrets=rt.secrets, tip_id=tip_id, texts=["broken \ud800 text\nPriority P4"],
                             now=1.0)
    # When staff open the tip, as text and as JSON
    result = tipline(cli_env, "tips", "show", tip_id[:8], stdin=ADMIN_PASSPHRASE + "\n")
    as_json = tipline(cli_env, "tips", "show", tip_id[:8], "--json", stdin=ADMIN_PASSPHRASE + "\n")
    # Then it prints, with every control shown as an escape and no line that starts like ours
    assert result.exit_code == 0, result.output
    assert "\\x1b[2J" in result.output and "\\u202e" in result.output and "\\ud800" in result.output
    for out in (result.output, as_json.output):
        assert not {"\x1b", "\x07", "\r", "\u202e", "\u2066", "\ud800"} & set(out)
    assert not any(line.startswith("Priority P4") for line in result.output.splitlines())
    assert "Workers locked in" in result.output and as_json.exit_code == 0


# -- 3. one server secret per line ---------------------------------------------------------


def test_a_second_host_without_the_secrets_folder_is_refused(rt: Runtime, settings: Settings, tmp_path: Path) -> None:
    # Given a line set up on a first host, and a second host with an empty secrets folder
    other = settings.with_(secrets_dir=tmp_path / "other-secrets")
    # When the second host runs init, it refuses to make a new secret
    with pytest.raises(InstallError, match="Copy the secrets folder from the first host"):
        prepare(other)
    assert not (other.secrets_dir / "server.key").exists()
    # And with a different secret, nothing starts
    create_server_secrets(other.secrets_dir)
    with pytest.raises(InstallError, match="copy the secrets folder from the first host"):
        prepare(other)
    second = Runtime(other)
    with pytest.raises(CryptoError, match="not the one"):
        second.check_ready()
    second.db.dispose()


def test_audit_verify_with_another_secret_says_the_key_does_not_match(
    rt: Runtime, cli_env: dict[str, str], tmp_path: Path
) -> None:
    create_server_secrets(tmp_path / "other-secrets")
    cli_env["TIPLINE_SECRETS_DIR"] = str(tmp_path / "other-secrets")
    result = tipline(cli_env, "audit", "verify")
    assert result.exit_code != 0
    assert "not the one" in result.output and "edited" not in result.output and "Traceback" not in result.output


def test_audit_verify_on_a_dropped_table_says_what_is_wrong(rt: Runtime, cli_env: dict[str, str]) -> None:
    with rt.db.begin() as conn:
        conn.execute(text("DROP TABLE auditentry"))
    result = tipline(cli_env, "audit", "verify")
    assert result.exit_code != 0 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert "could not be read" in result.output and "restore the database" in result.output


@pytest.mark.parametrize("command", [["tips", "list"], ["audit", "verify"], ["staff", "list"], ["outbox", "list"]])
def test_every_command_on_an_uninitialised_install_says_to_run_init(
    settings: Settings, cli_env: dict[str, str], command: list[str]
) -> None:
    create_server_secrets(settings.secrets_dir)  # even with a secret, the database is empty
    result = tipline(cli_env, *command)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert "tipline init" in result.output


# -- 4. staff changes that cannot lock the line out ----------------------------------------


def test_staff_add_needs_an_admins_passphrase_and_is_audited_under_their_name(
    rt: Runtime, cli_env: dict[str, str]
) -> None:
    typed = f"{MEMBER_PASSPHRASE}\n{MEMBER_PASSPHRASE}\n"
    refused = tipline(cli_env, "staff", "add", "mallory", "--admin", stdin=typed + "not the admin passphrase\n")
    assert refused.exit_code != 0 and "Wrong passphrase" in refused.output
    added = tipline(cli_env, "staff", "add", "maria", "--admin", stdin=typed + ADMIN_PASSPHRASE + "\n")
    assert added.exit_code == 0, added.output
    with rt.db.connect() as conn:
        staff = {m.username for m in keys.list_staff(conn)}
        entries = [(r.actor, r.action, r.subject) for r in conn.execute(select(table_of(AuditEntry)))]
    assert staff == {ADMIN, "maria"}
    assert (ADMIN, "staff_add_admin", "maria") in entries
    assert not any(e[0] == "cli" and e[2] == "maria" for e in entries)


def test_revoking_the_last_holder_of_a_queue_is_refused_without_an_explicit_flag(
    rt: Runtime, cli_env: dict[str, str]
) -> None:
    refused = tipline(cli_env, "staff", "revoke", ADMIN, "police", stdin=ADMIN_PASSPHRASE + "\n")
    assert refused.exit_code != 0 and "last holder" in refused.output and "--lose-queue police" in refused.output
    with rt.db.connect() as conn:
        assert "police" in keys.member_queues(conn, keys.staff_id_of(conn, ADMIN))
    # A second holder makes the revocation safe; the flag forces it knowingly.
    tipline(cli_env, "staff", "add", "maria", stdin=f"{MEMBER_PASSPHRASE}\n{MEMBER_PASSPHRASE}\n{ADMIN_PASSPHRASE}\n")
    assert tipline(cli_env, "staff", "grant", "maria", "police", stdin=ADMIN_PASSPHRASE + "\n").exit_code == 0
    assert tipline(cli_env, "staff", "revoke", "maria", "police", stdin=ADMIN_PASSPHRASE + "\n").exit_code == 0
    forced = tipline(cli_env, "staff", "revoke", ADMIN, "labour", "--lose-queue", "labour",
                     stdin=ADMIN_PASSPHRASE + "\n")
    assert forced.exit_code == 0, forced.output


# -- 5. guards --------------------------------------------------------------------------------


def test_a_secrets_folder_inside_the_database_folder_is_refused(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path), "TIPLINE_SECRETS_DIR": str(tmp_path / "db" / "keys")}
    with pytest.raises(SettingsError, match="inside the database's folder"):
        load_settings(env)


def test_a_secrets_folder_inside_the_data_folder_is_for_demo_installs_only(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "var" / "secrets"),
           "TIPLINE_TEST_ONLY_CHEAP_KDF": "1", "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024"}
    refused = tipline(env, "init")
    assert refused.exit_code != 0 and "only a demo install" in refused.output
    assert not (tmp_path / "var" / "secrets" / "server.key").exists()
    assert tipline(env, "init", "--demo").exit_code == 0
    assert tipline(env, "tips", "list").exit_code == 0


def test_chat_help_works_before_an_install_exists(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path / "var")}  # no init yet; the default secrets folder is inside
    shown = tipline(env, "chat", "--help")
    assert shown.exit_code == 0 and "Talk to the tip line" in shown.output
    assert tipline(env, "chat").exit_code != 0  # the command itself still needs the install


def test_argon2id_costs_have_floors_and_the_test_switch_cannot_serve(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path), "TIPLINE_SECRETS_DIR": str(tmp_path.parent / "s"),
           "TIPLINE_STAFF_KDF_MEMORY_KIB": "8"}
    with pytest.raises(SettingsError, match="TIPLINE_STAFF_KDF_MEMORY_KIB"):
        load_settings(env)
    cheap = load_settings({**env, "TIPLINE_TEST_ONLY_CHEAP_KDF": "1"})
    with pytest.raises(SettingsError, match="TIPLINE_TEST_ONLY_CHEAP_KDF"):
        cheap.check_servable()
    load_settings({k: v for k, v in env.items() if "KDF" not in k}).check_servable()


def test_serve_and_worker_refuse_the_test_only_costs(rt: Runtime, cli_env: dict[str, str]) -> None:
    for command in (["serve"], ["worker", "--once"]):
        result = tipline(cli_env, *command)
        assert result.exit_code != 0 and "TIPLINE_TEST_ONLY_CHEAP_KDF" in result.output


def test_a_login_never_rewraps_at_a_lower_cost(rt: Runtime) -> None:
    def stored_cost() -> str:
        with rt.db.connect() as conn:
            return str(conn.execute(text("SELECT kdf FROM staff WHERE username = :u"), {"u": ADMIN}).scalar_one())

    before = stored_cost()
    lower = KdfParams(time_cost=1, memory_cost_kib=512)
    with rt.db.begin() as conn:
        keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets, kdf=lower).forget()
    assert stored_cost() == before
    higher = KdfParams(time_cost=2, memory_cost_kib=2048)
    with rt.db.begin() as conn:
        keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets, kdf=higher).forget()
    assert re.search(r"t=2,m=2048", stored_cost())


def test_files_are_owner_only(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
           "TIPLINE_TEST_ONLY_CHEAP_KDF": "1", "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
           "TIPLINE_INTAKE_PASSPHRASE": ADMIN_PASSPHRASE}
    assert tipline(env, "init").exit_code == 0
    assert tipline(env, "chat", stdin="hi\n1\n").exit_code == 0
    made = [tmp_path / "var", tmp_path / "secrets", *(tmp_path / "var").rglob("*"), *(tmp_path / "secrets").rglob("*")]
    assert any(p.name.endswith("-wal") for p in made) or any(p.suffix == ".sqlite3" for p in made)
    for path in made:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is {oct(path.stat().st_mode)}"
