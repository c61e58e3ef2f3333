"""Coming back after "write again when it is safe" or EXIT (issue 8): the bland safety check
first, then the interview where it stopped; "no" gets the same bland reply again."""

from __future__ import annotations

from typing import Callable

from bot import state as st
from tests.bot.helpers import CODE, Chat

Make = Callable[..., Chat]
SAFETY = "safe to text now"
UNSAFE = "write again when it is safe"
SELF_UNSAFE = ("hi", "2", "2", "2")  # not in danger; about me; not safe to text
WITNESS_EXIT = ("hi", "2", "1", "A man keeps the workers' passports", "EXIT")  # left at "where"


def at_rest(c: Chat) -> None:
    """What the service keeps of an ended, sealed interview: no answers, no history."""
    assert c.state is not None
    c.state.answers.clear()
    c.state.history.clear()


def test_back_after_not_safe_asks_the_safety_check_then_goes_on(chat: Make) -> None:
    c = chat()
    c.walk(*SELF_UNSAFE)
    assert UNSAFE in c.last_text.lower()
    at_rest(c)
    out = c.say("hi")
    assert SAFETY in c.last_text.lower() and "danger right now" not in c.last_text.lower()
    assert out.events == [] and c.state is not None and c.state.status == "active"
    c.say("1")
    assert c.step == "V2" and "what would help most" in c.last_text.lower()
    assert c.events.count(("urgent", "unsafe")) == 1  # the alert was raised once, not again


def test_back_and_still_not_safe_gets_the_bland_reply_again_and_can_come_back_again(chat: Make) -> None:
    c = chat()
    c.walk(*SELF_UNSAFE)
    at_rest(c)
    c.say("hello")
    out = c.say("2")
    assert UNSAFE in c.last_text.lower() and out.events == []
    assert c.state is not None and c.state.status == "ended"
    c.say("hi")
    assert SAFETY in c.last_text.lower()
    c.say("yes")
    assert c.step == "V2"


def test_back_after_exit_resumes_at_the_question_it_stopped_at(chat: Make) -> None:
    c = chat()
    c.walk(*WITNESS_EXIT)
    assert c.state is not None and c.state.extra[st.RESUME]["to"] == "B2"
    at_rest(c)
    c.say("hi")
    assert SAFETY in c.last_text.lower()
    c.say("1")
    assert c.step == "B2" and "where is it happening" in c.last_text.lower()


def test_the_path_survives_the_dropped_answers_so_the_victim_close_is_the_victims(chat: Make) -> None:
    c = chat()
    c.walk(*SELF_UNSAFE)
    at_rest(c)
    c.walk("hi", "1")
    out = c.say("DONE")
    assert CODE in c.last_text and "confront" not in c.last_text
    assert c.state is not None and c.state.answers.get("A4") == "self"
    assert [(e.kind.value, e.reason) for e in out.events] == [("incomplete", "done")]


def test_exit_at_the_safety_check_leaves_again_without_a_new_seal(chat: Make) -> None:
    c = chat()
    c.walk(*WITNESS_EXIT)
    at_rest(c)
    c.say("hi")
    out = c.say("EXIT")
    assert "chat has ended" in c.last_text.lower() and out.events == []
    c.walk("hi", "1")
    assert c.step == "B2"  # still remembered where it stopped


def test_exit_with_nothing_sealed_starts_a_new_interview_next_time(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "EXIT")  # no tip was made: nothing to come back to
    c.say("hi")
    assert c.step == "A2" and "danger right now" in c.last_text.lower()


def test_an_account_typed_on_coming_back_is_kept(chat: Make) -> None:
    c = chat()
    c.walk(*WITNESS_EXIT)
    at_rest(c)
    c.say("they moved the workers to a house on Elm street last night")
    assert SAFETY in c.last_text.lower()
    c.walk("1", "1")
    out = c.say("DONE")
    assert c.state is not None
    assert c.state.answers["B2:words"] == ["they moved the workers to a house on Elm street last night"]
    assert [(e.kind.value, e.reason) for e in out.events] == [("incomplete", "done")]


def test_danger_words_on_coming_back_bring_the_number_and_the_alert(chat: Make) -> None:
    c = chat()
    c.walk(*WITNESS_EXIT)
    at_rest(c)
    out = c.say("help someone is hurt now")
    assert "911" in c.last_text and SAFETY in c.last_text.lower()
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")]


def test_safety_check_on_telegram_has_buttons_that_answer_it(chat: Make) -> None:
    c = chat("telegram")
    c.walk(*SELF_UNSAFE)
    at_rest(c)
    out = c.say("hi")
    data = [b.data for row in out.replies[-1].buttons for b in row]
    assert data == ["V1:yes", "V1:no"]
    c.say(button="V1:yes")
    assert c.step == "V2"


def test_a_state_without_a_remembered_step_starts_over_as_before(chat: Make) -> None:
    c = chat()
    c.walk(*SELF_UNSAFE)
    assert c.state is not None
    c.state.extra.pop(st.RESUME)  # an interview ended before this change
    c.say("hi")
    assert c.step == "A2"
