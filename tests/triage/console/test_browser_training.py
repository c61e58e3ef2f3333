"""A whole training run in headless Chromium: the trainee logs in on the sandbox's console (the
banner on every page), works the synthetic tips, and the report scores all six rules met.
Writes docs/screenshots/console-training.png."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from storage.db import read_only
from tests.conftest import CHEAP_KDF
from tests.tipline.training_support import make_sandbox
from tipline import training
from tipline.console_server import build_console_app
from tipline.runtime import Runtime
from tipline.settings import Settings, load_settings
from tipline.training_report import score
from triage.console.totp import code_at

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
BANNER = "Training sandbox: nothing here is real"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: make setup-system")


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """The live line's settings (the sandbox is SQLite in its own folder whatever the live database)."""
    return load_settings({"TIPLINE_DATA_DIR": str(tmp_path / "live"), "TIPLINE_SECRETS_DIR": str(tmp_path / "keys"),
                          "TIPLINE_LOCALES": "en"}).with_(test_only_cheap_kdf=True, staff_kdf=CHEAP_KDF,
                                                          code_kdf=CHEAP_KDF)


@pytest.fixture
def sandbox(live: Settings, tmp_path: Path) -> Iterator[tuple[Runtime, str, dict[str, str]]]:
    made = make_sandbox(live, tmp_path / "training")
    yield made
    made[0].db.dispose()


def _serve(rt: Runtime) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, build_console_app(rt.settings, rt), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _banner(page: Any) -> None:
    sync_api.expect(page.locator("p.training-banner")).to_have_text(BANNER)


def _log_in(page: Any, base: str, passphrase: str) -> None:
    page.goto(f"{base}/login")
    _banner(page)
    page.get_by_label("Username").fill(training.TRAINEE)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Log in").click()
    _banner(page)  # the second factor's enrolment page
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Confirm").click()
    sync_api.expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    _banner(page)


def _note(page: Any, words: str) -> None:
    _banner(page)
    page.get_by_label("New note (sealed to the tip's queues)").fill(words)
    page.get_by_role("button", name="Add note").click()
    sync_api.expect(page.locator("ol.notes")).to_contain_text(words)


def test_a_whole_training_run_in_chromium(sandbox: tuple[Runtime, str, dict[str, str]]) -> None:
    rt, passphrase, made = sandbox
    served = _serve(rt)
    base = next(served)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        _log_in(page, base, passphrase)
        page.get_by_role("button", name="Pull the next tip").click()  # the P1 comes first
        sync_api.expect(page).to_have_url(re.compile(f"/tips/{made['motel']}$"))
        sync_api.expect(page.locator("main")).to_contain_text("looks about 14")
        _note(page, "Danger now; the age question was skipped but she may be 14.")
        page.get_by_label("Refer to queue").select_option("child")
        page.get_by_label("Why (sealed as a note, the other queue reads it)").fill("A possible minor.")
        page.get_by_role("button", name="Refer").click()
        sync_api.expect(page.locator("dd.case-status")).to_contain_text("referred")
        page.screenshot(path=str(SCREENSHOTS / "console-training.png"), full_page=False)
        page.goto(f"{base}/tips/{made['farm']}")
        sync_api.expect(page.locator("main")).to_contain_text("The van comes back every Friday")
        _note(page, "Labour inspection to visit the barn.")
        page.goto(f"{base}/tips/{made['self']}")
        # Decision 8, as the trainee meets it: a referral to police is refused and says why.
        page.get_by_label("Refer to queue").select_option("police")
        page.get_by_label("Why (sealed as a note, the other queue reads it)").fill("Police could help.")
        page.get_by_role("button", name="Refer").click()
        sync_api.expect(page.locator("main")).to_contain_text("no danger or child override applies")
        _note(page, "She said no to police: NGO services only.")
        page.goto(f"{base}/tips/{made['false_alarm']}")
        _banner(page)
        page.get_by_label("Why it closes").select_option("not_trafficking")
        page.get_by_role("button", name="Close the case").click()
        sync_api.expect(page.locator("dd.case-status")).to_contain_text("closed")
        for link in ("Dashboard", "Alerts", "Translations", "Queue"):
            page.get_by_role("link", name=link).click()
            _banner(page)
        browser.close()
    with read_only(rt.db) as conn:
        failed = [c.key for c in score(conn, routing=rt.routing, tip_ids=made) if not c.passed]
    # The refused police referral above is on record: the report counts the attempt as a miss.
    assert failed == ["no_police_self"]
    next(served, None)
