"""Deployment regions: emergency numbers and areas come from data, never from the phone number."""

from __future__ import annotations

import pytest

from bot import RegionError, load_region


@pytest.mark.parametrize(("code", "emergency"), [("US", "911"), ("GB", "999"), ("EU", "112"), ("gb", "999")])
def test_known_regions(code: str, emergency: str) -> None:
    region = load_region(code)
    assert region.emergency == emergency and region.areas


def test_us_hotline_and_areas() -> None:
    region = load_region("US")
    assert region.hotline == "1-888-373-7888 (text 233733)"
    assert region.areas == ("northeast", "midwest", "south", "west")


def test_unknown_region_names_valid_codes() -> None:
    with pytest.raises(RegionError, match=r"unknown region 'XX'; valid codes: EU, GB, US"):
        load_region("XX")
