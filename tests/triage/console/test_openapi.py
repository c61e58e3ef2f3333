"""The OpenAPI 3.1 document: valid (openapi-spec-validator), served, and describing every API route."""

from __future__ import annotations

import re

from flask import Flask
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from triage.console.api_spec import document

_IGNORED = {"HEAD", "OPTIONS"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) of every rule of the API blueprint."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            out |= {(path, m.lower()) for m in (rule.methods or set()) - _IGNORED}
    return out


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any error


def test_the_validator_catches_a_broken_document() -> None:
    doc = document()
    doc["paths"]["/api/v1/queue"]["get"]["responses"]["200"] = {"content": {}}  # no description
    try:
        validate(doc)
    except OpenAPIValidationError:
        return
    raise AssertionError("a response without a description passed validation")


def test_every_route_is_described_and_nothing_else(app: Flask) -> None:
    routes = _routes(app)
    assert ("/api/v1/tips/{tip_id}", "get") in routes and len(routes) >= 7
    described = {(path, method) for path, item in document()["paths"].items() for method in item}
    assert described == routes


def test_bearer_auth_is_required_except_to_log_in_and_read_the_document() -> None:
    doc = document()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "the token from POST /api/v1/login"}
    assert doc["security"] == [{"bearer": []}]
    open_ops = {path for path, item in doc["paths"].items() for op in item.values() if op.get("security") == []}
    assert open_ops == {"/api/v1/login", "/api/v1/openapi.json"}


def test_the_document_is_served_without_a_token(app: Flask) -> None:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == document()


def test_priority_enums_name_every_priority_scoring_gives() -> None:
    schemas = document()["components"]["schemas"]
    for name in ("QueueItem", "Tip"):
        assert schemas[name]["properties"]["priority"]["enum"] == ["P1", "P2", "P3", "P4"], name
