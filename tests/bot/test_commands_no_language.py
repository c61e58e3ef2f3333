"""Retrial R2 and R3: a command says nothing about the reporter's language.  The English ``SIGNS``
the README names first and Telegram's ``/signs`` menu command answer in the conversation's language
and never switch it; a signs question in the conversation's own language ("trafficking ba to?", a
Taglish one) is answered there, never dropped by a switch."""

from __future__ import annotations

import pytest

from bot import Engine, build_engine
from bot.signs import SUMMARY
from bot.types import SMS, TELEGRAM, Context, Hints, InboundMessage, Region
from tests.bot.helpers import LOCALES, Chat

TRIAL = ("en", "es", "ar", "zh", "ti", "hi", "ru", "tl", "fr", "de", "ro", "uk", "vi", "so")
SWITCHED = "English. "


@pytest.fixture(scope="module")
def engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=TRIAL, default_locale="en", region=us)


def summary_title(engine: Engine, locale: str) -> str:
    return engine.render.text(locale, SUMMARY[0]).splitlines()[0]


class TelegramChat(Chat):
    """A Telegram chat whose app language is ``language_code`` (a prior, as the edge passes it)."""

    language_code: str | None = None

    def tg(self, text: str, payload: str | None = None) -> None:
        msg = InboundMessage(channel=TELEGRAM, address="4242", text=text, start_payload=payload,
                             hints=Hints(language_code=self.language_code))
        outcome = self.engine.handle(self.state, msg, self.ctx)
        self.state = outcome.state
        self.outcomes.append(outcome)


@pytest.mark.parametrize(("opener", "code", "locale"), [
    ("السلام عليكم", "ar", "ar"), ("/start", "ru", "ru"), ("你好", "zh", "zh"), ("你好", None, "zh"),
    ("hola", None, "es"), ("/start", "ar", "ar"),
])
def test_telegram_signs_command_keeps_the_chats_language(
    engine: Engine, ctx: Context, opener: str, code: str | None, locale: str
) -> None:
    c = TelegramChat(engine=engine, ctx=ctx, channel=TELEGRAM)
    c.language_code = code
    c.tg(opener)
    assert c.state is not None and c.state.locale == locale, c.last_text
    c.tg("/signs")
    assert c.state.locale == locale and SWITCHED not in c.last_text, c.last_text
    assert summary_title(engine, locale) in c.last_text
    c.tg("/signs")
    assert c.state.locale == locale


def test_russian_how_to_tell_after_signs_gets_the_russian_summary_not_stored(engine: Engine, ctx: Context) -> None:
    c = TelegramChat(engine=engine, ctx=ctx, channel=TELEGRAM)
    c.language_code = "ru"
    c.tg("/start")
    c.tg("2")  # not in danger: on to "who is it about"
    c.tg("/signs")
    step = c.step
    c.tg("как понять")
    assert c.state is not None and c.state.locale == "ru" and c.step == step
    assert summary_title(engine, "ru") in c.last_text
    assert "как понять" not in str(c.state.answers)


@pytest.mark.parametrize(("opener", "word", "locale"), [
    ("hello po", "SIGNS", "tl"), ("hello po", "signs", "tl"), ("hola", "SIGNS", "es"), ("你好", "SIGNS", "zh"),
])
def test_the_english_signs_word_over_sms_keeps_the_language(
    engine: Engine, ctx: Context, opener: str, word: str, locale: str
) -> None:
    c = Chat(engine=engine, ctx=ctx, channel=SMS)
    c.say(opener)
    assert c.state is not None and c.state.locale == locale, c.last_text
    c.say(word)
    assert c.state.locale == locale and SWITCHED not in c.last_text, c.last_text
    assert summary_title(engine, locale) in c.last_text


@pytest.mark.parametrize("question", ["trafficking ba to?", "trafficking ba ito?", "human trafficking ba ito"])
def test_a_taglish_signs_question_gets_the_tagalog_summary(engine: Engine, ctx: Context, question: str) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.say("hello po")
    assert c.state is not None and c.state.locale == "tl"
    c.say(question)
    assert c.state.locale == "tl" and SWITCHED not in c.last_text, c.last_text
    assert summary_title(engine, "tl") in c.last_text and c.step == "A2"
