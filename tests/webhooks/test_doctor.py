"""``tipline doctor`` against the fake Twilio and Telegram APIs (the real clients pointed at them) and the
public app on a real HTTP server, as an operator runs it before launch."""

from __future__ import annotations

import socket
import threading
from datetime import date
from pathlib import Path
from typing import Iterator

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug.serving import make_server

from storage.tables import Conversation
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.oncall.support import sms_rota
from tests.webhooks.helpers import LINE, TG_SECRET, TW_TOKEN, build_runtime, channel_settings
from tipline import cli_doctor, cli_telegram
from tipline.app import create_public_app
from tipline.runtime import Runtime
from tipline.settings import Settings
from webhooks import probe

OVERRIDES = "#ct=3000&rt=12000&rc=3&rp=all"  # README: Twilio's connection override, not part of the URL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def line(settings: Settings, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio) -> Iterator[Runtime]:
    """A line whose TIPLINE_PUBLIC_BASE_URL is its own app on a real server (no proxy in between)."""
    port = _free_port()
    values = channel_settings(settings, fake_telegram, fake_twilio)
    values.update(public_base_url=f"http://127.0.0.1:{port}", region_verified=date.today())
    rt = build_runtime(settings, **values)
    server = make_server("127.0.0.1", port, create_public_app(rt.settings, rt), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield rt
    server.shutdown()
    server.server_close()
    rt.close()


def _doctor(rt: Runtime, *args: str) -> tuple[int, dict[str, tuple[str, str]]]:
    """Exit code and {check name: (status, detail)} as printed."""
    @click.group()
    @click.pass_context
    def main(ctx: click.Context) -> None:
        ctx.ensure_object(dict)["runtime"] = rt

    cli_doctor.register(main)
    cli_telegram.register(main)
    result = CliRunner().invoke(main, ["doctor", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    for secret in (TW_TOKEN, TG_SECRET, rt.settings.telegram_bot_token):
        assert secret not in result.output
    lines: dict[str, tuple[str, str]] = {}
    for row in result.output.splitlines()[:-1]:
        status, rest = row.split(None, 1)
        name, detail = rest.split(": ", 1)
        lines[name] = (status, detail)
    return result.exit_code, lines


def _set_up_providers(rt: Runtime, tw: FakeTwilio, tg: FakeTelegram) -> None:
    base = rt.settings.public_base_url
    number = tw.add_number(LINE, sms_url="https://old.example.org/sms")  # the service's URL is the one used
    tw.add_service(number, inbound_request_url=base + "/webhooks/twilio/sms" + OVERRIDES,
                   status_callback=base + "/webhooks/twilio/status")
    # What 'tipline telegram set-webhook' leaves (it refuses this test's plain-http URL, so set directly).
    tg.webhook = {"url": base + "/webhooks/telegram", "pending_update_count": 2, "secret_token": TG_SECRET,
                  "allowed_updates": ["message", "edited_message", "callback_query"]}


def _conversations(rt: Runtime) -> int:
    with rt.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Conversation)).scalar_one())


def test_a_line_ready_for_launch_passes(line: Runtime, fake_twilio: FakeTwilio, fake_telegram: FakeTelegram) -> None:
    _set_up_providers(line, fake_twilio, fake_telegram)
    sms_rota(line, 2)
    before = _conversations(line)
    code, lines = _doctor(line)
    assert code == 0, lines
    for name in ("database", "migrations", "secrets folder", "server keys", "region", "on-call rota", "rota key",
                 "twilio webhook", "twilio status callback", "twilio signed round trip", "telegram webhook",
                 "telegram secret round trip"):
        assert lines[name][0] == "OK", (name, lines[name])
    assert "Messaging Service" in lines["twilio webhook"][1]
    assert "2 pending" in lines["telegram webhook"][1]
    # The API does not show Advanced Opt-Out's keywords: said so, left to a person.
    assert lines["twilio opt-in/opt-out/HELP"][0] == "SKIPPED" and "YES" in lines["twilio opt-in/opt-out/HELP"][1]
    assert _conversations(line) == before  # the probes opened no conversation


def test_every_problem_is_named_with_its_fix(line: Runtime, fake_twilio: FakeTwilio,
                                             fake_telegram: FakeTelegram) -> None:
    base = line.settings.public_base_url
    fake_twilio.add_number(LINE, sms_url="https://old.example.org/sms", status_callback="https://x.example/cb")
    fake_telegram.webhook = {"url": "https://old.example.org/webhooks/telegram", "pending_update_count": 0}
    (line.settings.secrets_dir / "server.key").chmod(0o644)
    rt = Runtime(line.settings.with_(region_verified=None))
    code, lines = _doctor(rt)
    assert code == 1
    expect = {
        "twilio webhook": "posts to https://old.example.org/sms, not " + base + "/webhooks/twilio/sms",
        "twilio status callback": "https://x.example/cb",
        "twilio opt-in/opt-out/HELP": "in no Messaging Service",
        "telegram webhook": "run 'tipline telegram set-webhook'",
        "secrets folder": "chmod -R u=rwX,go=",
        "region": "TIPLINE_REGION_VERIFIED",
        "on-call rota": "urgent tips alert nobody",
    }
    for name, fix in expect.items():
        assert lines[name][0] == "PROBLEM" and fix in lines[name][1], (name, lines[name])
    assert lines["database"][0] == "OK" and lines["twilio signed round trip"][0] == "OK"
    rt.close()


def test_a_round_trip_fails_when_the_app_checks_another_url_or_token(line: Runtime) -> None:
    """The doctor's settings differ from the running app's (a proxy rewriting the host, a rotated
    token): the signed probe is refused and the line says which settings must agree."""
    other = Runtime(line.settings.with_(twilio_auth_token="rotated-token-0123456789",
                                        telegram_webhook_secret="another_secret"))
    code, lines = _doctor(other)
    assert code == 1
    assert lines["twilio signed round trip"][0] == "PROBLEM"
    assert "refused the signed probe (403)" in lines["twilio signed round trip"][1]
    assert "TIPLINE_TELEGRAM_WEBHOOK_SECRET" in lines["telegram secret round trip"][1]
    other.close()


def test_nothing_answering_at_the_public_url_is_a_problem(line: Runtime) -> None:
    gone = Runtime(line.settings.with_(public_base_url=f"http://127.0.0.1:{_free_port()}"))
    code, lines = _doctor(gone)
    assert code == 1 and "did not answer" in lines["twilio signed round trip"][1]
    gone.close()


def test_local_only_skips_the_providers(line: Runtime, fake_twilio: FakeTwilio) -> None:
    sms_rota(line, 1)
    code, lines = _doctor(line, "--local-only")
    assert code == 0 and "twilio webhook" not in lines
    assert fake_twilio.requests == 0


def test_another_installs_rota_key_is_a_problem(line: Runtime, fake_twilio: FakeTwilio) -> None:
    """A second 'tipline init' sharing the console secrets folder replaced the rota key: alerts are off."""
    sms_rota(line, 1)
    key = line.settings.oncall_key_dir / "oncall-rota.key"
    key.write_bytes(bytes(32))
    code, lines = _doctor(line, "--local-only")
    assert code == 1 and lines["rota key"][0] == "PROBLEM"
    assert "not this database's" in lines["rota key"][1] and "no on-call alert" in lines["rota key"][1]


def test_the_probe_needs_a_valid_signature_and_stores_nothing(line: Runtime) -> None:
    import httpx

    url = line.settings.public_base_url + "/webhooks/twilio/sms"
    answer = httpx.post(url, data={probe.FIELD: "n" * 20}, headers={"X-Twilio-Signature": "bm9wZQ=="})
    assert answer.status_code == 403 and probe.HEADER not in answer.headers
    answer = httpx.post(line.settings.public_base_url + "/webhooks/telegram", json={},
                        headers={probe.HEADER: "n" * 20})
    assert answer.status_code == 403


def test_the_secrets_folder_check_reads_modes(tmp_path: Path) -> None:
    from tipline.doctor_checks import folder

    root = tmp_path / "s"
    (root / "ratchet").mkdir(parents=True, mode=0o700)
    root.chmod(0o700)
    (root / "ratchet" / "lookup").write_bytes(b"k")
    (root / "ratchet" / "lookup").chmod(0o600)
    assert folder("secrets", root).status == "OK"
    (root / "ratchet").chmod(0o750)
    found = folder("secrets", root)
    assert found.status == "PROBLEM" and "s/ratchet" in found.detail
    assert folder("secrets", tmp_path / "missing").status == "PROBLEM"
    assert folder("secrets", tmp_path / "missing", required=False).status == "SKIPPED"


def test_an_admin_passphrase_file_others_can_read_is_a_problem(line: Runtime, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``printf ... > file`` under umask 022 leaves the first admin's passphrase readable by every user."""
    secret = tmp_path / "admin-passphrase"
    secret.write_text("correct horse battery staple")
    secret.chmod(0o644)
    monkeypatch.setenv("TIPLINE_ADMIN_PASSPHRASE_FILE", str(secret))
    code, lines = _doctor(line, "--local-only")
    status, detail = lines["admin passphrase file"]
    assert code == 1 and status == "PROBLEM" and "readable by others (mode 0644)" in detail and "chmod 600" in detail
    secret.chmod(0o640)
    assert "readable by its group" in _doctor(line, "--local-only")[1]["admin passphrase file"][1]
    secret.chmod(0o600)
    assert _doctor(line, "--local-only")[1]["admin passphrase file"][0] == "OK"
    monkeypatch.delenv("TIPLINE_ADMIN_PASSPHRASE_FILE")
    assert "admin passphrase file" not in _doctor(line, "--local-only")[1]  # none set: no line
