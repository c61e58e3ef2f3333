"""An on-call rota on an initialised line, an alert loop with the real provider clients pointed at
the fakes, and urgent tips from reporters."""

from __future__ import annotations

import time
from typing import Callable

from bot import load_catalogs
from storage import oncall
from storage.db import read_only
from storage.oncall_secret import load_rota_opener
from tests.factories import Reporter, service_with_clock
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import LINE, TG_TOKEN, TW_SID, TW_TOKEN
from tipline.oncall_loop import AlertLoop, ProviderPager
from tipline.runtime import Runtime
from triage import oncall_rota
from webhooks.clients import Providers

# A reporter in danger now, mid-interview: the tip is P1 and raises an alert.
DANGER = ["hi", "1"]
STAFF = ("+15550001001", "+15550001002", "+15550001003")
ESCALATE = 300.0


def add_people(rt: Runtime, *people: tuple[str, str, str | None], locale: str = "en",
               locales: tuple[str, ...] = ("en", "es")) -> list[str]:
    """(name, channel, address) appended to the rota in order; returns their ids."""
    with rt.db.begin() as conn:
        return [oncall_rota.add_member(conn, name=name, channel=channel, address=address, locale=locale,
                                       locales=locales, now=time.time()) for name, channel, address in people]


def sms_rota(rt: Runtime, count: int = len(STAFF)) -> list[str]:
    return add_people(rt, *((f"desk {n + 1}", "sms", STAFF[n]) for n in range(count)))


def alert_loop(rt: Runtime, *, twilio: FakeTwilio | None = None, telegram: FakeTelegram | None = None,
               clock: Callable[[], float] = time.time, poll: float = 0.02,
               locales: tuple[str, ...] = ("en", "es")) -> AlertLoop:
    """The staff side's loop as 'tipline console' builds it, its clients aimed at the fakes."""
    providers = Providers(
        telegram_token=TG_TOKEN, telegram_api_base=telegram.base_url if telegram else "http://127.0.0.1:9/bot",
        twilio_account_sid=TW_SID, twilio_auth_token=TW_TOKEN,
        twilio_api_base=twilio.url if twilio else "http://127.0.0.1:9",
    )
    return AlertLoop(
        db=rt.db, opener=load_rota_opener(rt.settings.oncall_key_dir),
        pager=ProviderPager(providers, twilio_from=LINE),
        catalogs=load_catalogs(rt.settings.locales_dir, locales), default_locale="en",
        escalate_seconds=ESCALATE, poll_seconds=poll, clock=clock, on_close=providers.close,
    )


def urgent_tip(rt: Runtime, clock: Callable[[], float], address: str = "+15557770001") -> Reporter:
    reporter = Reporter(service_with_clock(rt, clock), address)
    for line in DANGER:
        reporter.send(line)
    return reporter


def rota(rt: Runtime) -> list[oncall.RotaEntry]:
    with read_only(rt.db) as conn:
        return oncall.list_members(conn)
