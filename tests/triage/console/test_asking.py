"""Asking the reporter from a tip's page: the reporter reads the question when they send their code,
their answer lands on the tip; the question is a note to the tip's queues and is audited."""

from __future__ import annotations

import re

from flask import Flask

from tests.factories import FakeClock, Reporter, service_with_clock
from tests.test_no_plaintext import _database_bytes
from tests.triage.console.casework_support import audit, error_of, member, page_of, post, tip_ids
from tests.triage.console.support import LABOUR_TIP, Browser, give_tips
from tipline.runtime import Runtime

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")


def test_the_reporter_reads_the_question_with_their_code_and_the_answer_reaches_the_tip(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    service = service_with_clock(rt, clock)
    reporter = Reporter(service, "+15550100")
    for line in LABOUR_TIP:
        reporter.send(line)
    code = CODE.search(reporter.last)
    assert code is not None
    (tip_id,) = tip_ids(rt)
    ngo = member(rt, app, clock, "ngo1", "ngo")
    assert post(ngo, tip_id, "ask", question="Which gate of the mill? OKAPIQUESTION")[0] == 303
    assert "Asked the reporter: Which gate of the mill? OKAPIQUESTION" in page_of(ngo, tip_id)
    assert ("ngo1", "ask", tip_id) in audit(rt)
    assert b"OKAPIQUESTION" not in _database_bytes(rt)
    later = Reporter(service, "+15550177")  # another phone: the code is what counts
    later.send(code.group())
    assert "Which gate of the mill? OKAPIQUESTION" in later.last
    later.send("The north gate, after ten at night")
    later.send("DONE")
    assert "The north gate, after ten at night" in page_of(ngo, tip_id)
    again = Reporter(service, "+15550178")
    again.send(code.group())
    assert "OKAPIQUESTION" not in again.last, "a question is shown once"


def test_a_question_must_fit_an_sms_and_outsiders_cannot_ask(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    assert "1 to 300 characters" in error_of(post(admin, tip_id, "ask", question="x" * 301)[1])
    assert "1 to 300 characters" in error_of(post(admin, tip_id, "ask", question="  ")[1])
    outsider = member(rt, app, clock, "cp1", "child")
    assert post(outsider, tip_id, "ask", question="Hello?")[0] == 404
    assert ("cp1", "ask", tip_id) not in audit(rt)
