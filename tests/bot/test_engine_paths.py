"""Walks through the interview: witness core path, every block, self-report, urgent events."""

from __future__ import annotations

from typing import Callable

from tests.bot.helpers import CODE, Chat

Make = Callable[..., Chat]


def test_first_reply_is_bland_and_asks_about_danger(chat: Make) -> None:
    c = chat()
    c.say("hi")
    text = c.last_text.lower()
    assert c.step == "A2"
    assert "danger right now" in text and "1 yes 2 no 3 not sure" in text
    for word in ("trafficking", "sex", "police", "exploitation"):
        assert word not in text
    assert c.state is not None and c.state.answers == {}


def test_typical_witness_core_path_fits_in_15_replies(chat: Make) -> None:
    c = chat()
    c.walk("hello", "2")
    assert "Reply EXIT anytime" in c.last_text and c.step == "A4"  # notice rides with the next question
    assert "police" in c.last_text  # partners named from the context
    c.walk("1", "Workers sleep in the back of the shop", "1 3", "2", "1 5", "1", "Elm street", "3", "1")
    assert c.step == "MORE"
    assert "A few more questions (about 10)" in c.last_text and "2 No, finish now" in c.last_text
    out = c.say("2")
    assert c.state is not None and c.state.status == "finished"
    assert CODE in c.last_text and "911" in c.last_text and "confront" in c.last_text
    assert [(e.kind.value, e.reason, e.code) for e in out.events] == [("complete", "close", CODE)]
    assert c.reply_count <= 15
    assert c.state.answers["B2"] == ["work", "shop"] and c.state.answers["C"] == ["leave", "pay"]


def test_first_message_with_a_story_is_kept_as_b1_and_b1_is_skipped(chat: Make) -> None:
    c = chat()
    story = "There are kids working at night in the nail salon on 5th street"
    c.say(story)
    assert c.step == "A2"
    assert c.state is not None and c.state.answers["B1"] == story
    c.walk("2", "1")
    assert c.step == "B2"  # B1 already given in the reporter's own words


def test_danger_yes_gives_emergency_number_at_once_and_urgent_event(chat: Make) -> None:
    c = chat()
    c.say("hi")
    out = c.say("1")
    assert "911" in c.last_text and "can't send anyone" in c.last_text
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")]
    assert c.step == "A4"


def test_harm_now_mid_interview_is_urgent_with_emergency_number(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "1", "something odd", "2", "2")
    assert c.step == "C"
    c.say("6")
    assert c.step == "C6a"
    out = c.say("1")
    assert ("urgent", "danger") in [(e.kind.value, e.reason) for e in out.events]
    assert "911" in c.last_text and c.step == "W1"


def test_minor_raises_urgent_once_and_notice_does_not_promise_anonymity(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "1", "a girl looks very young", "5")
    out = c.say("3")  # not sure counts as possible minor
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "minor")]
    assert "child protection" in c.last_text and "anonymous" not in c.last_text
    assert c.step == "C"
    c.say("back")
    assert c.step == "B3"
    out = c.say("1")
    assert out.events == []  # once per reason


def walk_to_more(c: Chat, b2: str, b3: str = "2") -> None:
    c.walk("hi", "2", "1", "what I saw", b2, b3)
    if b3 != "2":
        assert c.step == "C"
    c.walk("10", "2", "0", "2", "1")
    assert c.step == "MORE"


def steps_after_more(c: Chat) -> list[str]:
    seen = []
    c.say("1")
    for _ in range(60):
        if c.state is None or c.state.status != "active":
            break
        assert c.step is not None
        seen.append(c.step)
        c.say("0")
    return seen


def test_labour_block(chat: Make) -> None:
    c = chat()
    walk_to_more(c, "1")
    steps = steps_after_more(c)
    assert steps[:1] == ["W3"]
    assert "L1" in steps and "S1" not in steps and "B4" not in steps
    assert steps[-8:] == ["T2", "N1", "N2", "N3", "X1", "X2", "R1", "F2"]
    assert c.state is not None and c.state.status == "finished"


def test_sex_block_only(chat: Make) -> None:
    c = chat()
    walk_to_more(c, "5")
    steps = steps_after_more(c)
    assert "S1" in steps and "L1" not in steps


def test_both_blocks_in_order(chat: Make) -> None:
    c = chat()
    walk_to_more(c, "4")  # salon / massage: both
    steps = steps_after_more(c)
    assert steps.index("L1") < steps.index("S1") < steps.index("T2")


def test_child_block_comes_first(chat: Make) -> None:
    c = chat()
    walk_to_more(c, "6", "1")
    steps = steps_after_more(c)
    assert steps[1:4] == ["B4", "M1", "M2"] and steps.index("M2") < steps.index("S1")


def test_self_report_path_with_consent(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "2")
    assert c.step == "V1" and "2 No, someone may see" in c.last_text
    c.walk("1", "2 3")
    assert c.step == "V3"
    c.walk("2", "1 2", "Chicago")
    assert c.step == "V6" and "1-888-373-7888" in c.last_text and "police" in c.last_text
    out = c.say("2")
    assert c.state is not None and c.state.status == "finished" and CODE in c.last_text
    assert out.events[-1].kind.value == "complete"
    assert c.state.answers["V6"] == "no"


def test_self_report_emergency_need_is_urgent(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "2", "1")
    out = c.say("1")
    assert ("urgent", "danger") in [(e.kind.value, e.reason) for e in out.events]
    assert "911" in c.last_text and c.step == "V3"


def test_self_report_unsafe_ends_with_one_bland_line(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "2")
    out = c.say("2")
    assert len(out.replies) == 1 and "911" in out.replies[0].text
    assert "report" not in out.replies[0].text.lower()
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "unsafe"), ("incomplete", "unsafe")]
    assert c.state is not None and c.state.status == "ended"


def test_self_report_minor_is_informed_not_asked(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "2", "1", "6")
    out = c.say("1")
    assert ("urgent", "minor") in [(e.kind.value, e.reason) for e in out.events]
    c.walk("none", "0")
    assert c.state is not None and c.state.status == "finished"
    assert "V6" not in c.state.answers
    assert "must share your report with child protection" in c.last_text and CODE in c.last_text


def test_come_back_after_finish_adds_information(chat: Make) -> None:
    c = chat()
    walk_to_more(c, "1")
    c.say("2")
    out = c.say("I remembered the van was white")
    assert [(e.kind.value, e.reason) for e in out.events] == [("updated", "more")]
    assert c.state is not None and c.state.answers["addenda"] == ["I remembered the van was white"]
    assert "got it" in c.last_text and CODE not in c.last_text and "report" not in c.last_text
    # A code typed back reaches the engine with the code removed by the service (triage): nothing left.
    out = c.say("")
    assert out.events == [] and c.state.answers["addenda"] == ["I remembered the van was white"]
    out = c.say("EXIT")
    assert c.state.status == "ended" and out.events == []


def test_first_message_that_is_an_emergency_gets_the_number_at_once(chat: Make) -> None:
    c = chat()
    out = c.say("SOS")
    assert [(e.kind.value, e.reason) for e in out.events] == [("urgent", "danger")]
    assert "911" in c.last_text and c.step == "A4"  # on as for Yes, not asked again (trial S6)
    assert "danger right now" not in c.last_text
