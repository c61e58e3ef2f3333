"""A wrong TIPLINE_PUBLIC_BASE_URL shows up once at WARNING with its likely cause, not once a request."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.factories import FakeClock
from tests.webhooks.helpers import post_sms, sign, sms_params
from webhooks.rejections import SUMMARY_SECONDS, RejectionLog


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "signature" in r.getMessage()]


def test_a_flood_of_bad_signatures_is_one_warning_naming_the_public_url(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    params = sms_params("hi")
    wrong = sign(params, base="https://old-name.example.org")  # what Twilio signs when the URL setting is wrong
    caplog.set_level(logging.WARNING)
    for _ in range(25):
        assert post_sms(client, params, signature=wrong).status_code == 403
    lines = _warnings(caplog)
    assert len(lines) == 1
    assert "TIPLINE_PUBLIC_BASE_URL" in lines[0] and "+1415" not in lines[0]


def test_later_rejections_are_summed_up_at_most_once_an_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(0.0)
    rejections = RejectionLog("Twilio request signature", "check TIPLINE_PUBLIC_BASE_URL", clock=clock)
    caplog.set_level(logging.WARNING)
    for _ in range(10):
        rejections.rejected()
    clock.advance(SUMMARY_SECONDS + 1)
    rejections.rejected()
    lines = _warnings(caplog)
    assert len(lines) == 2 and "10 more" in lines[1]
