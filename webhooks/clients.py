"""Provider clients: python-telegram-bot's Bot on one long-lived event loop, and twilio's Client.

CHANNELS.md B2: the Bot (its httpx AsyncClient and pooled connections) lives on one
asyncio loop in a background thread for the life of the process; sync code calls
into it with ``run_coroutine_threadsafe(...).result(timeout)``.  Build one per
process, after a fork (never at import time): ``Providers`` builds each client on
first use.  Every call has a timeout.  The composition root installs the logging
guards (the libraries' loggers would otherwise print tokens and numbers).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any, Coroutine, TypeVar

from telegram import Bot
from telegram.request import HTTPXRequest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

T = TypeVar("T")

CALL_TIMEOUT = 30.0  # the outer bound of one call; httpx's own timeouts are shorter
TWILIO_TIMEOUT = 10.0


class BotLoop:
    """One event loop thread that owns one ``telegram.Bot``."""

    def __init__(self, *, token: str, api_base: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="tipline-telegram", daemon=True)
        self._thread.start()
        request = HTTPXRequest(
            connection_pool_size=32, connect_timeout=5.0, read_timeout=10.0, write_timeout=10.0, pool_timeout=5.0,
        )
        updates = HTTPXRequest(connection_pool_size=1)  # never used: the line takes webhooks
        self._requests = (request, updates)
        self.bot = Bot(token, base_url=api_base, request=request, get_updates_request=updates)
        self._closed = False

    def submit(self, coro: Coroutine[Any, Any, T]) -> "Future[T]":
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for request in self._requests:  # Bot.shutdown() skips them when initialize() never ran
            try:
                self.call(request.shutdown(), timeout=10.0)
            except Exception:  # closing must not raise; the loop goes anyway
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5.0)
        if not self._thread.is_alive():
            self.loop.close()


def twilio_client(*, account_sid: str, auth_token: str, api_base: str = "") -> Client:
    """twilio's Client with a timeout, isolated from TWILIO_* variables, optionally pointed elsewhere."""
    http = TwilioHttpClient(timeout=TWILIO_TIMEOUT, pool_connections=True)
    # A non-empty environment: with {} the client falls back to os.environ (CHANNELS.md pitfall 28).
    client = Client(account_sid, auth_token, http_client=http, environment={"TIPLINE": "1"})
    if api_base:
        client.api.base_url = api_base.rstrip("/")
    return client


class Providers:
    """This process's provider clients, each built on first use and closed together."""

    def __init__(self, *, telegram_token: str = "", telegram_api_base: str = "", twilio_account_sid: str = "",
                 twilio_auth_token: str = "", twilio_api_base: str = "") -> None:
        self._tg_args = dict(token=telegram_token, api_base=telegram_api_base)
        self._tw_args = dict(account_sid=twilio_account_sid, auth_token=twilio_auth_token, api_base=twilio_api_base)
        self._lock = threading.Lock()
        self._tg: BotLoop | None = None
        self._twilio: Client | None = None

    def telegram(self) -> BotLoop:
        with self._lock:
            if self._tg is None:
                self._tg = BotLoop(**self._tg_args)
            return self._tg

    def twilio(self) -> Client:
        with self._lock:
            if self._twilio is None:
                self._twilio = twilio_client(**self._tw_args)
            return self._twilio

    def close(self) -> None:
        with self._lock:
            if self._tg is not None:
                self._tg.close()
                self._tg = None
            if self._twilio is not None:
                session = getattr(self._twilio.http_client, "session", None)
                if session is not None:
                    session.close()
                self._twilio = None
