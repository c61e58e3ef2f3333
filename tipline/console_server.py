"""Builds the staff console from the settings and runs it under gunicorn (``tipline console``).

The public app never imports this module (tests/test_layering.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from bot import load_catalogs, load_flow
from storage.oncall import CHANNELS
from tipline.oncall_reach import unreachable
from tipline.runtime import Runtime
from tipline.server import refusals_in_one_line
from tipline.gunicorn_logs import LineLogger
from tipline.gunicorn_worker import WORKER_CLASS
from tipline.settings import Settings
from tipline.training import is_sandbox
from triage.console import create_console_app

if TYPE_CHECKING:
    from tipline.oncall_loop import Running

log = logging.getLogger(__name__)


CONSOLE_THREADS = 4


def build_console_app(settings: Settings, runtime: Runtime | None = None) -> Flask:
    rt = runtime or Runtime(settings, threads=CONSOLE_THREADS)
    rt.check_ready()
    return create_console_app(
        db=rt.db, secrets=rt.secrets, staff_kdf=settings.staff_kdf, flow=load_flow(),
        catalogs=load_catalogs(settings.locales_dir, settings.locales), region=rt.region,
        locales=settings.locales, default_locale=settings.default_locale,
        idle_seconds=settings.console_idle_minutes * 60.0, session_seconds=settings.console_session_hours * 3600.0,
        secure_cookies=not settings.console_insecure_cookies, routing=rt.routing,
        oncall_bot_username=settings.telegram_bot_username,
        metrics_networks=settings.metrics_networks, metrics_token=settings.metrics_token,
        oncall_unreachable={ch: why for ch in CHANNELS if (why := unreachable(settings, ch))},
        epochs=rt.epochs,
        training=is_sandbox(settings),
    )


class _ConsoleServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        self._alerts: Running | None = None  # this worker's running alert loop (set after the fork)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self._worker_exit)

    def _worker_exit(self, server: Any, worker: Any) -> None:
        if self._alerts is not None:  # in the worker process: its on-call pages go back at once
            self._alerts.stop()

    def load(self) -> Flask:
        # Built in each worker after the fork: the database pool is not shared across processes.
        with refusals_in_one_line():
            app = build_console_app(self.settings)
        if not is_sandbox(self.settings):  # a sandbox alerts nobody: it has no rota and no provider
            self._alerts = _start_alert_loop(self.settings)
        return app


def _start_alert_loop(settings: Settings) -> "Running | None":
    """Each worker runs the on-call alert loop too: row claims keep two loops from sending one alert twice."""
    from storage.crypto import CryptoError
    from tipline.oncall_loop import build_alert_loop

    try:
        return build_alert_loop(Runtime(settings)).start()
    except CryptoError as exc:
        log.error("on-call alerts are OFF in this console: %s", exc)
        return None


def run_console(settings: Settings, *, host: str, port: int, workers: int) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": CONSOLE_THREADS,
        "worker_class": WORKER_CLASS,  # gthread, new connections to a worker with a thread free
        "timeout": 60,  # a login runs Argon2id
        # A stopping worker finishes its requests (a login's Argon2id, a page's send, 10 s at most).
        "graceful_timeout": 20,
        "accesslog": None,  # URLs name tips; staff activity goes to the audit log instead
        "logger_class": LineLogger,  # its lines in the line's format and level (TIPLINE_LOG_*)
        # gunicorn's control socket (gunicornc) is one path per user ($HOME/.gunicorn/gunicorn.ctl): serve and
        # console of one host (or containers sharing the data volume) would take it from each other. Unused: off.
        "control_socket_disable": True,
    }
    _ConsoleServer(settings, options).run()
