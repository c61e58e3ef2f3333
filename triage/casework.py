"""Case statuses and their transitions, the reasons a case closes, and INTAKE decision 8 on referral.

Pure rules: the console's services ask them before writing anything.  A case status is the
task force's, distinct from the interview's status on the tip row.  "claimed" is not stored:
a ``new`` case with a live claim shows as claimed, so an abandoned claim (lease run out) shows
``new`` again by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from triage.routing_file import Routing


class CaseStatus(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    IN_REVIEW = "in_review"
    WAITING = "waiting"  # waiting for the reporter
    REFERRED = "referred"
    CLOSED = "closed"
    DUPLICATE = "duplicate"


LABELS: Mapping[str, str] = {
    "new": "new", "claimed": "claimed", "in_review": "in review", "waiting": "waiting for the reporter",
    "referred": "referred", "closed": "closed", "duplicate": "duplicate",
}

# Closing always names one of these; any words beyond are a sealed note.
CLOSE_REASONS: Mapping[str, str] = {
    "actioned": "Acted on (partner took action)",
    "insufficient": "Not enough information to act",
    "not_trafficking": "Not trafficking (other help given)",
    "handled_elsewhere": "Already handled elsewhere",
    "reporter_withdrew": "The reporter withdrew it",
    "no_contact": "No way to reach the reporter or the place",
}

_OPEN = (CaseStatus.NEW, CaseStatus.IN_REVIEW, CaseStatus.WAITING, CaseStatus.REFERRED)
# Allowed moves from each stored status ("claimed" is a NEW case with a live claim).
TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.IN_REVIEW, CaseStatus.WAITING, CaseStatus.CLOSED, CaseStatus.DUPLICATE}),
    CaseStatus.IN_REVIEW: frozenset({CaseStatus.WAITING, CaseStatus.CLOSED, CaseStatus.DUPLICATE}),
    CaseStatus.WAITING: frozenset({CaseStatus.IN_REVIEW, CaseStatus.CLOSED, CaseStatus.DUPLICATE}),
    CaseStatus.REFERRED: frozenset({CaseStatus.IN_REVIEW, CaseStatus.WAITING, CaseStatus.CLOSED,
                                    CaseStatus.DUPLICATE}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_REVIEW}),  # reopening
    CaseStatus.DUPLICATE: frozenset({CaseStatus.IN_REVIEW}),
}
# Statuses a member sets on the status form (closing and duplicates have their own forms).
SETTABLE = (CaseStatus.IN_REVIEW, CaseStatus.WAITING)


class CaseRuleError(ValueError):
    """A move the rules refuse; the message says what to do instead."""


def shown_status(stored: str, claimed: bool) -> str:
    return CaseStatus.CLAIMED.value if stored == CaseStatus.NEW and claimed else stored


def check_transition(stored: str, wanted: str) -> CaseStatus:
    """The wanted status if the move is allowed; CaseRuleError otherwise."""
    try:
        target = CaseStatus(wanted)
        current = CaseStatus(stored)
    except ValueError:
        raise CaseRuleError(f"unknown case status {wanted!r}") from None
    if target == current:
        raise CaseRuleError(f"the case is already {LABELS[target]}")
    if target not in TRANSITIONS.get(current, frozenset()):
        raise CaseRuleError(f"a case that is {LABELS[current]} cannot become {LABELS[target]}")
    return target


def is_open(stored: str) -> bool:
    return CaseStatus(stored) in _OPEN


@dataclass(frozen=True)
class ReferralCheck:
    """What decision 8 says about referring a tip to a queue."""

    allowed: bool
    grounds: tuple[str, ...] = ()  # overrides that apply (danger, child); one must be named
    why: str = ""


def _consent_kinds(answers: Mapping[str, Any], routing: Routing) -> tuple[str, ...] | None:
    """The kinds an adult self-report's reporter agreed to; None when it is no adult self-report."""
    if answers.get("V3") == "yes":
        return None  # a minor's self-report: informed, not asked (decision 7)
    consent = answers.get("V6")
    policy = routing.self_report
    return policy.consent_yes if consent == "yes" else policy.consent_no if consent == "no" \
        else policy.consent_absent


def referral_check(categories: tuple[str, ...], answers: Mapping[str, Any], *, queue: str,
                   routing: Routing) -> ReferralCheck:
    """Decision 8: an adult self-report goes to no queue of a kind its reporter did not agree to
    (police, organizations) unless a danger or child override applies.  A queue the routing file
    does not know counts as police."""
    kinds = {q.name: q.kind for q in routing.queues}
    kind = kinds.get(queue, "police")
    if "self_report" not in categories:
        return ReferralCheck(allowed=True)
    agreed = _consent_kinds(answers, routing)
    # The routing withholds every kind the reporter did not agree to (triage always gets a tip),
    # not only police: a referral keeps the same consent.
    if agreed is None or kind == "triage" or kind in agreed:
        return ReferralCheck(allowed=True)
    grounds = tuple(g for g in ("danger", "child") if g in categories)
    why = f"an adult self-report whose reporter did not agree to {kind} queues (decision 8)"
    if not grounds:
        return ReferralCheck(allowed=False, why=f"{why}: no danger or child override applies")
    return ReferralCheck(allowed=True, grounds=grounds, why=f"{why}: only with a danger or child override")
