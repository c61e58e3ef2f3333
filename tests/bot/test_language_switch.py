"""Wrong-language replies (trial S5): a reporter who opened with "hi" and then writes in their own
language gets it; "no hablo ingles" is no "No"; a language the line does not offer gets one short
English line and the menu, and its name at the menu does not leave the reporter stuck."""

from __future__ import annotations

import pytest

from bot import Engine, build_engine, segments
from bot.types import Context, Region
from tests.bot.helpers import LOCALES, Chat

TRIAL = ("en", "es", "ar", "zh", "ti", "hi", "ru", "tl", "fr", "de", "ro", "uk", "vi", "so")
MENU = "Reply with the letter or name of your language"


@pytest.fixture(scope="module")
def engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=TRIAL, default_locale="en", region=us)


@pytest.fixture
def c(engine: Engine, ctx: Context) -> Chat:
    return Chat(engine=engine, ctx=ctx)


def test_spanish_after_hi_switches_and_answers_the_signs_in_spanish(c: Chat) -> None:
    c.say("hi")
    c.say("cuales son las señales?")
    assert c.state is not None and c.state.locale == "es"
    assert c.last_text.startswith("Español.") and "Señales de trata" in c.last_text
    assert "peligro ahora mismo" in c.last_text and c.state.answers == {}  # the question again, nothing kept


def test_senales_after_hi_is_the_signs_command_but_no_evidence_of_spanish(c: Chat) -> None:
    """Retrial R2: a command word is never evidence of a language (the English SIGNS switched
    Arabic, Russian and Tagalog chats to English); a sentence in Spanish still switches."""
    c.say("hi")
    c.say("SEÑALES")
    assert c.state is not None and c.state.locale == "en" and "Signs of trafficking" in c.last_text
    assert c.state.answers == {}


def test_no_hablo_ingles_is_not_no_and_asks_again_in_spanish(c: Chat) -> None:
    c.say("hi")
    c.say("no hablo ingles")
    assert c.state is not None and c.state.locale == "es" and c.step == "A2"
    assert "A2" not in c.state.answers and "peligro ahora mismo" in c.last_text


@pytest.mark.parametrize(("opener", "text", "locale"), [
    ("hello", "ما هي العلامات؟", "ar"),
    ("hello", "لا أتكلم الإنجليزية", "ar"),
    ("ok", "你好，有什么迹象？", "zh"),
])
def test_other_scripts_after_an_english_opener_switch(c: Chat, opener: str, text: str, locale: str) -> None:
    c.say(opener)
    c.say(text)
    assert c.state is not None and c.state.locale == locale and c.step == "A2"
    assert "A2" not in c.state.answers and "danger right now" not in c.last_text


def test_a_chosen_language_is_only_offered_a_switch(c: Chat) -> None:
    c.walk("español", "2")
    assert c.state is not None and c.state.locale == "es"
    c.say("my cousin works at a farm and the boss keeps her passport")
    assert c.state.locale == "es"


def test_turkish_gets_one_short_english_line_and_the_menu_within_3_segments(c: Chat) -> None:
    out = c.say("merhaba")
    assert c.state is not None and c.state.locale == "en"
    assert "cannot reply in your language yet" in c.last_text and MENU in c.last_text
    assert "Is anyone in danger right now?" in c.last_text
    assert sum(segments(r.text) for r in out.replies) <= 3
    c.say("what are the signs")
    assert "Signs of trafficking" in c.last_text and c.state.answers == {}
    c.say("English")  # not only as the very next message
    assert c.state.locale == "en" and c.state.extra.get("lang_sure") and c.state.answers == {}


def test_lang_then_an_unoffered_name_says_so_and_keeps_the_menu(c: Chat) -> None:
    c.walk("hola", "LANG")
    c.say("türkçe")
    assert "cannot reply in your language yet" in c.last_text and MENU in c.last_text
    assert c.state is not None and c.state.answers == {}
    c.say("b")
    assert c.state.locale in TRIAL and c.step == "A2" and "b " not in c.last_text[:2]
