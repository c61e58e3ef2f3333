"""Answer parsing as people type: numbers, words, lists, and the ambiguous cases."""

from __future__ import annotations

import pytest

from bot import Engine
from bot.options import options_for
from bot.parse import Miss, Parsed, parse_answer
from bot.types import Region


def parse(engine: Engine, region: Region, step_id: str, text: str) -> Parsed:
    step = engine.flow.steps[step_id]
    words = engine.render.answer_words(step, "en", region)
    return parse_answer(step, text, options_for(step, region), words, max_chars=engine.max_text_chars,
                        vocab=engine.vocab)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 3 5", ["leave", "speak", "pay"]),
        ("1,3", ["leave", "speak"]),
        ("1, 3 and 5", ["leave", "speak", "pay"]),
        ("135", ["leave", "speak", "pay"]),  # only one reading: 13 and 35 are not options
        ("5 1", ["leave", "pay"]),
        ("1 1", ["leave"]),
        ("9", ["deceit"]),
        ("10", ["none"]),
        ("none", ["none"]),
        ("None of these", ["none"]),
    ],
)
def test_checklist_variants(bot_engine: Engine, us: Region, text: str, expected: list[str]) -> None:
    result = parse(bot_engine, us, "C", text)
    assert result.ok and result.value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 3 y 5", ["leave", "speak", "pay"]),  # Spanish "and": the 5 was lost before (reporter trial)
        ("1 si 5", ["leave", "pay"]),  # Romanian
        ("1 și 5", ["leave", "pay"]),
        ("١ و ٥", ["leave", "pay"]),  # Arabic, its digits and its "and"
        ("1 và 5", ["leave", "pay"]),  # Vietnamese
        ("1和5", ["leave", "pay"]),  # Chinese, no spaces
        ("1 3 not 5", ["leave", "speak"]),  # a negation is no "and": the 5 is not chosen
        ("1 3 but not 5", ["leave", "speak"]),
    ],
)
def test_checklist_numbers_joined_by_and_in_any_language(
    bot_engine: Engine, us: Region, text: str, expected: list[str]
) -> None:
    result = parse(bot_engine, us, "C", text)
    assert result.ok and result.value == expected, result


@pytest.mark.parametrize(
    ("step", "text", "miss"),
    [
        ("C", "1 10", Miss.NONE_WITH_OTHERS),
        ("C", "11", None),  # 1 twice is still "1"
        ("C", "110", Miss.NONE_WITH_OTHERS),
        ("C", "purple", Miss.UNCLEAR),
        ("C", "", Miss.UNCLEAR),
        ("C", "99", None),  # 9 twice
        ("B2", "89", Miss.UNCLEAR),
        ("B2", "8", Miss.UNCLEAR),
        ("B2", "0", Miss.UNCLEAR),
    ],
)
def test_checklist_misses(bot_engine: Engine, us: Region, step: str, text: str, miss: Miss | None) -> None:
    assert parse(bot_engine, us, step, text).miss == miss


def test_ambiguous_digit_run_is_asked_again() -> None:
    # A 12-option checklist: "12" could be 12 or 1 and 2.
    from bot.flow import Option, Step

    step = Step(id="X", type="checklist", text="q", next={"*": "@close"},
                options=tuple(Option(str(n), f"o{n}") for n in range(1, 13)))
    assert parse_answer(step, "12", step.options, {}).miss is Miss.AMBIGUOUS
    assert parse_answer(step, "1 2", step.options, {}).value == ["1", "2"]


def test_several_numbers_where_one_answer_is_asked_are_not_called_ambiguous() -> None:
    # "1 2 3" or "٢ ٥" at a one-answer question: the reporter is asked for one number, not
    # told to put spaces between the numbers (they did).  "2 yes" stays two readings.
    from bot.flow import Option, Step

    step = Step(id="X", type="single", text="q", next={"*": "@close"},
                options=tuple(Option(k, f"o{k}") for k in ("yes", "no", "unsure")))
    assert parse_answer(step, "1 2 3", step.options, {}).miss is Miss.SEVERAL
    assert parse_answer(step, "٢ ٥", step.options, {}).miss is Miss.SEVERAL
    assert parse_answer(step, "1, 3", step.options, {}).miss is Miss.SEVERAL
    assert parse_answer(step, "2 yes", step.options, {"yes": "yes"}).miss is Miss.CONFLICT


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", "yes"), ("2", "no"), ("3", "unsure"), ("y", "yes"), ("N", "no"), ("not sure", "unsure"),
     ("Yes.", "yes"), ("2 no", "no"), ("1. Yes", "yes"), ("don't know", "unsure")],
)
def test_yes_no_unsure(bot_engine: Engine, us: Region, text: str, expected: str) -> None:
    assert parse(bot_engine, us, "A2", text).value == expected


@pytest.mark.parametrize("text", ["4", "1 2", "2 yes", "maybe not", "0"])
def test_yes_no_unsure_misses(bot_engine: Engine, us: Region, text: str) -> None:
    assert not parse(bot_engine, us, "A2", text).ok


def test_choice_by_number_label_and_part(bot_engine: Engine, us: Region) -> None:
    assert parse(bot_engine, us, "L1", "14").value == "other"
    assert parse(bot_engine, us, "L1", "construction").value == "construction"
    assert parse(bot_engine, us, "L1", "boats").value == "fishing"
    assert parse(bot_engine, us, "W1", "midwest").value == "midwest"
    assert parse(bot_engine, us, "W1", "5").value == "other"
    assert parse(bot_engine, us, "MORE", "finish now").value == "no"


def test_text_length_limit_is_the_hard_limit(bot_engine: Engine, us: Region) -> None:
    assert parse(bot_engine, us, "W3", "x" * 201).ok  # kept whole; the engine splits it
    assert parse(bot_engine, us, "W3", "x" * 5001).miss is Miss.TOO_LONG
    assert parse(bot_engine, us, "W3", "   ").miss is Miss.UNCLEAR
