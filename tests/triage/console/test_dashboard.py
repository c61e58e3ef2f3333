"""The dashboard on a real tip line: counts of opened tips, small ones protected, the CSV the same."""

from __future__ import annotations

import csv
import html
import io
import re

from flask import Flask
from sqlalchemy import select

from storage.tables import AuditEntry
from tests.factories import FakeClock, table_of
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, Browser, add_member, give_tips
from tipline.runtime import Runtime
from triage.console.dashboard import area_of

SIX_LABOUR_ONE_DANGER = [LABOUR_TIP] * 6 + [DANGER_TIP]


def _tables(page: str) -> dict[str, list[list[str]]]:
    """Each counts table of the page as rows of cell texts (header row first)."""
    found: dict[str, list[list[str]]] = {}
    for key, body in re.findall(r'<table class="counts" id="table-(\w+)">(.*?)</table>', page, re.S):
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        found[key] = [[html.unescape(c.strip()) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
                      for r in rows]
    return found


def _audit_actions(rt: Runtime) -> list[tuple[str, str]]:
    t = table_of(AuditEntry)
    with rt.db.connect() as conn:
        return [(r.action, r.subject) for r in conn.execute(select(t).order_by(t.c.seq))]


def test_the_dashboard_counts_the_members_tips_and_hides_small_counts(
    rt: Runtime, clock: FakeClock, admin: Browser
) -> None:
    give_tips(rt, clock, *SIX_LABOUR_ONE_DANGER)
    response = admin.client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "7 tips opened with your keys" in page
    tables = _tables(page)
    assert set(tables) == {"priority", "category", "area", "language", "campaign"}
    priority = tables["priority"]
    assert priority[0] == ["Week", "P1", "P2", "P3", "P4", "Total"]
    assert priority[-1][0] == "Total" and priority[-1][-1] == "7"
    assert priority[-1][1] == "<5"  # the one P1 tip
    # The P1 count cannot be had as 7 minus the other columns: another column is hidden too.
    assert sum(t == "x" for t in priority[-1][2:5]) >= 1
    language = tables["language"]
    assert language[0] == ["Week", "English", "Total"] and language[-1] == ["Total", "7", "7"]
    # Every table's week totals agree: what one hides, all hide.
    week_totals = {k: [r[-1] for r in t[1:]] for k, t in tables.items() if k != "category"}
    assert len({tuple(v) for v in week_totals.values()}) == 1
    assert page.count('<svg role="img"') == 6
    assert "<desc id=\"chart-priority-desc\">P1: &lt;5;" in page
    assert ("dashboard", "7 tips, 12 weeks") in _audit_actions(rt)


def test_the_csv_holds_exactly_the_cells_of_the_page(rt: Runtime, clock: FakeClock, admin: Browser) -> None:
    give_tips(rt, clock, *SIX_LABOUR_ONE_DANGER)
    tables = _tables(admin.client.get("/dashboard?weeks=4").get_data(as_text=True))
    response = admin.client.get("/dashboard.csv?weeks=4")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["table", "week", "column", "count"]
    from_page = {(key, row[0], t[0][j]): cell for key, t in tables.items() for row in t[1:]
                 for j, cell in enumerate(row) if j > 0}
    assert {(r[0], r[1], r[2]): r[3] for r in rows[1:]} == from_page
    assert len(rows) - 1 == len(from_page)
    assert ("dashboard_csv", "7 tips, 4 weeks") in _audit_actions(rt)


def test_a_member_of_another_partner_counts_none_of_these_tips(
    rt: Runtime, app: Flask, clock: FakeClock
) -> None:
    give_tips(rt, clock, LABOUR_TIP)  # not routed to child protection
    add_member(rt, "cp", "child")
    outsider = Browser(app.test_client(), clock, username="cp")
    outsider.enrol()
    page = outsider.client.get("/dashboard").get_data(as_text=True)
    assert "0 tips opened with your keys" in page
    assert _tables(page)["priority"][-1][-1] == "0"
    assert "labour" not in outsider.client.get("/dashboard.csv").get_data(as_text=True)


def test_tips_outside_the_window_are_not_counted(rt: Runtime, clock: FakeClock, admin: Browser) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    clock.advance(3 * 7 * 86400)
    admin.login()  # the session did not last three weeks
    assert "0 tips opened" in admin.client.get("/dashboard?weeks=1").get_data(as_text=True)
    page = admin.client.get("/dashboard?weeks=5").get_data(as_text=True)
    assert "<5 tips opened" in html.unescape(page)  # the count itself is small: not printed either
    assert re.search(r"\(\d tips opened", page) is None


def test_a_bad_window_gets_a_clear_answer(admin: Browser) -> None:
    response = admin.client.get("/dashboard?weeks=0")
    assert response.status_code == 400
    assert "Weeks must be a whole number from 1 to 53" in response.get_data(as_text=True)
    assert admin.client.get("/dashboard.csv?weeks=many").status_code == 400


def test_the_dashboard_needs_a_logged_in_member(app: Flask) -> None:
    response = app.test_client().get("/dashboard.csv")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")


def test_the_area_is_the_one_the_tip_was_routed_with() -> None:
    areas = ("north", "south")
    assert area_of({"W1": "north", "campaign": "south"}, areas) == "north"
    assert area_of({"W1": "other", "campaign": "south"}, areas) == "south"
    assert area_of({"W1": "other"}, areas) == "other"
    assert area_of({"W1": "made-up"}, areas) == ""
    assert area_of({}, areas) == ""
