"""Counts per campaign: tips by the Telegram link's area and language per week, on the dashboard
and from 'tipline campaign stats', the same protected cells in both."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path


from bot.types import InboundMessage
from tests.factories import ADMIN, ADMIN_PASSPHRASE, service_with_clock
from tests.triage.console.support import Browser, WallClock, console_app
from tipline.install import DEMO_MARKER
from tipline.runtime import Runtime
from triage.console.dashboard_tables import TipFacts, build_tables

TIPLINE = str(Path(sys.executable).with_name("tipline"))
WORDS = ["hi", "2", "1", "Workers at the farm are locked in at night", "DONE"]


def _give(rt: Runtime, clock: WallClock, payloads: list[str | None]) -> None:
    service = service_with_clock(rt, clock)
    for n, payload in enumerate(payloads):
        for i, text in enumerate(WORDS):
            service.handle(InboundMessage(channel="telegram", address=f"70000{n:03d}", text=text,
                                          provider_id=f"c{n}-{i}", start_payload=payload if i == 0 else None))
        clock.advance(60)


def _campaign_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row and row[0] == "campaign"]


def _cli(rt: Runtime, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """'tipline campaign stats' in its own process, on this test's line."""
    return subprocess.run([TIPLINE, "campaign", "stats", *args], input=stdin, env={**os.environ, **_env(rt)},
                          capture_output=True, text=True, timeout=180)


def _env(rt: Runtime) -> dict[str, str]:
    s = rt.settings
    return {"TIPLINE_DATA_DIR": str(s.data_dir), "TIPLINE_SECRETS_DIR": str(s.secrets_dir),
            "TIPLINE_DATABASE_URL": s.database_url, "TIPLINE_LOCALES": "en", "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
            "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
            "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024"}


def test_the_campaign_table_and_the_cli_give_the_same_protected_counts(rt: Runtime) -> None:
    clock = WallClock(start=0.0)
    # Six from the southern poster in English, two from the western one, one with no link.
    _give(rt, clock, ["en-south"] * 6 + ["en-west"] * 2 + [None])
    admin = Browser(console_app(rt, clock).test_client(), clock)
    admin.enrol()
    page = admin.client.get("/dashboard").get_data(as_text=True)
    assert 'id="table-campaign"' in page
    on_page = _campaign_rows(admin.client.get("/dashboard.csv").get_data(as_text=True))
    columns = {row[2] for row in on_page}
    # The western link names two tips: folded into "other or rare", never a column of its own.
    assert columns == {"South / English", "no campaign link", "other or rare", "Total"}
    totals = {row[2]: row[3] for row in on_page if row[1] == "Total"}
    assert totals["Total"] == "9" and totals["no campaign link"] in ("<5", "x")

    (rt.settings.data_dir / DEMO_MARKER).touch()  # the test's secrets sit inside its data folder
    result = _cli(rt, "--as", ADMIN, stdin=ADMIN_PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    assert _campaign_rows(result.stdout) == on_page  # the CSV is the dashboard's


def test_a_campaign_column_needs_five_tips_and_shares_the_week_totals() -> None:
    facts = [TipFacts(week="2026-W48", priority="P2", categories=(), area="", language="en", campaign="south")] * 5
    facts += [TipFacts(week="2026-W48", priority="P1", categories=(), area="", language="es", campaign="south")]
    tables = {t.key: t for t in build_tables(facts, ["2026-W48"], area_label=str.title, language_label=str)}
    campaign = tables["campaign"]
    assert campaign.columns == ("South / en", "other or rare", "Total")
    # The one Spanish tip is not named, and the total is hidden too: 6 - 5 would give it away.
    assert [c.text for c in campaign.totals] == ["5", "<5", "x"]
    assert [c.text for c in campaign.week_totals] == [c.text for c in tables["priority"].week_totals]


def test_campaign_stats_needs_a_member(rt: Runtime, tmp_path: Path) -> None:
    (rt.settings.data_dir / DEMO_MARKER).touch()
    result = _cli(rt, "--as", "nobody", stdin="x" * 12 + "\n")
    assert result.returncode != 0 and "No staff member called 'nobody'" in result.stderr
