"""The two baseline apps, served by gunicorn with the tip line's settings.

    gunicorn 'bench.baselines:durable_app()'   one SQLite insert + commit per webhook (WAL,
                                               synchronous=FULL), TwiML out; $BENCH_DURABLE_DB
    gunicorn 'bench.baselines:bare_app()'      TwiML out, nothing else
"""

from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, Response, request

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def _with_healthz(app: Flask) -> Flask:
    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", mimetype="text/plain")

    return app


def durable_app() -> Flask:
    path = os.environ["BENCH_DURABLE_DB"]
    local = threading.local()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)")

    def conn() -> sqlite3.Connection:
        c: sqlite3.Connection | None = getattr(local, "c", None)
        if c is None:  # one connection per gunicorn thread, as a pool would hand out
            c = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=FULL")
            c.execute("PRAGMA busy_timeout=30000")
            local.c = c
        return c

    app = Flask("durable")

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        form = request.form
        c = conn()
        c.execute("BEGIN IMMEDIATE")
        row = (form.get("MessageSid"), form.get("Body", "").encode())
        c.execute("INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)", row)
        c.execute("COMMIT")
        return Response(TWIML_EMPTY, mimetype="application/xml")

    return _with_healthz(app)


def bare_app() -> Flask:
    app = Flask("bare")

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        return Response(TWIML_EMPTY, mimetype="application/xml")

    return _with_healthz(app)
