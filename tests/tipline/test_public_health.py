"""The public app's /healthz (alive, no database) and /readyz (database, schema, keys), issue 13."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, text

from tipline.app import create_public_app
from tipline.runtime import Runtime

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"


def test_a_ready_public_app(rt: Runtime) -> None:
    client = create_public_app(rt.settings, rt).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_an_old_schema_is_not_ready_and_says_to_upgrade(rt: Runtime) -> None:
    client = create_public_app(rt.settings, rt).test_client()
    with rt.db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005_alert_repeats'"))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json() == {"status": "unavailable", "reason": "migrations not current: run 'tipline upgrade'"}
    assert client.get("/healthz").status_code == 200


def test_a_database_outage_is_a_503_with_a_reason_never_a_500(rt: Runtime) -> None:
    client = create_public_app(rt.settings, rt).test_client()
    real = rt.db
    rt.__dict__["db"] = create_engine(UNREACHABLE)  # the database goes away under a running app
    try:
        assert client.get("/healthz").status_code == 200  # alive: a restart would not help
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["reason"] == "database unreachable: not answering"
    finally:
        rt.__dict__["db"].dispose()
        rt.__dict__["db"] = real



def test_probes_are_quiet_and_a_problem_logs_its_start_and_end_once(rt: Runtime,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    client = create_public_app(rt.settings, rt).test_client()
    caplog.set_level(logging.INFO)
    caplog.clear()  # the start's own warnings (region, channels off)
    for _ in range(3):  # a load balancer's routine probes: nothing at INFO (alembic's revision read included)
        assert client.get("/readyz").status_code == 200
    assert [r.getMessage() for r in caplog.records] == []
    with rt.db.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0005_alert_repeats'"))
    for _ in range(3):
        assert client.get("/readyz").status_code == 503
    with rt.db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    for _ in range(2):
        assert client.get("/readyz").status_code == 200
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said == [("WARNING", "readiness: migrations not current: run 'tipline upgrade'"),
                    ("WARNING", "readiness: ready again (was: migrations not current: run 'tipline upgrade')")]


def test_an_outage_logs_once_at_warning_however_often_probed(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    client = create_public_app(rt.settings, rt).test_client()
    caplog.set_level(logging.INFO)
    caplog.clear()  # the start's own warnings (region, channels off)
    real = rt.db
    rt.__dict__["db"] = create_engine(UNREACHABLE)  # this process's database goes away under a running app
    try:
        for _ in range(3):
            assert client.get("/readyz").status_code == 503
    finally:
        rt.__dict__["db"].dispose()
        rt.__dict__["db"] = real
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said == [("WARNING", "readiness: database unreachable: not answering (OperationalError)")]
