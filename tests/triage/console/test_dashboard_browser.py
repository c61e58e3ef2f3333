"""The dashboard in headless Chromium (Debian's): charts with text alternatives, tables, the CSV
link, the window form used from the keyboard.  Writes docs/screenshots/console-dashboard.png."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock
from tests.triage.console.support import WallClock, DANGER_TIP, LABOUR_TIP, console_app, give_tips
from tipline.runtime import Runtime
from triage.console.totp import code_at

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: make setup-system")



@pytest.fixture
def served(rt: Runtime) -> Iterator[str]:
    # Two weeks of tips: enough for counts to show, a P1 and a week small enough to be hidden.
    last_week = service_with_clock(rt, FakeClock(start=time.time() - 8 * 86400))
    for n in range(3):  # other phones than give_tips' (theirs would be follow-ups of these)
        reporter = Reporter(last_week, f"+1555020{n:02d}")
        for line in LABOUR_TIP:
            reporter.send(line)
    give_tips(rt, FakeClock(start=time.time() - 3600), *([LABOUR_TIP] * 6 + [DANGER_TIP]))
    server = make_server("127.0.0.1", 0, console_app(rt, WallClock(start=0.0)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _enrol_and_log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Passphrase").fill(ADMIN_PASSPHRASE)
    page.get_by_role("button", name="Log in").click()
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Confirm").click()
    sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def test_the_dashboard_draws_protected_counts_in_chromium(served: str, backend: str) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        _enrol_and_log_in(page, served)
        page.get_by_role("link", name="Dashboard").click()
        sync_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        sync_api.expect(page.get_by_role("img", name="Tips by priority")).to_be_visible()
        sync_api.expect(page.get_by_role("img", name="Tips by week")).to_be_visible()
        sync_api.expect(page.locator("#table-priority")).to_contain_text("<5")
        sync_api.expect(page.locator("#table-language")).to_contain_text("English")
        sync_api.expect(page.locator("#table-campaign")).to_contain_text("no campaign link")
        assert page.locator("svg[role=img] desc").count() == 6  # every chart has its text alternative
        if backend == "sqlite":
            page.screenshot(path=str(SCREENSHOTS / "console-dashboard.png"), full_page=True)
        # The window form from the keyboard: its label focuses the field, Enter submits.
        page.get_by_label("Weeks to show (1 to 53)").fill("1")
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("main")).to_contain_text("7 tips opened with your keys")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download these counts as CSV").click()
        saved = Path(download.value.path()).read_text()
        assert saved.startswith("table,week,column,count\n") and "priority," in saved
        browser.close()
