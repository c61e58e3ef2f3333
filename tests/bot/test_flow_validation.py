"""Start-up refuses a broken flow or catalog with a message naming the problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot import FlowError, build_engine, load_catalogs, load_flow, load_region, validate
from bot.flow import DEFAULT_FLOW
from tests.bot.helpers import LOCALES

BASE = DEFAULT_FLOW.read_text(encoding="utf-8")


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    path = tmp_path / "flow.toml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    return path


def test_real_flow_loads_and_validates() -> None:
    flow = load_flow()
    validate(flow, load_catalogs(LOCALES, ("en",)), load_region("US"))
    core = [s for s in flow.steps.values() if s.core and not s.id.startswith("V")]
    assert len(core) <= 10


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "B1"\ntype = "text"', 'id = "B1"\ntype = "essay"', "unknown type 'essay'"),
        ('next = { "*" = "B2" }', 'next = { "*" = "B9" }', "next target 'B9' does not exist"),
        ('next = { "*" = "N1" }', 'next = { "*" = "N2" }', "unreachable from A2: N1"),
        ('{ key = "home", text = "opt.B2.home" }', '{ key = "home" }', "option 'home' has no text key"),
        ('id = "L3"', 'id = "L2"', "duplicate step id 'L2'"),
        ('urgent = { yes = "minor", unsure = "minor" }', 'urgent = { maybe = "minor" }',
         "urgent key 'maybe' is not a valid answer"),
        ('next = { self = "V1", "*" = "B1" }', 'next = { me = "V1", "*" = "B1" }',
         "next key 'me' is not a valid answer"),
        ('when = { B3 = ["yes", "unsure"] }', 'when = { B3 = ["perhaps"] }', "'perhaps' is not a valid answer"),
        ('first = "B4"', 'first = "B44"', "first step 'B44' does not exist"),
        ('start = "A2"', 'start = "A0"', "start names a step that does not exist"),
    ],
)
def test_broken_flow_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(FlowError, match=re.escape(message)):
        load_flow(broken(tmp_path, old, new))


def test_unreadable_flow_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flow.toml"
    path.write_text("this is [not toml", encoding="utf-8")
    with pytest.raises(FlowError, match="cannot read flow file"):
        load_flow(path)


def catalog_copy(tmp_path: Path, drop: str = "", replace: tuple[str, str] | None = None) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES / "en", target / "en")
    po = target / "en" / "LC_MESSAGES" / "tipline.po"
    text = po.read_text(encoding="utf-8")
    if drop:
        text = re.sub(rf'msgid "{re.escape(drop)}"\nmsgstr "[^\n]*"\n', "", text)
    if replace:
        text = text.replace(*replace)
    po.write_text(text, encoding="utf-8")
    return target


@pytest.mark.parametrize("msgid", ["q.B3", "opt.B2.home", "opt.none", "area.US.west", "partner.police",
                                   "reply.exit.telegram", "cmd.words.skip", "opt.MORE.no"])
def test_missing_message_id_is_refused(tmp_path: Path, msgid: str) -> None:
    locales = catalog_copy(tmp_path, drop=msgid)
    with pytest.raises(FlowError, match=rf"catalog 'en' lacks message ids: .*{re.escape(msgid)}"):
        build_engine(locales_dir=locales, locales=("en",), default_locale="en", region=load_region("US"))


def test_region_areas_must_be_in_the_catalog(tmp_path: Path) -> None:
    locales = catalog_copy(tmp_path, drop="area.GB.wales")
    with pytest.raises(FlowError, match="area.GB.wales"):
        build_engine(locales_dir=locales, locales=("en",), default_locale="en", region=load_region("GB"))


def test_every_enabled_locale_must_have_a_catalog(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="catalog for locale 'xx'"):
        load_catalogs(LOCALES, ("en", "xx"))


def test_command_words_must_avoid_carrier_keywords(tmp_path: Path) -> None:
    locales = catalog_copy(tmp_path, replace=('msgstr "MENU|?"', 'msgstr "MENU|?|HELP"'))
    with pytest.raises(FlowError, match="carrier-reserved words: help"):
        build_engine(locales_dir=locales, locales=("en",), default_locale="en", region=load_region("US"))


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('danger = ["emergency", "sos",', 'danger = ["emergency", "sos", "info",', "emergency.danger"),
    ('yes = ["yes", "y",', 'yes = ["yes", "start", "y",', "answers.yes"),
])
def test_whole_message_words_never_include_carrier_keywords(tmp_path: Path, old: str, new: str, problem: str) -> None:
    locales = catalog_copy(tmp_path)
    words = locales / "en" / "words.toml"
    text = words.read_text(encoding="utf-8")
    assert old in text
    words.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(FlowError, match=f"{problem} uses carrier-reserved words"):
        build_engine(locales_dir=locales, locales=("en",), default_locale="en", region=load_region("US"))


def test_default_locale_must_be_enabled() -> None:
    with pytest.raises(FlowError, match="default locale 'es'"):
        build_engine(locales_dir=LOCALES, locales=("en",), default_locale="es", region=load_region("US"))
