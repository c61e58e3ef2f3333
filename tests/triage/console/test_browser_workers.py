"""The staff console as an operator runs it (``tipline console --workers 2``, gunicorn, a subprocess) in
headless Chromium: casework end to end with a reporter answering through the public app, and one
session served by both worker processes.  Writes docs/screenshots/console-queue.png and console-tip.png
(the dashboard's is test_dashboard_browser.py's, with enough tips to draw)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from flask.testing import FlaskClient

from tests.factories import ADMIN, FakeClock
from tests.fakes.twilio import FakeTwilio
from tests.triage.console.served_support import (
    CHROMIUM, SCREENSHOTS, ServedConsole, TextingReporter, api_status, close, cookie_header, enrolled_page,
    log_in_again, note_and_ask, page_loads, pull_and_read, refer, servable, start_console,
)
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, add_member, give_tips
from tests.webhooks.helpers import TW_SID, TW_TOKEN, build_runtime, channel_settings
from tipline.app import create_public_app
from tipline.runtime import Runtime
from tipline.settings import Settings

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: make setup-system")
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")


@pytest.fixture
def line(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """An initialised line at servable Argon2id costs, SMS aimed at a fake Twilio, members of three partners."""
    for var in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    fake = FakeTwilio(TW_SID, TW_TOKEN).start()
    rt = build_runtime(servable(settings), **channel_settings(settings, None, fake))
    for username, queue in (("ngo1", "ngo"), ("cop1", "police"), ("cp1", "child")):
        add_member(rt, username, queue)
    yield rt
    rt.close()
    fake.stop()


@pytest.fixture
def served(line: Runtime, tmp_path: Path) -> Iterator[ServedConsole]:
    console = start_console(line.settings, tmp_path)
    yield console
    console.stop()


@pytest.fixture
def public(line: Runtime) -> FlaskClient:
    return create_public_app(line.settings, line).test_client()


def _interview(reporter: TextingReporter) -> str:
    for text in LABOUR_TIP:
        last = reporter.send(text)
    found = CODE.search(last)
    assert found, last
    return found.group()


def test_casework_with_the_reporter_on_two_workers_in_chromium(
    served: ServedConsole, public: FlaskClient, backend: str
) -> None:
    reporter = TextingReporter(public, "+15550104444")
    code = _interview(reporter)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        ngo, ngo_secret = enrolled_page(browser, served.base, "ngo1")
        tip_url = pull_and_read(ngo)
        note_and_ask(ngo, "Called the shelter; they know the mill.", "Which gate of the mill do they use?")
        assert "Which gate of the mill do they use?" in reporter.send(code)
        reporter.send("The north gate, after ten at night")
        reporter.send("DONE")
        ngo.reload()
        sync_api.expect(ngo.locator("main")).to_contain_text("The north gate, after ten at night")
        if backend == "sqlite":
            ngo.screenshot(path=str(SCREENSHOTS / "console-tip.png"), full_page=True)
        refer(ngo, "police", "Passports are held.")
        cop, _ = enrolled_page(browser, served.base, "cop1")
        sync_api.expect(cop.locator("table")).to_contain_text("referred")
        cop.get_by_role("link", name=re.compile("Open tip")).first.click()
        sync_api.expect(cop).to_have_url(tip_url)
        sync_api.expect(cop.locator("main")).to_contain_text("The north gate, after ten at night")
        sync_api.expect(cop.locator("ol.notes")).to_contain_text("Referred to police: Passports are held.")
        close(ngo)
        outsider, secret = enrolled_page(browser, served.base, "cp1")
        response = outsider.goto(tip_url)
        assert response is not None and response.status in (403, 404)
        sync_api.expect(outsider.get_by_role("heading", name="Not found")).to_be_visible()
        tip_id = tip_url.rsplit("/", 1)[1]
        assert api_status(served.base, "cp1", secret, f"/api/v1/tips/{tip_id}") in (403, 404)
        assert api_status(served.base, "ngo1", ngo_secret, f"/api/v1/tips/{tip_id}") == 200
        browser.close()


def test_one_session_is_served_by_both_workers(served: ServedConsole, line: Runtime, backend: str) -> None:
    give_tips(line, FakeClock(), LABOUR_TIP, DANGER_TIP)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page, secret = enrolled_page(browser, served.base, ADMIN)
        log_in_again(page, served.base, ADMIN, secret)
        sync_api.expect(page.locator("table")).to_contain_text("P1")
        if backend == "sqlite":
            page.screenshot(path=str(SCREENSHOTS / "console-queue.png"), full_page=True)
        cookie = cookie_header(page.context)
        answered = page_loads(served, cookie, ("/", "/dashboard", "/alerts"), at_least=40, at_most=400)
        assert all(status == 200 and f"Logged in as {ADMIN}" in body for status, body, _ in answered)
        pids = [pid for _, _, pid in answered]
        assert None not in pids and set(pids) == served.workers() and len(set(pids)) == 2, pids
        page.goto(f"{served.base}/dashboard")  # drawn with more tips by test_dashboard_browser.py
        sync_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        browser.close()
