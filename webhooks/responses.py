"""The plain responses the webhooks share."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response

log = logging.getLogger(__name__)

RETRY_AFTER = "5"  # seconds a provider should wait before it redelivers


def plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def database_unavailable(where: str) -> Response:
    """503 with Retry-After: the provider redelivers the update later instead of dropping it."""
    log.warning("%s: database unavailable", where)
    return Response("unavailable", status=503, mimetype="text/plain", headers={"Retry-After": RETRY_AFTER})


def ok_json(body: dict[str, Any] | None = None) -> Response:
    """200, empty or with a JSON body (Telegram reads a method call from it)."""
    if body is None:
        return Response("", status=200, mimetype="text/plain")
    return Response(json.dumps(body, separators=(",", ":")), status=200, mimetype="application/json")


def no_content() -> Response:
    return Response("", status=204)
