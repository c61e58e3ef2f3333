"""Issue 9: tip metadata forged by a database writer is caught wherever staff meet the tip.

Each forgery is done as the red team did it, with SQL on the live database, and must show in
``tipline tips list`` (a "!" and a footer), ``tipline tips show`` (a TAMPERING warning before the
content), the console's queue (a marker) and tip page (a banner), and ``tipline audit verify``
(count, ids, non-zero exit).  An untouched tip shows none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Connection, text

from tests.factories import ADMIN_PASSPHRASE, FakeClock
from tests.triage.console.support import LABOUR_TIP, Browser, give_tips
from tipline.cli import main
from tipline.runtime import Runtime
from tipline.settings import Settings

# Danger at once (P1, an alert, version 1), then DONE (version 2): two versions to swap.
DANGER_THEN_DONE = ["hi", "1", "DONE"]


@dataclass(frozen=True)
class Tips:
    urgent: str  # P1, alerted, two versions
    labour: str  # P2, untouched unless the forgery needs a second tip


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(settings.secrets_dir),
        "TIPLINE_DATABASE_URL": settings.database_url, "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
        "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024",
    }


def tipline(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    obj: dict[str, Runtime] = {}
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, obj=obj)
    runtime = obj.get("runtime")
    if runtime is not None and "db" in runtime.__dict__:
        runtime.db.dispose()
    return result


@pytest.fixture
def two_tips(rt: Runtime, clock: FakeClock) -> Tips:
    give_tips(rt, clock, DANGER_THEN_DONE, LABOUR_TIP)
    with rt.db.connect() as conn:
        rows = {r.priority: r.id for r in conn.execute(text("SELECT id, priority FROM tip"))}
        versions = conn.execute(text("SELECT count(DISTINCT version) FROM tipenvelope WHERE tip_id = :t"),
                                {"t": rows["P1"]}).scalar_one()
        alerts = conn.execute(text("SELECT count(*) FROM alert WHERE tip_id = :t"), {"t": rows["P1"]}).scalar_one()
    assert versions == 2 and alerts == 1, (versions, alerts)
    return Tips(urgent=rows["P1"], labour=rows["P2"])


def _envelope(conn: Connection, tip_id: str, version: int | None = None) -> tuple[int, bytes]:
    query = "SELECT id, envelope FROM tipenvelope WHERE tip_id = :t" + (" AND version = :v" if version else "")
    row = conn.execute(text(query + " ORDER BY queue LIMIT 1"), {"t": tip_id, "v": version}).one()
    return int(row.id), bytes(row.envelope)


def _swap(conn: Connection, a: tuple[int, bytes], b: tuple[int, bytes]) -> None:
    conn.execute(text("UPDATE tipenvelope SET envelope = :e WHERE id = :i"), {"e": b[1], "i": a[0]})
    conn.execute(text("UPDATE tipenvelope SET envelope = :e WHERE id = :i"), {"e": a[1], "i": b[0]})


def swap_between_tips(conn: Connection, t: Tips) -> None:
    _swap(conn, _envelope(conn, t.urgent), _envelope(conn, t.labour))


def swap_between_versions(conn: Connection, t: Tips) -> None:
    first, second = _envelope(conn, t.urgent, 1), _envelope(conn, t.urgent, 2)
    conn.execute(text("UPDATE tipenvelope SET envelope = :e WHERE id = :i"), {"e": second[1], "i": first[0]})
    conn.execute(text("UPDATE tipenvelope SET envelope = :e WHERE id = :i"), {"e": first[1], "i": second[0]})


def p1_made_p4(conn: Connection, t: Tips) -> None:
    conn.execute(text("UPDATE tip SET priority = 'P4' WHERE id = :t"), {"t": t.urgent})


def categories_edited(conn: Connection, t: Tips) -> None:
    conn.execute(text("UPDATE tip SET categories = 'labour' WHERE id = :t"), {"t": t.urgent})


def alert_deleted(conn: Connection, t: Tips) -> None:
    conn.execute(text("DELETE FROM alert WHERE tip_id = :t"), {"t": t.urgent})


def envelope_deleted(conn: Connection, t: Tips) -> None:
    conn.execute(text("DELETE FROM tipenvelope WHERE id = :i"), {"i": _envelope(conn, t.urgent, 1)[0]})


def mac_nulled(conn: Connection, t: Tips) -> None:
    conn.execute(text("UPDATE tip SET mac = NULL WHERE id = :t"), {"t": t.urgent})


def hold_set_behind_the_lines_back(conn: Connection, t: Tips) -> None:
    conn.execute(text("INSERT INTO tip_case (tip_id, status, legal_hold, updated_by, updated_at)"
                      " VALUES (:t, 'new', :hold, '', 0)"), {"t": t.urgent, "hold": True})


def tips_linked_behind_the_lines_back(conn: Connection, t: Tips) -> None:
    a, b = sorted((t.urgent, t.labour))
    conn.execute(text("INSERT INTO tip_link (tip_a, tip_b, staff_id, created_at) VALUES (:a, :b, '', 0)"),
                 {"a": a, "b": b})


FORGERIES: dict[str, tuple[Callable[[Connection, Tips], None], bool]] = {
    # name: (the forgery, whether the labour tip is forged too)
    "envelopes swapped between tips": (swap_between_tips, True),
    "envelopes swapped between versions": (swap_between_versions, False),
    "P1 made P4": (p1_made_p4, False),
    "categories edited": (categories_edited, False),
    "alert row deleted": (alert_deleted, False),
    "an envelope deleted": (envelope_deleted, False),
    "MAC column nulled": (mac_nulled, False),
    "legal hold set behind the line's back": (hold_set_behind_the_lines_back, False),
    "tips linked behind the line's back": (tips_linked_behind_the_lines_back, True),
}


def _list_line(output: str, tip_id: str) -> str:
    return next(line for line in output.splitlines() if tip_id[:8] in line)


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_tip_is_flagged_in_list_show_console_and_audit_verify(
    forgery: str, rt: Runtime, two_tips: Tips, admin: Browser, cli_env: dict[str, str],
) -> None:
    # Given a database writer who forges the urgent tip's metadata behind the line's back
    forge, both = FORGERIES[forgery]
    with rt.db.begin() as conn:
        forge(conn, two_tips)
    forged = [two_tips.urgent] + ([two_tips.labour] if both else [])
    # Then the list marks it with "!" and says what that means
    listed = tipline(cli_env, "tips", "list")
    assert listed.exit_code == 0, listed.output
    assert _list_line(listed.output, two_tips.urgent).startswith("! ")
    assert f"! {len(forged)} tip(s) FAIL the metadata check" in listed.output
    assert _list_line(listed.output, two_tips.labour).startswith("! " if both else "  ")
    # And opening it prints the TAMPERING warning before anything of the tip (or instead of it)
    shown = tipline(cli_env, "tips", "show", two_tips.urgent[:8], stdin=ADMIN_PASSPHRASE + "\n")
    assert "WARNING: TAMPERING" in shown.output, shown.output
    if "Answers:" in shown.output:
        assert shown.output.index("WARNING: TAMPERING") < shown.output.index("Answers:")
    assert "Traceback" not in shown.output
    # And the console marks the queue row and opens the tip under a banner (never a 500)
    queue = admin.client.get("/").get_data(as_text=True)
    assert queue.count("! metadata altered") == len(forged)
    assert f"{len(forged)} tip(s) below" in queue
    page = admin.client.get(f"/tips/{two_tips.urgent}")
    assert page.status_code == 200
    assert "Warning: tampering." in page.get_data(as_text=True)
    # And audit verify names it, counts it, and fails
    verified = tipline(cli_env, "audit", "verify")
    assert verified.exit_code == 1, verified.output
    assert f"Tip metadata FAILED for {len(forged)} tip(s)" in verified.output
    assert all(tip_id in verified.output for tip_id in forged)
    assert (two_tips.labour in verified.output) is both


def test_untouched_tips_show_no_warning_anywhere(
    rt: Runtime, two_tips: Tips, admin: Browser, cli_env: dict[str, str],
) -> None:
    listed = tipline(cli_env, "tips", "list")
    assert listed.exit_code == 0 and "!" not in listed.output and "FAIL" not in listed.output
    assert all(_list_line(listed.output, t).startswith("  ") for t in (two_tips.urgent, two_tips.labour))
    shown = tipline(cli_env, "tips", "show", two_tips.urgent[:8], stdin=ADMIN_PASSPHRASE + "\n")
    assert shown.exit_code == 0 and "TAMPERING" not in shown.output and "Answers:" in shown.output
    assert "metadata altered" not in admin.client.get("/").get_data(as_text=True)
    assert "tampering" not in admin.client.get(f"/tips/{two_tips.urgent}").get_data(as_text=True).lower()
    verified = tipline(cli_env, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "Tip metadata intact: 2 tips." in verified.output


def test_a_tip_deleted_with_its_row_is_named_by_what_remains(
    rt: Runtime, two_tips: Tips, admin: Browser, cli_env: dict[str, str],
) -> None:
    # Given staff opened the tip (audited), then a writer deletes its row and its MAC with it
    assert admin.client.get(f"/tips/{two_tips.labour}").status_code == 200
    with rt.db.begin() as conn:
        conn.execute(text("DELETE FROM tip WHERE id = :t"), {"t": two_tips.labour})
    # Then audit verify names it: its envelopes and the audit log still mention it
    verified = tipline(cli_env, "audit", "verify")
    assert verified.exit_code == 1
    assert f"1 tip(s) deleted although their envelopes, alerts or audit entries remain: {two_tips.labour}" \
        in verified.output
