"""A fake Twilio REST API: Messages.json (create) and Messages/{sid}.json (delete), basic auth."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .base import FakeServer, Routed

_CREATE = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/Messages\.json$")
_ONE = re.compile(r"^/2010-04-01/Accounts/(?P<ac>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")


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

    def method_name(self, verb: str, path: str) -> str:
        return "create" if verb == "POST" else "delete" if verb == "DELETE" else verb.lower()

    def _authorised(self, headers: dict[str, str]) -> bool:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return auth == f"Basic {expected}"

    def route(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Routed:
        path = path.split("?", 1)[0]
        if not self._authorised(headers):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}, None
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

    def rate_limited(self, count: int = 1) -> None:
        self.fail("create", status=429, count=count,
                  body={"code": 20429, "message": "Too Many Requests", "status": 429})

    def server_error(self, method: str = "create", count: int = 1) -> None:
        self.fail(method, status=500, count=count, body={"code": 20500, "message": "Internal error", "status": 500})

    def bodies_to(self, to: str) -> list[str]:
        with self.lock:
            return [c.body for c in self.created if c.to == to]
