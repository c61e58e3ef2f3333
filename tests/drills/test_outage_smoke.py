"""The outage drill still runs and passes, shortened: PostgreSQL away for a few seconds, a cluster
of the drill's own really stopped (pg_ctl stop -m fast), and the proxy mode."""

from __future__ import annotations

import pytest

from drills import outage
from drills.pg_cluster import missing_reason
from tests.conftest import PG_URL

SHORT = ["--lead", "0.5", "--tail", "0.5", "--sms", "2", "--telegram", "1", "--settle", "20"]


def _passed_through_the_spool(out: str) -> None:
    assert "lost per channel: {'sms': 0, 'telegram': 0}" in out
    assert "spool drained: True" in out
    assert "SMS answered from the spool: 0" not in out  # the outage went through the spool
    assert "result: PASS" in out


@pytest.mark.skipif(missing_reason() is not None, reason=f"no throwaway PostgreSQL cluster: {missing_reason()}")
def test_a_stopped_cluster_loses_nothing_and_never_answers_500(capsys: pytest.CaptureFixture[str]) -> None:
    rc = outage.main(["--mode", "cluster", "--outage", "3", *SHORT])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "outage drill (cluster): database away" in out
    _passed_through_the_spool(out)


@pytest.mark.skipif(PG_URL is None, reason="the proxy mode needs a PostgreSQL server (none answers on 127.0.0.1:5432)")
def test_short_outage_behind_the_proxy_loses_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert PG_URL is not None
    rc = outage.main(["--mode", "proxy", "--postgres", PG_URL, "--outage", "2", *SHORT])
    out = capsys.readouterr().out
    assert rc == 0, out
    _passed_through_the_spool(out)


def test_the_proxy_refuses_connections_while_stopped() -> None:
    import socket

    from drills.tcp_proxy import TcpProxy

    with socket.create_server(("127.0.0.1", 0)) as upstream:
        proxy = TcpProxy("127.0.0.1", upstream.getsockname()[1]).start()
        socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
        proxy.stop()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        proxy.start()
        socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
        proxy.stop()
