"""Retrial: "ok" at "Is anyone in danger right now?" meant "go on" and made a P1 danger tip and an
on-call alert (so did "okay", "k", "sure", "ok what do you need").  At a question whose Yes raises an
alarm an acknowledgement is asked again; a number or a plain yes still answers.  Also the answers
whose words read the wrong way: es "no es seguro" is Not sure, fr "non personne n'est en danger" a
No without an alert."""

from __future__ import annotations

from typing import Callable

import pytest

from bot import Engine, build_engine
from bot.types import Context, Region
from tests.bot.helpers import LOCALES, Chat

Make = Callable[..., Chat]
TRIAL = ("en", "es", "ar", "zh", "ti", "hi", "ru", "tl", "fr", "de", "ro", "uk", "vi", "so")


@pytest.fixture(scope="module")
def engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=TRIAL, default_locale="en", region=us)


@pytest.mark.parametrize(("hello", "ack"), [
    ("hi", "ok"), ("hi", "okay"), ("hi", "k"), ("hi", "sure"), ("hi", "ok what do you need"),
    ("hola", "vale"), ("hola", "ok"), ("你好", "好的"), ("bonjour", "d'accord"),
])
def test_an_acknowledgement_at_the_danger_question_is_asked_again_with_no_alert(
    engine: Engine, ctx: Context, hello: str, ack: str
) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.say(hello)
    out = c.say(ack)
    assert c.step == "A2" and c.state is not None and "A2" not in c.state.answers, c.last_text
    assert out.events == [] and "911" not in c.last_text
    assert "1" in c.last_text and "2" in c.last_text  # the question again with its numbers


@pytest.mark.parametrize("yes", ["1", "yes", "ok yes", "yes they are"])
def test_a_real_yes_at_the_danger_question_still_raises_the_alert(engine: Engine, ctx: Context, yes: str) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.say("hi")
    out = c.say(yes)
    assert c.state is not None and c.state.answers.get("A2") == "yes"
    assert ("urgent", "danger") in [(e.kind.value, e.reason) for e in out.events] and "911" in c.last_text


def test_ok_at_a_question_whose_yes_raises_no_alarm_is_still_yes(chat: Make) -> None:
    """"Is it safe to text now?" on coming back: "ok" goes on where the chat stopped."""
    c = chat()
    c.walk("hi", "2", "1", "the boss keeps the workers passports", "1", "2")
    assert c.step == "C", c.last_text
    c.walk("gtg", "hi")
    assert "safe to text now" in c.last_text.lower()
    c.say("ok")
    assert c.step == "C", c.last_text


def test_no_es_seguro_at_under_18_is_not_sure_and_takes_the_child_route(engine: Engine, ctx: Context) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.walk("hola", "2", "1", "el patron les quita los pasaportes", "1")
    assert c.step == "B3", c.last_text
    out = c.say("no es seguro")
    assert c.state is not None and c.state.answers["B3"] == "unsure"
    assert ("urgent", "minor") in [(e.kind.value, e.reason) for e in out.events]


@pytest.mark.parametrize(("hello", "no"), [
    ("bonjour", "non personne n'est en danger"), ("bonjour", "personne n'est en danger"),
    ("hi", "no nobody is in danger"), ("привет", "нет, никто не в опасности"),
])
def test_a_negated_danger_answer_is_no_without_an_alert(engine: Engine, ctx: Context, hello: str, no: str) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.say(hello)
    out = c.say(no)
    assert c.state is not None and c.state.answers.get("A2") == "no", c.last_text
    assert not [e for e in out.events if e.kind.value == "urgent"]
    assert "emergency" not in c.state.answers


def test_danger_beside_a_french_negation_elsewhere_still_raises_the_alert(engine: Engine, ctx: Context) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.say("bonjour")
    out = c.say("elle est en danger, elle ne peut pas partir")
    assert ("urgent", "danger") in [(e.kind.value, e.reason) for e in out.events]
