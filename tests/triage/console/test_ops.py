"""The staff app's /healthz, /readyz and the protected /metrics (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select

from storage import claims, tips
from storage.tables import Tip
from tests.factories import FakeClock, Reporter, service_with_clock, table_of
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, console_app, give_tips
from tipline.runtime import Runtime

TOKEN = "scrape-token-0123456789"
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"


def _scrape(app: Flask, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_health_and_readiness_of_a_ready_console(rt: Runtime, clock: FakeClock) -> None:
    client = console_app(rt, clock).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ready"}


def test_without_a_database_the_console_is_alive_but_not_ready(rt: Runtime, clock: FakeClock) -> None:
    dead = create_engine(UNREACHABLE)
    client = console_app(rt, clock, db=dead, metrics_token=TOKEN).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json() == {"status": "unavailable", "reason": "database unreachable: not answering"}
    scrape = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scrape.status_code == 503  # an outage is reported, never a 500


def test_metrics_are_off_until_configured_and_refuse_strangers(rt: Runtime, clock: FakeClock) -> None:
    assert console_app(rt, clock).test_client().get("/metrics").status_code == 404
    guarded = console_app(rt, clock, metrics_token=TOKEN, metrics_networks=("10.0.0.0/8",)).test_client()
    assert guarded.get("/metrics").status_code == 403  # the test client's 127.0.0.1 is not in 10/8
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    by_network = console_app(rt, clock, metrics_networks=("127.0.0.0/8",)).test_client()
    assert by_network.get("/metrics").status_code == 200


def test_metrics_show_queue_depth_p1_age_and_alert_latency(rt: Runtime, clock: FakeClock) -> None:
    give_tips(rt, clock, LABOUR_TIP, DANGER_TIP)  # one P2, one P1 (60 s apart)
    clock.advance(300)
    app = console_app(rt, clock, metrics_networks=("127.0.0.1",))
    before = _scrape(app)
    assert before[("tipline_queue_depth", (("claimed", "no"), ("priority", "P1")))] == 1
    assert before[("tipline_queue_depth", (("claimed", "no"), ("priority", "P2")))] == 1
    assert before[("tipline_oldest_unclaimed_p1_age_seconds", ())] >= 300
    assert before[("tipline_open_alerts", (("priority", "P1"),))] == 1
    with rt.db.begin() as conn:
        claimed = claims.claim_next(conn, staff_id="s1", queues=("police", "triage", "child"), now=clock())
        alert = tips.open_alert_list(conn)[0]
    assert claimed is not None
    with rt.db.begin() as conn:  # acknowledged ten minutes after it was raised
        assert tips.acknowledge_alert(conn, alert_id=alert.id, now=alert.created_at + 600)
    after = _scrape(app)
    assert after[("tipline_queue_depth", (("claimed", "yes"), ("priority", "P1")))] == 1
    assert after[("tipline_oldest_unclaimed_p1_age_seconds", ())] == 0
    assert after[("tipline_alert_ack_latency_seconds_count", ())] == 1
    assert after[("tipline_alert_ack_latency_seconds_sum", ())] == 600
    assert after[("tipline_alert_ack_latency_seconds_bucket", (("le", "900.0"),))] == 1
    assert after[("tipline_alert_ack_latency_seconds_bucket", (("le", "300.0"),))] == 0
    assert ("tipline_open_alerts", (("priority", "P1"),)) not in after


def test_metrics_show_inbound_conversations_and_the_outbox(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    Reporter(service, "918273645501", channel="telegram", inline=False).send("hi")  # replies go to the outbox
    Reporter(service, "+15557770123").send("hi")
    clock.advance(42)
    found = _scrape(console_app(rt, clock, metrics_networks=("127.0.0.1",)))
    assert found[("tipline_conversations", (("channel", "telegram"), ("status", "active")))] == 1
    assert found[("tipline_conversations", (("channel", "sms"), ("status", "active")))] == 1
    assert found[("tipline_outbox_replies", (("channel", "telegram"), ("state", "pending")))] >= 1
    assert found[("tipline_outbox_oldest_age_seconds", (("channel", "telegram"),))] >= 42
    assert sum(v for (name, _), v in found.items() if name == "tipline_inbound_messages") >= 2


def test_no_metric_carries_an_address_text_code_or_tip_id(rt: Runtime, clock: FakeClock) -> None:
    service = service_with_clock(rt, clock)
    addresses = ["+15557770188", "918273645577", "whatsapp:+447700900177"]
    for n, address in enumerate(addresses):
        channel = ("sms", "telegram", "whatsapp")[n]
        reporter = Reporter(service, address, channel=channel, inline=channel != "telegram")
        for line in ["hi", "1", f"QUOKKAM{n}MARKER at the depot", "2"]:
            reporter.send(line)
    give_tips(rt, clock, LABOUR_TIP)
    response = console_app(rt, clock, metrics_token=TOKEN).test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    body = response.get_data(as_text=True)
    with rt.db.connect() as conn:
        tip_ids = [str(r) for r in conn.execute(select(table_of(Tip).c.id)).scalars()]
    assert tip_ids
    for needle in ["QUOKKAM", "passports", "depot", *tip_ids, *(a.split(":")[-1].lstrip("+") for a in addresses)]:
        assert needle not in body
    assert not re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4,5}\b", body)  # no reference code
    # Every label value is one of a fixed vocabulary.
    for labels in re.findall(r"\{([^}]*)\}", body):
        for value in re.findall(r'="([^"]*)"', labels):
            assert re.fullmatch(r"[a-z_]+|P[1-4]|[0-9.]+|\+Inf", value), value
