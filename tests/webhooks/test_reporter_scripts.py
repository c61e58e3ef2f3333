"""The reporter scripts (tests/conversation/scripts.toml) over both webhooks, with the same expectations.

Each message goes through the public app as its provider sends it (a signed Twilio
form, a Telegram update) and is delivered twice: the redelivery must be answered
exactly as the first delivery (Twilio) or not at all (Telegram).  Replies are read
where the reporter reads them: the TwiML, or the fake Bot API after the sender ran.
A script runs over the webhooks its ``webhooks`` key names (both by default): only
where a channel truly differs (carrier words on SMS) does the table say otherwise.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conversation.test_reporter_scripts import SCRIPTS, expand, read_tips, run_script
from tests.fakes.telegram import FakeTelegram
from tests.webhooks.helpers import LINE, post_sms, post_tg, sms_params, tg_message, twiml_messages
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender

SMS, TELEGRAM = "sms", "telegram"
_chats = count(880000)
_numbers = count(1)


def _cases(webhook: str) -> list[Any]:
    return [pytest.param(s, id=s["name"]) for s in SCRIPTS if webhook in s.get("webhooks", [SMS, TELEGRAM])]


@pytest.mark.parametrize("script", _cases(SMS))
def test_reporter_script_over_twilio(client: FlaskClient, rt: Runtime, script: dict[str, Any]) -> None:
    whatsapp = script.get("channel") == "whatsapp"
    number = f"+1202555{next(_numbers):04d}"
    sender = "whatsapp:" + number if whatsapp else number
    to = "whatsapp:" + LINE if whatsapp else LINE

    def send(text: str) -> list[str]:
        params = sms_params(expand(text), sender=sender, To=to)
        first, again = post_sms(client, params), post_sms(client, params)
        replies = twiml_messages(first)
        assert twiml_messages(again) == replies, (script["name"], "a redelivery is answered the same")
        return replies

    run_script(script, send, lambda: read_tips(rt))


@pytest.mark.parametrize("script", _cases(TELEGRAM))
def test_reporter_script_over_telegram(client: FlaskClient, rt: Runtime, sender: OutboxSender,
                                       fake_telegram: FakeTelegram, script: dict[str, Any]) -> None:
    chat = next(_chats)
    message_ids = count(1)

    def send(text: str) -> list[str]:
        update = tg_message(expand(text), chat_id=chat, message_id=next(message_ids))
        before = len(fake_telegram.texts(chat))
        for _ in range(2):
            assert post_tg(client, update).status_code == 200
        sender.run_once()
        return fake_telegram.texts(chat)[before:]

    run_script(script, send, lambda: read_tips(rt))


def test_scripts_name_only_known_webhooks() -> None:
    for script in SCRIPTS:
        named = script.get("webhooks", [SMS, TELEGRAM])
        assert named and set(named) <= {SMS, TELEGRAM}, script["name"]
