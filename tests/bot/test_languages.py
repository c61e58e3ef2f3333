"""LANG with several enabled locales: a menu, a pick by number, name or button, the question again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import Engine, build_engine
from bot.types import Context, Region
from tests.bot.helpers import LOCALES, Chat, make_context


@pytest.fixture
def two_locales(tmp_path: Path, us: Region) -> Engine:
    # A stand-in second catalog: the English one with its own name and one changed question.
    for lang in ("en", "es"):
        shutil.copytree(LOCALES / "en", tmp_path / lang)
    po = tmp_path / "es" / "LC_MESSAGES" / "tipline.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "English"', 'msgstr "Español"')
    text = text.replace('msgstr "Is anyone in danger right now?"', 'msgstr "¿Hay alguien en peligro ahora?"')
    po.write_text(text.replace('"Language: en\\n"', '"Language: es\\n"'), encoding="utf-8")
    return build_engine(locales_dir=tmp_path, locales=("en", "es"), default_locale="en", region=us)


def test_lang_menu_and_pick_by_letter(two_locales: Engine, us: Region) -> None:
    c = Chat(engine=two_locales, ctx=make_context(us))
    c.say("ok")  # too short to tell a language by and no greeting: the danger check, then the menu
    assert "1 Yes" in c.last_text and "a English" in c.last_text and "b Español" in c.last_text
    c.say("LANG")
    assert "a English" in c.last_text and "b Español" in c.last_text and "1 English" not in c.last_text
    c.say("b")
    assert c.state is not None and c.state.locale == "es" and "peligro" in c.last_text and c.step == "A2"
    c.say("1")
    assert c.state.answers["A2"] == "yes"  # after the menu, numbers answer the question again


def test_lang_pick_by_name_and_by_button(two_locales: Engine, us: Region) -> None:
    c = Chat(engine=two_locales, ctx=make_context(us), channel="telegram")
    c.walk("hi", "lang")
    assert [b.data for row in c.outcomes[-1].replies[-1].buttons for b in row] == ["lang:en", "lang:es"]
    c.say(button="lang:es")
    assert c.state is not None and c.state.locale == "es"
    c.walk("LANG", "english")
    assert c.state.locale == "en" and "Is anyone in danger" in c.last_text


def test_start_payload_chooses_the_locale(two_locales: Engine, us: Region) -> None:
    from bot.types import InboundMessage

    out = two_locales.handle(None, InboundMessage(channel="telegram", address="1", text="/start", start_payload="es"),
                             make_context(us))
    assert out.state.locale == "es" and "peligro" in out.replies[-1].text


def test_deep_link_carries_language_and_campaign_area(bot_engine: Engine, ctx: Context) -> None:
    from bot.types import InboundMessage

    start = InboundMessage(channel="telegram", address="1", text="", start_payload="en-south")
    out = bot_engine.handle(None, start, ctx)
    assert out.state.locale == "en" and out.state.answers.get("campaign") == "south"
    assert out.replies and not out.events
    # Nothing the reporter gave: expiry seals no tip.
    assert bot_engine.expire(out.state, ctx).events == []
