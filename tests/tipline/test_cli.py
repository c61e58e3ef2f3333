"""The ``tipline`` command as an operator and a reporter use it, in real subprocesses."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

TIPLINE = str(Path(sys.executable).with_name("tipline"))
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
CORE = "hi\n2\n1\nWorkers at the farm are locked in at night\n1\n2\n1 2\n1\n0\n2\n1\n2\n"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    values = dict(os.environ)
    values.update({
        "TIPLINE_DATA_DIR": str(tmp_path / "var"),
        "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
        "TIPLINE_DATABASE_URL": database_url,
        "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024",
        "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
    })
    values.pop("TIPLINE_INTAKE_PASSPHRASE", None)
    return values


def run(env: dict[str, str], *args: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([TIPLINE, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def init(env: dict[str, str]) -> str:
    out = run(env, "init", "--demo").stdout
    found = re.search(r"write it down: (\S+)", out)
    assert found, out
    return found.group(1)


def test_init_is_idempotent_and_shows_the_passphrase_once(env: dict[str, str]) -> None:
    init(env)
    again = run(env, "init", "--demo").stdout
    assert "Already initialised" in again and "write it down" not in again
    assert (Path(env["TIPLINE_SECRETS_DIR"]) / "server.key").stat().st_mode & 0o077 == 0


def test_piped_chat_ends_with_a_code_that_staff_can_open(env: dict[str, str]) -> None:
    passphrase = init(env)
    chat = run(env, "chat", "--channel", "sms", "--from", "+15550142", stdin=CORE)
    code = CODE.search(chat.stdout)
    assert code, chat.stdout
    assert "+15550142" not in chat.stderr
    listed = json.loads(run(env, "tips", "list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["status"] == "complete"
    assert listed[0]["priority"] in {"P1", "P2"} and "labour" in listed[0]["categories"]
    shown = run(env, "tips", "show", code.group(), stdin=passphrase + "\n").stdout
    assert "Workers at the farm are locked in at night" in shown and "why:" in shown
    assert "Audit log intact: " in run(env, "audit", "verify").stdout


def test_wrong_passphrase_opens_nothing_and_says_so(env: dict[str, str]) -> None:
    init(env)
    code = CODE.search(run(env, "chat", stdin=CORE).stdout)
    assert code
    entries = int(re.search(r"(\d+) entries", run(env, "audit", "verify").stdout).group(1))  # type: ignore[union-attr]
    result = run(env, "tips", "show", code.group(), stdin="not the passphrase\n", check=False)
    assert result.returncode != 0
    assert "Wrong passphrase" in result.stderr and "locked in" not in result.stdout
    # The failed login is in the audit log, although the command stopped.
    after = int(re.search(r"(\d+) entries", run(env, "audit", "verify").stdout).group(1))  # type: ignore[union-attr]
    assert after == entries + 1


def test_two_addresses_are_two_reporters(env: dict[str, str]) -> None:
    init(env)
    run(env, "chat", "--from", "alice", stdin="hi\n1\n")
    second = run(env, "chat", "--from", "bob", stdin="hi\n").stdout
    assert "danger" in second.lower()
    listed = json.loads(run(env, "tips", "list", "--json").stdout)
    assert [t["priority"] for t in listed] == ["P1"]  # only alice said someone is in danger


def test_commands_before_init_say_what_to_run(env: dict[str, str]) -> None:
    result = run(env, "chat", stdin="hi\n", check=False)
    assert result.returncode != 0 and "tipline init" in result.stderr


def test_bad_setting_names_the_variable(env: dict[str, str]) -> None:
    env["TIPLINE_IDLE_MINUTES"] = "soon"
    result = run(env, "tips", "list", check=False)
    assert result.returncode != 0 and "TIPLINE_IDLE_MINUTES" in result.stderr


def test_worker_once_and_serve_healthz(env: dict[str, str]) -> None:
    init(env)
    # Serving processes refuse the tests' cheap Argon2id costs; they run with the real ones.
    cheap = ("STAFF_KDF_TIME", "STAFF_KDF_MEMORY_KIB", "CODE_KDF_TIME", "CODE_KDF_MEMORY_KIB", "TEST_ONLY_CHEAP_KDF")
    for name in cheap:
        env.pop(f"TIPLINE_{name}")
    assert "expired: 0" in run(env, "worker", "--once").stdout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([TIPLINE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    body = json.loads(resp.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok"
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert f"listens on http://127.0.0.1:{port}" in out
    assert "another terminal" not in out  # the chat hint is for the 'make run' demo layout only


def test_staff_member_opens_only_granted_queues_and_rotation_keeps_old_tips(env: dict[str, str]) -> None:
    admin_pass = init(env)
    member_pass = "maria's own passphrase"
    run(env, "staff", "add", "maria", stdin=f"{member_pass}\n{member_pass}\n{admin_pass}\n")
    run(env, "staff", "grant", "maria", "labour", stdin=admin_pass + "\n")
    labour_code = CODE.search(run(env, "chat", "--from", "w1", stdin=CORE).stdout)
    assert labour_code
    shown = run(env, "tips", "show", labour_code.group(), "--user", "maria", stdin=member_pass + "\n").stdout
    assert "locked in at night" in shown
    run(env, "keys", "rotate", "labour", stdin=admin_pass + "\n")
    # Old tip still opens after rotation; a self-report that said no to sharing reaches no labour queue.
    assert "locked in" in run(env, "tips", "show", labour_code.group(), "--user", "maria",
                              stdin=member_pass + "\n").stdout
    private = CODE.search(run(env, "chat", "--from", "w2",
                              stdin="hi\n2\n2\n1\n6\n2\n5\nsomewhere\n2\n").stdout)
    assert private
    denied = run(env, "tips", "show", private.group(), "--user", "maria", stdin=member_pass + "\n", check=False)
    assert denied.returncode != 0 and "holds no key" in denied.stderr
    audit_log = run(env, "audit", "verify").stdout
    assert "intact" in audit_log


def test_audit_verify_catches_a_deleted_entry_against_an_exported_head(env: dict[str, str]) -> None:
    passphrase = init(env)
    code = CODE.search(run(env, "chat", stdin=CORE).stdout)
    assert code
    run(env, "tips", "show", code.group(), stdin=passphrase + "\n")
    head = run(env, "audit", "head").stdout.strip()
    assert "intact" in run(env, "audit", "verify", "--head", head).stdout
    from sqlalchemy import create_engine, text

    db = create_engine(env["TIPLINE_DATABASE_URL"])
    with db.begin() as conn:  # someone with database access removes the last opening
        conn.execute(text("DELETE FROM auditentry WHERE seq = (SELECT max(seq) FROM auditentry)"))
    db.dispose()
    result = run(env, "audit", "verify", "--head", head, check=False)
    assert result.returncode != 0 and "FAILED" in result.stderr


def test_a_queue_added_to_the_routing_file_is_refused_until_init_creates_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    passphrase = init(env)
    routing = (Path(__file__).resolve().parents[2] / "triage" / "routing.toml").read_text()
    extra = tmp_path / "routing.toml"
    extra.write_text(routing + '\n[[queue]]\nname = "legal"\ntitle = "Legal aid"\nkind = "ngo"\n')
    env["TIPLINE_ROUTING_FILE"] = str(extra)
    refused = run(env, "chat", stdin="hi\n", check=False)
    assert refused.returncode != 0 and "legal" in refused.stderr and "tipline init" in refused.stderr
    assert "legal" in run(env, "init").stdout
    code = CODE.search(run(env, "chat", stdin=CORE).stdout)
    assert code
    shown = run(env, "tips", "show", code.group(), stdin=passphrase + "\n").stdout
    assert "legal" in shown  # the admin holds the new queue's key


def test_staff_question_reaches_the_reporter_who_sends_their_code(env: dict[str, str]) -> None:
    passphrase = init(env)
    code = CODE.search(run(env, "chat", "--from", "+15550177", "--channel", "sms", stdin=CORE).stdout)
    assert code
    tip_id = json.loads(run(env, "tips", "list", "--json").stdout)[0]["id"]
    run(env, "tips", "ask", tip_id[:8], "Is the farm near a river?", stdin=passphrase + "\n")
    # From another phone: the code, then an answer, then DONE.
    reply = run(env, "chat", "--from", "+15550188", "--channel", "sms",
                stdin=f"{code.group()}\nYes, by the old mill\nDONE\n").stdout
    assert "Is the farm near a river?" in reply
    shown = run(env, "tips", "show", code.group(), stdin=passphrase + "\n").stdout
    assert "Yes, by the old mill" in shown


def test_an_urgent_tip_raises_an_alert_that_staff_acknowledge(env: dict[str, str]) -> None:
    passphrase = init(env)
    assert "No open alerts" in run(env, "alerts", "list").stdout
    run(env, "chat", "--from", "+15550199", stdin="hi\n1\n")  # someone is in danger right now
    listed = run(env, "alerts", "list").stdout
    found = re.search(r"#(\d+)\s+P1\s+danger", listed)
    assert found, listed
    run(env, "alerts", "ack", found.group(1), stdin=passphrase + "\n")
    assert "No open alerts" in run(env, "alerts", "list").stdout


def test_danger_coming_back_is_counted_on_the_one_open_alert(env: dict[str, str]) -> None:
    init(env)
    # Danger now, then danger words again at the next question: one alert, one repeat.
    run(env, "chat", "--from", "+15550198", stdin="hi\n1\nhelp someone is hurt now\n")
    listed = run(env, "alerts", "list").stdout
    assert len(re.findall(r"#\d+\s+P1", listed)) == 1 and "repeated 1x" in listed, listed


def test_a_grant_of_an_unknown_queue_says_so_and_changes_nothing(env: dict[str, str]) -> None:
    passphrase = init(env)
    run(env, "staff", "add", "maria", stdin=f"maria's own passphrase\nmaria's own passphrase\n{passphrase}\n")
    before = run(env, "audit", "verify").stdout
    result = run(env, "staff", "grant", "maria", "labour", "nosuchqueue", stdin=passphrase + "\n", check=False)
    assert result.returncode != 0 and "nosuchqueue" in result.stderr and "Traceback" not in result.stderr
    listed = run(env, "staff", "list").stdout
    assert "labour" not in [line for line in listed.splitlines() if line.startswith("maria")][0]
    # Only the admin's login was added to the audit log; the grant of labour was rolled back.
    n_before = int(re.search(r"(\d+) entries", before).group(1))  # type: ignore[union-attr]
    n_after = int(re.search(r"(\d+) entries", run(env, "audit", "verify").stdout).group(1))  # type: ignore[union-attr]
    assert n_after == n_before + 1


def test_a_missing_key_chain_stops_the_worker_until_init_or_a_copy_restores_it(env: dict[str, str]) -> None:
    init(env)
    chains = Path(env["TIPLINE_SECRETS_DIR"]) / "ratchet"
    assert {p.stem for p in chains.glob("*.json")} >= {"conversation-state", "lookup", "tip-link", "address"}
    assert all(p.stat().st_mode & 0o077 == 0 for p in chains.glob("*.json"))
    (chains / "lookup.json").unlink()  # an upgraded install, or a second host without the folder
    for name in ("STAFF_KDF_TIME", "STAFF_KDF_MEMORY_KIB", "CODE_KDF_TIME", "CODE_KDF_MEMORY_KIB",
                 "TEST_ONLY_CHEAP_KDF"):
        env.pop(f"TIPLINE_{name}")  # the worker runs with the real costs
    result = run(env, "worker", "--once", check=False)
    assert result.returncode != 0 and "tipline init" in result.stderr and "secrets folder" in result.stderr
    assert "Traceback" not in result.stderr
    refused = run(env, "init", "--demo", check=False)  # the line still uses that chain: never a silent new one
    assert refused.returncode != 0 and "--new-chains" in refused.stderr and not (chains / "lookup.json").exists()
    assert "missing from" in refused.stderr and "instead of copied" not in refused.stderr
    run(env, "init", "--demo", "--new-chains")
    assert (chains / "lookup.json").exists()
    assert "destroyed_epochs" in run(env, "worker", "--once").stdout
