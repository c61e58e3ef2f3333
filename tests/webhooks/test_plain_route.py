"""POST /webhooks/twilio/sms as a plain WSGI route in front of Flask (webhooks.plain_route, issue 11):
the same answers as a Flask route, over real HTTP too, for bodies of any framing."""

from __future__ import annotations

import logging
from typing import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.webhooks.helpers import SMS_PATH, sign, sms_params, twiml_messages
from tipline.runtime import Runtime
from webhooks.plain_route import mount
from webhooks.twilio_sms import MAX_BODY


def _chunks(body: bytes, size: int = 700) -> Iterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i:i + size]


def _tips_and_conversations(rt: Runtime) -> tuple[int, int]:
    with rt.db.connect() as conn:
        return (conn.exec_driver_sql("SELECT count(*) FROM tip").scalar_one(),
                conn.exec_driver_sql("SELECT count(*) FROM conversation").scalar_one())


def test_a_chunked_webhook_over_http_is_answered_like_a_sized_one(live: str, rt: Runtime) -> None:
    # Given a signed webhook sent without a Content-Length (Transfer-Encoding: chunked)
    params = sms_params("hi", sender="+14155550301")
    body = urlencode(params).encode()
    headers = {"X-Twilio-Signature": sign(params), "Content-Type": "application/x-www-form-urlencoded"}
    with httpx.Client(timeout=10) as http:
        chunked = http.post(live + SMS_PATH, content=_chunks(body), headers=headers)
        # Then it is read whole and answered with the first question
        assert "chunked" in chunked.request.headers.get("transfer-encoding", "")
        assert chunked.status_code == 200 and "<Message" in chunked.text
        # And the same conversation goes on with a sized body
        params = sms_params("2", sender="+14155550301")
        sized = http.post(live + SMS_PATH, content=urlencode(params),
                          headers={**headers, "X-Twilio-Signature": sign(params)})
    assert sized.status_code == 200 and "<Message" in sized.text and sized.text != chunked.text


def test_an_oversized_chunked_body_gets_413_and_stores_nothing(live: str, rt: Runtime) -> None:
    params = sms_params("x" * (MAX_BODY + 10), sender="+14155550302")
    body = urlencode(params).encode()
    headers = {"X-Twilio-Signature": sign(params), "Content-Type": "application/x-www-form-urlencoded"}
    before = _tips_and_conversations(rt)
    with httpx.Client(timeout=10) as http:
        r = http.post(live + SMS_PATH, content=_chunks(body, 8192), headers=headers)
    assert r.status_code == 413
    assert _tips_and_conversations(rt) == before


def test_other_methods_get_405_naming_post_and_other_paths_reach_flask(client: FlaskClient) -> None:
    for method in ("GET", "PUT", "DELETE"):
        r = client.open(SMS_PATH, method=method)
        assert r.status_code == 405 and r.headers["Allow"] == "POST"
    assert client.get("/healthz").status_code == 200
    assert client.get(SMS_PATH + "/").status_code == 404
    # The route still answers a webhook after those
    assert twiml_messages(client.post(SMS_PATH, data=urlencode(p := sms_params("hi", sender="+14155550303")),
                                      content_type="application/x-www-form-urlencoded",
                                      headers={"X-Twilio-Signature": sign(p)}))


def _failing_app(testing: bool) -> Flask:
    app = Flask("plain-route-test")
    app.testing = testing

    def view(environ: object) -> object:
        raise RuntimeError("the view failed")

    mount(app, "/hook", view)  # type: ignore[arg-type]
    return app


def test_an_exception_in_the_route_is_handled_by_flask_as_in_a_flask_route(caplog: pytest.LogCaptureFixture) -> None:
    # Served: Flask logs it and answers 500 (no traceback in the answer)
    with caplog.at_level(logging.ERROR):
        r = _failing_app(testing=False).test_client().post("/hook", data="a=1")
    assert r.status_code == 500 and b"the view failed" not in r.data
    assert any("Exception on /hook [POST]" in rec.getMessage() for rec in caplog.records)
    # Under test: it is raised, as Flask raises a view's exception
    with pytest.raises(RuntimeError, match="the view failed"):
        _failing_app(testing=True).test_client().post("/hook", data="a=1")
