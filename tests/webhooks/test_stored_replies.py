"""Replies kept for a redelivery (issue 9, finding 3): Twilio's only until delivered or its retry
window passes, Telegram's never (its replies go through the outbox, once)."""

from __future__ import annotations

import re
import time

from flask.testing import FlaskClient
from sqlalchemy import text

from storage import inbound
from tests.fakes.telegram import FakeTelegram
from tests.webhooks.helpers import (
    INTERVIEW, LINE, STATUS_PATH, post_sms, post_tg, sms_params, stored_rows, tg_message, twiml_messages,
)
from tipline.jobs import Jobs
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender

_HANDLE = re.compile(rb'action="https://bot\.example\.org/webhooks/twilio/status\?r=([0-9a-f]{64})"')


def kept_replies(rt: Runtime) -> int:
    with rt.db.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM inbound WHERE response IS NOT NULL")).scalar_one())


def delivered(client: FlaskClient, handle: str, reporter: str, status: str = "delivered") -> None:
    params = {"MessageSid": "SM" + "ef" * 16, "MessageStatus": status, "To": reporter, "From": LINE,
              "AccountSid": "AC" + "1" * 32}
    assert post_sms(client, params, path=STATUS_PATH, query=f"r={handle}").status_code == 204


def test_a_redelivery_gets_the_same_twiml_until_the_reply_is_delivered_then_no_new_step(
    client: FlaskClient, rt: Runtime,
) -> None:
    reporter = "+14155550161"
    post_sms(client, sms_params("hi", sender=reporter))
    params = sms_params("2", sender=reporter)
    first = post_sms(client, params)
    again = post_sms(client, params)
    assert first.data == again.data and twiml_messages(first)  # inside the window: the same TwiML
    [handle] = set(_HANDLE.findall(first.data))
    assert handle.decode() in {k.hex() for k in inbound.inbound_keys(rt.intake.epochs, "sms", params["MessageSid"])}
    before = stored_rows(rt)
    delivered(client, handle.decode(), reporter)
    assert kept_replies(rt) == 1  # only the first message's ("hi") replies are left
    late = post_sms(client, params)
    assert twiml_messages(late) == []  # recognised: no reply, and no new interview step
    after = stored_rows(rt)
    assert after["inbound"] == before["inbound"] and after["outbox"] == before["outbox"]
    # The interview goes on from where the first delivery left it, as a reporter's who had no redelivery.
    control = "+14155550164"
    for answer in ("hi", "2"):
        post_sms(client, sms_params(answer, sender=control))
    expected = twiml_messages(post_sms(client, sms_params("1", sender=control)))
    assert twiml_messages(post_sms(client, sms_params("1", sender=reporter))) == expected


def test_a_forged_or_unsigned_handle_removes_nothing(client: FlaskClient, rt: Runtime) -> None:
    reporter = "+14155550162"
    response = post_sms(client, sms_params("hi", sender=reporter))
    [handle] = set(_HANDLE.findall(response.data))
    delivered(client, "00" * 32, reporter)  # a well-formed handle of no row
    delivered(client, "not-hex", reporter)  # ignored, still a 204 for Twilio
    params = {"MessageSid": "SM" + "ef" * 16, "MessageStatus": "delivered", "To": reporter, "From": LINE}
    forged = post_sms(client, params, path=STATUS_PATH, query=f"r={handle.decode()}", signature="bogus")
    assert forged.status_code == 403
    delivered(client, handle.decode(), reporter, status="sending")  # not final: Twilio may still need them
    assert kept_replies(rt) == 1


def test_the_closing_reply_with_the_code_is_not_kept_past_twilios_retry_window(
    client: FlaskClient, rt: Runtime,
) -> None:
    reporter = "+14155550163"
    for answer in INTERVIEW[:-1]:
        post_sms(client, sms_params(answer, sender=reporter))
    closing = sms_params(INTERVIEW[-1], sender=reporter)
    replies = twiml_messages(post_sms(client, closing))
    assert "reference code" in " ".join(replies)
    assert twiml_messages(post_sms(client, closing)) == replies  # a prompt retry still gets its code
    report = Jobs(rt, clock=lambda: time.time() + inbound.REPLY_RETENTION + 1).run_once()
    assert report["cleared_replies"] == len(INTERVIEW)
    assert kept_replies(rt) == 0
    assert twiml_messages(post_sms(client, closing)) == []  # acknowledged, the code not repeated


def test_telegram_redelivery_is_acknowledged_with_no_body_kept_and_no_second_reply(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram,
) -> None:
    update = tg_message("hello", chat_id=777)
    assert post_tg(client, update).status_code == 200
    sender.run_once()
    first = fake_telegram.texts(777)
    assert first
    assert kept_replies(rt) == 0 and stored_rows(rt)["inbound"] == 1
    for _ in range(3):
        assert post_tg(client, update).status_code == 200
    sender.run_once()
    assert fake_telegram.texts(777) == first  # nothing lost, nothing doubled
    assert stored_rows(rt)["outbox"] == 0
