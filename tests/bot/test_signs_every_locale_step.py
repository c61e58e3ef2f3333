"""The signs summary in every language the line has, at every question, on SMS and Telegram (issue 14).

The reporter is brought to each question (the English paths of ``tests.bot.paths``), the
conversation is then in one of the line's languages, and the reporter types that language's
SIGNS word: the summary comes in that language, then the same question in it (on Telegram, a
button brings the question back), and the conversation is what it was: no answer, no tip event.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from functools import cache

import pytest

from bot import Engine, build_engine, load_region
from bot import signs as sg
from bot.catalog import load_catalogs
from bot.types import Context, ConversationState, InboundMessage, Outcome
from tests.bot.helpers import LOCALES, make_context
from tests.bot.paths import english_engine, paths_to_steps
from tipline.locales import present_locales

PRESENT = present_locales(LOCALES)
STEPS = sorted(paths_to_steps())


@cache
def engine() -> Engine:
    return build_engine(locales_dir=LOCALES, locales=PRESENT, default_locale="en", region=load_region("US"))


@cache
def states() -> dict[str, ConversationState]:
    """The English conversation at each question."""
    ctx = make_context(load_region("US"))
    out = {}
    for step, path in paths_to_steps().items():
        state = None
        for text in path:
            state = english_engine().handle(state, InboundMessage(channel="sms", address="+15550001111", text=text),
                                            ctx).state
        assert state is not None and state.step == step
        out[step] = state
    return out


def in_locale(step: str, locale: str) -> ConversationState:
    """The conversation at ``step``, its language settled on ``locale`` (a fresh copy each time)."""
    state = copy.deepcopy(states()[step])
    return replace(state, locale=locale, extra={**state.extra, "lang_sure": True})


def say(state: ConversationState, ctx: Context, channel: str, text: str = "", button: str | None = None) -> Outcome:
    msg = InboundMessage(channel=channel, address="+15550001111", text=text, button=button)
    return engine().handle(state, msg, ctx)


def word(locale: str) -> str:
    return load_catalogs(LOCALES, (locale,)).words(locale, "cmd.words.signs")[0]


@pytest.mark.parametrize("locale", PRESENT)
def test_every_question_over_sms_in_every_language(locale: str) -> None:
    ctx = make_context(load_region("US"))
    parts = [engine().render.text(locale, msgid, emergency=ctx.region.emergency) for msgid in sg.SUMMARY]
    for step in STEPS:
        state = in_locale(step, locale)
        before = copy.deepcopy(state.to_dict())
        asked = engine().render.question(engine().flow.steps[step], locale, ctx.region,
                                         engine()._params_in(locale, ctx))
        out = say(state, ctx, "sms", word(locale))
        text = "\n".join(r.text for r in out.replies)
        assert all(part in text for part in parts), (locale, step)
        assert out.replies[-1].text.endswith(asked) and text.index(parts[0]) < text.rindex(asked), (locale, step)
        assert out.events == [] and out.state.to_dict() == before, (locale, step)


@pytest.mark.parametrize("locale", PRESENT)
def test_every_question_over_telegram_in_every_language(locale: str) -> None:
    ctx = make_context(load_region("US"))
    title = engine().render.text(locale, sg.SUMMARY[0]).split("\n")[0]
    for step in STEPS:
        state = in_locale(step, locale)
        before = copy.deepcopy(state.to_dict())
        out = say(state, ctx, "telegram", word(locale))
        [reply] = out.replies
        assert reply.html and reply.text.count("<b>") >= 6, (locale, step)  # the title and five groups
        assert title.split("(")[0].split("（")[0].strip() in reply.text, (locale, step)
        assert reply.buttons[0][0].label == engine().render.text(locale, sg.BTN_BACK), (locale, step)
        assert out.events == [] and out.state.to_dict() == before, (locale, step)
        back = say(out.state, ctx, "telegram", button=sg.BACK_DATA)
        asked = engine().render.question(engine().flow.steps[step], locale, ctx.region,
                                         engine()._params_in(locale, ctx))
        assert back.replies[-1].text == asked and back.state.to_dict() == before, (locale, step)
