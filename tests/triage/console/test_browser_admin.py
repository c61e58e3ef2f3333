"""The admin pages in headless Chromium (Playwright with Debian's chromium): an admin adds a member,
the member enrols, the admin resets their second factor and the member's next login enrols again.
Writes screenshots of the members page and the audit log to docs/screenshots/."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from tests.factories import ADMIN, ADMIN_PASSPHRASE
from tests.triage.console.support import WallClock, console_app
from tipline.runtime import Runtime
from triage.console.totp import code_at

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
NADIA_PASSPHRASE = "nadia's own long passphrase"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: make setup-system")



@pytest.fixture
def served(rt: Runtime) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, console_app(rt, WallClock(start=0.0)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _log_in(page: Any, base: str, username: str, passphrase: str, code: str = "") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Log in").click()


def _enrol(page: Any) -> None:
    """On the enrolment page: read the key shown, type the current code."""
    assert page.locator("svg[role=img]").count() == 1  # the QR code
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Confirm").click()
    sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def _add_nadia(page: Any) -> None:
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Their passphrase (10 or more characters; let them type it)").fill(NADIA_PASSPHRASE)
    page.get_by_label("Their passphrase again").fill(NADIA_PASSPHRASE)
    page.get_by_role("checkbox", name="labour").check()
    page.get_by_label("Your own passphrase, to confirm").fill(ADMIN_PASSPHRASE)
    page.get_by_role("button", name="Add member").click()
    sync_api.expect(page.get_by_role("status")).to_contain_text("Added nadia")


def test_an_admin_adds_a_member_and_resets_their_second_factor(served: str, backend: str) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        admin = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        _log_in(admin, served, ADMIN, ADMIN_PASSPHRASE)
        _enrol(admin)
        _add_nadia(admin)
        row = admin.get_by_role("row", name="nadia")
        sync_api.expect(row).to_contain_text("not set up: next login enrols")
        sync_api.expect(row).to_contain_text("labour")
        nadia = browser.new_context().new_page()  # another person, another browser
        _log_in(nadia, served, "nadia", NADIA_PASSPHRASE)
        _enrol(nadia)
        sync_api.expect(nadia.locator("main")).to_contain_text("Your queues: labour.")
        admin.reload()
        sync_api.expect(admin.get_by_role("row", name="nadia")).to_contain_text("set up")
        if backend == "sqlite":
            admin.screenshot(path=str(SCREENSHOTS / "console-admin-members.png"), full_page=True)
        admin.get_by_role("button", name="Reset the second factor of nadia").click()
        sync_api.expect(admin.get_by_role("status")).to_contain_text("The second factor of nadia was reset")
        nadia.reload()  # her session ended with the reset
        sync_api.expect(nadia.get_by_role("heading", name="Log in")).to_be_visible()
        _log_in(nadia, served, "nadia", NADIA_PASSPHRASE)
        sync_api.expect(nadia.get_by_role("heading", name="Set up your second factor")).to_be_visible()
        _enrol(nadia)
        admin.get_by_role("link", name="Audit log").click()
        sync_api.expect(admin.get_by_role("status")).to_contain_text("Verified")
        sync_api.expect(admin.locator("table")).to_contain_text("totp_reset")
        if backend == "sqlite":
            admin.screenshot(path=str(SCREENSHOTS / "console-admin-audit.png"), full_page=True)
        browser.close()
