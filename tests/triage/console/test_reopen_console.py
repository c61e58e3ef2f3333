"""The tester's steps: a member closes a case, the reporter comes back in danger after DONE; the
queue pulls it again, /alerts shows it, and the tip page says what is new and that it reopened."""

from __future__ import annotations

import html

from storage import tips
from storage.db import read_only
from tests.factories import FakeClock, Reporter, service_with_clock
from tests.triage.test_coming_back import WITNESS
from tests.triage.console.support import Browser
from tipline.runtime import Runtime


def test_danger_on_a_closed_case_is_pulled_again_and_said_on_the_page(
    rt: Runtime, admin: Browser, clock: FakeClock
) -> None:
    reporter = Reporter(service_with_clock(rt, clock), "+15550177")
    for line in WITNESS:
        reporter.send(line)
    pulled = admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"]
    tip_id = pulled.rsplit("/", 1)[1]
    admin.client.get(f"/tips/{tip_id}")  # read once: what comes later is new to this member
    closed = admin.client.post(f"/tips/{tip_id}/close", data={"csrf": admin.token("/"), "reason": "insufficient"})
    assert closed.status_code == 303
    assert admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"].endswith("note=empty")
    clock.advance(600)
    reporter.send("help someone is hurt now")
    with read_only(rt.db) as conn:
        assert [a.tip_id for a in tips.open_alert_list(conn)] == [tip_id]
    assert tip_id[:8] in admin.client.get("/alerts").get_data(as_text=True)
    assert admin.client.post("/next", data={"csrf": admin.token()}).headers["Location"].endswith(f"/tips/{tip_id}")
    page = html.unescape(admin.client.get(f"/tips/{tip_id}").get_data(as_text=True))
    assert "New information" in page and "reopened it" in page
