"""What reporters send that is not a plain answer: shared places and contacts, digits of other
scripts, short messages after the close."""

from __future__ import annotations

import json
from typing import Callable

import pytest

from tests.bot.helpers import CODE, Chat

Make = Callable[..., Chat]

SHARED_ASK = "Please type the detail in words"
PLACE_ASK = "Please type the place in words"
# A witness up to the "where" menu (W1): danger no, someone else, story, venue, minor no, signs.
TO_W1 = ("hi", "2", "1", "Workers sleep in the back of the shop", "1 3", "2", "1 5")


def to_close(c: Chat) -> None:
    c.walk(*TO_W1, "1", "Elm street", "3", "1", "2")
    assert c.state is not None and c.state.status == "finished"


# ---- what channels share besides text --------------------------------------------------------

@pytest.mark.parametrize("kind", ["location", "venue", "contact"])
def test_shared_item_is_not_kept_and_the_question_comes_again(chat: Make, kind: str) -> None:
    c = chat("telegram")
    c.walk("hi", "2")
    before = json.dumps(c.state.to_dict() if c.state else None, sort_keys=True)
    out = c.say(shared=kind)
    assert SHARED_ASK in c.last_text and "not kept" in c.last_text
    assert "who is this about" in c.last_text.lower() or c.step == "A4"
    assert c.step == "A4" and out.events == []
    assert json.dumps(c.state.to_dict() if c.state else None, sort_keys=True) == before  # nothing stored
    assert "Pictures and files" not in c.last_text


@pytest.mark.parametrize("at_w2", [False, True])
def test_shared_location_at_the_where_questions_asks_for_the_place_in_words(chat: Make, at_w2: bool) -> None:
    c = chat("telegram")
    c.walk(*TO_W1)
    if at_w2:
        c.say("1")
    step = c.step
    assert step == ("W2" if at_w2 else "W1")
    c.say(shared="location")
    assert PLACE_ASK in c.last_text and SHARED_ASK not in c.last_text and c.step == step
    assert c.state is not None and "W2" not in c.state.answers
    c.walk(*(() if at_w2 else ("1",)), "behind the bus station")
    assert c.state.answers["W2"] == "behind the bus station"


def test_shared_item_as_first_message_starts_the_interview_without_keeping_it(chat: Make) -> None:
    c = chat("telegram")
    out = c.say(shared="contact")
    assert SHARED_ASK in c.last_text and c.step == "A2" and out.events == []
    assert c.state is not None and c.state.answers == {}


def test_shared_item_after_the_close_adds_nothing_and_says_nothing_of_a_report(chat: Make) -> None:
    c = chat("telegram")
    to_close(c)
    out = c.say(shared="location")
    assert out.events == [] and c.state is not None and "addenda" not in c.state.answers
    assert SHARED_ASK in c.last_text and CODE not in c.last_text and "report" not in c.last_text


def test_pictures_keep_their_own_reply(chat: Make) -> None:
    c = chat("telegram")
    c.walk("hi", "2")
    c.say(media=True)
    assert "Pictures and files are not kept" in c.last_text and SHARED_ASK not in c.last_text


# ---- after the close: any words are kept ----------------------------------------------------

@pytest.mark.parametrize("text", ["the van was white", "blue car", "ABC 123", "red van 4 men"])
def test_short_message_after_the_close_is_kept_as_an_addendum(chat: Make, text: str) -> None:
    c = chat()
    to_close(c)
    out = c.say(text)
    assert [(e.kind.value, e.reason) for e in out.events] == [("updated", "more")]
    assert c.state is not None and c.state.answers["addenda"] == [text]
    assert "got it" in c.last_text and "report" not in c.last_text


# ---- digits of every script ------------------------------------------------------------------

DIGITS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "extended arabic-indic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "full-width": "０１２３４５６７８９",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
    "bengali": "০১২৩৪৫৬৭৮৯",
}


def digits(script: str, ascii_text: str) -> str:
    return "".join(DIGITS[script][int(ch)] if ch.isdigit() else ch for ch in ascii_text)


@pytest.mark.parametrize("script", DIGITS)
def test_answers_in_any_digits_walk_the_core_like_ascii(chat: Make, script: str) -> None:
    c = chat()
    c.walk(*(digits(script, t) for t in TO_W1))
    assert c.state is not None and c.step == "W1"
    assert c.state.answers["A2"] == "no" and c.state.answers["B2"] == ["work", "shop"]
    assert c.state.answers["C"] == ["leave", "pay"] and c.state.answers["B3"] == "no"
    assert not any(k.endswith(":words") for k in c.state.answers)  # read as answers, not words


@pytest.mark.parametrize("script", DIGITS)
def test_danger_yes_in_other_digits_gives_the_number_and_the_alert(chat: Make, script: str) -> None:
    c = chat()
    c.say("hi")
    out = c.say(digits(script, "1"))
    assert "911" in c.last_text and [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")]


def test_checklist_with_other_digits_and_separators(chat: Make) -> None:
    c = chat()
    c.walk(*TO_W1[:4])
    assert c.step == "B2"
    c.say("١، ٣ - ٥")
    assert c.state is not None and c.state.answers["B2"] == ["work", "shop", "hotel"]


def test_emergency_number_in_other_digits_alone_is_an_alarm(chat: Make) -> None:
    c = chat()
    out = c.say("٩١١")
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")] and "911" in c.last_text


def test_skip_command_zero_in_other_digits_and_words_kept_as_typed(chat: Make) -> None:
    c = chat()
    c.walk(*TO_W1, "1")
    assert c.step == "W2"
    c.say("０")  # full-width zero: "0 to skip"
    assert c.step == "T1" and c.state is not None and c.state.answers["W2"] is None
    c.say("BACK")
    c.say("شارع ١٥")  # the place kept as typed, its digits untouched
    assert c.state.answers["W2"] == "شارع ١٥"
