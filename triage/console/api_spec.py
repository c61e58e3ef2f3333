"""The OpenAPI 3.1 document of the JSON API (served at ``/api/v1/openapi.json``).

Written by hand next to the views it describes; a test validates it with openapi-spec-validator,
checks that every route of the API blueprint is in it, and validates real answers against its schemas.
"""

from __future__ import annotations

from typing import Any

_TIME = {"type": "number", "description": "seconds since the epoch (UTC)"}
_TEXTS = {"type": "array", "items": {"type": "string"}}
PRIORITIES = ("P1", "P2", "P3", "P4")  # triage.scoring gives P1..P4


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _queue_item() -> dict[str, Any]:
    return _object(
        ["tip_id", "priority", "categories", "interview_status", "created_at", "updated_at"],
        tip_id={"type": "string"}, priority={"type": "string", "enum": list(PRIORITIES)}, categories=_TEXTS,
        interview_status={"type": "string"}, created_at=_TIME, updated_at=_TIME,
        claimed_by=_nullable("string"), lease_until=_nullable("number"))


def _answer() -> dict[str, Any]:
    return _object(
        ["step", "question", "choices", "words", "words_shown", "skipped"],
        step={"type": "string"}, question={"type": "string", "description": "in the token's language"},
        choices={**_TEXTS, "description": "labels of the chosen options, in the token's language"},
        words={**_nullable("string"), "description": "what the reporter typed, as written"},
        words_shown={**_nullable("string"), "description": "the same, control and invisible characters escaped"},
        skipped={"type": "boolean"})


def _tip() -> dict[str, Any]:
    return _object(
        ["tip_id", "priority", "categories", "interview_status", "version", "created_at", "updated_at", "locale",
         "reporter_language", "answers", "additions", "reasons", "routing", "claim"],
        tip_id={"type": "string"}, priority={"type": "string", "enum": list(PRIORITIES)}, categories=_TEXTS,
        interview_status={"type": "string"}, interview_reason={"type": "string"}, version={"type": "integer"},
        created_at=_TIME, updated_at=_TIME, locale={"type": "string"},
        reporter_language={"type": "string", "description": "the language the reporter wrote in, named"},
        answers={"type": "array", "items": _ref("Answer")},
        additions={"type": "array", "items": _object(["version", "texts", "texts_shown"], version={"type": "integer"},
                                                     texts=_TEXTS, texts_shown=_TEXTS)},
        reasons=_TEXTS, routing=_TEXTS,
        claim=_object(["held", "mine", "lease_until"], held={"type": "boolean"}, mine={"type": "boolean"},
                      lease_until=_nullable("number")))


def _schemas() -> dict[str, Any]:
    return {
        "Error": _object(["error"], error=_object(["status", "message"], status={"type": "integer"},
                                                  message={"type": "string"})),
        "LoginRequest": _object(["username", "passphrase", "code"], username={"type": "string"},
                                passphrase={"type": "string", "format": "password"},
                                code={"type": "string", "description": "six digits from the authenticator app"},
                                locale={"type": "string", "description": "language of questions and options"}),
        "Token": _object(["token", "token_type", "expires_in", "idle_timeout"], token={"type": "string"},
                         token_type={"const": "Bearer"}, expires_in={"type": "integer", "description": "seconds"},
                         idle_timeout={"type": "integer", "description": "seconds without a request"}),
        "LogoutRequest": _object([], everywhere={"type": "boolean", "description": "end every session and token"}),
        "LoggedOut": _object(["logged_out", "everywhere"], logged_out={"const": True},
                             everywhere={"type": "boolean"}),
        "QueueItem": _queue_item(),
        "Queue": _object(["queues", "now", "items"], queues=_TEXTS, now=_TIME,
                         items={"type": "array", "items": _ref("QueueItem")}),
        "Pulled": _object(["claim"], message={"type": "string"}, claim={"oneOf": [
            {"type": "null"}, _object(["tip_id", "lease_until"], tip_id={"type": "string"}, lease_until=_TIME)]}),
        "Answer": _answer(),
        "Tip": _tip(),
        "Released": _object(["released", "tip_id"], released={"const": True}, tip_id={"type": "string"}),
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {401: "no token, or an unknown or expired one; or wrong credentials",
               403: "the member has not set up a second factor yet (do it in the console)",
               404: "no such tip in the member's queues", 409: "the member does not hold this tip",
               422: "the body or a parameter is malformed", 429: "too many wrong logins; wait 15 minutes"}
    return {str(c): _json("Error", meaning[c]) for c in codes}


_TIP_ID = {"name": "tip_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/login": {"post": {
            "summary": "Log in with passphrase and second-factor code; get a bearer token", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LoginRequest")}}},
            "responses": {"201": _json("Token", "a token for 15 minutes (5 idle)"), **_errors(401, 403, 422, 429)}}},
        "/api/v1/logout": {"post": {
            "summary": "End this token (or, with everywhere, every session of the member)",
            "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("LogoutRequest")}}},
            "responses": {"200": _json("LoggedOut", "logged out"), **_errors(401)}}},
        "/api/v1/queue": {"get": {
            "summary": "The tips of the member's queues, most urgent first, then oldest",
            "responses": {"200": _json("Queue", "the queue"), **_errors(401)}}},
        "/api/v1/next": {"post": {
            "summary": "Claim the next tip (P1 first, then oldest) with a lease",
            "responses": {"200": _json("Pulled", "the claim, or null when nothing waits"), **_errors(401)}}},
        "/api/v1/tips/{tip_id}": {"get": {
            "summary": "Open a tip (audited): questions and chosen options, the reporter's words",
            "parameters": [_TIP_ID, {"name": "locale", "in": "query", "required": False,
                                     "schema": {"type": "string"}}],
            "responses": {"200": _json("Tip", "the opened tip"), **_errors(401, 404, 422)}}},
        "/api/v1/tips/{tip_id}/release": {"post": {
            "summary": "Give a claimed tip back to the queue", "parameters": [_TIP_ID],
            "responses": {"200": _json("Released", "given back"), **_errors(401, 404, 409)}}},
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "security": [],
            "responses": {"200": {"description": "the OpenAPI document",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "tipline staff API", "version": "1",
                 "description": "The staff console's JSON API: the queue, pulling and reading tips. Log in for a "
                                "bearer token; it lasts 15 minutes (5 without a request). Cookies are not accepted."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "the token from POST /api/v1/login"}}},
    }
