"""The loaders refuse a broken rules or routing file and name the bad entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from triage.routing import DEFAULT_ROUTING, RoutingError, load_routing
from triage.rules import DEFAULT_RULES, RulesError, load_rules

RULES = DEFAULT_RULES.read_text()
ROUTING = DEFAULT_ROUTING.read_text()


def write(tmp_path: Path, text: str, name: str = "file.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def edited(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture drift: {old!r} not in the shipped file"
    return text.replace(old, new, 1)


# --- rules.toml --------------------------------------------------------------------------------


def test_shipped_rules_load_and_are_versioned() -> None:
    rules = load_rules()
    assert rules.version == "2026-12-01.1"
    assert {i.id for i in rules.indicators} >= {"leave", "docs", "harm", "debt", "controller"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('version = "2026-12-01.1"', "", "version: must be a non-empty string"),
        ("unsure = 0.5\n", "", "factors.unsure: missing"),
        (
            'label = "cannot leave or come and go"\nweight = 5',
            'label = "cannot leave or come and go"\nweight = "5"',
            "indicators.leave.weight: must be a number >= 0",
        ),
        (
            'sources = ["C.leave", "V4.leave"]\nprimary = ["labour", "sex"]',
            'sources = ["C.leave", "V4.leave"]\nprimary = ["labour", "trafficking"]',
            "indicators.leave.primary: unknown category 'trafficking'",
        ),
        ('strength = "strong"', 'strength = "huge"', "indicators.leave.strength: must be one of"),
        ('sources = ["S2"]', "sources = []", "indicators.controller.sources: must name"),
        ('priority = "P1"', 'priority = "P0"', "triggers[0].priority: must be one of P1, P2"),
        ("cap = 4", "cap = -4", "groups.S3.cap: must be a number >= 0"),
        ("p3_score = 5.0", "p3_score = 50.0", "thresholds.p3_score: must not exceed p2_score"),
        ('stale = ["longer"]', 'stale = ["ages"]', "recency: 'ages' has no multiplier"),
        ('street = ["sex"]', 'street = ["vice"]', "sectors.B2.street: unknown category 'vice'"),
    ],
)
def test_bad_rules_entry_is_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = write(tmp_path, edited(RULES, old, new), "rules.toml")
    with pytest.raises(RulesError, match="^rules.toml: " + re.escape(message)):
        load_rules(path)


def test_rules_file_that_is_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, RULES + "\n[indicators.leave\n")
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules(path)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "absent.toml")


# --- routing.toml ------------------------------------------------------------------------------


def test_shipped_routing_loads() -> None:
    routing = load_routing()
    assert [q.name for q in routing.queues] == ["triage", "police", "ngo", "child", "labour"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "labour"', 'kind = "immigration"', "queue 'labour': unknown kind 'immigration'"),
        ('name = "ngo"', 'name = "police"', "queue 'police': duplicate queue name"),
        ('kind = "triage"', 'kind = "ngo"', "no triage queue"),
        (
            'kind = "child_protection"',
            'kind = "ngo"',
            "mandated category 'child' needs a queue of kind 'child_protection'",
        ),
        ('sex = ["ngo", "police"]', 'vice = ["police"]', "categories.vice: unknown category"),
        (
            'consent_absent = ["ngo"]',
            'consent_absent = ["press"]',
            "self_report.consent_absent: unknown kind 'press'",
        ),
        ('title = "Police liaison"', "title = 3", "queue\\[1\\].title: must be a non-empty string"),
        (
            'kind = "labour"',
            'kind = "labour"\nareas = "north"',
            "queue\\[4\\].areas: must be a list of strings",
        ),
    ],
)
def test_bad_routing_entry_is_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = write(tmp_path, edited(ROUTING, old, new), "routing.toml")
    with pytest.raises(RoutingError, match="^routing.toml: " + message):
        load_routing(path)


def test_routing_file_that_is_not_toml(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="not valid TOML"):
        load_routing(write(tmp_path, "[[queue]\nname = 'x'"))


def test_routing_without_queues(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="at least one \\[\\[queue\\]\\]"):
        load_routing(write(tmp_path, 'version = "x"\n'))



def test_rules_modules_stay_pure() -> None:
    # triage rules must stay importable without the web, provider or storage layers.
    import subprocess
    import sys

    code = (
        "import sys, triage.scoring, triage.routing\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'twilio', 'telegram', 'storage', 'webhooks', 'tipline', 'sqlalchemy'}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
