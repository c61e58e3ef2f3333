"""A watched phone (trial S3): "gtg", "someone is looking at my phone", "ahorita no puedo, viene
alguien" end the chat as EXIT does: one short bland reply, what was given kept, nothing of the
message stored as an answer, never the checklist again; coming back resumes."""

from __future__ import annotations

from typing import Callable

import pytest

from bot import Engine, build_engine
from bot.pause import pause_rest
from bot.types import Context, Region
from bot.words import Vocabulary, canon_tokens, load_vocabularies
from tests.bot.helpers import LOCALES, Chat

Make = Callable[..., Chat]
ENDED = "this chat has ended"
AT_CHECKLIST = ("hi", "2", "1", "the boss keeps the workers passports", "1", "2")  # C is next
WATCHED = ["sorry not safe now, someone is looking at my phone", "gtg", "phone unsafe, my boss is watching"]


@pytest.fixture(scope="module")
def es_engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=("en", "es"), default_locale="en", region=us)


def at_checklist(c: Chat) -> None:
    c.walk(*AT_CHECKLIST)
    assert c.step == "C" and "reply all numbers that fit" in c.last_text.lower()


@pytest.mark.parametrize("text", WATCHED)
def test_a_watched_phone_at_the_checklist_gets_the_exit_reply_not_the_checklist(chat: Make, text: str) -> None:
    c = chat()
    at_checklist(c)
    out = c.say(text)
    assert ENDED in c.last_text.lower() and len(out.replies) == 1
    assert "papers" not in c.last_text.lower() and "911" not in c.last_text
    assert [(e.kind.value, e.reason) for e in out.events] == [("incomplete", "exit")]  # no alert: being watched
    assert c.state is not None and c.state.status == "ended"
    assert not any(text in str(v) for v in c.state.answers.values())  # not kept as an answer
    c.say("hi")
    assert "safe to text now" in c.last_text.lower()
    c.say("1")
    assert c.step == "C"  # back where it stopped


def test_gtg_on_coming_back_leaves_again_without_a_new_seal(chat: Make) -> None:
    c = chat()
    at_checklist(c)
    c.say("gtg")
    c.say("hi")
    out = c.say("gtg")
    assert ENDED in c.last_text.lower() and out.events == []


def test_danger_words_beside_the_pause_still_bring_the_number_and_the_alert(chat: Make) -> None:
    c = chat()
    at_checklist(c)
    out = c.say("gtg they are beating her")
    assert "911" in c.last_text and ENDED in c.last_text.lower()
    assert ("urgent", "danger") in [(e.kind.value, e.reason) for e in out.events]


@pytest.mark.parametrize("account", [
    "the boss is watching them all day and keeps their passports so they cant go anywhere",
    "she cant talk to anyone, they keep her phone",
    "they have to go to work at 5am",
    "the girls are being watched by a man",
])
def test_an_account_that_mentions_watching_or_going_is_still_an_answer(chat: Make, account: str) -> None:
    c = chat()
    c.walk("hi", "2", "1")
    c.say(account)
    assert c.step == "B2" and c.state is not None and c.state.answers["B1"] == account


def test_spanish_not_safe_at_where_ends_the_chat_and_is_not_the_place(es_engine: Engine, ctx: Context) -> None:
    c = Chat(engine=es_engine, ctx=ctx)
    c.walk("hola", "2", "1", "el patron les quita los pasaportes", "1", "2", "1 2", "3")
    assert c.step == "W2", c.last_text
    c.say("ahorita no puedo, no es seguro, viene alguien")
    assert c.state is not None and c.state.status == "ended" and "W2" not in c.state.answers
    assert len(c.outcomes[-1].replies) == 1 and "¿" not in c.last_text


def test_no_es_seguro_alone_still_answers_not_sure(es_engine: Engine, ctx: Context) -> None:
    c = Chat(engine=es_engine, ctx=ctx)
    c.walk("hola", "2", "1", "el patron les quita los pasaportes", "1")
    assert c.step == "B3", c.last_text
    c.say("no es seguro")
    assert c.state is not None and c.state.status == "active" and c.step != "B3"


def test_no_answer_word_of_any_language_is_a_pause_phrase() -> None:
    """"no es seguro" means "not sure" too: a pause phrase must never swallow an answer."""
    names = tuple(sorted(p.name for p in LOCALES.iterdir() if (p / "words.toml").exists()))
    vocabs = load_vocabularies(LOCALES, names)
    pause = Vocabulary.merge(vocabs.values()).pause
    answers = {w for v in vocabs.values() for words in v.answers.values() for w in words}
    answers |= {w for v in vocabs.values() for table in v.options.values() for ws in table.values() for w in ws}
    caught = sorted(w for w in answers if pause_rest(pause, canon_tokens(w)) is not None)
    assert caught == []
