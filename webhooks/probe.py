"""The doctor's probe: a request authenticated like a provider's that does nothing (issue 13).

``tipline doctor`` signs a Twilio request (or sends Telegram's secret header) for the configured
public URL and posts it there, through the TLS proxy, carrying a random nonce.  The edge answers it
after its own authentication and before anything else, with the nonce echoed in a header: the
answer proves that the URL reaches this app, that the app checks signatures against the same URL
and token, and that the proxy passes the headers on.  No database, no conversation, no log line
above DEBUG: a provider never sends the field or the header, and without a valid signature (or
secret) the probe is refused like any forged request.
"""

from __future__ import annotations

import re

from flask import Response

FIELD = "TiplineProbe"  # a form field of a signed Twilio request
HEADER = "X-Tipline-Probe"  # a header beside Telegram's secret token; the answer echoes it here
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def answer(nonce: str) -> Response:
    """200 with the nonce echoed (a malformed one: 400); nothing is stored or sent."""
    if not _NONCE.match(nonce):
        return Response("bad probe", status=400, mimetype="text/plain")
    return Response("probe ok", status=200, mimetype="text/plain", headers={HEADER: nonce})
