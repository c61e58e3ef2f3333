"""The console's settings, as plain values handed over by whoever builds the app."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from sqlalchemy import Engine

from bot.catalog import Catalogs
from bot.flow import Flow
from bot.types import Region
from storage.crypto import KdfParams, ServerSecrets
from storage.epochs import EpochKeys
from triage.routing_file import Routing


@dataclass(frozen=True)
class ConsoleConfig:
    db: Engine = field(repr=False)
    secrets: ServerSecrets = field(repr=False)
    staff_kdf: KdfParams
    flow: Flow = field(repr=False)
    catalogs: Catalogs = field(repr=False)
    region: Region
    locales: tuple[str, ...]
    default_locale: str
    # A session left alone this long ends; however busy, none lasts longer than session_seconds.
    idle_seconds: float = 15 * 60.0
    session_seconds: float = 8 * 3600.0
    # Cookies are Secure (HTTPS only) unless a developer explicitly runs the console over plain HTTP.
    secure_cookies: bool = True
    clock: Callable[[], float] = field(default=time.time, repr=False)
    # The routing file: which queues are police or child protection (decision 8, referral, receipts).
    routing: Routing | None = field(default=None, repr=False)
    # The bot's username, for on-call enrolment links (https://t.me/<bot>?start=...).
    oncall_bot_username: str = ""
    # Who may read /metrics (views_ops.py): peers in these networks, or the bearer token; neither: no /metrics.
    metrics_networks: tuple[str, ...] = ()
    metrics_token: str = field(default="", repr=False)
    # Channel -> why no on-call alert can go out on it here ("SMS provider not configured").
    oncall_unreachable: Mapping[str, str] = field(default_factory=dict)
    # The line's key chains: questions left for a reporter wait under them (None: no asking).
    epochs: EpochKeys | None = field(default=None, repr=False)
    # A training sandbox (tipline training): every page says so; nothing in it is real.
    training: bool = False
