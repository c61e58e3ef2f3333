"""Channel test set-up: an initialised tip line (both channels on) and fake providers over real HTTP."""

from __future__ import annotations

import threading
from typing import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import TG_TOKEN, TW_SID, TW_TOKEN, build_runtime, channel_settings, new_sender
from tipline.app import create_public_app
from tipline.runtime import Runtime
from tipline.settings import Settings
from webhooks.sender import OutboxSender


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
def app(rt: Runtime) -> Flask:
    return create_public_app(rt.settings, rt)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sender(rt: Runtime) -> Iterator[OutboxSender]:
    s = new_sender(rt)
    yield s
    s.close()


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The public app on a real threaded HTTP server (for parallel deliveries)."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


# -- Twilio requests ---------------------------------------------------------------------------

