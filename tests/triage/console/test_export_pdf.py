"""A tip exported to PDF for a partner (issue 14): the page on paper, marked, audited, decision 8."""

from __future__ import annotations

import html
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from flask import Flask

from bot.catalog import load_catalogs
from storage.tips import get_tip
from tests.factories import FakeClock
from tests.triage.console.casework_support import (
    SELF_REPORT_IN_DANGER, SELF_REPORT_NO_CONSENT, audit, error_of, member, page_of, post, tip_ids,
)
from tests.triage.console.support import LABOUR_TIP, Browser, give_tips
from tipline.runtime import Runtime

WHO = "Ana Ruiz, Casa Refugio ZEBRAFISH"

needs_poppler = pytest.mark.skipif(subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
                                   reason="pdftotext (Debian poppler-utils, make setup-system) is missing")


def _pages(document: bytes, where: Path) -> list[str]:
    """The text of each page, as pdftotext reads it (the PDF file lives in the test's own folder)."""
    path = where / "export.pdf"
    path.write_bytes(document)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


def _files(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


def _export(browser: Browser, tip_id: str, **fields: str) -> tuple[int, bytes, dict[str, str]]:
    path = f"/tips/{tip_id}"
    response = browser.client.post(f"{path}/export", data={"csrf": browser.token(path), **fields})
    return response.status_code, response.get_data(), dict(response.headers)


@needs_poppler
def test_the_export_is_the_tip_page_marked_on_every_page_and_audited(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # any temporary file would land here
    monkeypatch.setenv("TMPDIR", str(scratch))
    give_tips(rt, clock, LABOUR_TIP)  # routed to triage, ngo, labour
    (tip_id,) = tip_ids(rt)
    ngo = member(rt, app, clock, "ngo1", "ngo")
    post(ngo, tip_id, "note", words="Called the shelter")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(clock()))
    status, document, headers = _export(ngo, tip_id, for_whom=WHO, partner="ngo")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == f'attachment; filename="tip-{tip_id[:8]}.pdf"'
    assert headers["Cache-Control"] == "no-store"
    assert document.startswith(b"%PDF")
    # Nothing written on the server: no file in the data folder holds a PDF or the recipient, nothing in tmp.
    for path in _files(rt.settings.data_dir):
        assert b"%PDF" not in path.read_bytes() and b"ZEBRAFISH" not in path.read_bytes(), path
    assert _files(scratch) == {}
    pages = _pages(document, tmp_path)
    assert len(pages) >= 2  # long enough to show the marking repeats
    for page in pages:
        flat = " ".join(page.split())
        assert f"exported by ngo1 on {when}" in flat and f"for {WHO} (ngo)" in flat, flat[:300]
    whole = " ".join(" ".join(pages).split())
    assert "A man takes the workers passports \\x1b[2J \\u202eevil" in whole  # the reporter's words, escapes shown
    assert "behind the mill on Route 9" in whole
    assert "Called the shelter" in whole  # the history with the notes
    assert ("ngo1", "export_pdf_ngo", tip_id) in audit(rt)
    history = page_of(ngo, tip_id)
    assert "exported it to PDF for ngo" in history
    # The recipient is on record in the tip's history, sealed like every note (never in plaintext on disk).
    assert f"Exported to PDF for {WHO} (ngo)" in history


@needs_poppler
def test_the_export_speaks_the_members_chosen_language(
    rt: Runtime, app: Flask, admin: Browser, clock: FakeClock, tmp_path: Path
) -> None:
    words = "老板拿走了工人的护照 صاحب العمل أخذ جوازات السفر"  # the reporter's words, two more scripts
    give_tips(rt, clock, [words if i == 3 else line for i, line in enumerate(LABOUR_TIP)])
    (tip_id,) = tip_ids(rt)
    admin.client.post("/language", data={"csrf": admin.token(f"/tips/{tip_id}"), "locale": "es", "back": tip_id})
    spanish = load_catalogs(rt.settings.locales_dir, ("es",)).text("es", "q.W2")  # the console shows en, es
    assert "The PDF will be in español (Spanish)" in html.unescape(page_of(admin, tip_id))  # said beside the button
    status, document, _ = _export(admin, tip_id, for_whom="Fiscalia", partner="ngo")
    assert status == 200
    whole = " ".join(" ".join(_pages(document, tmp_path)).split())
    assert " ".join(spanish.split())[:40] in whole
    assert "老板拿走了工人的护照" in whole  # Han from its own font, as written


def test_decision_8_holds_on_paper_too(rt: Runtime, app: Flask, admin: Browser, clock: FakeClock) -> None:
    give_tips(rt, clock, SELF_REPORT_NO_CONSENT, SELF_REPORT_IN_DANGER)
    with rt.db.connect() as conn:
        metas = [get_tip(conn, t) for t in tip_ids(rt)]
    danger = next(m.id for m in metas if m is not None and "danger" in m.categories)
    quiet = next(t for t in tip_ids(rt) if t != danger)
    status, body, _ = _export(admin, quiet, for_whom="Detective Roe", partner="police")
    page = body.decode()
    assert status == 409 and "decision 8" in error_of(page) and "no danger or child override" in error_of(page)
    assert _export(admin, quiet, for_whom="Case worker", partner="ngo")[0] == 409  # no to organizations too
    status, body, _ = _export(admin, danger, for_whom="Detective Roe", partner="police")
    assert status == 409 and "Name the override" in error_of(body.decode())
    status, body, _ = _export(admin, danger, for_whom="Detective Roe", partner="police", override="danger")
    assert status == 200 and body.startswith(b"%PDF")
    entries = audit(rt)
    assert not [e for e in entries if e[1] == "export_pdf_police" and e[2] == quiet]
    # A refusal is audited with the kind it was refused for (no tip content), and shown in the history.
    assert [e for e in entries if e[1].startswith("export_refused_")] == [
        (admin.username, "export_refused_police", quiet), (admin.username, "export_refused_ngo", quiet)]
    assert "was refused an export to police (decision 8)" in page_of(admin, quiet)
    assert (admin.username, "export_pdf_police", danger) in entries
    assert (admin.username, "export_override_danger", danger) in entries


def test_an_export_names_who_it_is_for_and_a_known_partner(rt: Runtime, app: Flask, admin: Browser,
                                                          clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP)
    (tip_id,) = tip_ids(rt)
    status, body, _ = _export(admin, tip_id, for_whom="  ", partner="ngo")
    assert status == 409 and "Write for whom" in error_of(body.decode())
    for partner in ("nowhere", "", "triage"):  # none chosen, or the task force's own intake queue
        status, body, _ = _export(admin, tip_id, for_whom="Sgt. Smith, County Sheriff", partner=partner)
        assert status == 409 and "choose the partner" in error_of(body.decode()), partner
    form = page_of(admin, tip_id).split('id="partner"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected disabled>' in form and '"triage"' not in form and '"ngo"' in form
    outsider = member(rt, app, clock, "cp1", "child")
    assert _export(outsider, tip_id, for_whom="Someone", partner="ngo")[0] == 404
    assert not [e for e in audit(rt) if e[1].startswith("export_pdf_")]
