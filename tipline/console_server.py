"""Builds the staff console from the settings and runs it under gunicorn (``tipline console``).

The public app never imports this module (tests/test_layering.py).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from bot import load_catalogs, load_flow
from storage.oncall import CHANNELS
from tipline.oncall_reach import unreachable
from tipline.runtime import Runtime
from tipline.settings import Settings
from tipline.training import is_sandbox
from triage.console import create_console_app

log = logging.getLogger(__name__)


def build_console_app(settings: Settings, runtime: Runtime | None = None) -> Flask:
    rt = runtime or Runtime(settings)
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
        training=is_sandbox(settings),
    )


class _ConsoleServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Built in each worker after the fork: the database pool is not shared across processes.
        app = build_console_app(self.settings)
        if not is_sandbox(self.settings):  # a sandbox alerts nobody: it has no rota and no provider
            _start_alert_loop(self.settings)
        return app


def _start_alert_loop(settings: Settings) -> None:
    """Each worker runs the on-call alert loop too: row claims keep two loops from sending one alert twice."""
    from storage.crypto import CryptoError
    from tipline.oncall_loop import build_alert_loop

    try:
        build_alert_loop(Runtime(settings)).start()
    except CryptoError as exc:
        log.error("on-call alerts are OFF in this console: %s", exc)


def run_console(settings: Settings, *, host: str, port: int, workers: int) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 60,  # a login runs Argon2id
        "accesslog": None,  # URLs name tips; staff activity goes to the audit log instead
        "loglevel": "warning",
    }
    _ConsoleServer(settings, options).run()
