"""An on-call rota that is empty, or whose people nobody can reach, means urgent tips alert nobody:
every member sees it on the queue and /alerts."""

from __future__ import annotations

from flask import Flask

from tests.factories import FakeClock
from tests.triage.console.support import Browser, add_member, console_app
from tipline.runtime import Runtime

WARNING = "Urgent tips alert nobody: ask an admin to set the on-call rota."


def test_an_empty_rota_is_shown_to_every_member_until_an_admin_sets_it(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock
) -> None:
    add_member(rt, "worker", "police")
    member = Browser(app.test_client(), clock, username="worker")
    member.enrol()
    for browser in (admin, member):
        for path in ("/", "/alerts"):
            assert WARNING in browser.client.get(path).get_data(as_text=True), (browser.username, path)
    added = admin.client.post("/oncall/people", data={"csrf": admin.token("/oncall"), "name": "Day desk",
                                                      "channel": "sms", "address": "+15557771234", "locale": "en"})
    assert added.status_code == 303
    for path in ("/", "/alerts"):
        assert WARNING not in member.client.get(path).get_data(as_text=True), path


def _rota_add(admin: Browser, name: str, channel: str, address: str = "") -> None:
    added = admin.client.post("/oncall/people", data={"csrf": admin.token("/oncall"), "name": name,
                                                      "channel": channel, "address": address, "locale": "en"})
    assert added.status_code == 303


def test_a_rota_of_people_nobody_can_reach_is_warned_about_like_an_empty_one(rt: Runtime, clock: FakeClock) -> None:
    app = console_app(rt, clock, oncall_unreachable={"sms": "SMS provider not configured"})
    admin = Browser(app.test_client(), clock)
    admin.enrol()
    add_member(rt, "worker", "police")
    member = Browser(app.test_client(), clock, username="worker")
    member.enrol()
    _rota_add(admin, "Night desk", "sms", "+15557771234")
    unreachable = "Urgent tips alert nobody: nobody on the rota can be reached: SMS provider not configured."
    for browser in (admin, member):
        for path in ("/", "/alerts"):
            page = browser.client.get(path).get_data(as_text=True)
            assert unreachable in page and WARNING not in page, (browser.username, path)
    _rota_add(admin, "Maria", "telegram")  # Telegram works here, but Maria never opened her link
    page = member.client.get("/").get_data(as_text=True)
    assert "nobody on the rota can be reached: SMS provider not configured; Telegram not enrolled yet." in page
