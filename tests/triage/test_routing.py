"""route(): which partners see a tip, with consent (decision 8) and mandated routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from triage.routing import Routing, load_routing, partner_kinds, route, route_explained
from triage.rules import Rules, load_rules
from triage.scoring import assess


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


@pytest.fixture(scope="module")
def routing() -> Routing:
    return load_routing()


def queues(
    rules: Rules, routing: Routing, answers: dict[str, Any], region: str = "US", locale: str = "en"
) -> tuple[str, ...]:
    a = assess(answers, rules=rules)
    return route(a, answers, routing=routing, region=region, locale=locale)


def explained(
    rules: Rules, routing: Routing, answers: dict[str, Any], region: str = "US", locale: str = "en"
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    a = assess(answers, rules=rules)
    return route_explained(a, answers, routing=routing, region=region, locale=locale)


ADULT_SELF = {"A2": "no", "A4": "self", "V1": "yes", "V3": "no", "V4": ["leave", "debt"]}


# --- Default routing ---------------------------------------------------------------------------


def test_low_signal_tip_reaches_triage_only(rules: Rules, routing: Routing) -> None:
    assert queues(rules, routing, {"A2": "no", "B1": "odd hours"}) == ("triage",)


def test_labour_goes_to_labour_inspection_ngo_and_triage(rules: Rules, routing: Routing) -> None:
    answers = {"B2": ["work"], "L1": "farm", "C": ["debt", "pay"], "T1": "week"}
    assert queues(rules, routing, answers) == ("labour", "ngo", "triage")


def test_sex_goes_to_ngo_and_police(rules: Rules, routing: Routing) -> None:
    answers = {"B2": ["street"], "S2": "yes", "T1": "today"}
    assert queues(rules, routing, answers) == ("ngo", "police", "triage")


def test_child_witness_goes_to_child_protection_and_police(rules: Rules, routing: Routing) -> None:
    got, why = explained(rules, routing, {"B3": "unsure"})
    assert got == ("child", "police", "triage")
    assert "child_protection -> child: child (mandated)" in why


def test_danger_goes_to_police_and_ngo(rules: Rules, routing: Routing) -> None:
    assert queues(rules, routing, {"A2": "yes"}) == ("ngo", "police", "triage")


def test_adult_self_report_without_consent_never_reaches_police(
    rules: Rules, routing: Routing
) -> None:
    got, why = explained(rules, routing, {**ADULT_SELF, "V6": "no"})
    assert "police" not in got
    assert got == ("triage",)
    assert (
        "no police: adult self-report, no consent to share (V6 no), "
        "unless a child or danger route overrides (decision 8)"
    ) in why
    assert any("withheld: adult self-report routes by consent" in r for r in why)


def test_adult_self_report_in_danger_reaches_police_despite_no_consent(
    rules: Rules, routing: Routing
) -> None:
    got, why = explained(rules, routing, {**ADULT_SELF, "V2": ["emergency"], "V6": "no"})
    assert got == ("ngo", "police", "triage")
    assert "police: danger (mandated) overrides the self-report's consent" in why


def test_adult_self_report_with_consent_reaches_ngo_and_police(
    rules: Rules, routing: Routing
) -> None:
    assert queues(rules, routing, {**ADULT_SELF, "V6": "yes"}) == ("ngo", "police", "triage")


def test_adult_self_report_without_a_v6_answer_goes_to_ngo_only(
    rules: Rules, routing: Routing
) -> None:
    assert queues(rules, routing, ADULT_SELF) == ("ngo", "triage")


def test_adult_self_report_with_consent_skips_labour_inspection(
    rules: Rules, routing: Routing
) -> None:
    # V6 asked to share with the helpline; consent_yes lists ngo and police, not the inspectorate.
    got = queues(rules, routing, {**ADULT_SELF, "V4": ["debt"], "V6": "yes"})
    assert "labour" not in got


def test_minor_self_report_goes_to_child_protection_and_police(
    rules: Rules, routing: Routing
) -> None:
    # V6 is only informed for a minor (decision 7), so even a "no" does not keep police out.
    answers = {"A4": "self", "V1": "yes", "V3": "yes", "V6": "no"}
    assert queues(rules, routing, answers) == ("child", "ngo", "police", "triage")


def test_route_is_the_first_half_of_route_explained(rules: Rules, routing: Routing) -> None:
    answers = {"B3": "yes", "S1": "yes", "A2": "yes", "C": ["debt"], "B2": ["work"]}
    got, _ = explained(rules, routing, answers)
    assert got == queues(rules, routing, answers) == tuple(sorted(set(got)))


def test_partner_kinds_lists_the_partners_not_the_task_force(routing: Routing) -> None:
    assert partner_kinds(routing) == ("police", "ngo", "child_protection", "labour")


# --- Filters -----------------------------------------------------------------------------------

FILTERED = """
version = "test"

[[queue]]
name = "intake"
title = "Task-force intake"
kind = "triage"

[[queue]]
name = "police-us"
title = "Police liaison (US)"
kind = "police"
regions = ["US"]

[[queue]]
name = "police-gb"
title = "Police liaison (UK)"
kind = "police"
regions = ["GB"]

[[queue]]
name = "ngo-es"
title = "NGO, Spanish"
kind = "ngo"
languages = ["es"]

[[queue]]
name = "ngo-en"
title = "NGO, English"
kind = "ngo"
languages = ["en"]

[[queue]]
name = "labour-north"
title = "Labour inspection, north"
kind = "labour"
areas = ["north"]

[[queue]]
name = "child-north"
title = "Child protection, north"
kind = "child_protection"
areas = ["north"]

[categories]
labour = ["labour", "ngo"]
sex = ["ngo", "police"]
child = ["child_protection", "police"]
danger = ["police", "ngo"]

[mandated]
categories = ["child", "danger"]

[self_report]
consent_yes = ["ngo", "police"]
consent_no = []
consent_absent = ["ngo"]
minor = ["ngo"]
"""


@pytest.fixture
def filtered(tmp_path: Path) -> Routing:
    path = tmp_path / "routing.toml"
    path.write_text(FILTERED)
    return load_routing(path)


def test_region_filter_picks_the_deployments_police(rules: Rules, filtered: Routing) -> None:
    assert queues(rules, filtered, {"A2": "yes"}, region="gb") == ("intake", "ngo-en", "police-gb")


def test_language_filter_matches_the_language_of_a_regional_locale(
    rules: Rules, filtered: Routing
) -> None:
    got = queues(rules, filtered, {"A2": "yes"}, locale="es_MX")
    assert got == ("intake", "ngo-es", "police-us")


def test_area_filter_routes_labour_to_the_local_inspectorate(
    rules: Rules, filtered: Routing
) -> None:
    answers = {"W1": "north", "C": ["debt"], "B2": ["work"]}
    assert queues(rules, filtered, answers) == ("intake", "labour-north", "ngo-en")


def test_non_mandated_route_without_a_matching_queue_is_reported_not_invented(
    rules: Rules, filtered: Routing
) -> None:
    answers = {"W1": "south", "C": ["debt"], "B2": ["work"]}
    got, why = explained(rules, filtered, answers)
    assert got == ("intake", "ngo-en")
    expected = "labour: not routed, no queue matches (region US, area south"
    assert any(r.startswith(expected) for r in why)


def test_mandated_child_route_falls_back_to_any_child_protection_queue(
    rules: Rules, filtered: Routing
) -> None:
    got, why = explained(rules, filtered, {"W1": "south", "B3": "yes"})
    assert got == ("child-north", "intake", "police-us")
    assert (
        "child_protection -> child-north: child (mandated); "
        "no queue matched the filters, mandated fallback"
    ) in why


def test_mandated_danger_route_falls_back_when_region_has_no_police(
    rules: Rules, filtered: Routing
) -> None:
    got = queues(rules, filtered, {"A2": "yes"}, region="IE", locale="fr")
    assert got == ("intake", "ngo-en", "ngo-es", "police-gb", "police-us")


def test_a_lone_sex_tip_outside_any_region_does_not_reach_police(
    rules: Rules, filtered: Routing
) -> None:
    got = queues(rules, filtered, {"S2": "yes", "B2": ["street"]}, region="IE")
    assert got == ("intake", "ngo-en")


def test_campaign_area_from_a_deep_link_routes_when_the_reporter_gave_no_area() -> None:
    import tomllib
    from pathlib import Path

    from triage.routing import load_routing, route
    from triage.routing_file import _parse_routing

    raw = tomllib.loads((Path(__file__).resolve().parents[2] / "triage" / "routing.toml").read_text())
    raw["queue"].append({"name": "ngo-south", "title": "NGO (south)", "kind": "ngo", "areas": ["south"]})
    for q in raw["queue"]:
        if q["name"] == "ngo":
            q["areas"] = ["northeast"]
    routing = _parse_routing(raw)
    assert load_routing() is not None
    from triage.scoring import Assessment

    labour = Assessment(priority="P3", categories=("labour",), score=6.0, reasons=(), rules_version="t")
    assert "ngo-south" in route(labour, {"campaign": "south"}, routing=routing, region="US", locale="en")
    # The reporter's own answer wins over the poster's area.
    assert "ngo" in route(labour, {"campaign": "south", "W1": "northeast"}, routing=routing, region="US", locale="en")
