"""Commands, carrier keywords, emergency words, misses, media, DONE/EXIT/expiry."""

from __future__ import annotations

from typing import Callable

import pytest

from bot import Engine
from bot.commands import CARRIER_WORDS, Carrier, carrier_action
from bot.types import Context
from tests.bot.helpers import CODE, Chat

Make = Callable[..., Chat]
ALL_CHANNELS = ("sms", "whatsapp", "telegram", "terminal")
CARRIER_CHANNELS = ("sms", "whatsapp")


def started(chat: Make, channel: str = "sms") -> Chat:
    c = chat(channel)
    c.walk("hi", "2", "1")
    assert c.step == "B1"
    return c


# ---- carrier keywords (INTAKE decision 4, CHANNELS C5) ------------------------------

def test_carrier_table_per_channel() -> None:
    for channel in CARRIER_CHANNELS:
        table = CARRIER_WORDS[channel]
        for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"):
            assert table[word] is Carrier.OPT_OUT
        for word in ("START", "UNSTOP"):
            assert table[word] is Carrier.OPT_IN
        assert "YES" not in table  # INTAKE decision 4: YES is an answer
        for word in ("HELP", "INFO"):
            assert table[word] is Carrier.HELP
    assert CARRIER_WORDS["telegram"] == {} and CARRIER_WORDS["terminal"] == {}
    assert carrier_action("sms", "stop") is Carrier.OPT_OUT
    assert carrier_action("sms", "STOP please") is None
    assert carrier_action("telegram", "STOP") is None


@pytest.mark.parametrize("channel", CARRIER_CHANNELS)
@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "CANCEL", "end", "QUIT", "optout"])
def test_opt_out_sends_nothing_and_stays_silent(chat: Make, channel: str, word: str) -> None:
    c = started(chat, channel)
    out = c.say(word)
    assert out.send is False and out.replies == []
    assert [e.kind.value for e in out.events] == ["opted_out"]
    assert c.state is not None and c.state.status == "opted_out"
    for later in ("hello?", "1", "EXIT", "sos"):
        out = c.say(later)
        assert out.send is False and out.replies == []
    out = c.say("START")
    assert out.send is False and [e.kind.value for e in out.events] == ["opted_in"]
    assert c.state.status == "active" and c.step == "B1"
    c.say("people locked in")
    assert c.step == "B2"


@pytest.mark.parametrize("channel", CARRIER_CHANNELS)
def test_opt_out_on_first_message(chat: Make, channel: str) -> None:
    out = chat(channel).say("STOP")
    assert out.send is False and out.state.status == "opted_out"


@pytest.mark.parametrize("channel", CARRIER_CHANNELS)
def test_yes_is_an_answer_on_carrier_channels(chat: Make, channel: str) -> None:
    c = chat(channel)
    c.say("hi")
    out = c.say("YES")
    assert out.send is True and [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")]
    assert "911" in c.last_text and c.step == "A4" and c.state is not None and c.state.answers["A2"] == "yes"


@pytest.mark.parametrize("channel", CARRIER_CHANNELS)
def test_start_mid_interview_is_the_carriers_then_numbers_are_asked_for(chat: Make, channel: str) -> None:
    c = chat(channel)
    c.say("hi")
    out = c.say("START")
    assert out.send is False and [e.kind.value for e in out.events] == ["opted_in"]
    assert c.step == "A2" and "A2" not in (c.state.answers if c.state else {})
    c.say("hm")
    assert "answer with the numbers" in c.last_text


@pytest.mark.parametrize("channel", CARRIER_CHANNELS)
@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_and_info_are_left_to_the_carrier(chat: Make, channel: str, word: str) -> None:
    c = started(chat, channel)
    out = c.say(word)
    assert out.send is False and out.events == [] and c.step == "B1"


@pytest.mark.parametrize("channel", ["telegram", "terminal"])
def test_reserved_words_are_ordinary_off_sms(chat: Make, channel: str) -> None:
    c = chat(channel)
    c.say("hi")
    out = c.say("yes")
    assert out.send is True and c.step == "A4" and c.state is not None and c.state.answers["A2"] == "yes"
    out = c.say("help")
    assert out.send is True and "SKIP" in c.last_text and c.step == "A4"
    out = c.say("stop")
    assert out.send is True and c.state.status == "active"


def test_multi_word_stop_is_not_a_keyword(chat: Make) -> None:
    c = started(chat)
    out = c.say("STOP please")
    assert out.send is True and c.state is not None and c.state.answers["B1"] == "STOP please"


# ---- engine commands on every channel ----------------------------------------------

@pytest.mark.parametrize("channel", ALL_CHANNELS)
def test_skip_and_zero_move_on_with_no_answer(chat: Make, channel: str) -> None:
    c = started(chat, channel)
    c.say("SKIP")
    assert c.step == "B2" and c.state is not None and c.state.answers["B1"] is None
    c.say("0")
    assert c.step == "B3" and c.state.answers["B2"] is None


@pytest.mark.parametrize("channel", ALL_CHANNELS)
def test_back_returns_and_keeps_what_was_given(chat: Make, channel: str) -> None:
    c = started(chat, channel)
    c.walk("a van at night", "2")
    assert c.step == "B3"
    c.say("back")
    assert c.step == "B2" and "Where is it happening" in c.last_text
    c.say("BACK")
    assert c.step == "B1" and c.state is not None and c.state.answers["B1"] == "a van at night"
    c.say("a white van at night")
    assert c.state.answers["B1"] == "a white van at night" and c.step == "B2"


@pytest.mark.parametrize("channel", ALL_CHANNELS)
@pytest.mark.parametrize("word", ["MENU", "menu", "?"])
def test_menu_lists_commands_and_repeats_the_question(chat: Make, channel: str, word: str) -> None:
    c = started(chat, channel)
    c.say(word)
    for command in ("SKIP", "BACK", "DONE", "LANG", "EXIT"):
        assert command in c.last_text
    assert "911" in c.last_text and "what did you see" in c.last_text and c.step == "B1"


@pytest.mark.parametrize("channel", ALL_CHANNELS)
def test_lang_with_one_locale_says_so_and_reasks(chat: Make, channel: str) -> None:
    c = started(chat, channel)
    c.say("LANG")
    assert "Only English" in c.last_text and "what did you see" in c.last_text and c.step == "B1"


@pytest.mark.parametrize("channel", ALL_CHANNELS)
def test_done_seals_incomplete_with_a_code(chat: Make, channel: str) -> None:
    c = started(chat, channel)
    c.say("cars come at night")
    out = c.say("done")
    assert [(e.kind.value, e.reason, e.code) for e in out.events] == [("incomplete", "done", CODE)]
    assert CODE in c.last_text and "confront" in c.last_text
    assert c.state is not None and c.state.status == "finished" and c.state.code_given


def test_done_with_nothing_given_sends_no_code(chat: Make) -> None:
    c = chat()
    c.say("hi")
    out = c.say("DONE")
    assert out.events == [] and CODE not in c.last_text


@pytest.mark.parametrize(
    ("channel", "phrase"),
    [("sms", "stay on your phone"), ("whatsapp", "stay on your phone"),
     ("telegram", "delete the rest"), ("terminal", "chat has ended")],
)
def test_exit_is_one_bland_reply_and_keeps_what_was_given(chat: Make, channel: str, phrase: str) -> None:
    c = started(chat, channel)
    c.say("a man takes their passports")
    out = c.say("exit")
    assert len(out.replies) == 1 and phrase in out.replies[0].text
    assert "report" not in out.replies[0].text.lower()
    assert [(e.kind.value, e.reason) for e in out.events] == [("incomplete", "exit")]
    assert c.state is not None and c.state.status == "ended"
    assert c.state.answers["A2"] == "no"


def test_exit_with_nothing_given_has_no_event(chat: Make) -> None:
    out = chat().say("EXIT")
    assert out.events == [] and out.state.status == "ended" and len(out.replies) == 1


@pytest.mark.parametrize("end", ["EXIT", "DONE"])
def test_only_the_danger_check_and_who_makes_no_tip(chat: Make, end: str) -> None:
    c = started(chat)  # A2 no, A4 someone else
    out = c.say(end)
    assert out.events == [] and c.state is not None and c.state.status == "ended"


def test_writing_after_exit_starts_over(chat: Make) -> None:
    c = started(chat)
    c.say("EXIT")
    c.say("hello")
    assert c.step == "A2" and c.state is not None and c.state.answers == {}


def test_expiry_seals_what_was_unsealed(chat: Make, bot_engine: Engine, ctx: Context) -> None:
    c = started(chat)
    c.say("someone sleeps in the shop")
    assert c.state is not None
    out = bot_engine.expire(c.state, ctx)
    assert out.replies == [] and [(e.kind.value, e.reason) for e in out.events] == [("incomplete", "expiry")]
    assert out.state.status == "ended"
    assert bot_engine.expire(out.state, ctx).events == []  # sealed already


def test_expiry_after_urgent_seal_with_nothing_new_is_silent(chat: Make, bot_engine: Engine, ctx: Context) -> None:
    c = chat()
    c.walk("hi", "1")
    assert c.state is not None
    assert bot_engine.expire(c.state, ctx).events == []
    c.say("1")
    assert [e.reason for e in bot_engine.expire(c.state, ctx).events] == ["expiry"]


def test_expiry_with_nothing_given(chat: Make, bot_engine: Engine, ctx: Context) -> None:
    c = chat()
    c.say("hi")
    assert c.state is not None and bot_engine.expire(c.state, ctx).events == []


# ---- emergency words, misses, media, too long ---------------------------------------

@pytest.mark.parametrize("word", ["emergency", "SOS", "urgent", "in danger!", "someone is hurt now"])
@pytest.mark.parametrize("channel", ALL_CHANNELS)
def test_emergency_words_interrupt_anywhere(chat: Make, word: str, channel: str) -> None:
    c = started(chat, channel)
    c.walk("x", "1")
    assert c.step == "B3"
    out = c.say(word)
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")]
    assert "911" in c.last_text and "under 18" in c.last_text and c.step == "B3"
    assert c.state is not None and c.state.answers["emergency"] == "yes"


@pytest.mark.parametrize("word", ["911", "112", "999"])
def test_a_number_at_a_numbered_question_is_a_wrong_answer_not_an_alarm(chat: Make, word: str) -> None:
    c = started(chat)
    c.walk("x", "1")
    out = c.say(word)
    assert out.events == [] and "911" in c.last_text and "under 18" in c.last_text and c.step == "B3"
    assert c.state is not None and "emergency" not in c.state.answers


def test_help_alone_is_never_an_emergency_word(bot_engine: Engine) -> None:
    from bot.words import Alarm
    assert bot_engine.vocab.alarm(["help"], "911") is Alarm.NONE
    assert bot_engine.vocab.alarm(["info"], "911") is Alarm.NONE
    assert bot_engine.vocab.alarm(["please", "help"], "911") is Alarm.UNCLEAR


def test_three_misses_also_offer_skip_and_menu(chat: Make) -> None:
    c = chat()
    c.say("hi")
    c.say("purple")
    assert "Reply with a number, e.g. 1" in c.last_text.replace("reply", "Reply") and "MENU" not in c.last_text
    c.say("purple")
    c.say("purple")
    assert "SKIP" in c.last_text and "MENU" in c.last_text and c.step == "A2"
    c.say("2")
    c.say("purple")
    assert "MENU" not in c.last_text  # misses reset on progress


def test_media_is_not_kept(chat: Make) -> None:
    c = started(chat)
    out = c.say("", media=True)
    assert "not kept" in c.last_text and "what did you see" in c.last_text and c.step == "B1"
    assert out.events == []


def test_long_text_is_kept_whole_in_parts(chat: Make) -> None:
    c = started(chat)
    story = " ".join(["word"] * 400)  # 1,999 characters
    c.say(story)
    assert "all of your message was kept" in c.last_text and c.step == "B2"
    assert c.state is not None and " ".join(c.state.answers["B1"]) == story
    assert all(len(part) <= 500 for part in c.state.answers["B1"])


def test_text_over_the_hard_limit_keeps_the_first_5000_characters(chat: Make) -> None:
    c = started(chat)
    c.say("y" * 6000)
    assert "first 5000 characters were kept" in c.last_text and c.step == "B2"
    assert c.state is not None and "".join(c.state.answers["B1"]) == "y" * 5000


def test_option_words_work(chat: Make) -> None:
    c = chat("terminal")
    c.say("hi")
    c.say("Not sure")
    assert c.state is not None and c.state.answers["A2"] == "unsure"
    c.say("someone else")
    assert c.state.answers["A4"] == "other"


def test_unknown_step_in_state_restarts_gracefully(chat: Make) -> None:
    c = started(chat)
    assert c.state is not None
    c.state.step = "GONE"
    c.say("1")
    assert c.step == "A2" and c.state.answers["A4"] == "other"
