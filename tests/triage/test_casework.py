"""The pure rules of casework: which status moves are allowed, and decision 8 on referral."""

from __future__ import annotations

import pytest

from triage.casework import CaseRuleError, check_transition, referral_check, shown_status
from triage.routing import load_routing

ROUTING = load_routing()
ADULT_NO = {"V3": "no", "V6": "no"}


@pytest.mark.parametrize(("stored", "wanted"), [
    ("new", "in_review"), ("in_review", "waiting"), ("waiting", "in_review"), ("referred", "closed"),
    ("closed", "in_review"), ("duplicate", "in_review"), ("new", "duplicate"),
])
def test_allowed_moves(stored: str, wanted: str) -> None:
    assert check_transition(stored, wanted).value == wanted


@pytest.mark.parametrize(("stored", "wanted", "says"), [
    ("closed", "waiting", "cannot become"), ("in_review", "in_review", "already"), ("new", "claimed", "cannot"),
    ("new", "referred", "cannot"), ("new", "archived", "unknown"), ("duplicate", "closed", "cannot"),
])
def test_refused_moves_say_why(stored: str, wanted: str, says: str) -> None:
    with pytest.raises(CaseRuleError, match=says):
        check_transition(stored, wanted)


def test_a_new_case_with_a_live_claim_shows_as_claimed() -> None:
    assert shown_status("new", True) == "claimed" and shown_status("new", False) == "new"
    assert shown_status("in_review", True) == "in_review"


def test_decision_8_keeps_an_adult_self_report_without_consent_from_police() -> None:
    refused = referral_check(("self_report", "labour"), ADULT_NO, queue="police", routing=ROUTING)
    assert not refused.allowed and "decision 8" in refused.why
    assert not referral_check(("self_report",), {"V6": None}, queue="police", routing=ROUTING).allowed
    assert referral_check(("self_report",), {"V6": None}, queue="ngo", routing=ROUTING).allowed
    assert referral_check(("self_report",), ADULT_NO, queue="triage", routing=ROUTING).allowed
    assert referral_check(("self_report",), {"V6": "yes"}, queue="police", routing=ROUTING).allowed
    assert referral_check(("labour",), {}, queue="police", routing=ROUTING).allowed  # a witness report


def test_decision_8_overrides_need_a_danger_or_child_flag() -> None:
    danger = referral_check(("self_report", "danger"), ADULT_NO, queue="police", routing=ROUTING)
    assert danger.allowed and danger.grounds == ("danger",)
    both = referral_check(("self_report", "danger", "child"), ADULT_NO, queue="police", routing=ROUTING)
    assert both.grounds == ("danger", "child")
    minor = referral_check(("self_report", "child"), {"V3": "yes"}, queue="police", routing=ROUTING)
    assert minor.allowed and minor.grounds == ()  # a minor's self-report is not consent-gated


def test_decision_8_keeps_a_reporter_who_said_no_from_organizations_too() -> None:
    """The routing withheld ngo "by consent" (V6 no): a referral cannot send it there either."""
    refused = referral_check(("self_report", "labour"), ADULT_NO, queue="ngo", routing=ROUTING)
    assert not refused.allowed and "did not agree to ngo queues" in refused.why
    danger = referral_check(("self_report", "danger"), ADULT_NO, queue="ngo", routing=ROUTING)
    assert danger.allowed and danger.grounds == ("danger",)


def test_a_queue_unknown_to_the_routing_file_counts_as_police() -> None:
    assert not referral_check(("self_report",), ADULT_NO, queue="elsewhere", routing=ROUTING).allowed
    assert referral_check(("labour",), {}, queue="elsewhere", routing=ROUTING).allowed
