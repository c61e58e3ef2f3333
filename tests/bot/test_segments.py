"""Segment counting, and the three-segment budget for every reply the engine can render."""

from __future__ import annotations

import pytest

from bot import Engine
from bot import messages as m
from bot.region_words import region_params
from bot.render import pack
from bot.segments import is_gsm7, segments
from bot.types import Region
from tests.bot.helpers import every_region

REGIONS = every_region()
PARAMS = {"max": "1000", "code": "7KQ2-M9XD-4TRW5"}


def test_segment_counting() -> None:
    assert segments("") == 1
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("a" * 306) == 2 and segments("a" * 307) == 3
    assert segments("a" * 159 + "{") == 2  # extension characters take two septets
    assert segments("\u2019" + "a" * 69) == 1 and segments("\u2019" + "a" * 70) == 2  # curly quote: UCS-2
    assert segments("\u2019" + "a" * 133) == 2 and segments("\u2019" + "a" * 134) == 3
    assert segments("\U0001F600" * 35) == 1  # emoji are two UTF-16 units


def test_english_catalog_is_gsm7(bot_engine: Engine) -> None:
    for msgid, text in bot_engine.catalogs.messages["en"].items():
        assert is_gsm7(text), msgid


def params(engine: Engine, region: Region) -> dict[str, str]:
    partners = engine.render.partners("en", m.PARTNER_KINDS)
    return {**region_params(engine.render, "en", region), "partners": partners, **PARAMS}


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: r.code)
def test_every_step_and_message_fits_three_segments(bot_engine: Engine, region: Region) -> None:
    p = params(bot_engine, region)
    render = bot_engine.render
    for step in bot_engine.flow.steps.values():
        question = render.question(step, "en", region, p)
        assert segments(question) <= 3, step.id
        # The longest things that can ride before a question: hints, help, notices.
        before = [render.text("en", x, **p) for x in (m.HINT_AMBIGUOUS, m.HINT_COMMANDS, m.HELP, m.MEDIA)]
        notices = [render.text("en", s.text, **p) for s in bot_engine.flow.steps.values() if not s.asks]
        for reply in pack(before + notices + [question]):
            assert segments(reply.text) <= 3, step.id
    for msgid in (*m.SYSTEM, f"q.{bot_engine.flow.close}"):
        assert segments(render.text("en", msgid, **p)) <= 3, msgid


def test_notice_and_next_question_share_one_reply(bot_engine: Engine, us: Region) -> None:
    p = params(bot_engine, us)
    parts = [bot_engine.render.text("en", "q.A1", **p),
             bot_engine.render.question(bot_engine.flow.steps["A4"], "en", us, p)]
    assert len(pack(parts)) == 1
