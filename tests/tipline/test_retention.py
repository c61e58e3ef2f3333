"""Retention (issue 13): closed tips past the configured days go with all they carry; a hold keeps one."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from storage import case_notes, cases, tips
from storage.case_tables import CaseNote, CaseNoteEnvelope, TipCase
from storage.tables import Alert, TipEnvelope
from tests.factories import FakeClock, Reporter, service_with_clock
from tipline.jobs import Jobs
from tipline.runtime import Runtime

DAY = 86400.0


def _count(rt: Runtime, model: object) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    with rt.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_closed_tips_past_retention_are_deleted_with_their_parts_but_never_one_on_hold(rt: Runtime) -> None:
    # Given three urgent tips (sealed versions, an alert each), closed a year and more ago (the
    # interviews run now: epoch keys of a year ago are long destroyed; retention counts from the close)...
    long_ago = time.time() - (rt.settings.tip_retention_days + 10) * DAY
    service = service_with_clock(rt, FakeClock())
    for n in range(3):
        reporter = Reporter(service, f"+1555000700{n}")
        reporter.send("hi")
        reporter.send("1")  # someone is in danger right now: a tip and its alert at once
    with rt.db.begin() as conn:
        old, held, recent = [t.id for t in tips.list_tips(conn)]
        for tip_id in (old, held, recent):
            note = case_notes.seal_note(conn, tip_id=tip_id, kind="note", text="called back",
                                        queues=case_notes.tip_queues(conn, tip_id))
            case_notes.write_note(conn, note, staff_id="s1", now=long_ago)
            cases.set_status(conn, tip_id=tip_id, expect="new", status="closed", staff_id="s1", now=long_ago)
        # ...one of them on legal hold, and one whose case was closed only last week.
        cases.set_hold(conn, tip_id=held, hold=False, staff_id="s1", now=long_ago)
        cases.set_hold(conn, tip_id=held, hold=True, staff_id="s1", now=long_ago)
        cases.set_status(conn, tip_id=recent, expect="closed", status="closed", staff_id="s1",
                         now=time.time() - 7 * DAY)
    assert _count(rt, Alert) == 3 and _count(rt, CaseNote) == 3
    envelopes = _count(rt, CaseNoteEnvelope)
    assert envelopes % 3 == 0 and envelopes > 0  # the same queues for each urgent tip

    # When the worker's round runs: the old closed tip goes, with everything attached to it.
    report = Jobs(rt).run_once()
    assert report["purged_tips"] == 1
    with rt.db.connect() as conn:
        assert sorted(t.id for t in tips.list_tips(conn)) == sorted([held, recent])
    assert _count(rt, Alert) == 2 and _count(rt, CaseNote) == 2 and _count(rt, TipCase) == 2
    assert _count(rt, CaseNoteEnvelope) == envelopes // 3 * 2
    with rt.db.connect() as conn:
        left = {r[0] for r in conn.execute(select(TipEnvelope.__table__.c.tip_id))}  # type: ignore[attr-defined]
    assert old not in left and {held, recent} <= left

    # And the next round has nothing more to do (the hold stands, the recent one has time left).
    assert Jobs(rt).run_once()["purged_tips"] == 0
