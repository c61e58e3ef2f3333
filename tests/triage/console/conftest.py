from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask

from tests.factories import FakeClock
from tests.triage.console.support import Browser, console_app
from tipline.runtime import Runtime


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_800_000_000.0)


@pytest.fixture
def app(rt: Runtime, clock: FakeClock) -> Iterator[Flask]:
    yield console_app(rt, clock)


@pytest.fixture
def admin(app: Flask, clock: FakeClock) -> Browser:
    """The admin's browser, second factor enrolled and logged in."""
    browser = Browser(app.test_client(), clock)
    browser.enrol()
    return browser
