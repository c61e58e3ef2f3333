"""On-call set-up: an initialised line with both channels aimed at fake providers over real HTTP."""

from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import TG_TOKEN, TW_SID, TW_TOKEN, build_runtime, channel_settings
from tipline.app import create_public_app
from tipline.runtime import Runtime
from tipline.settings import Settings


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TG_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(TW_SID, TW_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def rt(settings: Settings, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio,
       monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for var in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    runtime = build_runtime(settings, **channel_settings(settings, fake_telegram, fake_twilio))
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> FlaskClient:
    app: Flask = create_public_app(rt.settings, rt)
    return app.test_client()
