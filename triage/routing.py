"""Choose the queues an assessed tip goes to (triage/routing.toml).

Pure functions: the assessment, the answers, the deployment's region and the conversation locale
in; queue names (and the reasons, for staff and the audit log) out. Every tip reaches a triage
queue; child and danger routes are mandated and never dropped; an adult self-report reaches
police only with consent (decision 8) unless a child or danger route overrides it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triage.routing_file import (
    DEFAULT_ROUTING, KINDS, QueueSpec, Routing, RoutingError, SelfReportPolicy, load_routing, norm_locale,
    partner_kinds,
)
from triage.scoring import Assessment

__all__ = [
    "DEFAULT_ROUTING",
    "KINDS",
    "QueueSpec",
    "Routing",
    "RoutingError",
    "SelfReportPolicy",
    "load_routing",
    "partner_kinds",
    "route",
    "route_explained",
]


def _filters_match(queue: QueueSpec, region: str, area: str | None, locale: str) -> bool:
    lang = norm_locale(locale)
    if queue.regions and region.upper() not in queue.regions:
        return False
    # An area filter needs the reporter's W1 answer; a tip without one does not match it.
    if queue.areas and area not in queue.areas:
        return False
    if queue.languages:
        return lang in queue.languages or lang.split("-")[0] in queue.languages
    return True


@dataclass
class _Want:
    """A kind the tip should reach, whether it is mandated, and why."""

    mandated: bool
    why: list[str]


def _add(wanted: dict[str, _Want], kinds: Sequence[str], why: str, mandated: bool) -> None:
    for kind in kinds:
        want = wanted.setdefault(kind, _Want(mandated=False, why=[]))
        want.mandated = want.mandated or mandated
        want.why.append(why)


def _self_report_kinds(
    assessment: Assessment, answers: Mapping[str, Any], routing: Routing
) -> tuple[tuple[str, ...], str, bool]:
    """(kinds, why, adult) for a self-report; decisions 7 and 8."""
    policy = routing.self_report
    if answers.get("V3") == "yes" or "child" in assessment.categories:
        return policy.minor, "self-report under 18 (V3 yes)", False
    consent = answers.get("V6")
    if consent == "yes":
        return policy.consent_yes, "adult self-report, consent to share (V6 yes)", True
    if consent == "no":
        return policy.consent_no, "adult self-report, no consent to share (V6 no)", True
    return policy.consent_absent, "adult self-report, consent not given (V6 absent)", True


def _wanted(
    assessment: Assessment, answers: Mapping[str, Any], routing: Routing
) -> tuple[dict[str, _Want], list[str]]:
    wanted: dict[str, _Want] = {}
    notes: list[str] = []
    _add(wanted, ("triage",), "every tip", True)
    adult_self = False
    consent_kinds: tuple[str, ...] = ()
    if "self_report" in assessment.categories:
        consent_kinds, why, adult_self = _self_report_kinds(assessment, answers, routing)
        _add(wanted, consent_kinds, why, False)
        if adult_self and "police" not in consent_kinds:
            notes.append(f"no police: {why}, unless a child or danger route overrides (decision 8)")
    for category in assessment.categories:
        kinds = routing.categories.get(category, ())
        mandated = category in routing.mandated
        if adult_self and not mandated:
            # The person decides where their own report goes; labour/sex routes don't apply.
            withheld = [k for k in kinds if k not in consent_kinds]
            if withheld:
                notes.append(
                    f"{category} route to {', '.join(withheld)} withheld: "
                    "adult self-report routes by consent"
                )
            continue
        _add(wanted, kinds, f"{category}{' (mandated)' if mandated else ''}", mandated)
    if adult_self:
        for kind, want in wanted.items():
            if kind != "triage" and kind not in consent_kinds:
                notes.append(f"{kind}: {'; '.join(want.why)} overrides the self-report's consent")
    return wanted, notes


def _queues_for(
    kind: str, want: _Want, routing: Routing, region: str, area: str | None, locale: str
) -> tuple[list[str], str]:
    of_kind = [q for q in routing.queues if q.kind == kind]
    matched = [q.name for q in of_kind if _filters_match(q, region, area, locale)]
    why = "; ".join(want.why)
    if matched:
        return matched, f"{kind} -> {', '.join(matched)}: {why}"
    if want.mandated and of_kind:
        names = [q.name for q in of_kind]
        fallback = "no queue matched the filters, mandated fallback"
        return names, f"{kind} -> {', '.join(names)}: {why}; {fallback}"
    where = f"region {region}, area {area or 'not given'}, locale {locale}"
    return [], f"{kind}: not routed, no queue matches ({where}); wanted for {why}"


def route_explained(
    assessment: Assessment,
    answers: Mapping[str, Any],
    *,
    routing: Routing,
    region: str,
    locale: str,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(queue names sorted and unique, reasons) for an assessed tip."""
    wanted, notes = _wanted(assessment, answers, routing)
    area = answers.get("W1")
    if not isinstance(area, str) or area == "other":
        # The reporter's own answer wins; a campaign deep link (a poster's area) stands in.
        campaign = answers.get("campaign")
        area = campaign if isinstance(campaign, str) else (area if isinstance(area, str) else None)
    names: set[str] = set()
    reasons: list[str] = []
    for kind in KINDS:  # stable reason order
        if kind in wanted:
            picked, why = _queues_for(kind, wanted[kind], routing, region, area, locale)
            names.update(picked)
            reasons.append(why)
    return tuple(sorted(names)), tuple(reasons + notes)


def route(
    assessment: Assessment,
    answers: Mapping[str, Any],
    *,
    routing: Routing,
    region: str,
    locale: str,
) -> tuple[str, ...]:
    """Queue names for an assessed tip, sorted and unique; always includes a triage queue."""
    return route_explained(assessment, answers, routing=routing, region=region, locale=locale)[0]
