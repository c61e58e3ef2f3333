"""A reporter trial: danger words after a finished report, in the reporter's own language,
raise the tip's one alert and count repeats (INTAKE decision 12), on a line offering every locale.

Each runs on SQLite and PostgreSQL through the intake service, as a reporter would write.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot import Engine
from bot.regions import load_region
from storage import tips
from tests.bot.langwire_helpers import complete_copy, every_locale_engine
from tests.bot.test_language_wiring import INTERVIEWS
from tests.factories import FakeClock, Reporter, service_with_clock
from tipline.runtime import Runtime
from triage.intake import IntakeService

LOCALES = Path(__file__).resolve().parents[2] / "locales"


@pytest.fixture(scope="module")
def every_locale(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return every_locale_engine(complete_copy(tmp_path_factory.mktemp("alarms") / "locales"), load_region("US"))


@pytest.fixture
def service(rt: Runtime, every_locale: Engine) -> IntakeService:
    return service_with_clock(rt, FakeClock(), engine=every_locale)


def danger_word(locale: str) -> str:
    """The first danger word of the locale's words file: what its reporters type for danger."""
    table = tomllib.loads((LOCALES / locale / "words.toml").read_text(encoding="utf-8"))
    return str(table["emergency"]["danger"][0])


def finished_in(service: IntakeService, locale: str, address: str) -> Reporter:
    """A witness report in the reporter's language, closed with that language's DONE."""
    account, _yes, no, _lang, done, _exit = next(i[1:] for i in INTERVIEWS if i[0] == locale)
    reporter = Reporter(service, address)
    for line in [account, no, "١" if locale == "ar" else "1", "١ ٣" if locale == "ar" else "1 3", done]:
        reporter.send(line)
    return reporter


def one_tip(rt: Runtime) -> tuple[tips.TipMeta, list[int]]:
    with rt.db.connect() as conn:
        [tip] = tips.list_tips(conn)
        return tip, [a.repeats for a in tips.open_alert_list(conn) if a.tip_id == tip.id]


def test_spanish_danger_after_a_finished_report_raises_the_alert_and_counts_repeats(
    rt: Runtime, service: IntakeService
) -> None:
    reporter = finished_in(service, "es", "+15550301")
    before, alerts = one_tip(rt)
    assert before.priority != "P1" and alerts == []
    reporter.send("están en peligro, él tiene una pistola")  # the trial's exact words
    assert "911" in reporter.last
    after, alerts = one_tip(rt)
    assert after.id == before.id and after.priority == "P1" and alerts == [0]
    reporter.send("están en peligro, él tiene una pistola")
    assert one_tip(rt)[1] == [1]  # one open alert, the repeat counted


@pytest.mark.parametrize("locale", [i[0] for i in INTERVIEWS])
def test_each_languages_danger_word_after_the_close_raises_the_alert(
    rt: Runtime, service: IntakeService, locale: str
) -> None:
    reporter = finished_in(service, locale, "+15550302")
    assert one_tip(rt)[1] == []
    reporter.send(danger_word(locale))
    tip, alerts = one_tip(rt)
    assert tip.priority == "P1" and alerts == [0], (locale, danger_word(locale))
