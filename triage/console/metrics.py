"""The staff side's Prometheus metrics, built from one database snapshot per scrape.

A fresh registry per scrape holds one collector that yields the snapshot's families: nothing is
counted in this process, so any number of console processes on any number of hosts report the
same figures (prometheus-client's multiprocess mode is not needed, and no file is shared).
Labels take fixed values only (channel, state, outcome, priority): no id, address, text or code.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from storage.metrics_snapshot import ALERT_WINDOW_SECONDS, Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds from an alert to its acknowledgement: a minute to a day.
ALERT_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)


class _SnapshotCollector(Collector):
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    def collect(self) -> Iterator[Metric]:
        s = self.snap
        yield _gauge("tipline_inbound_messages", "Provider messages held for redelivery, by outcome "
                     "(answered: replies stored; unanswered: in progress or failed)", ["outcome"],
                     {(k,): v for k, v in s.inbound.items()})
        yield _gauge("tipline_conversations", "Conversations by channel and status", ["channel", "status"],
                     s.conversations)
        yield _gauge("tipline_outbox_replies", "Replies in the outbox by channel and state "
                     "(pending: not yet tried; failed: retrying; dead: given up)", ["channel", "state"], s.outbox)
        yield _gauge("tipline_outbox_oldest_age_seconds", "Age of the oldest undelivered reply, by channel",
                     ["channel"], {(k,): v for k, v in s.outbox_oldest_age.items()})
        yield _gauge("tipline_queue_depth", "Tips waiting for staff, by priority and whether a member holds "
                     "a live claim", ["priority", "claimed"], s.queue_depth)
        yield _gauge("tipline_oldest_unclaimed_p1_age_seconds", "Age of the oldest P1 tip nobody has claimed "
                     "(0: none)", [], {(): s.oldest_unclaimed_p1_age})
        yield _gauge("tipline_open_alerts", "On-call alerts not yet acknowledged, by priority", ["priority"],
                     {(k,): v for k, v in s.open_alerts.items()})
        yield _gauge("tipline_oldest_open_alert_age_seconds", "Age of the oldest unacknowledged alert (0: none)",
                     [], {(): s.oldest_open_alert_age})
        yield _latency(s.alert_ack_latencies)


def _gauge(name: str, doc: str, labels: list[str], values: Mapping[Any, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), float(value))
    return family


def _latency(latencies: Sequence[float]) -> HistogramMetricFamily:
    buckets = [(str(b), float(sum(1 for x in latencies if x <= b))) for b in ALERT_BUCKETS]
    buckets.append(("+Inf", float(len(latencies))))
    family = HistogramMetricFamily(
        "tipline_alert_ack_latency_seconds",
        f"Seconds from an on-call alert to its acknowledgement, alerts acknowledged in the last "
        f"{int(ALERT_WINDOW_SECONDS)} s", labels=[])
    family.add_metric([], buckets, sum_value=float(sum(latencies)))
    return family


def render(snap: Snapshot) -> bytes:
    """The exposition text of one snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snap))
    return generate_latest(registry)


def address_allowed(remote: str | None, networks: Sequence[str]) -> bool:
    """Whether the direct peer's address lies in one of ``networks`` (CIDR or single addresses)."""
    if not remote or not networks:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
