"""Builders for an initialised tip line in a test's own folder and database."""

from __future__ import annotations

import os
import time
from pathlib import Path
from dataclasses import dataclass
from itertools import count
from typing import Callable

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel

from bot import Engine as ConversationEngine
from bot.types import InboundMessage
from storage.epochs import EpochKeys
from tipline.install import add_first_admin, prepare
from tipline.runtime import Runtime
from tipline.settings import Settings
from triage.intake import Handled, IntakeService

# The shared/ folder beside the clone (real third-party payloads and vectors); read, never
# copied into the project.  TIPLINE_SHARED_DIR points elsewhere.
SHARED = Path(os.environ.get("TIPLINE_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")

ADMIN = "admin"
CHAINS_BACK = 21 * 86400  # key ratchets start three weeks back: fake clocks may begin in the past
ADMIN_PASSPHRASE = "correct horse battery staple"


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model (SQLModel does not declare ``__table__`` to type checkers)."""
    found = inspect(model).local_table
    assert isinstance(found, Table), model
    return found


class FakeClock:
    """A clock tests move by hand (expiry, follow-up windows, erasure)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = start if start is not None else time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def initialised_runtime(settings: Settings) -> Runtime:
    """What ``tipline init`` leaves: secrets, schema, the routing file's queues, one admin holding all."""
    rt, _ = prepare(settings, chains_from=time.time() - CHAINS_BACK)
    add_first_admin(rt, username=ADMIN, passphrase=ADMIN_PASSPHRASE)
    return rt


def service_with_clock(
    rt: Runtime, clock: Callable[[], float], *, engine: ConversationEngine | None = None
) -> IntakeService:
    s = rt.settings
    return IntakeService(
        db=rt.db, secrets=rt.secrets, epochs=rt.epochs_on(clock), engine=engine or rt.engine, region=rt.region,
        rules=rt.rules, routing=rt.routing, code_kdf=s.code_kdf, default_locale=s.default_locale,
        idle_seconds=s.conversation_idle_minutes * 60, followup_days=s.followup_days,
    )


def epochs_on(rt: Runtime, clock: Callable[[], float]) -> EpochKeys:
    """The runtime's key ratchets on a test's clock (one per service, as in a process)."""
    return rt.epochs_on(clock)


def limited_service(rt: Runtime, clock: FakeClock, *, per_sender: int, flood: int = 1000) -> IntakeService:
    """A service behind the abuse limits (issue 13), its rate keys on the test's clock."""
    from triage.limits import LimitSettings, SenderLimits
    from triage.over_limit import Gate

    service = service_with_clock(rt, clock)
    limits = LimitSettings(per_sender=per_sender, window_seconds=60, flood_per_second=flood)
    service.gate = Gate(service, SenderLimits(epochs=rt.epochs_on(clock), settings=limits, clock=clock))
    return service


@dataclass
class Reporter:
    """One person texting the line: sends lines, keeps what came back."""

    service: IntakeService
    address: str
    channel: str = "sms"
    inline: bool = True

    def __post_init__(self) -> None:
        self._ids = count()
        self.transcript: list[tuple[str, list[str]]] = []

    def send(self, text: str) -> Handled:
        handled = self.service.handle(
            InboundMessage(channel=self.channel, address=self.address, text=text,
                           provider_id=f"{self.address}-{next(self._ids)}"),
            inline=self.inline,
        )
        self.transcript.append((text, [r.text for r in handled.replies]))
        return handled

    @property
    def last(self) -> str:
        return "\n".join(self.transcript[-1][1]) if self.transcript else ""
