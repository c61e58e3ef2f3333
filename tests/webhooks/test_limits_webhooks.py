"""The abuse limits behind the real webhooks (issue 13): Twilio answers in TwiML, Telegram through
the outbox; every delivery gets a 200, the flooder one polite reply, and the held messages wait."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import (
    build_runtime, channel_settings, new_sender, post_sms, post_tg, sms_params, table_count, tg_message, twiml_messages,
)
from tipline.app import create_public_app
from tipline.runtime import Runtime
from tipline.settings import Settings

LIMIT = 3
SLOW_DOWN = "You have sent many messages quickly"


@pytest.fixture
def limited_rt(settings: Settings, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio) -> Iterator[Runtime]:
    runtime = build_runtime(settings, rate_per_minute=LIMIT, **channel_settings(settings, fake_telegram, fake_twilio))
    yield runtime
    runtime.close()


def test_an_sms_flooder_gets_one_polite_twiml_reply_and_every_delivery_a_200(limited_rt: Runtime) -> None:
    client = create_public_app(limited_rt.settings, limited_rt).test_client()
    answers = [twiml_messages(post_sms(client, sms_params(t, sender="+14155550999")))
               for t in ["hi", "2", "1", "a", "b", "c"]]
    assert all(answers[i] and SLOW_DOWN not in answers[i][0] for i in range(LIMIT))
    assert [SLOW_DOWN in " ".join(a) for a in answers[LIMIT:]] == [True, False, False]
    assert answers[LIMIT + 1:] == [[], []]
    assert table_count(limited_rt, "held_message") == 3
    # A redelivery of the held message with the polite reply gets it again, and is not held twice.
    params = sms_params("again", sender="+14155550999", sid="SM" + "7" * 32)
    first, again = post_sms(client, params), post_sms(client, params)
    assert twiml_messages(first) == twiml_messages(again)
    assert table_count(limited_rt, "held_message") == 4
    # Another sender is answered as usual.
    assert SLOW_DOWN not in " ".join(twiml_messages(post_sms(client, sms_params("hi", sender="+14155550888"))))


def test_a_telegram_flooder_gets_one_polite_reply_through_the_outbox(
    limited_rt: Runtime, fake_telegram: FakeTelegram,
) -> None:
    client = create_public_app(limited_rt.settings, limited_rt).test_client()
    for text in ["hi", "2", "1", "a", "b", "c"]:
        assert post_tg(client, tg_message(text, chat_id=5151)).status_code == 200
    sender = new_sender(limited_rt)
    try:
        while sender.run_once():
            pass
    finally:
        sender.close()
    texts = [m.text for m in fake_telegram.messages(5151)]
    assert sum(SLOW_DOWN in t for t in texts) == 1, texts
    assert table_count(limited_rt, "held_message") == 3
