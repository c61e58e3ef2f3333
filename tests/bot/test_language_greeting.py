"""A greeting is never a choice of language (a trial: "hi" at the menu switched a reporter to Hindi)."""

from __future__ import annotations

import pytest

from bot import Engine
from bot.types import Region
from tests.bot.helpers import Chat, make_context
from tests.bot.langwire_helpers import complete_copy, every_locale_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, us: Region) -> Engine:
    return every_locale_engine(complete_copy(tmp_path_factory.mktemp("greet") / "locales"), us)


@pytest.fixture
def c(engine: Engine, us: Region) -> Chat:
    return Chat(engine=engine, ctx=make_context(us))


@pytest.mark.parametrize("first", ["hi", "Hi!", "hello"])
def test_hi_alone_as_a_first_message_is_english_and_asks_no_language(c: Chat, first: str) -> None:
    c.say(first)
    assert c.state is not None and c.state.locale == "en"
    assert "Reply with the letter" not in c.last_text and "\na English" not in c.last_text


def test_hola_alone_is_spanish(c: Chat) -> None:
    c.say("hola")
    assert c.state is not None and c.state.locale == "es"


@pytest.mark.parametrize("first", ["kumusta po", "Kamusta po kayo", "magandang gabi po", "kumusta"])
def test_a_polite_tagalog_greeting_is_tagalog(c: Chat, first: str) -> None:
    """"po" and "kayo" are how people greet politely (reporter trial: "kumusta po" got English)."""
    c.say(first)
    assert c.state is not None and c.state.locale == "tl"


@pytest.mark.parametrize("word", ["hi", "no", "so", "to", "am", "it", "id", "de", "es", "ti"])
def test_a_code_that_is_a_word_typed_at_the_menu_chooses_no_language(c: Chat, word: str) -> None:
    c.say("ok")  # too short to read: the danger question and the menu
    assert "a English" in c.last_text
    c.say(word)
    assert c.state is not None and c.state.locale == "en"
    assert c.state.extra.get("lang_sure") is not True


def test_hi_after_the_menu_leaves_every_later_reply_in_english(c: Chat) -> None:
    c.say("ok")
    c.say("hi")
    c.say("2")  # nobody in danger
    assert c.state is not None and c.state.locale == "en" and c.state.answers["A2"] == "no"
    assert "Is " in c.last_text or "?" in c.last_text
    assert all(ord(ch) < 0x900 or ord(ch) > 0x97F for ch in c.last_text)  # no Devanagari


@pytest.mark.parametrize(("typed", "locale"), [("hindi", "hi"), ("हिन्दी", "hi"), ("Español", "es"),
                                               ("tagalog", "tl"), ("kreyòl", "ht")])
def test_a_language_named_in_english_or_its_own_script_at_the_menu_chooses_it(c: Chat, typed: str,
                                                                               locale: str) -> None:
    c.say("ok")
    c.say(typed)
    assert c.state is not None and c.state.locale == locale and c.step == "A2"


def test_a_letter_at_the_menu_chooses_the_language_on_show(c: Chat) -> None:
    c.say("ok")
    assert "\nb " in c.last_text
    c.say("b")
    assert c.state is not None and c.state.locale != "en" and c.state.extra.get("lang_sure") is True
