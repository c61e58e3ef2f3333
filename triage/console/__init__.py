"""The staff console (issue 12): a separate app for a private network, never loaded by the public one.

``create_console_app`` takes plain values; the composition root (``tipline console``) builds
them from the settings.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Mapping

from flask import Flask
from sqlalchemy import Engine

from bot.catalog import Catalogs
from bot.flow import Flow
from bot.types import Region
from storage.crypto import KdfParams, ServerSecrets
from storage.epochs import EpochKeys
from triage.routing_file import Routing

from triage.console import (
    views_admin, views_api, views_auth, views_cases, views_dashboard, views_export, views_oncall, views_ops,
    views_queue, views_translations, web,
)
from triage.console.auth import Auth
from triage.console.config import ConsoleConfig
from triage.console.text import visible
from triage.console.tipview import picker_name

HERE = Path(__file__).resolve().parent


def create_console_app(
    *, db: Engine, secrets: ServerSecrets, staff_kdf: KdfParams, flow: Flow, catalogs: Catalogs, region: Region,
    locales: tuple[str, ...], default_locale: str, idle_seconds: float = 15 * 60.0,
    session_seconds: float = 8 * 3600.0, secure_cookies: bool = True, clock: Callable[[], float] = time.time,
    routing: Routing | None = None, metrics_networks: tuple[str, ...] = (), metrics_token: str = "",
    oncall_bot_username: str = "", oncall_unreachable: Mapping[str, str] | None = None,
    epochs: EpochKeys | None = None, training: bool = False,
) -> Flask:
    """The staff app: log in, the queue, a tip (its settings are described on ``ConsoleConfig``)."""
    cfg = ConsoleConfig(db=db, secrets=secrets, staff_kdf=staff_kdf, flow=flow, catalogs=catalogs, region=region,
                        locales=locales, default_locale=default_locale, idle_seconds=idle_seconds,
                        session_seconds=session_seconds, secure_cookies=secure_cookies, clock=clock,
                        routing=routing, metrics_networks=metrics_networks, metrics_token=metrics_token,
                        oncall_bot_username=oncall_bot_username, oncall_unreachable=dict(oncall_unreachable or {}),
                        epochs=epochs, training=training)
    app = Flask("tipline.console", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.jinja_env.autoescape = True
    app.jinja_env.filters["visible"] = visible
    app.jinja_env.filters["language"] = picker_name
    app.jinja_env.globals["training"] = training  # the sandbox banner, on every page (base.html)
    auth = Auth(cfg)
    app.register_blueprint(views_ops.make_blueprint(cfg))
    web.install(app, cfg, auth)
    app.register_blueprint(views_auth.make_blueprint(cfg, auth))
    app.register_blueprint(views_queue.make_blueprint(cfg, auth))
    app.register_blueprint(views_api.make_blueprint(cfg, auth))
    app.register_blueprint(views_admin.make_blueprint(cfg, auth))
    app.register_blueprint(views_cases.make_blueprint(cfg, auth))
    app.register_blueprint(views_export.make_blueprint(cfg, auth))
    app.register_blueprint(views_translations.make_blueprint(cfg, auth))
    app.register_blueprint(views_oncall.make_blueprint(cfg, auth))
    app.register_blueprint(views_dashboard.make_blueprint(cfg, auth))
    return app


__all__ = ["ConsoleConfig", "create_console_app"]
