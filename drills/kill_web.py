"""Drill (issue 13), half (b): a web process killed mid-request.

``tipline serve`` runs with several gunicorn workers.  The drill holds ``LOCK TABLE inbound IN
EXCLUSIVE MODE`` in a transaction of its own, as a long statement of another process would: a
webhook's transaction then waits inside PostgreSQL, at the write that claims its provider id.
PostgreSQL names the waiting session's client port, and so the gunicorn worker serving it, which
the drill kills with SIGKILL.  The provider must see no 200 (the message is not acknowledged);
its retry, once the lock is gone, is handled once: the same replies as a control sender who
wrote the same words without a kill, and a second retry gets the same answer, not a second set.
"""

from __future__ import annotations

import json
import os
import threading

import uuid
from xml.etree import ElementTree
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, func, select, text

from bench import servers
from drills.procs import Line, start, wait_until
from storage import inbound
from storage.tables import Inbound
from tests.webhooks.helpers import SMS_PATH, TG_PATH, TG_SECRET, sign, sms_params, tg_message

FIRST = "hi"


def _post(url: str, channel: str, ident: int) -> httpx.Response:
    """One delivery of the first message of sender ``ident`` (the same ids every time: a retry)."""
    with httpx.Client(timeout=60) as client:
        if channel == "sms":
            params = sms_params(FIRST, sender=f"+1555{9_000_000 + ident:07d}", sid=f"SM{ident:032x}")
            headers = {"X-Twilio-Signature": sign(params), "Content-Type": "application/x-www-form-urlencoded"}
            return client.post(url + SMS_PATH, content=urlencode(params), headers=headers)
        update = tg_message(FIRST, chat_id=6_300_000_000 + ident, update_id=700_000_000 + ident)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"}
        return client.post(url + TG_PATH, content=json.dumps(update), headers=headers)


def twiml_messages(response: httpx.Response) -> list[str]:
    """The replies a TwiML answer carries (none for anything but a 200)."""
    if response.status_code != 200:
        return []
    return [m.text or "" for m in ElementTree.fromstring(response.content).findall("Message")]


def _pid_of_client_port(port: int, candidates: list[int]) -> int | None:
    """The process among ``candidates`` whose TCP socket has local port ``port`` (/proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in candidates:
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                return pid
        except OSError:
            continue
    return None


class Attempt(threading.Thread):
    """A delivery in flight: its answer's status, or the error the provider saw instead."""

    def __init__(self, url: str, channel: str, ident: int) -> None:
        super().__init__(daemon=True)
        self.args_ = (url, channel, ident)
        self.outcome: str = "pending"

    def run(self) -> None:
        try:
            self.outcome = str(_post(*self.args_).status_code)
        except httpx.HTTPError as exc:
            self.outcome = type(exc).__name__


def kill_mid_request(lin: Line, server: servers.Server, channel: str, ident: int) -> tuple[str, int | None]:
    """Deliver while the lock is held, kill the worker waiting on it; (what the provider saw, pid)."""
    admin = create_engine(lin.env["TIPLINE_DATABASE_URL"])
    try:
        with admin.connect() as holder, admin.connect() as probe:
            holder.execute(text("LOCK TABLE inbound IN EXCLUSIVE MODE"))  # autobegun: held until rollback
            me = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
            attempt = Attempt(server.url, channel, ident)
            attempt.start()
            ports: list[int] = []

            def waiting() -> bool:
                ports[:] = probe.execute(text("SELECT client_port FROM pg_stat_activity "
                                              "WHERE :me = ANY(pg_blocking_pids(pid))"), {"me": me}).scalars().all()
                probe.rollback()
                return bool(ports)

            pid = _pid_of_client_port(ports[0], server.workers()) if wait_until(waiting, 30, 0.1) else None
            if pid is not None:
                os.kill(pid, 9)
            attempt.join(30)
            holder.rollback()
    finally:
        admin.dispose()
    return attempt.outcome, pid


def claimed(lin: Line, channel: str, provider_id: str) -> int:
    """How many rows hold this provider id (1: handled once)."""
    keys = inbound.inbound_keys(lin.rt.epochs, channel, provider_id)
    table = Inbound.__table__  # type: ignore[attr-defined]
    with lin.rt.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(table.c.key.in_(keys))).scalar_one())


def one_channel(lin: Line, server: servers.Server, channel: str, ident: int) -> dict[str, Any]:
    control = _post(server.url, channel, ident + 1)
    seen, pid = kill_mid_request(lin, server, channel, ident)
    wait_until(lambda: len(server.workers()) >= servers.WORKERS, 30, 0.1)  # gunicorn replaced it
    retry, again = _post(server.url, channel, ident), _post(server.url, channel, ident)
    provider_id = f"SM{ident:032x}" if channel == "sms" else str(700_000_000 + ident)
    figures: dict[str, Any] = {"killed": pid is not None, "seen": seen, "retry": retry.status_code,
                               "again": again.status_code, "rows": claimed(lin, channel, provider_id)}
    if channel == "sms":
        figures["replies"] = len(twiml_messages(retry))
        figures["control"] = len(twiml_messages(control))
        figures["same_again"] = twiml_messages(again) == twiml_messages(retry)
    return figures


def web_killed(lin: Line) -> bool:
    server = servers.start_tipline(lin.env)  # --no-jobs: nothing but the webhook writes to inbound
    try:
        ident = uuid.uuid4().int % 100_000 * 10
        results = {channel: one_channel(lin, server, channel, ident + 2 * n)
                   for n, channel in enumerate(("sms", "telegram"))}
    finally:
        server.stop()
    worker = start(lin, "worker", "--once")  # the Telegram replies go out through the outbox
    worker.wait(120)
    tg = results["telegram"]
    chat = 6_300_000_000 + ident + 2
    tg["replies"], tg["control"] = len(lin.telegram.texts(chat)), len(lin.telegram.texts(chat + 1))
    tg["same_again"] = True
    return report(results)


def report(results: dict[str, dict[str, Any]]) -> bool:
    ok = True
    print("web process SIGKILL drill: a webhook held in a PostgreSQL lock wait, its gunicorn worker killed")
    for channel, r in results.items():
        good = (r["killed"] and r["seen"] != "200" and r["retry"] == 200 and r["again"] == 200 and r["rows"] == 1
                and r["replies"] == r["control"] > 0 and r["same_again"])
        ok &= good
        print(f"  {channel}: worker killed: {r['killed']}; the provider saw: {r['seen']} (no 200); "
              f"retry answered {r['retry']}, a second retry {r['again']}; provider id stored {r['rows']} time(s); "
              f"replies {r['replies']} (control sender {r['control']}); {'PASS' if good else 'FAIL'}")
    print(f"  result: {'PASS' if ok else 'FAIL'}")
    return ok



