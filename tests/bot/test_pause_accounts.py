"""Retrial R1: a pause phrase inside an account is not a pause.  "I have to go to work there every
day" at the danger question or in "what did you see" is what happened, not "gtg": the chat goes
on and the words are kept.  A pause is what the message *is* ("I have to go", "有人来了", "sorry
not safe now, someone is looking at my phone")."""

from __future__ import annotations

import pytest

from bot import Engine, build_engine
from bot.types import Context, Region
from tests.bot.helpers import LOCALES, Chat

TRIAL_LOCALES = ("en", "es", "ar", "zh", "ti", "hi", "ru", "tl", "fr", "de", "ro", "uk", "vi", "so")
# (greeting, account) from the retrial's probes, each on a new phone.
ACCOUNTS = [
    ("hi", "I have to go to work there every day"),
    ("hi", "someone is coming to pick them up every night"),
    ("hi", "my boss is watching the workers all day"),
    ("hola", "mi jefe esta viendo a los trabajadores todo el dia"),
    ("hola", "tengo que irme a trabajar ahi todos los dias"),
    ("مرحبا", "المدير يراقب العمال طول الوقت"),
    ("مرحبا", "لازم اروح على الشغل هناك كل يوم"),
    ("你好", "老板说有人来了就让她们躲起来"),
    ("你好", "她说现在不方便说话，老板在旁边"),
    ("你好", "我表妹在一家餐馆上班，老板扣着她的护照，不发工资。我要走了才敢跟你们说"),
    ("你好", "我表妹在按摩店上班，老板拿走了她的护照，不给工资，每天干十六个小时，晚上睡在店里，"
             "老板说有人来了就让她们躲到后面的房间"),
]
ENDED = ("this chat has ended", "este chat terminó", "انتهت هذه المحادثة", "对话已结束")


@pytest.fixture(scope="module")
def trial_engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=TRIAL_LOCALES, default_locale="en", region=us)


def _chat(engine: Engine, ctx: Context) -> Chat:
    return Chat(engine=engine, ctx=ctx)


def _ended(c: Chat) -> bool:
    return (c.state is not None and c.state.status == "ended") or any(e in c.last_text for e in ENDED)


@pytest.mark.parametrize(("hello", "account"), ACCOUNTS)
def test_an_account_holding_a_pause_phrase_is_kept_at_what_did_you_see(
    trial_engine: Engine, ctx: Context, hello: str, account: str
) -> None:
    c = _chat(trial_engine, ctx)
    c.walk(hello, "2", "1")
    assert c.step == "B1", c.last_text
    c.say(account)
    assert not _ended(c), c.last_text
    assert c.state is not None and c.state.answers.get("B1") == account and c.step == "B2"


@pytest.mark.parametrize(("hello", "account"), ACCOUNTS[:7])
def test_an_account_holding_a_pause_phrase_does_not_end_the_chat_at_the_danger_question(
    trial_engine: Engine, ctx: Context, hello: str, account: str
) -> None:
    c = _chat(trial_engine, ctx)
    c.say(hello)
    c.say(account)
    assert not _ended(c), c.last_text
    assert c.state is not None and c.state.status == "active"


def test_going_to_work_beside_the_checklist_numbers_is_not_a_pause(trial_engine: Engine, ctx: Context) -> None:
    c = _chat(trial_engine, ctx)
    c.walk("hi", "2", "1", "the boss keeps the workers passports", "1", "2")
    assert c.step == "C", c.last_text
    c.say("i need to go there to work every day, 1 2")
    assert not _ended(c), c.last_text


@pytest.mark.parametrize(("hello", "pause"), [
    ("hi", "I have to go"), ("hi", "sorry gotta go"), ("hi", "someone is coming, sorry"),
    ("hi", "my boss is watching"), ("hola", "tengo que irme, perdon"), ("你好", "有人来了！"),
    ("你好", "现在不方便说话"), ("你好", "对不起，我要走了"), ("مرحبا", "لازم امشي"),
])
def test_a_message_that_is_only_a_pause_still_ends_the_chat(
    trial_engine: Engine, ctx: Context, hello: str, pause: str
) -> None:
    c = _chat(trial_engine, ctx)
    c.walk(hello, "2", "1")
    c.say(pause)
    assert _ended(c) and len(c.outcomes[-1].replies) == 1, c.last_text
    assert c.state is not None and "B1" not in c.state.answers


def test_a_phone_phrase_inside_a_short_message_still_ends_the_chat(trial_engine: Engine, ctx: Context) -> None:
    c = _chat(trial_engine, ctx)
    c.walk("hi", "2", "1")
    c.say("wait I think someone is looking at my phone")
    assert _ended(c), c.last_text
