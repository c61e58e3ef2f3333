"""Follow-up by reference code, from any phone or chat."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import text

from storage import keys, questions, refcodes, sealing, tips
from storage.purposes import Purpose
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock
from tipline.runtime import Runtime
from triage import followup
from triage.intake import IntakeService

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
WITNESS = ["hi", "2", "1", "A man keeps the workers' passports", "1", "2", "1 2", "1", "0", "2", "1", "2"]


@pytest.fixture
def service(rt: Runtime) -> IntakeService:
    return service_with_clock(rt, FakeClock())


def finished_tip(service: IntakeService, address: str = "+15550100") -> str:
    reporter = Reporter(service, address)
    for line in WITNESS:
        reporter.send(line)
    found = CODE.search(reporter.last)
    assert found
    return found.group()


def opened_versions(rt: Runtime, tip_id: str) -> list[dict[str, Any]]:
    with rt.db.begin() as conn:
        member = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                             kdf=rt.settings.staff_kdf)
        return [json.loads(sealing.open_tip(conn, tip_id=tip_id, keys=member, version=v).payload)
                for v in sealing.tip_versions(conn, tip_id)]


def the_tip(rt: Runtime) -> tips.TipMeta:
    with rt.db.connect() as conn:
        [tip] = tips.list_tips(conn)
    return tip


def test_code_from_another_phone_adds_to_the_tip(rt: Runtime, service: IntakeService) -> None:
    code = finished_tip(service)
    before = the_tip(rt)
    other = Reporter(service, "81234567", channel="telegram")
    other.send(code.lower().replace("-", " "))  # typed loosely, from a different app
    assert "add" in other.last.lower()
    other.send("The boss moved them to a house on the river road")
    assert "added" in other.last.lower()
    other.send("DONE")
    after = the_tip(rt)
    assert (after.id, after.version, after.priority) == (before.id, before.version + 1, before.priority)
    addenda = [v for v in opened_versions(rt, after.id) if v["kind"] == "addendum"]
    assert addenda[0]["texts"] == ["The boss moved them to a house on the river road"]
    # After DONE, a new message starts a new interview rather than adding to the tip.
    other.send("hello")
    assert "danger" in other.last.lower()


def test_reporter_reads_the_question_staff_left_once(rt: Runtime, service: IntakeService) -> None:
    code = finished_tip(service)
    tip_id = the_tip(rt).id
    with rt.db.begin() as conn:
        questions.add(conn, box=service.epochs.box(Purpose.STAFF_QUESTIONS), tip_id=tip_id,
                      text="Which street is the house on?", now=1.0)
    reporter = Reporter(service, "+15550101")
    reporter.send(code)
    assert "Which street is the house on?" in reporter.last
    with rt.db.connect() as conn:  # shown: its words are gone from the row
        assert [bytes(b) for (b,) in conn.execute(text("SELECT body FROM staffquestion"))] == [b""]
    reporter.send("DONE")
    reporter.send(code)
    assert "Which street" not in reporter.last


def test_a_question_left_unread_past_the_window_is_dropped_and_purged(rt: Runtime) -> None:
    clock = FakeClock()
    service = service_with_clock(rt, clock)
    code = finished_tip(service)
    tip_id = the_tip(rt).id
    with rt.db.begin() as conn:
        questions.add(conn, box=service.epochs.box(Purpose.STAFF_QUESTIONS), tip_id=tip_id,
                      text="Which street is the QUESTIONMARKER house on?", now=clock())
    clock.advance((rt.settings.followup_days + 2) * 86400)
    reporter = Reporter(service, "+15550109")
    reporter.send(code)  # its key died: the reporter is not shown it, and nothing fails
    assert "QUESTIONMARKER" not in reporter.last and "add" in reporter.last.lower()
    with rt.db.begin() as conn:
        assert questions.purge(conn, before=clock() - (rt.settings.followup_days + 1) * 86400) == 1


def test_a_typo_is_caught_and_does_not_count(rt: Runtime, service: IntakeService) -> None:
    code = finished_tip(service)
    wrong_last = code[:-1] + ("2" if code[-1] != "2" else "3")
    reporter = Reporter(service, "+15550102")
    for _ in range(followup.SENDER_LIMIT + 3):
        reporter.send(wrong_last)
        assert "typo" in reporter.last.lower()
    reporter.send(code)
    assert "add" in reporter.last.lower() and "too many" not in reporter.last.lower()


def test_a_mistyped_code_among_words_is_cut_from_what_is_kept(rt: Runtime, service: IntakeService) -> None:
    """A near miss of a real code gives the code away to whoever reads the text (the check
    character is recomputed): the words are kept, the near miss never is."""
    code = finished_tip(service)
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    first = the_tip(rt).id
    other = Reporter(service, "+15550177")
    other.send(f"my code is {wrong} they moved the workers to the river house")
    assert "typo" not in other.last.lower()  # more than a code: an account, read by the interview
    other.send("DONE")
    with rt.db.connect() as conn:
        [new] = [t for t in tips.list_tips(conn) if t.id != first]
    kept = json.dumps(opened_versions(rt, new.id))
    assert "river house" in kept
    assert wrong not in kept and wrong.replace("-", "") not in kept and code[:9] not in kept


def test_danger_added_by_code_from_another_phone_brings_the_number_p1_and_the_alert(
    rt: Runtime, service: IntakeService
) -> None:
    """"sos, he came back with a gun" added by reference code is danger as it is from the reporter's
    own phone: the emergency number first, the tip P1 and its alert raised (triage trial, issue 11)."""
    code = finished_tip(service)
    before = the_tip(rt)
    assert before.priority != "P1"
    with rt.db.connect() as conn:
        assert tips.open_alerts(conn) == []
    other = Reporter(service, "+15550188")
    other.send(code)
    other.send("sos help, he came back with a gun and is beating them")
    notice = service.emergency_notice("sos")
    assert notice and other.transcript[-1][1][0].startswith(notice[:40])  # the number comes first
    assert "added" in other.last.lower()
    after = the_tip(rt)
    assert after.priority == "P1" and after.version == before.version + 1
    with rt.db.connect() as conn:
        assert [(tip_id, priority, reason) for _, tip_id, priority, reason, _ in tips.open_alerts(conn)] == [
            (before.id, "P1", "danger")]
    # Words without danger add to the tip and raise nothing more; with the code, danger counts too
    other.send("The van is grey")
    assert "911" not in other.last and "added" in other.last.lower()
    third = Reporter(service, "+15550189")
    third.send(f"{code} they are in danger right now, please")
    assert "911" in third.last and the_tip(rt).version == before.version + 3


def test_wrong_codes_are_throttled_per_sender(rt: Runtime, service: IntakeService) -> None:
    code = finished_tip(service)
    guesser = Reporter(service, "+15550103")
    for _ in range(followup.SENDER_LIMIT):
        guesser.send(refcodes.display(refcodes.new_code()))
        assert "don't know" in guesser.last.lower()
    guesser.send(code)  # even the right code waits now
    assert "wait" in guesser.last.lower()
    honest = Reporter(service, "+15550104")
    honest.send(code)
    assert "add" in honest.last.lower()


def test_line_wide_limit_slows_senders_that_already_failed(
    rt: Runtime, service: IntakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(followup, "GLOBAL_LIMIT", 3)
    code = finished_tip(service)
    guessers = [Reporter(service, f"+1555020{n}") for n in range(3)]
    for guesser in guessers:  # a distributed guesser: one try from each of three phones
        guesser.send(refcodes.display(refcodes.new_code()))
    guessers[0].send(code)  # a phone that already guessed wrong now waits, even with a good code
    assert "wait" in guessers[0].last.lower()


def test_a_flood_of_wrong_codes_never_locks_out_a_reporter(rt: Runtime, service: IntakeService) -> None:
    # Given the red team's flood: 205 wrong codes from 41 numbers, past the line-wide limit
    code = finished_tip(service)
    guessers = [Reporter(service, f"+1555030{n:02d}") for n in range(41)]
    for guesser in guessers:
        for _ in range(5):
            guesser.send(refcodes.display(refcodes.new_code()))
    # When a reporter who never sent a wrong code sends theirs
    honest = Reporter(service, "+15550399")
    honest.send(code)
    # Then it opens the follow-up; and the flooding numbers are still held back
    assert "add" in honest.last.lower() and "wait" not in honest.last.lower()
    guessers[0].send(code)
    assert "wait" in guessers[0].last.lower()


def test_code_shapes_people_type_are_recognised_and_words_are_not() -> None:
    assert followup.is_code_attempt("ABCD-EFGH-JKMNP")  # an all-letter code, as shown
    assert followup.is_code_attempt("abcd efgh jkmnp")  # as read out, lower case, with spaces
    assert followup.is_code_attempt("7kq2m9xd4trw5")  # run together, with digits
    assert not followup.is_code_attempt("international")  # a 13-letter word
    assert not followup.is_code_attempt("I saw them at the farm")
