"""Helpers for the casework tests: members of partners, tips of known kinds, posting a tip's forms."""

from __future__ import annotations

import dataclasses
import re

from flask import Flask
from sqlalchemy import select

from storage import keys
from storage.tables import AuditEntry, TipEnvelope
from storage.tips import list_tips
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, table_of
from tests.triage.console.support import Browser, add_member
from tipline.runtime import Runtime
from triage.routing_file import QueueSpec, Routing

# An adult self-report whose reporter said no to sharing (V6 no): routed to triage only.
SELF_REPORT_NO_CONSENT = ["hi", "2", "2", "1", "2 3", "2", "1 2", "Chicago", "2"]
# The same, in danger now: danger routes it to police (mandated) whatever the consent.
SELF_REPORT_IN_DANGER = ["hi", "2", "2", "1", "1", "2", "1 2", "Chicago", "2"]
# A witness who says a minor is involved: sealed at once, routed to child protection and police.
CHILD_TIP = ["hi", "2", "1", "A girl works at the mill at night", "1", "1"]


def member(rt: Runtime, app: Flask, clock: FakeClock, username: str, queue: str) -> Browser:
    """A member of one partner's queue, logged in with a second factor."""
    add_member(rt, username, queue)
    browser = Browser(app.test_client(), clock, username=username)
    browser.enrol()
    return browser


def add_queue(rt: Runtime, name: str) -> None:
    """A new partner queue; the admin holds its key."""
    with rt.db.begin() as conn:
        admin = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                            kdf=rt.settings.staff_kdf)
        pair = keys.create_queue(conn, name=name, title=name, now=0.0)
        keys.grant_new_queue(conn, member_id=admin.staff_id, pair=pair, now=0.0)


def routing_with(rt: Runtime, *extra: QueueSpec, rekind: dict[str, str] | None = None) -> Routing:
    """The deployment's routing with extra queues and some queues given another kind."""
    kinds = rekind or {}
    queues = tuple(dataclasses.replace(q, kind=kinds.get(q.name, q.kind)) for q in rt.routing.queues) + extra
    return dataclasses.replace(rt.routing, queues=queues)


def tip_ids(rt: Runtime) -> list[str]:
    with rt.db.connect() as conn:
        return [t.id for t in sorted(list_tips(conn), key=lambda t: t.created_at)]


def post(browser: Browser, tip_id: str, form: str, **data: str) -> tuple[int, str]:
    """Send one of a tip's forms; (status, page or redirect target)."""
    path = f"/tips/{tip_id}"
    response = browser.client.post(f"{path}/{form}", data={"csrf": browser.token(path), **data})
    return response.status_code, response.headers.get("Location", "") or response.get_data(as_text=True)


def page_of(browser: Browser, tip_id: str) -> str:
    return browser.client.get(f"/tips/{tip_id}").get_data(as_text=True)


def error_of(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', html)
    return found.group(1) if found else ""


def audit(rt: Runtime) -> list[tuple[str, str, str]]:
    t = table_of(AuditEntry)
    with rt.db.connect() as conn:
        return [(r.actor, r.action, r.subject) for r in conn.execute(select(t).order_by(t.c.seq))]


def envelope_queues(rt: Runtime, tip_id: str) -> dict[str, set[int]]:
    """queue -> versions sealed to it."""
    t = table_of(TipEnvelope)
    out: dict[str, set[int]] = {}
    with rt.db.connect() as conn:
        for r in conn.execute(select(t.c.queue, t.c.version).where(t.c.tip_id == tip_id)):
            out.setdefault(r.queue, set()).add(int(r.version))
    return out
