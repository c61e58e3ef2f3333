"""Choose the queues an assessed tip goes to (triage/routing.toml).

Pure functions: the assessment, the answers, the deployment's region and the conversation locale
in; queue names (and the reasons, for staff and the audit log) out. Every tip reaches a triage
queue; child and danger routes are mandated and never dropped; an adult self-report reaches
police only with consent (decision 8) unless a child or danger route overrides it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from triage.rules import CATEGORIES, read_toml
from triage.scoring import Assessment

__all__ = [
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

KINDS: tuple[str, ...] = ("triage", "police", "ngo", "child_protection", "labour")
DEFAULT_ROUTING = Path(__file__).with_name("routing.toml")
# self_report has its own policy table; these four map to kinds in [categories].
_ROUTED_CATEGORIES = tuple(c for c in CATEGORIES if c != "self_report")


class RoutingError(ValueError):
    """The routing file is missing, not TOML, or inconsistent (the problem is named)."""


@dataclass(frozen=True)
class QueueSpec:
    name: str
    title: str
    kind: str  # one of KINDS
    regions: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelfReportPolicy:
    """Kinds an adult self-report reaches by its V6 answer, and a minor's (V3 yes)."""

    consent_yes: tuple[str, ...]
    consent_no: tuple[str, ...]
    consent_absent: tuple[str, ...]
    minor: tuple[str, ...]


@dataclass(frozen=True)
class Routing:
    version: str
    queues: tuple[QueueSpec, ...]
    categories: Mapping[str, tuple[str, ...]]  # category -> kinds
    mandated: tuple[str, ...]  # categories whose routes are never dropped or consent-gated
    self_report: SelfReportPolicy


# ---------------------------------------------------------------------------------------------
# Loading


def load_routing(path: Path | None = None) -> Routing:
    """Read and validate a routing file (default triage/routing.toml); raise RoutingError."""
    path = path or DEFAULT_ROUTING
    raw = read_toml(path, RoutingError)
    try:
        return _parse_routing(raw)
    except RoutingError as exc:
        raise RoutingError(f"{path.name}: {exc}") from None


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RoutingError(f"{where}.{key}: must be a list of strings")
    return tuple(value)


def _kinds(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    kinds = _strings(raw, key, where)
    for kind in kinds:
        if kind not in KINDS:
            raise RoutingError(f"{where}.{key}: unknown kind {kind!r}")
    return kinds


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise RoutingError(f"{key}: must be a table")
    return value


def _parse_queue(index: int, raw: Any) -> QueueSpec:
    where = f"queue[{index}]"
    if not isinstance(raw, dict):
        raise RoutingError(f"{where}: must be a table")
    for key in ("name", "title", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise RoutingError(f"{where}.{key}: must be a non-empty string")
    if raw["kind"] not in KINDS:
        raise RoutingError(
            f"queue {raw['name']!r}: unknown kind {raw['kind']!r} (one of {', '.join(KINDS)})"
        )
    return QueueSpec(
        name=raw["name"],
        title=raw["title"],
        kind=raw["kind"],
        regions=tuple(r.upper() for r in _strings(raw, "regions", where)),
        areas=_strings(raw, "areas", where),
        languages=tuple(_norm_locale(v) for v in _strings(raw, "languages", where)),
    )


def _parse_queues(raw: Mapping[str, Any]) -> tuple[QueueSpec, ...]:
    items = raw.get("queue")
    if not isinstance(items, list) or not items:
        raise RoutingError("queue: at least one [[queue]] is needed")
    queues = tuple(_parse_queue(i, q) for i, q in enumerate(items))
    seen: set[str] = set()
    for queue in queues:
        if queue.name in seen:
            raise RoutingError(f"queue {queue.name!r}: duplicate queue name")
        seen.add(queue.name)
    if not any(q.kind == "triage" for q in queues):
        raise RoutingError("no triage queue: every tip must reach a queue of kind 'triage'")
    return queues


def _parse_categories(raw: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    table = _table(raw, "categories")
    for category in table:
        if category not in _ROUTED_CATEGORIES:
            raise RoutingError(f"categories.{category}: unknown category")
    return MappingProxyType({c: _kinds(table, c, "categories") for c in table})


def _parse_routing(raw: Mapping[str, Any]) -> Routing:
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise RoutingError("version: must be a non-empty string")
    queues = _parse_queues(raw)
    categories = _parse_categories(raw)
    mandated = _strings(_table(raw, "mandated"), "categories", "mandated")
    policy = _table(raw, "self_report")
    routing = Routing(
        version=version,
        queues=queues,
        categories=categories,
        mandated=mandated,
        self_report=SelfReportPolicy(
            **{
                key: _kinds(policy, key, "self_report")
                for key in ("consent_yes", "consent_no", "consent_absent", "minor")
            }
        ),
    )
    _check_mandated(routing)
    return routing


def _check_mandated(routing: Routing) -> None:
    """A mandated route must have somewhere to go, so refuse the file rather than drop a tip."""
    have = {q.kind for q in routing.queues}
    for category in routing.mandated:
        if category not in routing.categories:
            raise RoutingError(f"mandated.categories: {category!r} has no [categories] entry")
        for kind in routing.categories[category]:
            if kind not in have:
                raise RoutingError(
                    f"mandated category {category!r} needs a queue of kind {kind!r}; none defined"
                )


# ---------------------------------------------------------------------------------------------
# Routing


def _norm_locale(locale: str) -> str:
    return locale.strip().lower().replace("_", "-")


def _filters_match(queue: QueueSpec, region: str, area: str | None, locale: str) -> bool:
    lang = _norm_locale(locale)
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


def partner_kinds(routing: Routing) -> tuple[str, ...]:
    """Kinds of partner that can receive tips (for the reporter notice); the task force's own
    triage intake is not a partner and is left out."""
    have = {q.kind for q in routing.queues}
    return tuple(k for k in KINDS if k in have and k != "triage")
