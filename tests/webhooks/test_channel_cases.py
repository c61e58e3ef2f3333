"""Issue 8's channel cases: what Telegram and Twilio send besides plain text.

Every provider payload is delivered twice (providers redeliver): the second delivery
must change nothing the reporter or staff would see.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conversation.test_reporter_scripts import read_tips
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import (
    SAMPLES, STATUS_PATH, outbox_items, post_sms, post_tg, sms_params, tg_callback, tg_message, twiml_messages,
)
from tests.webhooks.test_twilio import _queue_followup
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender
from webhooks.twilio_body import decode_possible_base64

MEDIA_NOTICE = "Pictures and files are not kept"
PLACE = {"latitude": 51.507351, "longitude": -0.127758}
CONTACT_NUMBER = "+447700900461"


def _twice(client: FlaskClient, update: dict[str, Any]) -> Any:
    """Deliver one update twice, as Telegram does after a lost answer; both get the same 200."""
    first = post_tg(client, update)
    second = post_tg(client, update)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    return first


def _say(client: FlaskClient, sender: OutboxSender, chat: int, *texts: str) -> None:
    for text in texts:
        assert post_tg(client, tg_message(text, chat_id=chat)).status_code == 200
        sender.run_once()


def _new_texts(fake: FakeTelegram, chat: int, before: int) -> list[str]:
    return fake.texts(chat)[before:]


# -- Telegram: a location, venue or contact is never kept --------------------------------------

_SHARES: dict[str, dict[str, Any]] = {
    "location": {"location": PLACE},
    "venue": {"venue": {"location": PLACE, "title": "Mill Road Car Wash", "address": "12 Mill Road"},
              "location": PLACE},
    "contact": {"contact": {"phone_number": CONTACT_NUMBER, "first_name": "Boss", "user_id": 31337}},
}


@pytest.mark.parametrize("kind", sorted(_SHARES))
def test_a_shared_place_or_contact_is_never_kept(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram, kind: str
) -> None:
    chat = 7100
    _say(client, sender, chat, "hi", "2", "1", "Workers at the car wash never leave")
    before = len(fake_telegram.texts(chat))
    _twice(client, tg_message(None, chat_id=chat, **_SHARES[kind]))
    sender.run_once()
    answer = _new_texts(fake_telegram, chat, before)
    assert len(answer) >= 1  # answered once, not twice
    assert not any(MEDIA_NOTICE in t for t in answer)  # it is not a file: the line asks in words
    assert any("not kept" in t and "in words" in t for t in answer)
    _say(client, sender, chat, "DONE")
    [tip] = read_tips(rt)
    assert "Workers at the car wash never leave" in tip.text
    for secret in ("51.507", "-0.127", "Mill Road", CONTACT_NUMBER, "31337", "Boss"):
        assert secret not in tip.text


def test_a_live_location_moving_is_not_a_new_message(
    client: FlaskClient, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 7101
    _say(client, sender, chat, "hi")
    before = len(fake_telegram.texts(chat))
    moved = tg_message(None, chat_id=chat, location={**PLACE, "live_period": 900})
    moved["edited_message"] = moved.pop("message")
    moved["edited_message"]["edit_date"] = int(time.time())
    _twice(client, moved)
    sender.run_once()
    assert _new_texts(fake_telegram, chat, before) == []


# -- Telegram: an update python-telegram-bot cannot parse ---------------------------------------

def _unparseable(text: str | None, chat: int, **extra: Any) -> dict[str, Any]:
    update = tg_message(text, chat_id=chat, **extra)
    del update["message"]["from"]["is_bot"]  # PTB refuses a user without is_bot (Telegram's own examples)
    return update


def test_an_unparseable_message_still_gives_its_words(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 7200
    _say(client, sender, chat, "hi", "2", "1")
    before = len(fake_telegram.texts(chat))
    _twice(client, _unparseable("A man holds the passports of the kitchen staff", chat))
    sender.run_once()
    assert "where" in "\n".join(_new_texts(fake_telegram, chat, before)).lower()  # the next question, once
    _say(client, sender, chat, "DONE")
    [tip] = read_tips(rt)
    assert "A man holds the passports of the kitchen staff" in tip.text


def test_an_unparseable_caption_is_read_and_the_file_is_not(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 7201
    _say(client, sender, chat, "hi", "2", "1")
    before = len(fake_telegram.texts(chat))
    photo = _unparseable(None, chat, caption="the van outside the farm every night",
                         photo=[{"file_id": "x", "width": 90, "height": 90}])  # no file_unique_id either
    _twice(client, photo)
    sender.run_once()
    assert any(MEDIA_NOTICE in t for t in _new_texts(fake_telegram, chat, before))
    _say(client, sender, chat, "DONE")
    [tip] = read_tips(rt)
    assert "the van outside the farm every night" in tip.text


def test_an_unparseable_message_without_words_tells_what_was_not_read(
    client: FlaskClient, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    voice = json.loads((SAMPLES / "tg_aiogram_update_voice.json").read_text())  # a Voice without file_unique_id
    chat = voice["message"]["chat"]["id"]
    _say(client, sender, chat, "hi")
    before = len(fake_telegram.texts(chat))
    _twice(client, voice)
    sender.run_once()
    said = _new_texts(fake_telegram, chat, before)
    assert len(said) == 1 and MEDIA_NOTICE in said[0] and "Please use text" in said[0]


def test_telegrams_own_example_message_starts_a_conversation(
    client: FlaskClient, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    guide = json.loads((SAMPLES / "tg_official_guide_message_text.json").read_text())  # "/start", no is_bot
    _twice(client, guide)
    sender.run_once()
    [first] = fake_telegram.texts(guide["message"]["chat"]["id"])
    assert "danger" in first.lower()


# -- Telegram: an edited message is read as a new message ---------------------------------------

def test_an_edit_is_read_as_a_new_message(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 7300
    _say(client, sender, chat, "hi", "2", "1", "workers at the farm")
    before = len(fake_telegram.texts(chat))
    edit = tg_message("they never leave and a man holds their papers", chat_id=chat, message_id=4)
    edit["edited_message"] = edit.pop("message")
    edit["edited_message"]["edit_date"] = int(time.time())
    _twice(client, edit)
    sender.run_once()
    assert len(_new_texts(fake_telegram, chat, before)) >= 1  # answered, and only once
    after_edit = len(fake_telegram.texts(chat))
    _say(client, sender, chat, "DONE")
    assert len(fake_telegram.texts(chat)) > after_edit
    [tip] = read_tips(rt)
    assert "workers at the farm" in tip.text
    assert "a man holds their papers" in tip.text


def test_the_edit_sample_is_answered_once(
    client: FlaskClient, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    edit = json.loads((SAMPLES / "tg_rasa_edited_message.json").read_text())  # "Hello!", edited
    _twice(client, edit)
    sender.run_once()
    # Read as a new message (an English-only line here): the first reply, once, not twice.
    [first] = fake_telegram.texts(edit["edited_message"]["chat"]["id"])
    assert "danger" in first.lower()


# -- Telegram: every callback query is answered ------------------------------------------------

def _answered(response: Any, query_id: str) -> None:
    assert response.json == {"method": "answerCallbackQuery", "callback_query_id": query_id}


def test_every_callback_shape_is_answered(client: FlaskClient, sender: OutboxSender,
                                          fake_telegram: FakeTelegram) -> None:
    guide = json.loads((SAMPLES / "tg_official_guide_callback_query.json").read_text())  # PTB cannot parse it
    _answered(_twice(client, guide), guide["callback_query"]["id"])
    no_message = tg_callback("A2:no", chat_id=7400)
    del no_message["callback_query"]["message"]
    _answered(_twice(client, no_message), no_message["callback_query"]["id"])
    inaccessible = tg_callback("A2:no", chat_id=7401)
    inaccessible["callback_query"]["message"] = {"message_id": 3, "date": 0, "chat": {"id": 7401, "type": "private"}}
    _answered(_twice(client, inaccessible), inaccessible["callback_query"]["id"])
    group = tg_callback("A2:no", chat_id=-100555)
    group["callback_query"]["message"]["chat"] = {"id": -100555, "type": "supergroup", "title": "g"}
    _answered(_twice(client, group), group["callback_query"]["id"])
    no_update_id = tg_callback("A2:no", chat_id=7402)
    del no_update_id["update_id"]
    _answered(_twice(client, no_update_id), no_update_id["callback_query"]["id"])
    sender.run_once()
    assert fake_telegram.texts(-100555) == []


# -- Twilio: base64 bodies, decoded only as courier does it -------------------------------------

CONCATENATED = ("There is a house on Mill Road where the women are locked in at night and a man takes "
                "all of their money. “They” never go out alone.")


@pytest.mark.parametrize("body, decoded", [
    (base64.b64encode(CONCATENATED.encode()).decode(), CONCATENATED),
    # Twilio may wrap the encoding in lines: they are removed before decoding.
    (base64.encodebytes(CONCATENATED.encode()).decode().replace("\n", "\r\n"), CONCATENATED),
    ("MENU", "MENU"),
    ("aide", "aide"),
    ("SGVsbG8gdGhlcmU=", "SGVsbG8gdGhlcmU="),  # valid base64, but under 60 characters
    ("a" * 64, "a" * 64),  # valid base64 decoding to bytes that are not text
    (base64.b64encode(bytes(range(128, 176))).decode(), base64.b64encode(bytes(range(128, 176))).decode()),
    ("A" * 61, "A" * 61),  # not a multiple of 4
    ("QmFubm9u" * 8 + "Q===", "QmFubm9u" * 8 + "Q==="),  # bad padding
    ("Workers at the farm never leave and a man holds their papers now", None),
])
def test_base64_bodies_decode_only_by_couriers_rule(body: str, decoded: str | None) -> None:
    assert decode_possible_base64(body) == (body if decoded is None else decoded)


def test_a_base64_body_reaches_the_tip_decoded(client: FlaskClient, rt: Runtime) -> None:
    reporter = "+14155550171"
    for text in ["hi", "2", "1"]:
        twiml_messages(post_sms(client, sms_params(text, sender=reporter)))
    params = sms_params(base64.b64encode(CONCATENATED.encode()).decode(), sender=reporter)
    first, second = post_sms(client, params), post_sms(client, params)
    assert twiml_messages(first) == twiml_messages(second) != []
    twiml_messages(post_sms(client, sms_params("DONE", sender=reporter)))
    [tip] = read_tips(rt)
    assert CONCATENATED in tip.text


def test_menu_and_aide_are_read_as_typed(client: FlaskClient) -> None:
    reporter = "+14155550172"
    twiml_messages(post_sms(client, sms_params("hi", sender=reporter)))
    menu = "\n".join(twiml_messages(post_sms(client, sms_params("MENU", sender=reporter))))
    assert "SKIP" in menu and "EXIT" in menu


# -- Twilio: a 21610 status callback stops a running conversation at once ----------------------

def _status_21610(client: FlaskClient, recipient: str) -> None:
    params = {"ErrorCode": "21610", "MessageSid": "SM" + "e" * 32, "MessageStatus": "failed", "To": recipient}
    for _ in range(2):
        assert post_sms(client, params, path=STATUS_PATH).status_code == 204


def test_a_21610_status_callback_silences_a_running_conversation(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_twilio: FakeTwilio
) -> None:
    reporter = "+14155550181"
    assert twiml_messages(post_sms(client, sms_params("hi", sender=reporter)))
    assert twiml_messages(post_sms(client, sms_params("2", sender=reporter)))
    _queue_followup(rt, "sms", reporter, "a pushed follow-up")
    _status_21610(client, reporter)
    assert outbox_items(rt) == []  # what was pending is cancelled
    sender.run_once()
    assert fake_twilio.created == []
    # The reporter goes on writing: what they give is kept, nothing is answered.
    for text in ["1", "A man keeps the workers passports", "1"]:
        params = sms_params(text, sender=reporter)
        assert twiml_messages(post_sms(client, params)) == []
        assert twiml_messages(post_sms(client, params)) == []
    # START (the carrier answers it itself) lifts the opt-out: the line answers again.
    assert twiml_messages(post_sms(client, sms_params("START", sender=reporter))) == []
    assert twiml_messages(post_sms(client, sms_params("2", sender=reporter)))
    twiml_messages(post_sms(client, sms_params("DONE", sender=reporter)))
    [tip] = read_tips(rt)
    assert "A man keeps the workers passports" in tip.text


def test_a_21610_refusal_while_sending_silences_the_conversation_too(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_twilio: FakeTwilio
) -> None:
    reporter = "+14155550182"
    assert twiml_messages(post_sms(client, sms_params("hi", sender=reporter)))
    fake_twilio.opted_out.add(reporter)
    _queue_followup(rt, "sms", reporter, "a pushed follow-up")
    sender.run_once()
    assert twiml_messages(post_sms(client, sms_params("2", sender=reporter))) == []
    assert twiml_messages(post_sms(client, sms_params("1", sender=reporter))) == []
