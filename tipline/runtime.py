"""Builds the running parts from one ``Settings``: database, secrets, engine, rules, service, sender."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable

from sqlalchemy import Engine

from bot import Engine as ConversationEngine
from bot import build_engine
from bot.regions import EmergencyNumberError, load_region, verification_warnings
from bot.types import Region
from storage import chain_check, secret_check
from storage.crypto import ServerSecrets, load_server_secrets
from storage.db import make_engine, read_only
from storage.epochs import EpochKeys, schedules
from storage.keys import list_queues
from storage.schema import is_current
from tipline.locales import LocaleError, check_enabled
from tipline.logs import install_library_guards
from tipline.settings import Settings, SettingsError
from storage.ratchet import RatchetMissing
from triage.intake import IntakeService
from triage.limits import LimitSettings, SenderLimits
from triage.over_limit import Gate
from triage.routing import Routing, load_routing
from triage.rules import Rules, load_rules

if TYPE_CHECKING:
    from webhooks.sender import OutboxSender

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Lazily built parts, so a CLI command builds only what it uses."""

    settings: Settings
    # Threads that use the database at once in this process (gunicorn's threads; 1 for the CLI and
    # the worker): sizes its PostgreSQL pool (``Settings.pool_for``).
    threads: int = 1
    _sender_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _sender: OutboxSender | None = field(default=None, init=False, repr=False, compare=False)
    _sender_built: bool = field(default=False, init=False, repr=False, compare=False)

    @cached_property
    def db(self) -> Engine:
        size, overflow = self.settings.pool_for(self.threads)
        return make_engine(self.settings.database_url, pool_size=size, max_overflow=overflow)

    @cached_property
    def secrets(self) -> ServerSecrets:
        return load_server_secrets(self.settings.secrets_dir)

    @cached_property
    def epochs(self) -> EpochKeys:
        """This process's one set of epoch-key chains (``<secrets>/ratchet/``), on the wall clock."""
        return self.epochs_on(time.time)

    def epochs_on(self, clock: Callable[[], float]) -> EpochKeys:
        """The chains on ``clock``: this process's own when it runs on that clock (a test or the theft
        drill puts one on its fake clock in ``epochs`` first), else a new view of the same folder."""
        mine = self.__dict__.get("epochs")
        if isinstance(mine, EpochKeys) and mine.clock is clock:
            return mine
        s = self.settings
        plan = schedules(idle_minutes=s.conversation_idle_minutes, followup_days=s.followup_days)
        return EpochKeys(s.secrets_dir, plan, clock=clock)

    @cached_property
    def region(self) -> Region:
        s = self.settings
        try:
            region = load_region(s.region, emergency=s.emergency_number or None)
        except EmergencyNumberError as exc:
            raise SettingsError(f"TIPLINE_EMERGENCY_NUMBER (TIPLINE_REGION={s.region}): {exc}") from None
        except ValueError as exc:
            raise SettingsError(f"TIPLINE_REGION: {exc}") from None
        # Numbers come from stored copies of public pages: a wrong one fails a reporter in
        # danger, so say so at every start until the operator has called them (issue 10).
        for warning in verification_warnings(region, s.region_verified):
            log.warning("%s: call it, then set TIPLINE_REGION_VERIFIED=YYYY-MM-DD", warning)
        return region

    @cached_property
    def engine(self) -> ConversationEngine:
        s = self.settings
        try:
            # Every message of every enabled locale, or no start: a gap would show a reporter
            # the default language's words mid-sentence (issue 10).
            check_enabled(s.locales_dir, s.locales)
        except LocaleError as exc:
            raise SettingsError(f"TIPLINE_LOCALES: {exc}") from None
        return build_engine(
            locales_dir=s.locales_dir, locales=s.locales, default_locale=s.default_locale,
            region=self.region, max_text_chars=s.max_text_chars,
        )

    def use_engine(self, engine: ConversationEngine) -> None:
        """Use an engine built already from these settings: ``tipline serve`` builds (and checks)
        it before gunicorn forks, and a worker need not read and check the same files again.
        The engine is pure logic over what it read at start, so sharing it across a fork is safe."""
        self.__dict__["engine"] = engine

    @cached_property
    def rules(self) -> Rules:
        return load_rules()

    @cached_property
    def routing(self) -> Routing:
        return load_routing(self.settings.routing_file)

    @cached_property
    def intake(self) -> IntakeService:
        s = self.settings
        service = IntakeService(
            db=self.db, secrets=self.secrets, epochs=self.epochs, engine=self.engine, region=self.region,
            rules=self.rules, routing=self.routing, code_kdf=s.code_kdf, default_locale=s.default_locale,
            idle_seconds=s.conversation_idle_minutes * 60, followup_days=s.followup_days,
        )
        if s.rate_per_minute > 0 and self._epochs_ready():
            limits = LimitSettings(per_sender=s.rate_per_minute, flood_per_second=max(1, s.flood_per_second))
            service.gate = Gate(service, SenderLimits(epochs=self.epochs, settings=limits))
        return service

    def _epochs_ready(self) -> bool:
        try:
            self.epochs.check()
        except RatchetMissing as exc:
            # Never per process (several web workers would race to start a chain): init does it.
            log.warning("abuse limits are off until 'tipline init' runs: %s", exc)
            return False
        return True

    # -- the outbox sender: one per process, built there (after a fork) -------------------

    @property
    def sender(self) -> OutboxSender | None:
        """This process's sender (None when no channel needs one), built on first use; webhooks wake it."""
        with self._sender_lock:
            if not self._sender_built:
                self._sender = self.build_sender()
                self._sender_built = True
            return self._sender

    def build_sender(self, *, clock: Callable[[], float] = time.time, fast_lane: bool = True) -> OutboxSender | None:
        """A new sender for the configured channels, from this runtime's values."""
        from webhooks.sender import build_sender

        install_library_guards()
        # python-telegram-bot 22 warns on reading a duration (``RetryAfter.retry_after``) unless
        # the process opts in to the timedelta it will return from v23; an operator's choice stands.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        s = self.settings
        return build_sender(
            db=self.db, secrets=self.secrets, epochs=self.epochs_on(clock), telegram_token=s.telegram_bot_token,
            telegram_api_base=s.telegram_api_base, twilio_account_sid=s.twilio_account_sid,
            twilio_auth_token=s.twilio_auth_token, twilio_api_base=s.twilio_api_base, twilio_from=s.twilio_from,
            clock=clock, fast_lane=fast_lane, lease=float(s.outbox_lease_seconds),
        )

    def wake_sender(self) -> None:
        """Deliver queued replies now, if this process runs a sender (else the worker's interval does)."""
        sender = self._sender  # never built here: a web-only process leaves delivery to the worker
        if sender is not None:
            sender.wake()

    def close(self) -> None:
        """Stop this process's sender (if one was built) and close the database pool."""
        with self._sender_lock:
            sender, self._sender = self._sender, None
        if sender is not None:
            sender.close()
        if "db" in self.__dict__:
            self.db.dispose()

    def check_ready(self) -> None:
        """Fail with an operator-readable message if ``tipline init`` has not run."""
        self.secrets  # noqa: B018 - raises SecretsMissing with the fix
        if not is_current(self.db):
            raise SettingsError(
                "the database schema is missing or old: run 'tipline init' (a new install) or 'tipline upgrade'"
            )
        with read_only(self.db) as conn:
            # Another host's secret would split the line: refuse before answering anyone.
            secret_check.require_match(conn, secrets=self.secrets, secrets_dir=self.settings.secrets_dir)
            missing = sorted({q.name for q in self.routing.queues} - set(list_queues(conn)))
        self.epochs.check()  # a missing chain raises RatchetMissing: copy the folder, or run init
        with read_only(self.db) as conn:
            chain_check.require_match(conn, epochs=self.epochs)  # chains started here, not copied: refuse
        if missing:
            # A tip routed there could not be sealed: refuse to start rather than fail per message.
            raise SettingsError(
                f"the routing file names queues with no keys yet ({', '.join(missing)}): run 'tipline init'"
            )
