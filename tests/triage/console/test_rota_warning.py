"""An empty on-call rota means urgent tips alert nobody: every member sees it on the queue and /alerts."""

from __future__ import annotations

from flask import Flask

from tests.factories import FakeClock
from tests.triage.console.support import Browser, add_member
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
