"""A fake Twilio REST API: Messages.json (create) and Messages/{sid}.json (delete), basic auth; for
``tipline doctor`` the IncomingPhoneNumbers list and the Messaging Services with their numbers
(``messaging.twilio.com/v1``, served by the same fake: point the client's ``messaging`` there too)."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .base import FakeServer, Routed

_CREATE = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/Messages\.json$")
_ONE = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
_NUMBERS = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/IncomingPhoneNumbers\.json$")
_SERVICE_NUMBERS = re.compile(r"^/v1/Services/(?P<mg>[^/]+)/PhoneNumbers$")


@dataclass
class Created:
    sid: str
    to: str
    from_: str
    body: str
    at: float = field(default_factory=time.monotonic)


class FakeTwilio(FakeServer):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.created: list[Created] = []
        self.deleted: list[str] = []
        self.delete_attempts: dict[str, int] = {}
        # sid -> how many DELETEs still find the message in a non-final state
        self.busy: dict[str, int] = {}
        self.opted_out: set[str] = set()
        self.busy_after_create = 0
        self.numbers: list[dict[str, Any]] = []  # IncomingPhoneNumbers resources, as Twilio shows them
        self.services: list[dict[str, Any]] = []  # Messaging Services
        self.service_numbers: dict[str, list[str]] = {}  # service sid -> phone number sids in it

    def add_number(self, phone_number: str, **fields: Any) -> str:
        """An IncomingPhoneNumber of this account (``sms_url``, ``sms_method``, ``status_callback``...)."""
        sid = "PN" + uuid.uuid4().hex
        with self.lock:
            self.numbers.append({"sid": sid, "account_sid": self.account_sid, "phone_number": phone_number,
                                 "sms_url": "", "sms_method": "POST", "status_callback": "", **fields})
        return sid

    def add_service(self, *number_sids: str, **fields: Any) -> str:
        """A Messaging Service holding these numbers (``inbound_request_url``, ``use_inbound_webhook_on_number``...)."""
        sid = "MG" + uuid.uuid4().hex
        with self.lock:
            self.services.append({"sid": sid, "account_sid": self.account_sid, "friendly_name": "tip line",
                                  "inbound_request_url": "", "inbound_method": "POST", "status_callback": "",
                                  "use_inbound_webhook_on_number": False, **fields})
            self.service_numbers[sid] = list(number_sids)
        return sid

    def method_name(self, verb: str, path: str) -> str:
        return "create" if verb == "POST" else "delete" if verb == "DELETE" else verb.lower()

    def _authorised(self, headers: dict[str, str]) -> bool:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return auth == f"Basic {expected}"

    def route(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Routed:
        path, _, query = path.partition("?")
        if not self._authorised(headers):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}, None
        if verb == "GET":
            return self._read(path, query)
        m = _CREATE.match(path)
        if m and verb == "POST":
            if m["ac"] != self.account_sid:
                return 404, {"code": 20404, "message": "not found", "status": 404}, None
            p = dict(parse_qsl(body.decode(), keep_blank_values=True))
            with self.lock:
                if p.get("To") in self.opted_out:
                    return 400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                 "status": 400}, None
                sid = "SM" + uuid.uuid4().hex
                self.created.append(Created(sid, p.get("To", ""), p.get("From", ""), p.get("Body", "")))
                if self.busy_after_create:
                    self.busy[sid] = self.busy_after_create
            return 201, {"sid": sid, "account_sid": self.account_sid, "to": p.get("To"), "from": p.get("From"),
                         "body": p.get("Body"), "status": "queued", "num_segments": "1", "direction": "outbound-api",
                         "api_version": "2010-04-01",
                         "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"}, None
        m = _ONE.match(path)
        if m and verb == "DELETE":
            sid = m["sid"]
            with self.lock:
                self.delete_attempts[sid] = self.delete_attempts.get(sid, 0) + 1
                if self.busy.get(sid, 0) > 0:
                    self.busy[sid] -= 1
                    return 409, {"code": 20009, "message": "Cannot delete message in a non-final state",
                                 "status": 409}, None
                if sid in self.deleted:
                    return 404, {"code": 20404, "message": "not found", "status": 404}, None
                self.deleted.append(sid)
            return 204, None, None
        return 404, {"code": 20404, "message": "not found", "status": 404}, None

    def _read(self, path: str, query: str) -> Routed:
        """The list endpoints ``tipline doctor`` reads, each one page long, in Twilio's two page shapes."""
        wanted = dict(parse_qsl(query)).get("PhoneNumber")
        with self.lock:
            m = _NUMBERS.match(path)
            if m and m["ac"] == self.account_sid:
                found = [n for n in self.numbers if wanted in (None, n["phone_number"])]
                return 200, {"incoming_phone_numbers": found, "next_page_uri": None, "page": 0}, None
            if path == "/v1/Services":
                return 200, {"services": list(self.services), "meta": _meta("services")}, None
            m = _SERVICE_NUMBERS.match(path)
            if m and m["mg"] in self.service_numbers:
                rows = [{"sid": n["sid"], "phone_number": n["phone_number"], "service_sid": m["mg"]}
                        for n in self.numbers if n["sid"] in self.service_numbers[m["mg"]]]
                return 200, {"phone_numbers": rows, "meta": _meta("phone_numbers")}, None
        return 404, {"code": 20404, "message": "not found", "status": 404}, None

    def rate_limited(self, count: int = 1) -> None:
        self.fail("create", status=429, count=count,
                  body={"code": 20429, "message": "Too Many Requests", "status": 429})

    def server_error(self, method: str = "create", count: int = 1) -> None:
        self.fail(method, status=500, count=count, body={"code": 20500, "message": "Internal error", "status": 500})

    def bodies_to(self, to: str) -> list[str]:
        with self.lock:
            return [c.body for c in self.created if c.to == to]


def _meta(key: str) -> dict[str, Any]:
    return {"key": key, "page": 0, "page_size": 50, "next_page_url": None, "previous_page_url": None}
