"""A queue filtered by area or language names them in the clear beside every tip it gets: the line says so."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.webhooks.helpers import build_runtime, channel_settings
from tests.webhooks.test_doctor import _doctor
from tipline import doctor_checks
from tipline.runtime import Runtime
from tipline.settings import Settings
from triage.routing_file import DEFAULT_ROUTING, load_routing, revealing

FILTERED = """
[[queue]]
name = "ngo-south"
title = "NGO south"
kind = "ngo"
areas = ["south"]

[[queue]]
name = "ngo-spanish"
title = "NGO Spanish speakers"
kind = "ngo"
languages = ["es"]
"""


def filtered_file(tmp_path: Path) -> Path:
    path = tmp_path / "routing.toml"
    path.write_text(DEFAULT_ROUTING.read_text(encoding="utf-8") + FILTERED, encoding="utf-8")
    return path


def test_loading_a_routing_file_with_area_or_language_filters_warns_what_a_copy_shows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="triage"):
        routing = load_routing(filtered_file(tmp_path))
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2
    south, spanish = warned
    assert "'ngo-south'" in south and "area south" in south and "plaintext" in south
    assert "'ngo-spanish'" in spanish and "language es" in spanish and "copy of the database" in spanish
    assert len(revealing(routing)) == 2


def test_the_shipped_routing_file_reveals_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="triage"):
        assert revealing(load_routing()) == []
    assert not caplog.records


def test_doctor_warns_about_filtered_queues_without_failing(settings: Settings, tmp_path: Path) -> None:
    assert [c.status for c in doctor_checks.routing(Runtime(settings))] == ["OK"]  # the shipped file
    filtered = build_runtime(settings, routing_file=filtered_file(tmp_path), **channel_settings(settings, None, None))
    try:
        _, lines = _doctor(filtered, "--local-only")
    finally:
        filtered.close()
    status, detail = lines["routing"]  # the last of its lines; each is a WARNING, never a PROBLEM
    assert status == "WARNING" and "ngo-spanish" in detail and "plaintext" in detail
    assert [c.status for c in doctor_checks.routing(filtered)] == ["WARNING", "WARNING"]
