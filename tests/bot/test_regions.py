"""Deployment regions: emergency numbers and areas come from data, never from the phone number."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import pytest

from bot import Engine, RegionError, build_engine, load_region
from bot.regions import GENERIC, region_codes, verification_warnings
from bot.types import Context, ConversationState, InboundMessage, Operator, Region, Texting
from tests.bot.helpers import LOCALES, Chat, every_region, make_context
from tests.factories import SHARED
from tipline.runtime import Runtime
from tipline.settings import SettingsError, load_settings

REGIONS_MD = SHARED / "domain" / "REGIONS.md"
ISSUE_CODES = ("US", "GB", "CA", "IE", "DE", "FR", "ES", "IT", "RO", "PL", "BG", "HU", "AU")


def regions_md_rows() -> dict[str, list[str]]:
    """REGIONS.md's table: code -> its cells."""
    rows = {}
    for line in REGIONS_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and re.fullmatch(r"[A-Z]{2}", cells[0]):
            rows[cells[0]] = cells
    return rows


def source_ids() -> set[str]:
    text = REGIONS_MD.read_text(encoding="utf-8").split("## Sources", 1)[1].split("## Gaps", 1)[0]
    return set(re.findall(r"\b([A-Z]{2}[0-9]+) ", text))


def engine_for(region: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=("en",), default_locale="en", region=region)


def by_code(code: str) -> Region:
    return next(r for r in every_region() if r.code == code)


def test_every_issue_region_and_the_fallback_exist_and_match_regions_md() -> None:
    assert set(region_codes()) == {*ISSUE_CODES, GENERIC}
    assert set(regions_md_rows()) == set(ISSUE_CODES)


@pytest.mark.parametrize("region", every_region(), ids=lambda r: r.code)
def test_every_region_loads_with_sourced_dated_numbers_and_builds_an_engine(region: Region) -> None:
    assert region.emergency.isdigit() and region.areas
    kinds = [line.kind for line in region.lines]
    assert kinds == (["emergency", "hotline"] if region.hotline else ["emergency"])
    known = source_ids()
    for line in region.lines:
        assert line.source in known, f"{region.code} {line.kind}: {line.source} is not a REGIONS.md source"
        # The row's own sources, or the generic ones (GN*) for the fallback.
        assert line.source[:2] == (region.code if region.code != GENERIC else "GN")
        assert line.verified == date(2026, 11, 29) and line.verified_live is False
    engine_for(region)  # start-up validation: every message and area word the region needs


@pytest.mark.parametrize("region", every_region(), ids=lambda r: r.code)
def test_every_area_has_its_own_words_in_the_english_catalog(region: Region, bot_engine: Engine) -> None:
    english = bot_engine.catalogs.messages["en"]
    words = [english.get(f"area.{region.code}.{area}", "") for area in region.areas]
    assert all(words) and len(set(words)) == len(words), region.code


@pytest.mark.parametrize("code", ISSUE_CODES)
def test_no_region_says_texting_works_where_regions_md_says_registration_is_needed(code: str) -> None:
    region = by_code(code)
    texting_cell = regions_md_rows()[code][2].lower()
    if "regist" in texting_cell or texting_cell.startswith(("no", "not found", "restricted")):
        assert region.texting in (Texting.REGISTRATION, Texting.NO), code
    # What a reporter in danger reads: the emergency reply to "sos".
    reply = Chat(engine=engine_for(region), ctx=make_context(region)).say("sos").replies
    text = " ".join(r.text for r in reply)
    assert f"call {region.emergency} now" in text
    if region.texting is not Texting.YES:
        assert "you can text" not in text
    if region.texting is not Texting.PARTIAL:
        assert "works only in some areas" not in text
    if region.texting is Texting.REGISTRATION:
        assert f"Texting {region.emergency} works only if you registered for it first" in text


def test_us_texts_are_as_before_and_france_offers_114_for_texts() -> None:
    us = Chat(engine=engine_for(by_code("US")), ctx=make_context(by_code("US"))).say("sos")
    assert "Texting 911 works only in some areas, so call if you can." in us.replies[0].text
    fr = by_code("FR")
    out = Chat(engine=engine_for(fr), ctx=make_context(fr)).say("sos")
    assert "call 112 now. If you cannot speak, you can text 114." in out.replies[0].text


def test_us_hotline_and_areas() -> None:
    region = load_region("US")
    assert (region.hotline, region.hotline_sms) == ("1-888-373-7888", "233733")
    assert region.areas == ("northeast", "midwest", "south", "west")


def walk_to_v6(region: Region) -> Chat:
    c = Chat(engine=engine_for(region), ctx=make_context(region))
    c.walk("hi", "2", "2", "1", "2 3", "2", "1 2", "somewhere")
    assert c.step == "V6"
    return c


def test_the_fallback_gives_only_the_configured_emergency_number_and_no_hotline() -> None:
    region = load_region(GENERIC, emergency="119")
    assert region.emergency == "119" and region.hotline is None
    v6 = walk_to_v6(region).last_text
    assert "unless someone is in danger." in v6 and "contact" not in v6
    sos = Chat(engine=engine_for(region), ctx=make_context(region)).say("sos").replies[0].text
    assert re.findall(r"\d{3,}", sos) == ["119", "119"]  # "call 119 now", "texting 119"


def test_the_fallback_needs_a_configured_number_and_named_regions_refuse_one() -> None:
    with pytest.raises(RegionError, match="no emergency number of its own"):
        load_region(GENERIC)
    with pytest.raises(RegionError, match="2 to 6 digits"):
        load_region(GENERIC, emergency="+44 999")
    with pytest.raises(RegionError, match="has its own emergency number"):
        load_region("GB", emergency="112")


def test_a_region_without_hotline_leaves_the_sentence_out_and_a_police_line_says_so() -> None:
    de = walk_to_v6(by_code("DE")).last_text
    assert de.splitlines()[0].endswith("unless someone is in danger.") and "{" not in de
    es = by_code("ES")
    assert es.hotline_operator is Operator.POLICE
    assert "You can also call the police trafficking line 900 105 090." in walk_to_v6(es).last_text
    assert "You can also contact 1-888-373-7888 (text 233733)." in walk_to_v6(by_code("US")).last_text


def test_unknown_region_names_valid_codes() -> None:
    with pytest.raises(RegionError, match=r"unknown region 'EU'; valid codes: AU, BG, CA, DE, ES, FR, GB, HU, "
                                          r"IE, IT, PL, RO, US, XX"):
        load_region("EU")


@pytest.mark.parametrize(("toml", "error"), [
    ('[ZZ]\nareas=["a"]\n[ZZ.emergency]\nnumber="1"\ntexting="maybe"\nsource="ZZ1"\n'
     "verified=2026-11-29\nverified_live=false\n", r"ZZ\.emergency\.texting must be one of yes, registration"),
    ('[ZZ]\nareas=["a"]\n[ZZ.emergency]\nnumber="1"\ntexting="no"\nsource="a page"\n'
     "verified=2026-11-29\nverified_live=false\n", r"ZZ\.emergency\.source must name a REGIONS\.md source id"),
    ('[ZZ]\nareas=["a"]\n[ZZ.emergency]\nnumber="1"\ntexting="no"\nsource="ZZ1"\n'
     'verified="2026-11-29"\nverified_live=false\n', r"ZZ\.emergency\.verified must be a date"),
    ('[ZZ]\nareas=["a"]\n[ZZ.emergency]\nnumber="1"\ntexting="no"\ntext_number="2"\nsource="ZZ1"\n'
     "verified=2026-11-29\nverified_live=false\n", r"ZZ\.emergency\.text_number is only for texting"),
    ('[ZZ]\nareas=["a"]\nhotlin="1"\n', r"ZZ has unknown keys hotlin"),
    ('[ZZ]\nareas=["North"]\n[ZZ.emergency]\nnumber="1"\ntexting="no"\nsource="ZZ1"\n'
     "verified=2026-11-29\nverified_live=false\n", r"ZZ\.areas has 'North'"),
    ('[ZZ]\nareas=["a"]\n', r"ZZ lacks its \[ZZ\.emergency\] table"),
])
def test_a_malformed_entry_is_named(tmp_path: Path, toml: str, error: str) -> None:
    path = tmp_path / "regions.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(RegionError, match=error):
        load_region("ZZ", path)


def test_start_up_warns_about_numbers_not_verified_live(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path), "TIPLINE_REGION": "GB"}
    with caplog.at_level(logging.WARNING, logger="tipline.runtime"):
        assert Runtime(load_settings(env)).region.code == "GB"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 and all("not verified live" in w and "TIPLINE_REGION_VERIFIED" in w for w in warned)
    assert "source GB3" in warned[0] and "source GB1" in warned[1]
    assert not any("999" in w or "08000" in w for w in warned)  # numbers are not logged

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tipline.runtime"):
        Runtime(load_settings({**env, "TIPLINE_REGION_VERIFIED": "2026-11-29"})).region  # noqa: B018
    assert not caplog.records


def test_a_check_older_than_the_file_still_warns() -> None:
    warned = verification_warnings(load_region("US"), date(2026, 1, 5))
    assert len(warned) == 2 and "after this deployment's check on 5 Jan 2026" in warned[0]
    assert verification_warnings(load_region("US"), date(2026, 11, 29)) == []


def test_region_settings_are_checked(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path)}
    for bad, says in (("yes", "YYYY-MM-DD"), ("2999-01-01", "in the future")):
        with pytest.raises(SettingsError, match=f"TIPLINE_REGION_VERIFIED.*{says}"):
            load_settings({**env, "TIPLINE_REGION_VERIFIED": bad})
    with pytest.raises(SettingsError, match="TIPLINE_EMERGENCY_NUMBER"):
        Runtime(load_settings({**env, "TIPLINE_REGION": "XX"})).region  # noqa: B018
    with pytest.raises(SettingsError, match="TIPLINE_REGION: unknown region 'EU'"):
        Runtime(load_settings({**env, "TIPLINE_REGION": "EU"})).region  # noqa: B018
    generic = Runtime(load_settings({**env, "TIPLINE_REGION": "XX", "TIPLINE_EMERGENCY_NUMBER": "119"})).region
    assert generic.emergency == "119"


def replies_for(engine: Engine, ctx: Context, address: str, texts: list[str]) -> list[str]:
    state: ConversationState | None = None
    out: list[str] = []
    for text in texts:
        outcome = engine.handle(state, InboundMessage(channel="sms", address=address, text=text), ctx)
        state = outcome.state
        out.extend(r.text for r in outcome.replies)
    assert state is not None and state.answers.get("W1") == ctx.region.areas[2]
    return out


@pytest.mark.parametrize("code", ["US", "GB"])
def test_where_answer_and_replies_never_depend_on_the_phone_number(code: str) -> None:
    # INTAKE decision 6: a foreign SIM gets the deployment's numbers and areas, word for word.
    region = by_code(code)
    engine = engine_for(region)
    # Danger, a witness account, "sos" at the "where" question, then the third area.
    texts = ["hi", "1", "1", "Workers sleep in the back", "1 3", "2", "1 5", "sos", "3"]
    home = replies_for(engine, make_context(region), "+15550001111" if code == "US" else "+447700900123", texts)
    for foreign in ("+447700900123", "+4915112345678", "+61412345678", "+15550001111"):
        assert replies_for(engine, make_context(region), foreign, texts) == home
    assert f"call {region.emergency} now" in "\n".join(home)


@pytest.mark.parametrize("code", ["AU", "DE"])
def test_the_regions_own_emergency_number_typed_brings_the_emergency_reply(code: str) -> None:
    # INTAKE decision 12: "000" in Australia or "110" in Germany, sent on its own, is an alarm
    # like "sos"; typed at a numbered question it is a wrong answer, re-asked with the number.
    region = by_code(code)
    c = Chat(engine=engine_for(region), ctx=make_context(region))
    out = c.say(f"{region.emergency}!")
    assert f"call {region.emergency} now" in c.last_text
    assert ("urgent", "danger") in [(e.kind.value, e.reason) for e in out.events]
    c = Chat(engine=engine_for(region), ctx=make_context(region))
    c.say("hi")
    out = c.say(region.emergency)
    assert f"call {region.emergency} now" in c.last_text
    assert not [e for e in out.events if e.kind.value == "urgent"]
