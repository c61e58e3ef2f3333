"""The public app's /healthz (alive, no database) and /readyz (database, schema, keys), issue 13."""

from __future__ import annotations

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
