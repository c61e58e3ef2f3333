"""Whole interviews typed in six languages over both webhooks (issue 10, "How it is checked").

The engine-level version is tests/bot/test_language_wiring.py; here the same words go
through the public app as the providers send them (a signed Twilio form, a Telegram
update), with the line offering English and the six languages (ti named, as it is
opt-in).  Replies are read where the reporter reads them (the TwiML; the fake Bot API
after the sender ran) and must be the pending question in the reporter's language, as
the catalog words it; the sealed tip must hold the words typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Callable

import pytest
from flask.testing import FlaskClient

from tests.bot.test_language_wiring import INTERVIEWS
from tests.conversation.test_reporter_scripts import TipView, read_tips
from tests.fakes.telegram import FakeTelegram
from tests.webhooks.helpers import post_sms, post_tg, sms_params, tg_message, twiml_messages
from tipline.runtime import Runtime
from tipline.settings import Settings
from webhooks.sender import OutboxSender

SMS, TELEGRAM = "sms", "telegram"
SIX = ("ar", "zh", "ti", "ht", "vi", "es")
# Digits as the reporter's keyboard types them: Arabic-Indic on an Arabic layout, full-width
# from a Chinese input method; the other four write ASCII digits.
_SCRIPT_DIGITS = {"ar": "٠١٢٣٤٥٦٧٨٩", "zh": "０１２３４５６７８９"}
_numbers = count(1)
_chats = count(770000)


@dataclass(frozen=True)
class Words:
    """What a reporter types in one language (the engine test's table)."""

    account: str
    yes: str
    no: str
    lang: str
    done: str
    exit: str


WORDS = {row[0]: Words(*row[1:]) for row in INTERVIEWS}


@dataclass(frozen=True)
class Reply:
    """Everything the line sent back to one message: the texts, and on Telegram the buttons' labels."""

    text: str
    buttons: tuple[str, ...] | None = None  # None: SMS, which has none


Send = Callable[[str], Reply]


def digits(locale: str, typed: str) -> str:
    script = _SCRIPT_DIGITS.get(locale)
    return typed.translate(str.maketrans("0123456789", script)) if script else typed


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The shared fixture pins an English-only line; this one offers the six, ti by name.
    return settings.with_(locales=("en", *SIX))


@pytest.fixture(params=[SMS, TELEGRAM])
def new_reporter(request: pytest.FixtureRequest, client: FlaskClient, sender: OutboxSender,
                 fake_telegram: FakeTelegram) -> Callable[[], Send]:
    """A factory of reporters, each texting the line from its own number or chat."""
    if request.param == SMS:
        return lambda: _sms_reporter(client, f"+1202556{next(_numbers):04d}")
    return lambda: _telegram_reporter(client, sender, fake_telegram, next(_chats))


def _sms_reporter(client: FlaskClient, number: str) -> Send:
    def send(text: str) -> Reply:
        return Reply("\n".join(twiml_messages(post_sms(client, sms_params(text, sender=number)))))

    return send


def _telegram_reporter(client: FlaskClient, sender: OutboxSender, fake: FakeTelegram, chat: int) -> Send:
    message_ids = count(1)

    def send(text: str) -> Reply:
        before = len(fake.messages(chat))
        # The app's language stays English: the words typed decide the conversation's language.
        assert post_tg(client, tg_message(text, chat_id=chat, message_id=next(message_ids))).status_code == 200
        sender.run_once()
        sent = fake.messages(chat)[before:]
        return Reply("\n".join(m.text for m in sent), tuple(str(b["text"]) for m in sent for row in m.buttons
                                                           for b in row))

    return send


def _only_tip(rt: Runtime) -> TipView:
    found = read_tips(rt)
    assert len(found) == 1, len(found)
    return found[0]


@pytest.mark.parametrize("locale", SIX)
def test_a_witness_interview_typed_in_the_language(rt: Runtime, new_reporter: Callable[[], Send],
                                                   locale: str) -> None:
    words, say, text = WORDS[locale], new_reporter(), rt.engine.catalogs.text
    assert text(locale, "q.A2") in say(words.account).text  # the account decides the language
    assert text(locale, "q.A4") in say(words.no).text
    assert text(locale, "q.B2") in say(digits(locale, "1")).text  # someone else
    assert text(locale, "q.B3") in say(digits(locale, "1 3")).text  # work, and a shop: any minors?
    closing = say(words.done).text
    assert text(locale, "q.F3").split("{code}")[0] in closing and "911" in closing
    tip = _only_tip(rt)
    assert tip.answers == {"B1": words.account, "A2": "no", "A4": "other", "B2": ["work", "shop"]}
    assert tip.alerts == 0 and tip.priority != "P1"


@pytest.mark.parametrize("locale", SIX)
def test_danger_then_lang_then_exit_typed_in_the_language(rt: Runtime, new_reporter: Callable[[], Send],
                                                          locale: str) -> None:
    words, say, text = WORDS[locale], new_reporter(), rt.engine.catalogs.text
    other = SIX[(SIX.index(locale) + 1) % len(SIX)]
    say(words.account)
    urgent = say(words.yes).text
    assert 0 <= urgent.find("911") < urgent.find(text(locale, "q.A4"))  # the number first, then on in the language
    tip = _only_tip(rt)
    assert tip.priority == "P1" and tip.alerts == 1 and tip.answers == {"B1": words.account, "A2": "yes"}
    menu = say(words.lang)  # LANG mid-interview: a menu in the language, the language itself first
    assert text(locale, "reply.lang_menu") in menu.text and "\na " + text(locale, "lang.name") + "\n" in menu.text
    assert menu.buttons is None or menu.buttons[0] == text(locale, "lang.name")  # Telegram: the first button too
    assert text(other, "q.A4") in say(text(other, "lang.name")).text  # picked by its name: on in that language
    assert text(other, "q.B2") in say(digits(other, "1")).text
    ended = say(words.exit).text  # the reporter's own word for EXIT still ends it
    assert ended.startswith(text(other, "reply.exit"))
    tip = _only_tip(rt)
    assert tip.alerts == 1 and tip.answers == {"B1": words.account, "A2": "yes", "A4": "other"}
