"""The signs of trafficking on request (issue 14), in the engine: at every step, on SMS and Telegram.

Asking alone changes nothing: the reply is the summary and the same question (on Telegram, the
summary with a button back to it), and the state after is the state before.  A message that
asks and also tells something keeps its words (INTAKE decision 13).
"""

from __future__ import annotations

from typing import Callable

import pytest

from bot import Engine
from bot import signs as sg
from bot.types import Context, ConversationState, InboundMessage, Outcome
from tests.bot.helpers import Chat
from tests.bot.paths import paths_to_steps

Make = Callable[..., Chat]
STEPS = sorted(paths_to_steps())
ASKING = ("what are the signs?", "Is this trafficking?", "how do I know", "SIGNS", "signs", "red flags")
TITLE = "Signs of trafficking"


def at(chat: Make, step: str, channel: str = "sms") -> Chat:
    c = chat(channel)
    c.walk(*paths_to_steps()[step])
    assert c.step == step
    return c


def summary(engine: Engine, ctx: Context) -> list[str]:
    params = {"emergency": ctx.region.emergency}
    return [engine.render.text("en", msgid, **params) for msgid in sg.SUMMARY]


def question(c: Chat, step: str) -> str:
    """The question as the engine renders it (with its numbered options)."""
    engine = c.engine
    return engine.render.question(engine.flow.steps[step], "en", c.ctx.region, engine._params_in("en", c.ctx))


def snapshot(c: Chat) -> dict[str, object]:
    assert c.state is not None
    return c.state.to_dict()


def test_every_question_of_the_flow_is_reached() -> None:
    from tests.bot.paths import english_engine
    assert set(STEPS) == {s.id for s in english_engine().flow.steps.values() if s.asks}


@pytest.mark.parametrize("step", STEPS)
def test_sms_summary_then_the_same_question_and_nothing_changes(
    chat: Make, bot_engine: Engine, ctx: Context, step: str
) -> None:
    c = at(chat, step)
    asked = question(c, step)
    before = snapshot(c)
    out = c.say("what are the signs?")
    text = c.last_text
    for part in summary(bot_engine, ctx):
        assert part in text
    assert text.index(TITLE) < text.index(asked) and out.replies[-1].text.endswith(asked)
    assert out.events == [] and snapshot(c) == before
    assert all(not r.html and not r.buttons for r in out.replies)


@pytest.mark.parametrize("step", STEPS)
def test_telegram_summary_in_bold_groups_with_a_button_back(chat: Make, step: str) -> None:
    c = at(chat, step, "telegram")
    asked = c.outcomes[-1].replies[-1]  # the question with its buttons
    before = snapshot(c)
    out = c.say("SIGNS")
    assert out.events == [] and snapshot(c) == before
    [reply] = out.replies
    assert reply.html and f"<b>{TITLE}" in reply.text and "<b>Control:</b>" in reply.text
    assert "<b>Under 18:</b>" in reply.text and "Not sure? Tell us anyway." in reply.text
    assert [[b.data for b in row] for row in reply.buttons] == [[sg.BACK_DATA]]
    assert reply.buttons[0][0].label == "Back to the question"
    back = c.say(button=sg.BACK_DATA)
    assert back.replies[-1].text == question(c, step) and back.replies[-1].buttons == asked.buttons
    assert snapshot(c) == before


@pytest.mark.parametrize("words", ASKING)
def test_every_way_of_asking(chat: Make, words: str) -> None:
    c = at(chat, "B2")
    before = snapshot(c)
    c.say(words)
    assert TITLE in c.last_text and snapshot(c) == before


def test_a_pending_checklist_keeps_its_ticks(chat: Make) -> None:
    c = at(chat, "C", "telegram")
    c.say(button="C:t:leave")
    c.say(button="C:t:pay")
    c.say("what are the signs")
    back = c.say(button=sg.BACK_DATA)
    ticked = [b.data for row in back.replies[-1].buttons for b in row if b.selected]
    assert ticked == ["C:t:leave", "C:t:pay"]
    c.say(button="C:done")
    assert c.state is not None and c.state.answers["C"] == ["leave", "pay"]


def test_an_answer_after_the_summary_is_the_answer_to_the_pending_question(chat: Make) -> None:
    c = at(chat, "A4")
    c.say("is this trafficking?")
    c.say("3")
    assert c.state is not None and c.state.answers["A4"] == "close" and c.step == "B1"


def test_words_that_also_tell_something_are_kept_at_a_numbered_question(chat: Make) -> None:
    c = at(chat, "B2")
    out = c.say("is this trafficking? the boss keeps all their passports in his truck")
    assert TITLE in c.last_text and c.step == "B2"
    assert c.state is not None and c.state.answers["B2:words"] == [
        "is this trafficking? the boss keeps all their passports in his truck"]
    assert out.replies[-1].text.endswith(question(c, "B2"))


def test_words_that_also_tell_something_answer_a_question_in_words(chat: Make) -> None:
    c = at(chat, "B1")
    c.say("how do I know if this counts? they sleep in the barn and never get paid")
    assert TITLE in c.last_text and c.step != "B1"
    assert c.state is not None and "never get paid" in str(c.state.answers["B1"])


def test_danger_words_beside_the_question_still_raise_the_alarm(chat: Make) -> None:
    c = at(chat, "B2")
    c.say("is this trafficking? they are beating a girl right now")
    assert TITLE in c.last_text and "911" in c.last_text
    assert ("urgent", "danger") in c.events


def test_first_message_asking_starts_no_tip(chat: Make) -> None:
    c = chat()
    out = c.say("how do I know if this is trafficking?")
    assert TITLE in c.last_text and "Is anyone in danger right now?" in c.last_text
    assert out.events == [] and c.state is not None and "B1" not in c.state.answers
    assert c.step == "A2"


def test_first_message_with_an_account_is_kept_as_what_was_seen(chat: Make) -> None:
    c = chat()
    c.say("is this trafficking? the workers at the farm cannot leave and have no pay")
    assert TITLE in c.last_text
    assert c.state is not None and "cannot leave" in str(c.state.answers["B1"])


def test_after_the_close_the_summary_and_the_bland_reply(chat: Make) -> None:
    c = chat()
    c.walk("hi", "2", "3", "they keep the workers passports", "1", "2", "1 2", "1", "behind the mill", "2", "1",
           "2")
    assert c.state is not None and c.state.status == "finished"
    before = snapshot(c)
    out = c.say("what are the signs?")
    assert TITLE in c.last_text and out.events == [] and snapshot(c) == before


def test_state_in_is_never_mutated(bot_engine: Engine, ctx: Context) -> None:
    msg = InboundMessage(channel="sms", address="+15550001111", text="hi")
    first: Outcome = bot_engine.handle(None, msg, ctx)
    kept: ConversationState = first.state
    before = kept.to_dict()
    bot_engine.handle(kept, InboundMessage(channel="sms", address="+15550001111", text="SIGNS"), ctx)
    assert kept.to_dict() == before


def test_telegram_html_is_escaped() -> None:
    html = sg.to_html("Title <x>\nGroup & co: a < b\nNo heading here")
    assert html == "<b>Title &lt;x&gt;</b>\n<b>Group &amp; co:</b> a &lt; b\nNo heading here"


def test_the_outbox_keeps_the_html_mark() -> None:
    from bot.types import OutboxMessage, Reply

    queued = OutboxMessage.of(Reply(text="<b>Control:</b> x", html=True))
    assert OutboxMessage.from_dict(queued.to_dict()).html
    assert not OutboxMessage.from_dict(OutboxMessage.of(Reply(text="plain")).to_dict()).html
    assert "html" not in OutboxMessage(text="plain").to_dict()  # rows stored before stay as they were
