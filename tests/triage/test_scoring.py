"""assess(): the INTAKE section 2 rubric as a triage officer sees it (priority, categories, why)."""

from __future__ import annotations

from typing import Any

import pytest

from triage.rules import Rules, load_rules
from triage.scoring import Assessment, assess


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def run(rules: Rules, previous: Assessment | None = None, **answers: Any) -> Assessment:
    return assess(answers, rules=rules, previous=previous)


# --- The worked witness example ----------------------------------------------------------------


def test_witness_confined_and_papers_held_today_is_p2_with_every_reason(rules: Rules) -> None:
    a = run(rules, A2="no", A4="other", C=["leave", "docs"], T1="today")
    assert a.priority == "P2"
    assert a.score == 15.0  # (5 + 5) x 1.5
    assert a.reasons == (
        "P2: score 15 >= 12",
        "P2: 2 strong indicators seen recently (T1 today)",
        "category labour: C.leave, C.docs",
        "possible sex (not routed; no answer says it): C.leave, C.docs",
        "C.leave yes +5",
        "C.docs yes +5",
        "recency today x1.5",
        "score 10 x1.5 = 15",
    )
    assert a.rules_version == rules.version == "2026-12-01.1"


def test_same_witness_seen_longer_ago_is_p4_and_says_what_it_would_have_been(rules: Rules) -> None:
    a = run(rules, C=["leave", "docs"], T1="longer")
    assert (a.priority, a.score) == ("P4", 6.0)
    assert a.reasons[0] == "P4: seen longer ago (T1 longer); would be P3 (score 6 >= 5)"
    assert "recency longer x0.6" in a.reasons


def test_longer_ago_is_still_raised_by_a_child_flag(rules: Rules) -> None:
    a = run(rules, B3="yes", C=["leave"], T1="longer")
    assert a.priority == "P2"
    assert a.reasons[0] == "P2: child involved (B3 yes)"


def test_longer_ago_is_still_raised_by_a_score_of_12(rules: Rules) -> None:
    # 5*4 + 3 + 3 = 26, x0.6 = 15.6
    a = run(rules, C=["leave", "docs", "harm", "debt", "pay", "housing"], T1="longer")
    assert (a.priority, a.score) == ("P2", 15.6)
    assert a.reasons[0] == "P2: score 15.6 >= 12"


def test_two_strong_indicators_need_t1_within_a_week_for_p2(rules: Rules) -> None:
    week = run(rules, C=["debt", "harm"], T1="week")  # 12 -> P2 by score as well
    month = run(rules, C=["debt", "harm"], T1="month")  # 10: P3 only
    assert week.priority == "P2"
    assert "P2: 2 strong indicators seen recently (T1 week)" in week.reasons
    assert month.priority == "P3"
    assert month.reasons[0] == "P3: score 10 >= 5"


def test_two_strong_indicators_now_give_both_p2_reasons(rules: Rules) -> None:
    # With strong = 5 and recent >= x1.2 this rule always coincides with score >= 12; both show.
    a = run(rules, C=["docs"], S2="yes", T1="now")
    assert a.reasons[:2] == ("P2: score 15 >= 12", "P2: 2 strong indicators seen recently (T1 now)")
    b = run(rules, C=["docs", "leave"])  # no T1: not "seen in the last 7 days", x1
    assert (b.priority, b.score) == ("P3", 10.0)


# --- P1 overrides ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"A2": "yes"}, "P1: danger now (A2 yes)"),
        ({"C": ["harm"], "C6a": "yes"}, "P1: danger now (C6a yes)"),
        (
            {"A4": "self", "V1": "yes", "V2": ["shelter", "emergency"]},
            "P1: danger now (V2 emergency)",
        ),
        ({"emergency": "yes"}, "P1: danger now (emergency yes)"),
    ],
)
def test_danger_now_is_p1_whatever_the_score(
    rules: Rules, answers: dict[str, Any], reason: str
) -> None:
    a = assess(answers, rules=rules)
    assert a.priority == "P1"
    assert a.reasons[0] == reason
    assert "danger" in a.categories


def test_a2_yes_with_t1_longer_stays_p1(rules: Rules) -> None:
    assert run(rules, A2="yes", T1="longer").priority == "P1"


def test_a2_unsure_adds_five_but_is_not_p1(rules: Rules) -> None:
    a = run(rules, A2="unsure")
    assert (a.priority, a.score) == ("P3", 5.0)
    assert "A2 unsure +5" in a.reasons
    assert "danger" not in a.categories


def test_a2_and_c6a_unsure_count_once(rules: Rules) -> None:
    assert run(rules, A2="unsure", C=["harm"], C6a="unsure").score == 10.0


@pytest.mark.parametrize(
    ("b3", "sex", "reason"),
    [
        ("unsure", {"S2": "yes"}, "P1: possible minor with commercial sex (B3 unsure, S2 yes)"),
        ("yes", {"S1": "yes"}, "P1: possible minor with commercial sex (B3 yes, S1 yes)"),
    ],
)
def test_possible_minor_with_commercial_sex_is_p1(
    rules: Rules, b3: str, sex: dict[str, str], reason: str
) -> None:
    a = assess({"B3": b3, **sex}, rules=rules)
    assert a.priority == "P1"
    assert a.reasons[0] == reason
    assert a.categories == ("sex", "child")


def test_possible_minor_with_unsure_sex_answers_is_p2_not_p1(rules: Rules) -> None:
    a = run(rules, B3="unsure", S1="unsure", S2="unsure")
    assert a.priority == "P2"


def test_possible_minor_alone_is_p2_with_child(rules: Rules) -> None:
    a = run(rules, B3="unsure")
    assert (a.priority, a.categories, a.score) == ("P2", ("child",), 0.0)
    assert a.reasons[0] == "P2: child involved (B3 unsure)"
    assert "category child: B3 unsure" in a.reasons


def test_b3_no_is_not_a_child_flag(rules: Rules) -> None:
    assert "child" not in run(rules, B3="no").categories


def test_self_report_not_safe_to_text_is_p1(rules: Rules) -> None:
    a = run(rules, A2="no", A4="self", V1="no")
    assert a.priority == "P1"
    assert a.reasons[0] == "P1: self-report, not safe to text (V1 no)"
    assert a.categories == ("self_report",)


def test_self_report_under_18_is_p1_and_child(rules: Rules) -> None:
    a = run(rules, A4="self", V1="yes", V3="yes")
    assert a.priority == "P1"
    assert a.reasons[0] == "P1: self-report, under 18 (V3 yes)"
    assert a.categories == ("child", "self_report")


def test_adult_self_report_safe_now_is_p2(rules: Rules) -> None:
    a = run(rules, A4="self", V1="yes", V3="no", V4=["debt"], V6="no")
    assert a.priority == "P2"
    assert a.reasons[0] == "P2: self-report, safe to text now (V1 yes)"
    assert "V4.debt yes +5" in a.reasons


# --- Score parts -------------------------------------------------------------------------------


def test_unsure_scores_half(rules: Rules) -> None:
    a = run(rules, L3="unsure", S2="unsure", T1="month")
    assert a.score == 4.0  # 1.5 + 2.5
    assert "L3 unsure +1.5" in a.reasons
    assert "S2 unsure +2.5" in a.reasons


def test_an_unsure_strong_indicator_is_not_counted_as_one_strong_indicator(rules: Rules) -> None:
    assert run(rules, S2="unsure").priority == "P4"
    yes = run(rules, S2="yes")
    assert yes.priority == "P3"
    assert yes.reasons[0] == "P3: score 5 >= 5"
    assert "P3: one strong indicator" in yes.reasons


def test_one_strong_indicator_is_p3_even_after_a_low_multiplier(rules: Rules) -> None:
    a = run(rules, S2="yes", T1="month")
    assert a.priority == "P3"


def test_m1_each_three_capped_at_six(rules: Rules) -> None:
    a = run(rules, B3="yes", M1=["partner", "school", "cash"])
    assert a.score == 6.0
    assert "M1 partner +3" in a.reasons
    assert "M1 cash +0 (child red flags capped at 6)" in a.reasons


def test_s3_each_one_capped_at_four_and_live_there_also_counts_as_housing(rules: Rules) -> None:
    a = run(rules, S3=["windows", "door", "late", "live", "men"])
    assert a.score == 7.0  # 4 venue signs + housing 3
    assert "S3.live yes +3" in a.reasons
    assert "S3 men +0 (venue signs capped at 4)" in a.reasons


def test_housing_from_c_and_s3_counts_once(rules: Rules) -> None:
    assert run(rules, C=["housing"], S3=["live"]).score == 4.0  # housing 3 + venue sign 1


def test_v4_scores_like_the_c_checklist(rules: Rules) -> None:
    witness = run(rules, C=["leave", "docs", "debt", "harm"])
    self_report = run(rules, A4="self", V4=["leave", "docs", "debt", "harm"])
    assert witness.score == self_report.score == 20.0


@pytest.mark.parametrize(
    ("answers", "points", "reason"),
    [
        ({"B4": "u12"}, 2, "B4 u12 (under 16) +2"),
        ({"B4": "12_15"}, 2, "B4 12_15 (under 16) +2"),
        ({"B4": "16_17"}, 0, None),
        ({"T2": "ongoing"}, 2, "T2 ongoing +2"),
        ({"T2": "few"}, 0, None),
        ({"N1": "6_20"}, 2, "N1 6_20 (6-20 people) +2"),
        ({"N1": "20plus"}, 3, "N1 20plus (more than 20 people) +3"),
        ({"W2": "behind the bus depot"}, 1, "W2 given (locatable place) +1"),
        ({"W2": "near the market", "W3": "Lucky Nails"}, 1, "W2 given (locatable place) +1"),
        ({"W3": "Lucky Nails"}, 1, "W3 given (locatable place) +1"),
        ({"W2": "  "}, 0, None),
    ],
)
def test_extras(
    rules: Rules, answers: dict[str, Any], points: float, reason: str | None
) -> None:
    a = assess(answers, rules=rules)
    assert a.score == points
    if reason:
        assert reason in a.reasons


def test_extras_are_added_before_recency(rules: Rules) -> None:
    assert run(rules, N1="20plus", T1="today").score == 4.5


def test_online_ad_counts_two_and_is_labelled_a_lead(rules: Rules) -> None:
    a = run(rules, X2="ad on a classifieds site")
    assert a.score == 2.0
    assert "X2 present +2 (online ad or number: a lead for investigators)" in a.reasons
    assert run(rules, X2="0").score == 0.0  # "0 to skip"


def test_empty_and_skipped_answers_score_nothing(rules: Rules) -> None:
    a = run(rules, A2=None, C=["none"], B3=None, T1=None, X2=None)
    assert (a.priority, a.categories, a.score) == ("P4", (), 0.0)
    assert a.reasons[0] == "P4: score 0 < 5, no other rule"
    assert assess({}, rules=rules).priority == "P4"


def test_reasons_list_every_contribution(rules: Rules) -> None:
    a = run(rules, C=["leave", "pay", "fear"], L2="yes", L5="unsure", T2="ongoing", T1="week")
    contributions = [r for r in a.reasons if " +" in r]
    assert contributions == [
        "C.leave yes +5",
        "C.pay yes +3",
        "L2 yes +2",
        "L5 unsure +1",
        "C.fear yes +1",
        "T2 ongoing +2",
    ]
    assert a.score == 16.8  # 14 x 1.2


# --- Categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "categories"),
    [
        ({"C": ["leave"]}, ("labour",)),  # no sector: labour; sex only possible
        ({"C": ["leave"], "B2": ["work"]}, ("labour",)),
        ({"C": ["leave"], "B2": ["street"]}, ("sex",)),
        ({"C": ["leave"], "L1": "farm"}, ("labour",)),
        ({"C": ["debt"]}, ("labour",)),  # sex only "contributes"
        ({"C": ["debt"], "B2": ["massage"]}, ("labour",)),  # the salon alone never makes "sex"
        ({"S1": "yes", "B2": ["work"]}, ("sex",)),  # an explicit answer beats the sector
        ({"B2": ["street"]}, ()),  # a sector alone says nothing
        ({"C": ["fear"], "B2": ["work"]}, ()),  # fear says no category; the farm makes labour possible
    ],
)
def test_categories_follow_indicators_and_sector_hints(
    rules: Rules, answers: dict[str, Any], categories: tuple[str, ...]
) -> None:
    assert assess(answers, rules=rules).categories == categories


@pytest.mark.parametrize(
    ("answers", "possible"),
    [
        ({"C": ["docs"], "B2": ["massage"], "L1": "nails", "S1": "no"}, ("sex",)),  # the nail salon
        ({"A4": "self", "V4": ["docs"]}, ("sex",)),  # a farm worker's passport-only self-report
        ({"C": ["debt"], "B2": ["massage"]}, ("sex",)),
        ({"C": ["docs"], "B2": ["massage"], "S1": "yes"}, ()),  # an answer says it: a category
    ],
)
def test_a_venue_alone_makes_a_category_possible_never_routed(
    rules: Rules, answers: dict[str, Any], possible: tuple[str, ...]
) -> None:
    a = assess(answers, rules=rules)
    assert a.possible == possible
    for category in possible:
        assert category not in a.categories
        assert any(r.startswith(f"possible {category} (not routed") for r in a.reasons)


def test_category_reason_names_the_sector_that_decided(rules: Rules) -> None:
    a = run(rules, C=["leave"], B2=["work"], L1="farm")
    assert "category labour: C.leave, sector B2 work, L1 farm" in a.reasons


# --- Never lowered automatically ---------------------------------------------------------------


def test_previous_p1_is_never_lowered(rules: Rules) -> None:
    first = run(rules, A2="yes")
    # Staff corrected A2 in a follow-up; the new answers alone would be P4.
    second = run(rules, previous=first, A2="no", T1="longer")
    assert second.priority == "P1"
    assert second.reasons[:3] == (
        f"kept: P1 from previous assessment (rules {rules.version})",
        "kept: P1: danger now (A2 yes)",
        "P4: seen longer ago (T1 longer)",
    )
    assert "danger" in second.categories  # keeps its police route
    third = run(rules, previous=second, A2="no")
    assert third.priority == "P1"
    assert "kept: P1: danger now (A2 yes)" in third.reasons
    assert not any(r.startswith("kept: kept:") for r in third.reasons)


def test_child_flag_is_kept_once_set(rules: Rules) -> None:
    first = run(rules, B3="unsure")
    second = run(rules, previous=first, B3="no")
    assert "child" in second.categories
    assert second.priority == "P2"
    assert "kept: child flag from previous assessment" in second.reasons
    assert "kept: category child: B3 unsure" in second.reasons


def test_a_previous_p2_without_child_may_change(rules: Rules) -> None:
    first = run(rules, C=["leave", "docs"], T1="today")
    assert run(rules, previous=first, C=["leave", "docs"], T1="longer").priority == "P4"


def test_new_answers_can_raise_a_tip(rules: Rules) -> None:
    first = run(rules, B3="unsure")
    assert run(rules, previous=first, B3="unsure", S1="yes").priority == "P1"
