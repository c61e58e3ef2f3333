"""The marker test through the real webhooks: good paths, bad input and error paths.

Markers go into SMS, WhatsApp and Telegram messages (answers, follow-ups by code,
wrong codes, bad signatures, malformed and unhandled updates); then every byte of
the database and every log record (at DEBUG, library loggers included) is searched.
"""

from __future__ import annotations

import logging
import re

import pytest
from flask.testing import FlaskClient

from tests.test_no_plaintext import _database_bytes, _needles
from tests.webhooks.helpers import post_sms, post_tg, sms_params, tg_message, twiml_messages
from tipline.logs import install_library_guards
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
SMS_FROM = "+15557770456"
WA_FROM = "whatsapp:+447700900456"
CHAT = 918273645599
CORE = ["2", "1", None, "1", "2", "1 2", "1", "0", "2", "1", "2"]  # None: the marker account


def _sms(client: FlaskClient, sender: str, text: str) -> list[str]:
    return twiml_messages(post_sms(client, sms_params(text, sender=sender)))


def test_markers_never_reach_database_or_logs_through_the_webhooks(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, caplog: pytest.LogCaptureFixture
) -> None:
    install_library_guards()
    caplog.set_level(logging.DEBUG)
    markers = [f"KOALA{i}MARKER" for i in range(12)]
    codes: list[str] = []
    for who, mark in ((SMS_FROM, markers[0]), (WA_FROM, markers[1])):
        replies = _sms(client, who, "hi")
        for line in CORE:
            replies = _sms(client, who, line if line is not None else f"I saw {mark} at the laundry")
        codes += CODE.findall("\n".join(replies))
    # Telegram: an interview with a marker, an edit, a sticker, a group message, broken JSON.
    assert post_tg(client, tg_message("/start", chat_id=CHAT)).status_code == 200
    for line in ["2", "1", f"Workers at {markers[2]} never leave"]:
        assert post_tg(client, tg_message(line, chat_id=CHAT)).status_code == 200
    edited = tg_message(f"edit {markers[3]}", chat_id=CHAT)
    edited["edited_message"] = edited.pop("message")
    assert post_tg(client, edited).status_code == 200
    assert post_tg(client, tg_message(None, chat_id=CHAT, sticker={"file_id": markers[4]})).status_code == 200
    group = tg_message(f"group {markers[5]}", chat_id=-100123)
    group["message"]["chat"]["type"] = "group"
    assert post_tg(client, group).status_code == 200
    raw = ('{"update_id": 77, "message": {"text": "%s", "chat": {"id": %d}}' % (markers[6], CHAT)).encode()
    assert post_tg(client, None, raw=raw).status_code == 200
    # A shared contact and venue (never kept, issue 8), and a message PTB cannot parse (no is_bot).
    contact = {"phone_number": "+15557770333", "first_name": markers[11], "user_id": 5557770333}
    assert post_tg(client, tg_message(None, chat_id=CHAT, contact=contact)).status_code == 200
    venue = {"location": {"latitude": 1.5, "longitude": 2.5}, "title": f"Venue {markers[11]}", "address": "x"}
    assert post_tg(client, tg_message(None, chat_id=CHAT, venue=venue, location=venue["location"])).status_code == 200
    unparseable = tg_message(f"raw {markers[11]}", chat_id=CHAT)
    del unparseable["message"]["from"]["is_bot"]
    assert post_tg(client, unparseable).status_code == 200
    assert post_tg(client, tg_message("DONE", chat_id=CHAT)).status_code == 200
    sender.run_once()
    # Follow-up by code from another app, a typo, a wrong code; then an addendum.
    assert codes
    assert post_tg(client, tg_message(codes[0], chat_id=CHAT + 1)).status_code == 200
    assert post_tg(client, tg_message(f"Also {markers[7]} on Fridays", chat_id=CHAT + 1)).status_code == 200
    _sms(client, "+15557770999", codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3"))
    _sms(client, "+15557770999", "ZZZZ-ZZZZ-ZZZZ1")
    # Bad signatures and bad bodies carry markers too, and must store nothing.
    post_sms(client, sms_params(f"forged {markers[8]}", sender="+15557770111"), signature="bad")
    client.post("/webhooks/twilio/sms", data=f"Body={markers[9]}&From=%2B15557770222",
                content_type="application/x-www-form-urlencoded")
    post_tg(client, tg_message(f"wrong secret {markers[10]}", chat_id=CHAT + 2), secret="nope")
    sender.run_once()
    stored = _database_bytes(rt)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records).encode()
    needles = _needles(markers, codes) + [str(CHAT).encode(), str(CHAT + 1).encode(), b"+15557770999",
                                          b"+15557770333", b"5557770333"]
    for needle in needles:
        assert needle not in stored, f"planted value in the database: {needle[:14]!r}"
        assert needle not in logged, f"planted value in the logs: {needle[:14]!r}"
