"""Helpers of the API tests: logging in through the API, calling it with a token, checking answers
against the OpenAPI document's schemas (jsonschema, the validator openapi-spec-validator brings)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.factories import FakeClock
from tests.triage.console.support import Browser
from triage.console.api_spec import document
from triage.console.totp import code_at


def api_login(browser: Browser, *, code: str | None = None, **extra: Any) -> tuple[int, dict[str, Any]]:
    """Log ``browser``'s member in through the API (a fresh client: no cookie); the code is the next one."""
    browser.clock.advance(30)  # each code is accepted once: take the next step's
    if code is None:
        assert browser.secret is not None, "enrol first"
        code = code_at(browser.secret, browser.clock())
    body = {"username": browser.username, "passphrase": browser.passphrase, "code": code, **extra}
    response = FlaskClient(browser.client.application).post("/api/v1/login", json=body)
    return response.status_code, response.get_json()


def token_of(browser: Browser) -> str:
    status, body = api_login(browser)
    assert status == 201, body
    return str(body["token"])


def call(client: FlaskClient, method: str, path: str, token: str | None = None, **kwargs: Any
         ) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.mimetype == "application/json", (response.status_code, response.get_data(as_text=True)[:200])
    return response.status_code, response.get_json()


def conforms(schema: str, body: Any) -> None:
    """``body`` is what the OpenAPI document says ``schema`` is (refs resolved within the document)."""
    root = {**document(), "$ref": f"#/components/schemas/{schema}"}
    errors = sorted(Draft202012Validator(root).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]


def fresh(browser: Browser) -> FlaskClient:
    return FlaskClient(browser.client.application)


__all__ = ["FakeClock", "api_login", "call", "conforms", "fresh", "token_of"]
