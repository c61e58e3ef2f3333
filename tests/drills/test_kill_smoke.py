"""A stopping worker gives back what it holds (SIGTERM), and the kill drill still runs and passes,
shortened (a few replies, a short lease)."""

from __future__ import annotations

import signal
import time
from contextlib import nullcontext

import pytest

from bench.servers import free_port
from drills import kill
from drills.procs import line, log_of, queue_replies, start, wait_until
from tests.conftest import PG_URL

DELAY = 1.0  # each send waits this long at the fake provider: sends are in flight at the signal


def test_sigterm_mid_batch_sends_what_is_in_flight_and_gives_the_rest_back_at_once(database_url: str) -> None:
    with line(nullcontext(database_url)) as lin:  # the default lease: 120 s
        lin.slow_sends(DELAY)
        texts = queue_replies(lin, conversations_per_channel=10, each=2)
        worker = start(lin, "worker", "--interval", "0.2")
        try:
            assert wait_until(lambda: len(lin.sent()) >= 1, timeout=60), "the worker never sent"
            signalled = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(60) == 0, log_of(lin, worker)
            took = time.monotonic() - signalled
        finally:
            if worker.poll() is None:
                worker.kill()
        queued, leased = lin.outbox_rows()
        sent = lin.sent()
    assert leased == 0, f"{leased} items still leased: they would wait 120 s for another worker"
    assert 0 < queued < len(texts), "the batch was stopped midway"
    assert queued == len(texts) - len(sent), "every send in flight finished and was recorded, none repeated"
    assert len(set(sent)) == len(sent)
    assert took < 20, f"the worker took {took:.1f} s to stop"


@pytest.mark.skipif(PG_URL is None, reason="the drill runs on PostgreSQL only (none answers on 127.0.0.1:5432)")
def test_the_kill_drill_delivers_everything_and_repeats_only_what_was_in_flight(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert PG_URL is not None
    rc = kill.main(["--mode", "server", "--postgres", PG_URL, "--conversations", "4", "--each", "3",
                    "--delay", "0.5", "--kill-after", "4", "--lease", "5"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "delivered 24/24, missing 0" in out
    for channel in ("sms", "telegram"):
        assert f"  {channel}: worker killed: True; the provider saw: " in out
        assert "provider id stored 1 time(s)" in out
    assert out.count("result: PASS") == 2


def test_a_stopping_serve_worker_gives_its_jobs_leases_back(database_url: str) -> None:
    """``tipline serve`` runs the jobs in each gunicorn worker: SIGTERM to the master stops them the same way."""
    with line(nullcontext(database_url)) as lin:
        lin.slow_sends(DELAY)
        texts = queue_replies(lin, conversations_per_channel=10, each=2)
        server = start(lin, "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--workers", "1")
        try:
            assert wait_until(lambda: len(lin.sent()) >= 1, timeout=90), log_of(lin, server)
            server.send_signal(signal.SIGTERM)
            assert server.wait(60) == 0, log_of(lin, server)
        finally:
            if server.poll() is None:
                server.kill()
        queued, leased = lin.outbox_rows()
        sent = lin.sent()
    assert leased == 0, f"{leased} items still leased by the stopped gunicorn worker"
    assert 0 < queued == len(texts) - len(sent)
