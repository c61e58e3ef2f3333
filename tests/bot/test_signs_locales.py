"""The signs summary in every language the line has (issue 14): asked for in that language's
words, it comes in that language, grouped, within three SMS segments a message, and with no
word carriers filter (INTAKE decision 11)."""

from __future__ import annotations

import re
import tomllib
from functools import cache

import pytest

from bot import Engine, build_engine, load_region
from bot import signs as sg
from bot.catalog import load_catalogs
from bot.segments import MAX_SEGMENTS, segments
from bot.types import Context, ConversationState, InboundMessage, Outcome
from bot.words import load_vocabularies
from tests.bot.helpers import LOCALES, make_context
from tipline.locales import present_locales

PRESENT = present_locales(LOCALES)
FILTER = tomllib.loads((LOCALES / "carrier_filter.toml").read_text(encoding="utf-8"))
GROUPS = 5  # control, debt and pay, work and living, the person, under 18 (INTAKE.md section 0)


@cache
def engine() -> Engine:
    return build_engine(locales_dir=LOCALES, locales=PRESENT, default_locale="en", region=load_region("US"))


@pytest.fixture
def ctx() -> Context:
    return make_context(load_region("US"))


def say(state: ConversationState | None, text: str, ctx: Context, channel: str = "sms") -> Outcome:
    return engine().handle(state, InboundMessage(channel=channel, address="+15550001111", text=text), ctx)


def texts(locale: str) -> list[str]:
    return [engine().render.text(locale, msgid) for msgid in sg.SUMMARY]


def command_words(locale: str) -> list[str]:
    return list(load_catalogs(LOCALES, (locale,)).words(locale, "cmd.words.signs"))


def filtered(locale: str, text: str) -> list[str]:
    folded = text.casefold()
    anywhere = [w for w in FILTER.get(locale, []) if w.casefold() in folded]
    at_start = [w for w in FILTER["all"] if re.search(r"(?<!\w)" + re.escape(w), folded)]
    return anywhere + at_start


@pytest.mark.parametrize("locale", PRESENT)
def test_asked_in_the_language_answered_in_it(locale: str, ctx: Context) -> None:
    first = say(None, command_words(locale)[0], ctx)
    assert first.state.locale == locale and first.events == [] and first.state.step == "A2"
    sent = "\n".join(r.text for r in first.replies)
    assert all(part in sent for part in texts(locale))
    phrase = load_vocabularies(LOCALES, (locale,))[locale].signs[0]
    before = first.state.to_dict()
    again = say(first.state, phrase, ctx)
    assert again.state.to_dict() == before and again.events == []
    assert texts(locale)[0] in "\n".join(r.text for r in again.replies)


@pytest.mark.parametrize("locale", PRESENT)
def test_fits_three_sms_segments_a_message(locale: str, ctx: Context) -> None:
    state = say(None, command_words(locale)[0], ctx).state
    out = say(state, "SIGNS", ctx)
    assert out.replies and all(segments(r.text) <= MAX_SEGMENTS for r in out.replies)
    assert all(segments(part) <= MAX_SEGMENTS for part in texts(locale))


@pytest.mark.parametrize("locale", PRESENT)
def test_no_word_carriers_filter(locale: str) -> None:
    words = [*texts(locale), engine().render.text(locale, sg.BTN_BACK)]
    assert not [w for text in words for w in filtered(locale, text)], locale


@pytest.mark.parametrize("locale", PRESENT)
def test_grouped_as_the_authorities_group_them(locale: str) -> None:
    lines = "\n".join(texts(locale)).split("\n")
    headed = [line for line in lines[1:] if "<b>" in sg.to_html("title\n" + line).split("\n")[1]]
    assert len(headed) == GROUPS, (locale, lines)
    assert lines[-1] not in headed  # "not sure? tell us anyway" is plain
    assert "18" in headed[-1]


@pytest.mark.parametrize("locale", PRESENT)
def test_telegram_shows_it_with_bold_groups_and_a_button(locale: str, ctx: Context) -> None:
    state = say(None, command_words(locale)[0], ctx, "telegram").state
    [reply] = say(state, command_words(locale)[0], ctx, "telegram").replies
    assert reply.html and reply.text.count("<b>") == GROUPS + 1
    assert reply.buttons[0][0].label == engine().render.text(locale, sg.BTN_BACK)


@pytest.mark.parametrize("locale", PRESENT)
def test_the_help_reply_names_the_signs_word_and_the_word_works(locale: str, ctx: Context) -> None:
    state = say(None, command_words(locale)[0], ctx).state
    before = state.to_dict()
    help_text = "\n".join(r.text for r in say(state, "?", ctx).replies).casefold()
    named = [w for w in command_words(locale) if w.casefold() in help_text]
    assert named, f"{locale}: the help reply does not name the SIGNS word: {help_text}"
    out = say(state, named[0], ctx)
    assert texts(locale)[0] in "\n".join(r.text for r in out.replies) and out.state.to_dict() == before


def test_the_filter_catches_what_it_lists() -> None:
    assert filtered("en", "made to do sex acts") == ["sex"]
    assert filtered("es", "vuelve a la pregunta") == []  # "gun" only at a word's start
    assert filtered("zh", "卖淫") == ["卖淫"]
