"""A refusal at "where is this, in your own words?" is no place (trial minor 8): "I won't say" or
"не скажу" is kept as the reporter's words, never as the answer, and scores no locatable place."""

from __future__ import annotations

import pytest

from bot import Engine, build_engine
from bot.types import Context, Region
from tests.bot.helpers import LOCALES, Chat
from triage.rules import load_rules
from triage.scoring import assess

TO_W2 = ("hi", "2", "1", "the boss keeps the workers passports", "1", "2", "1 2", "3")


@pytest.fixture(scope="module")
def engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=("en", "ru"), default_locale="en", region=us)


@pytest.mark.parametrize(("locale", "refusal"), [("en", "I won't say"), ("ru", "не скажу")])
def test_a_refusal_at_the_place_question_is_kept_but_scores_no_place(
    engine: Engine, ctx: Context, locale: str, refusal: str
) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.walk(*TO_W2)
    assert c.state is not None and c.step == "W2"
    c.state.locale = locale
    c.say(refusal)
    assert c.step == "T1"  # on, as a skip
    assert c.state.answers.get("W2") is None and c.state.answers["W2:words"] == [refusal]
    assert not any("locatable" in r for r in assess(c.state.answers, rules=load_rules()).reasons)


def test_a_place_in_words_still_counts(engine: Engine, ctx: Context) -> None:
    c = Chat(engine=engine, ctx=ctx)
    c.walk(*TO_W2, "near the old mill")
    assert c.state is not None and c.state.answers["W2"] == "near the old mill"
    assert any("locatable" in r for r in assess(c.state.answers, rules=load_rules()).reasons)
