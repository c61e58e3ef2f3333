"""The console in headless Chromium (Playwright with Debian's chromium): enrol, log in with the
second factor, pull a tip, read it.  (The queue and tip screenshots are drawn by test_browser_workers.py,
against the console as an operator runs it.)"""

from __future__ import annotations

import re
import shutil
import threading
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock
from tests.triage.console.support import WallClock, DANGER_TIP, LABOUR_TIP, console_app, give_tips
from tipline.runtime import Runtime
from triage.console.totp import code_at

CHROMIUM = "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: make setup-system")



@pytest.fixture
def served(rt: Runtime) -> Iterator[str]:
    clock = WallClock(start=0.0)
    give_tips(rt, FakeClock(), LABOUR_TIP, DANGER_TIP)
    server = make_server("127.0.0.1", 0, console_app(rt, clock), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _log_in(page: Any, base: str, code: str = "") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Passphrase").fill(ADMIN_PASSPHRASE)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Log in").click()


def test_enrol_log_in_pull_and_read_a_tip_in_chromium(served: str) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        _log_in(page, served)
        secret = page.locator("code.secret").inner_text()
        assert page.locator("svg[role=img]").count() == 1  # the QR code, drawn on the server
        page.get_by_label("Code from your authenticator app").fill(code_at(secret, _now()))
        page.get_by_role("button", name="Confirm").click()
        sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        page.get_by_role("button", name="Log out", exact=True).click()
        # The step used to enrol is spent; the next step's code is within the drift allowed.
        _log_in(page, served, code_at(secret, _now() + 30))
        sync_api.expect(page.locator("table")).to_contain_text("P1")
        page.get_by_role("button", name="Pull the next tip").click()
        sync_api.expect(page).to_have_url(re.compile(r"/tips/[0-9a-f]{32}$"))
        sync_api.expect(page.locator("h1")).to_contain_text("P1")
        sync_api.expect(page.locator("dl.answers")).to_contain_text("Is anyone in danger right now?")
        page.goto(served + "/")
        page.get_by_role("link", name=re.compile("Open tip")).nth(1).click()
        sync_api.expect(page.locator("blockquote.words").first).to_contain_text("passports \\x1b[2J")
        browser.close()


def _now() -> float:
    import time

    return time.time()
