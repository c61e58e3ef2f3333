"""A reporter who had to stop (EXIT, a watched phone) and came back: the tip they finish keeps
what they gave before the pause (trial S4), and the words that say "not safe now" end the chat
like EXIT (trial S3).  Each runs on SQLite and PostgreSQL through the intake service."""

from __future__ import annotations

import json

import pytest

from storage import tips
from tests.factories import FakeClock, Reporter, service_with_clock
from tests.triage.test_coming_back import versions
from tipline.runtime import Runtime
from triage.console.tipview import merged_answers
from triage.intake import IntakeService

# The trial's witness: passports kept, cannot leave the farm; EXIT at "when", then back.
BEFORE_EXIT = ["hi", "2", "1", "the boss keeps the workers passports and they cant leave the farm", "1", "2",
               "1 2 4", "3", "near the old mill", "EXIT"]
AFTER_EXIT = ["ok he is gone", "1", "2", "1", "2"]


@pytest.fixture
def service(rt: Runtime) -> IntakeService:
    return service_with_clock(rt, FakeClock())


def only_tip(rt: Runtime) -> tips.TipMeta:
    with rt.db.connect() as conn:
        [tip] = tips.list_tips(conn)
    return tip


def test_finishing_after_exit_keeps_the_priority_and_categories_of_the_whole_tip(
    rt: Runtime, service: IntakeService
) -> None:
    reporter = Reporter(service, "+15550401")
    for line in BEFORE_EXIT:
        reporter.send(line)
    paused = only_tip(rt)
    assert paused.priority == "P2" and "labour" in paused.categories
    for line in AFTER_EXIT:
        reporter.send(line)
    done = only_tip(rt)
    assert done.status == "complete" and done.version > paused.version
    assert done.priority == "P2" and "labour" in done.categories
    assert set(paused.queues) <= set(done.queues)
    opened = versions(rt, done.id)
    assert opened[-1]["assessment"]["priority"] == "P2"
    # Staff read the same answers before and after: the checklist, and the words typed once.
    answers = merged_answers(opened)
    assert answers["C"] == opened[0]["answers"]["C"]
    assert answers["B1"].startswith("the boss keeps")


def test_a_watched_phone_seals_what_was_given_without_an_alert_and_stores_none_of_it(
    rt: Runtime, service: IntakeService
) -> None:
    reporter = Reporter(service, "+15550402")
    for line in BEFORE_EXIT[:6]:
        reporter.send(line)
    reporter.send("phone unsafe, my boss is watching")
    assert "chat has ended" in reporter.last.lower() and "911" not in reporter.last
    tip = only_tip(rt)
    with rt.db.connect() as conn:
        assert tips.open_alert_list(conn) == []
    assert "WATCHING" not in json_text(versions(rt, tip.id))


def json_text(opened: list[dict[str, object]]) -> str:
    return json.dumps(opened).upper()
