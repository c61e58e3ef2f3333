"""Casework in headless Chromium: pull a tip, add a note, refer it to another partner, that partner's
member reads it, close it; a member of a third partner gets 404.  Writes docs/screenshots/console-case.png."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from tests.factories import ADMIN_PASSPHRASE, FakeClock
from tests.triage.console.support import WallClock, LABOUR_TIP, add_member, console_app, give_tips
from tipline.runtime import Runtime
from triage.console.totp import code_at

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: make setup-system")



@pytest.fixture
def served(rt: Runtime) -> Iterator[str]:
    give_tips(rt, FakeClock(), LABOUR_TIP)  # routed to triage, ngo and labour
    for username, queue in (("ngo1", "ngo"), ("cop1", "police"), ("cp1", "child")):
        add_member(rt, username, queue)
    server = make_server("127.0.0.1", 0, console_app(rt, WallClock(start=0.0)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _member_page(browser: Any, base: str, username: str) -> Any:
    """A logged-in member in their own browser context (first login: enrol the second factor)."""
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Passphrase").fill(ADMIN_PASSPHRASE)
    page.get_by_role("button", name="Log in").click()
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Confirm").click()
    sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    return page


def test_pull_note_refer_read_elsewhere_close_in_chromium(served: str, backend: str) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        ngo = _member_page(browser, served, "ngo1")
        ngo.get_by_role("button", name="Pull the next tip").click()
        sync_api.expect(ngo).to_have_url(re.compile(r"/tips/[0-9a-f]{32}$"))
        tip_url = ngo.url
        ngo.get_by_label("New note (sealed to the tip's queues)").fill("Called the shelter; they know the mill.")
        ngo.get_by_role("button", name="Add note").click()
        sync_api.expect(ngo.locator("ol.notes")).to_contain_text("Called the shelter")
        ngo.get_by_label("Refer to queue").select_option("police")
        ngo.get_by_label("Why (sealed as a note, the other queue reads it)").fill("Passports are held.")
        ngo.get_by_role("button", name="Refer").click()
        sync_api.expect(ngo.locator("p.note")).to_contain_text("Referred")
        sync_api.expect(ngo.locator("dd.case-status")).to_contain_text("referred")

        cop = _member_page(browser, served, "cop1")
        sync_api.expect(cop.locator("table")).to_contain_text("referred")
        cop.get_by_role("link", name=re.compile("Open tip")).first.click()
        sync_api.expect(cop).to_have_url(tip_url)
        sync_api.expect(cop.locator("ol.notes")).to_contain_text("Called the shelter")
        sync_api.expect(cop.locator("ol.notes")).to_contain_text("Referred to police: Passports are held.")
        sync_api.expect(cop.locator("blockquote.words").first).to_contain_text("passports")

        ngo.get_by_label("Why it closes").select_option("actioned")
        ngo.get_by_role("button", name="Close the case").click()
        sync_api.expect(ngo.locator("dd.case-status")).to_contain_text("closed: Acted on")
        sync_api.expect(ngo.locator("ol.history")).to_contain_text("set the case to closed")
        if backend == "sqlite":
            ngo.screenshot(path=str(SCREENSHOTS / "console-case.png"), full_page=True)

        outsider = _member_page(browser, served, "cp1")
        response = outsider.goto(tip_url)
        assert response is not None and response.status == 404
        sync_api.expect(outsider.get_by_role("heading", name="Not found")).to_be_visible()
        browser.close()
