"""The signs asked in a follow-up by reference code (issue 14, the reporter trial's S7): the summary
and the same follow-up prompt, and no new version of the tip.  Words that tell something beside
the question are still added; a code sent with only the question adds nothing either."""

from __future__ import annotations

import pytest

from storage import sealing, tips
from tests.factories import FakeClock, Reporter, service_with_clock
from tests.triage.test_coming_back import CODE, WITNESS
from tipline.runtime import Runtime
from triage.intake import IntakeService

TITLE = "Signs of trafficking"
PROMPT = "Send what you want to add to your report"


@pytest.fixture
def service(rt: Runtime) -> IntakeService:
    return service_with_clock(rt, FakeClock())


def finished(service: IntakeService) -> str:
    reporter = Reporter(service, "+15550100")
    for line in WITNESS:
        reporter.send(line)
    found = CODE.search(reporter.last)
    assert found
    return found.group()


def versions(rt: Runtime) -> list[int]:
    with rt.db.connect() as conn:
        [tip] = tips.list_tips(conn)
        found = sealing.tip_versions(conn, tip.id)
        conn.rollback()
    return list(found)


@pytest.mark.parametrize("asking", ["what are the signs?", "SIGNS", "is this trafficking?"])
def test_asking_in_a_followup_answers_and_adds_nothing(rt: Runtime, service: IntakeService, asking: str) -> None:
    code = finished(service)
    other = Reporter(service, "+15550200")
    other.send(f"my code is {code}")
    assert PROMPT in other.last
    before = versions(rt)
    other.send(asking)
    assert TITLE in other.last and "Under 18:" in other.last
    assert other.last.rstrip().endswith("Reply DONE when finished.")  # the same prompt, after the summary
    assert versions(rt) == before
    other.send("they moved the workers to a house on Elm street")
    assert "added" in other.last.lower() and len(versions(rt)) == len(before) + 1


def test_a_code_sent_with_only_the_question_adds_nothing(rt: Runtime, service: IntakeService) -> None:
    code = finished(service)
    before = versions(rt)
    other = Reporter(service, "+15550300")
    other.send(f"my code is {code}, what are the signs?")
    assert PROMPT in other.last and TITLE in other.last
    assert versions(rt) == before
