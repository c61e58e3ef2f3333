"""Telegram inline buttons: answers, checklist toggles and Done, stale and forged presses."""

from __future__ import annotations

from typing import Callable

from tests.bot.helpers import Chat

Make = Callable[..., Chat]


def at_c(chat: Make) -> Chat:
    c = chat("telegram")
    c.walk("hi", "2", "1", "odd hours", "1", "2")
    assert c.step == "C"
    return c


def buttons(c: Chat) -> list[tuple[str, bool]]:
    reply = c.outcomes[-1].replies[-1]
    return [(b.data, b.selected) for row in reply.buttons for b in row]


def test_question_has_buttons_on_telegram_only(chat: Make) -> None:
    t = chat("telegram")
    t.say("hi")
    assert buttons(t) == [("A2:yes", False), ("A2:no", False), ("A2:unsure", False)]
    s = chat("sms")
    s.say("hi")
    assert s.outcomes[-1].replies[-1].buttons == ()


def test_button_answers_the_current_step(chat: Make) -> None:
    c = chat("telegram")
    c.say("hi")
    c.say(button="A2:no")
    assert c.step == "A4" and c.state is not None and c.state.answers["A2"] == "no"


def test_stale_button_is_ignored_and_question_shown(chat: Make) -> None:
    c = chat("telegram")
    c.say("hi")
    c.say(button="A2:no")
    out = c.say(button="A2:yes")  # an old keyboard pressed again
    assert c.step == "A4" and c.state is not None and c.state.answers["A2"] == "no"
    assert out.events == [] and "Is this about" in c.last_text


def test_forged_buttons_are_ignored(chat: Make) -> None:
    c = at_c(chat)
    for data in ("C:t:bogus", "C:x:leave", "ZZ:yes", "", ":", "C", "C:t:", "A2:yes" * 20):
        out = c.say(button=data)
        assert c.step == "C" and out.events == [] and "Do any of these fit" in c.last_text
    assert c.state is not None and "C" not in c.state.answers


def test_checklist_toggles_and_done(chat: Make) -> None:
    c = at_c(chat)
    c.say(button="C:t:leave")
    c.say(button="C:t:pay")
    c.say(button="C:t:docs")
    c.say(button="C:t:pay")  # untick
    selected = [d for d, s in buttons(c) if s]
    assert selected == ["C:t:leave", "C:t:docs"] and c.step == "C"
    assert buttons(c)[-1] == ("C:done", False)
    c.say(button="C:done")
    assert c.state is not None and c.state.answers["C"] == ["leave", "docs"] and c.step == "W1"


def test_none_toggle_clears_other_marks(chat: Make) -> None:
    c = at_c(chat)
    c.say(button="C:t:leave")
    c.say(button="C:t:none")
    assert [d for d, s in buttons(c) if s] == ["C:t:none"]
    c.say(button="C:t:debt")
    assert [d for d, s in buttons(c) if s] == ["C:t:debt"]


def test_done_with_nothing_ticked_points_to_the_buttons_not_to_typing(chat: Make) -> None:
    c = at_c(chat)
    c.say(button="C:done")  # trial minor 9: it said "Reply with all numbers that fit"
    assert c.step == "C" and "Tap each answer that fits, then Done." in c.last_text
    assert "numbers that fit" not in c.last_text.split("\n")[0] and buttons(c)[-1] == ("C:done", False)


def test_typed_answer_still_works_with_pending_toggles(chat: Make) -> None:
    c = at_c(chat)
    c.say(button="C:t:leave")
    c.say("2 4")
    assert c.state is not None and c.state.answers["C"] == ["docs", "debt"] and "pending" not in c.state.extra


def test_buttons_fit_telegram_callback_limit(chat: Make) -> None:
    c = at_c(chat)
    for row in c.outcomes[-1].replies[-1].buttons:
        for b in row:
            assert len(b.data.encode()) <= 64 and b.label
