"""The two baseline apps, served by gunicorn with the tip line's settings.

    gunicorn 'bench.baselines:durable_app()'   one SQLite insert + commit per webhook (WAL,
                                               synchronous=FULL), TwiML out; $BENCH_DURABLE_DB
    gunicorn 'bench.baselines:durable_pg_app()' one PostgreSQL insert + commit per webhook (the
                                               server's synchronous_commit), TwiML out; $BENCH_DURABLE_PG
                                               (a libpq URI; its table made by the bench beforehand)
    gunicorn 'bench.baselines:bare_app()'      TwiML out, nothing else
"""

from __future__ import annotations

import os
import sqlite3
import threading

import psycopg
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


PG_TABLE = "CREATE TABLE IF NOT EXISTS bench_durable (id BIGSERIAL PRIMARY KEY, k TEXT UNIQUE, v BYTEA)"


def durable_pg_app() -> Flask:
    url = os.environ["BENCH_DURABLE_PG"]
    local = threading.local()

    def conn() -> psycopg.Connection[tuple[object, ...]]:
        c: psycopg.Connection[tuple[object, ...]] | None = getattr(local, "c", None)
        if c is None:  # one connection per gunicorn thread, made after the fork, as a pool would hand out
            c = local.c = psycopg.connect(url)
        return c

    app = Flask("durable_pg")

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        form = request.form
        c = conn()
        c.execute("INSERT INTO bench_durable (k, v) VALUES (%s, %s) ON CONFLICT (k) DO NOTHING",
                  (form.get("MessageSid"), form.get("Body", "").encode()))
        c.commit()
        return Response(TWIML_EMPTY, mimetype="application/xml")

    return _with_healthz(app)


def bare_app() -> Flask:
    app = Flask("bare")

    @app.post("/webhooks/twilio/sms")
    def sms() -> Response:
        return Response(TWIML_EMPTY, mimetype="application/xml")

    return _with_healthz(app)
