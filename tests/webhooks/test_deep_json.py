"""Issue 9: input nested 100,000 deep is answered as designed, never with a 500.

Telegram: 200 (an unusable update, logged by event; a 5xx would make Telegram hold the chat).
Twilio: its form is flat (``parse_qsl``), so brackets are only text in a message.
The staff console: its forms are flat too, and a JSON body is never parsed there.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.factories import FakeClock
from tests.triage.console.support import console_app
from tests.webhooks.helpers import outbox_items, post_sms, post_tg, sms_params, stored_rows, tg_message, twiml_messages
from tipline.runtime import Runtime

DEPTH = 100_000
DEEP_OBJECT = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
DEEP_ARRAY = b"[" * DEPTH + b"]" * DEPTH
# A real update with one field nested too deep: the whole body is refused, as unusable.
DEEP_IN_UPDATE = (b'{"update_id": 77, "message": {"message_id": 1, "date": 0, '
                  b'"chat": {"id": 4242, "type": "private"}, "text": "hi", "x": ' + DEEP_ARRAY + b"}}")


@pytest.mark.parametrize("raw", [DEEP_OBJECT, DEEP_ARRAY, DEEP_IN_UPDATE], ids=["object", "array", "inside-update"])
def test_telegram_json_nested_100000_deep_gets_200_and_a_log_line(
    client: FlaskClient, rt: Runtime, raw: bytes, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", logger="webhooks.telegram")
    r = post_tg(client, None, raw=raw)
    assert r.status_code == 200
    assert all(v == 0 for v in stored_rows(rt).values()), stored_rows(rt)
    assert "telegram update ignored: nested too deep" in caplog.text
    # And the line goes on: the same chat's next update is handled as usual
    assert post_tg(client, tg_message("hi", update_id=78)).status_code == 200
    assert len(outbox_items(rt)) >= 1


def test_twilio_body_of_brackets_is_only_text(client: FlaskClient, rt: Runtime) -> None:
    r = post_sms(client, sms_params("[" * 1500 + '{"a":' * 1500))
    assert r.status_code == 200
    assert twiml_messages(r)  # the first, bland reply of a new conversation


def test_console_refuses_a_deep_json_body_without_a_500(rt: Runtime) -> None:
    client = console_app(rt, FakeClock()).test_client()
    for path in ("/login", "/next", "/language"):
        r = client.post(path, data=DEEP_OBJECT[:60_000], content_type="application/json")
        assert r.status_code < 500, (path, r.status_code)
    r = client.post("/login", data=DEEP_OBJECT, content_type="application/json")  # past the body limit
    assert r.status_code == 413
