"""The outage drill still runs and passes, shortened: PostgreSQL away for 2 s behind the drill's proxy."""

from __future__ import annotations

import pytest

from drills import outage
from tests.conftest import PG_URL


@pytest.mark.skipif(PG_URL is None, reason="the drill runs on PostgreSQL only")
def test_short_outage_loses_nothing_and_never_answers_500(capsys: pytest.CaptureFixture[str]) -> None:
    assert PG_URL is not None
    rc = outage.main(["--postgres", PG_URL, "--outage", "2", "--lead", "0.5", "--tail", "0.5",
                      "--sms", "2", "--telegram", "1", "--settle", "20"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "lost per channel: {'sms': 0, 'telegram': 0}" in out
    assert "spool drained: True" in out
    assert "SMS answered from the spool: 0" not in out  # the outage went through the spool


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
