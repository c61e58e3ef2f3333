"""The inbound spool: while the database does not answer, authenticated messages are kept on disk
(sealed) and acknowledged; once it answers again the worker's drainer feeds them through the
normal intake path, in order, once each, with replies through the outbox to the fakes."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from storage.db import make_engine
from storage.epochs import EpochKeys, schedules
from storage.spool import Spool
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import (
    BASE_URL, INTERVIEW, TG_SECRET, TG_TOKEN, TW_SID, TW_TOKEN, new_sender, post_sms, post_tg, sms_params,
    tg_message, twiml_messages,
)
from tipline.app import create_public_app
from tipline.runtime import Runtime
from tipline.spooling import DEFAULT_SPOOL_REPLY
from triage.intake import IntakeService
from webhooks import register_channels
from webhooks.spooling import SpoolDrainer, SpoolKeeper

MARKER = "spoolmarker7Q9Z the foreman keeps our passports"
SENDER = "+14155550177"


def epoch_keys(rt: Runtime) -> EpochKeys:
    s = rt.settings
    keys = EpochKeys(s.secrets_dir,
                     schedules(idle_minutes=s.conversation_idle_minutes, followup_days=s.followup_days))
    keys.create_missing(start=time.time() - 3600)
    return keys


def unreachable(rt: Runtime, tmp_path: Path) -> Engine:
    """An engine whose database does not answer: a SQLite path that is a folder, or a closed port."""
    if rt.settings.is_sqlite:
        path = tmp_path / "down" / "tipline.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        path.mkdir()
        return engine
    return make_engine("postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2")


def down_intake(rt: Runtime, down: Engine) -> IntakeService:
    s = rt.settings
    return IntakeService(
        db=down, secrets=rt.secrets, epochs=rt.epochs, engine=rt.engine, region=rt.region, rules=rt.rules,
        routing=rt.routing, code_kdf=s.code_kdf, default_locale=s.default_locale,
        idle_seconds=s.conversation_idle_minutes * 60, followup_days=s.followup_days,
    )


def outage_app(rt: Runtime, down: Engine, spool: Spool) -> FlaskClient:
    """The public app as it runs while the database is away."""
    app = Flask("outage")
    register_channels(
        app, intake=down_intake(rt, down), db=down, secrets=rt.secrets, wake=lambda: None,
        twilio_account_sid=TW_SID, twilio_auth_token=TW_TOKEN,
        public_base_url=BASE_URL, telegram_bot_token=TG_TOKEN, telegram_webhook_secret=TG_SECRET,
        spool=SpoolKeeper(spool), spooled_reply=DEFAULT_SPOOL_REPLY,
    )
    return app.test_client()


@pytest.fixture
def keys(rt: Runtime) -> EpochKeys:
    return epoch_keys(rt)


@pytest.fixture
def spool(rt: Runtime, keys: EpochKeys) -> Spool:
    return Spool(rt.settings.data_dir / "spool", keys)


@pytest.fixture
def down(rt: Runtime, tmp_path: Path) -> Engine:
    return unreachable(rt, tmp_path)


def drain_and_deliver(rt: Runtime, spool: Spool) -> int:
    fed = SpoolDrainer(spool, intake=rt.intake, secrets=rt.secrets).run_once().fed
    sender = new_sender(rt)
    try:
        while sender.run_once():
            pass
    finally:
        sender.close()
    return fed


def spool_bytes(spool: Spool) -> bytes:
    return b"".join(p.read_bytes() for p in spool.folder.rglob("*.msg"))


def test_outage_spools_sealed_then_drain_gives_the_same_conversation(
    rt: Runtime, spool: Spool, down: Engine, client: FlaskClient, fake_twilio: FakeTwilio,
) -> None:
    texts = INTERVIEW[:3] + [MARKER]
    outage = outage_app(rt, down, spool)
    for text in texts:
        assert twiml_messages(post_sms(outage, sms_params(text, sender=SENDER))) == [DEFAULT_SPOOL_REPLY]
    assert spool.usage().files == len(texts)
    sealed = spool_bytes(spool)
    for plain in (b"spoolmarker7Q9Z", SENDER.encode(), SENDER[2:].encode(), b"passports"):
        assert plain not in sealed
    assert stat.S_IMODE(os.stat(spool.folder).st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in spool.ready.iterdir())

    # The same messages, handled live from another number, are what the drained conversation must give.
    expected = [m for text in texts for m in twiml_messages(post_sms(client, sms_params(text, sender="+14155550178")))]
    assert len(expected) >= len(texts)
    assert drain_and_deliver(rt, spool) == len(texts)
    assert fake_twilio.bodies_to(SENDER) == expected
    assert spool.usage().files == 0


def test_a_redelivery_during_the_outage_is_handled_once(
    rt: Runtime, spool: Spool, down: Engine, fake_twilio: FakeTwilio,
) -> None:
    outage = outage_app(rt, down, spool)
    first = sms_params("hi", sender=SENDER)
    for _ in range(2):  # Twilio's retry of a slow answer arrives while the first is spooled
        assert post_sms(outage, first).status_code == 200
    assert spool.usage().files == 2
    assert drain_and_deliver(rt, spool) == 2  # both fed; the second is the intake's duplicate
    once = list(fake_twilio.bodies_to(SENDER))
    assert once
    assert drain_and_deliver(rt, spool) == 0
    assert fake_twilio.bodies_to(SENDER) == once


def test_a_full_spool_answers_503(rt: Runtime, keys: EpochKeys, down: Engine) -> None:
    small = Spool(rt.settings.data_dir / "small", keys, max_files=1)
    outage = outage_app(rt, down, small)
    assert post_sms(outage, sms_params("hi", sender=SENDER)).status_code == 200
    full = post_sms(outage, sms_params("2", sender=SENDER))
    assert full.status_code == 503 and full.headers["Retry-After"]
    assert small.usage().files == 1


def test_unsigned_messages_are_never_spooled(rt: Runtime, spool: Spool, down: Engine) -> None:
    outage = outage_app(rt, down, spool)
    assert post_sms(outage, sms_params("hi"), signature="bad").status_code == 403
    assert post_tg(outage, tg_message("hi"), secret="wrong").status_code == 403
    assert spool.usage().files == 0


def test_telegram_outage_answers_200_and_replies_after_drain(
    rt: Runtime, spool: Spool, down: Engine, fake_telegram: FakeTelegram,
) -> None:
    outage = outage_app(rt, down, spool)
    response = post_tg(outage, tg_message(MARKER, chat_id=5151))
    assert response.status_code == 200 and response.data == b""
    assert spool.usage().files == 1 and b"spoolmarker7Q9Z" not in spool_bytes(spool)
    assert drain_and_deliver(rt, spool) == 1
    assert [s for s in fake_telegram.sent if s.chat_id == 5151]


def test_drain_waits_while_the_database_is_still_away(rt: Runtime, spool: Spool, down: Engine) -> None:
    outage = outage_app(rt, down, spool)
    post_sms(outage, sms_params("hi", sender=SENDER))
    report = SpoolDrainer(spool, intake=down_intake(rt, down), secrets=rt.secrets).run_once()
    assert report.stopped and report.fed == 0
    assert spool.pending() and not list(spool.claimed.iterdir())  # given back for the next round


def test_two_drainers_never_feed_the_same_file(rt: Runtime, spool: Spool, down: Engine) -> None:
    outage = outage_app(rt, down, spool)
    post_sms(outage, sms_params("hi", sender=SENDER))
    first = SpoolDrainer(spool, intake=rt.intake, secrets=rt.secrets)
    with spool.draining() as mine:
        assert mine
        assert first.run_once().skipped  # another process holds the spool: this one skips the round
    assert first.run_once().fed == 1


def test_after_recovery_a_sender_with_spooled_messages_queues_behind_them(
    rt: Runtime, spool: Spool, down: Engine, client: FlaskClient, keys: EpochKeys, fake_twilio: FakeTwilio,
) -> None:
    outage = outage_app(rt, down, spool)
    assert twiml_messages(post_sms(outage, sms_params("hi", sender=SENDER))) == [DEFAULT_SPOOL_REPLY]
    # The database is back but the worker has not drained yet: the live app (with its spool) keeps
    # this sender's next message behind the first, and answers others at once.
    live = live_app(rt, keys)
    assert twiml_messages(post_sms(live, sms_params("2", sender=SENDER))) == [DEFAULT_SPOOL_REPLY]
    assert twiml_messages(post_sms(live, sms_params("hi", sender="+14155550179"))) != [DEFAULT_SPOOL_REPLY]
    assert spool.usage().files == 2
    expected = [m for text in ("hi", "2")
                for m in twiml_messages(post_sms(client, sms_params(text, sender="+14155550178")))]
    assert drain_and_deliver(rt, spool) == 2
    assert fake_twilio.bodies_to(SENDER) == expected
    assert twiml_messages(post_sms(live, sms_params("1", sender=SENDER))) != [DEFAULT_SPOOL_REPLY]


def live_app(rt: Runtime, keys: EpochKeys) -> FlaskClient:
    return create_public_app(rt.settings, rt, epoch_keys=keys).test_client()


def test_interleaved_senders_each_get_their_own_conversation_in_order(
    rt: Runtime, spool: Spool, down: Engine, client: FlaskClient, fake_twilio: FakeTwilio,
) -> None:
    senders = ["+14155550181", "+14155550182", "+14155550183"]
    texts = INTERVIEW[:4]
    outage = outage_app(rt, down, spool)
    for text in texts:  # the senders' messages interleaved on disk; the drainer feeds senders in parallel
        for who in senders:
            assert post_sms(outage, sms_params(text, sender=who)).status_code == 200
    expected = [m for text in texts for m in twiml_messages(post_sms(client, sms_params(text, sender="+14155550189")))]
    assert drain_and_deliver(rt, spool) == len(texts) * len(senders)
    assert [fake_twilio.bodies_to(who) for who in senders] == [expected] * len(senders)


def test_a_file_past_its_epoch_window_is_deleted_unread(rt: Runtime, down: Engine) -> None:
    now = [time.time()]
    s = rt.settings
    keys = EpochKeys(s.secrets_dir, schedules(idle_minutes=s.conversation_idle_minutes, followup_days=s.followup_days),
                     clock=lambda: now[0])
    keys.create_missing(start=now[0] - 3600)
    old = Spool(s.data_dir / "old-spool", keys)
    assert post_sms(outage_app(rt, down, old), sms_params(MARKER, sender=SENDER)).status_code == 200
    now[0] += 26 * 3600  # past the spool's day: its hour key is refused on every process
    report = SpoolDrainer(old, intake=rt.intake, secrets=rt.secrets).run_once()
    assert (report.fed, report.expired) == (0, 1)
    assert old.usage().files == 0


def test_spooling_and_draining_log_no_text_number_or_id(
    rt: Runtime, spool: Spool, down: Engine, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    params = sms_params(MARKER, sender=SENDER)
    post_sms(outage_app(rt, down, spool), params)
    SpoolDrainer(spool, intake=down_intake(rt, down), secrets=rt.secrets).run_once()  # still away
    drain_and_deliver(rt, spool)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "spool" in logged  # the spool did log (its events), so the check below read something
    for secret in ("spoolmarker7Q9Z", SENDER, SENDER[2:], params["MessageSid"]):
        assert secret not in logged
