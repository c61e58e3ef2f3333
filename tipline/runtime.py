"""Builds the running parts from one ``Settings``: database, secrets, engine, rules, service."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from bot import Engine as ConversationEngine
from bot import build_engine
from bot.regions import EmergencyNumberError, load_region, verification_warnings
from bot.types import Region
from storage.crypto import ServerSecrets, load_server_secrets
from storage.db import make_engine, read_only
from storage.keys import list_queues
from storage.schema import is_current
from tipline.settings import Settings, SettingsError
from triage.intake import IntakeService
from triage.routing import Routing, load_routing
from triage.rules import Rules, load_rules

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Lazily built parts, so a CLI command builds only what it uses."""

    settings: Settings

    @cached_property
    def db(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def secrets(self) -> ServerSecrets:
        return load_server_secrets(self.settings.secrets_dir)

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
        return build_engine(
            locales_dir=s.locales_dir, locales=s.locales, default_locale=s.default_locale,
            region=self.region, max_text_chars=s.max_text_chars,
        )

    @cached_property
    def rules(self) -> Rules:
        return load_rules()

    @cached_property
    def routing(self) -> Routing:
        return load_routing(self.settings.routing_file)

    @cached_property
    def intake(self) -> IntakeService:
        return IntakeService(
            settings=self.settings, db=self.db, secrets=self.secrets, engine=self.engine,
            region=self.region, rules=self.rules, routing=self.routing,
        )

    def check_ready(self) -> None:
        """Fail with an operator-readable message if ``tipline init`` has not run."""
        self.secrets  # noqa: B018 - raises SecretsMissing with the fix
        if not is_current(self.db):
            raise SettingsError("the database schema is missing or old: run 'tipline init'")
        with read_only(self.db) as conn:
            missing = sorted({q.name for q in self.routing.queues} - set(list_queues(conn)))
        if missing:
            # A tip routed there could not be sealed: refuse to start rather than fail per message.
            raise SettingsError(
                f"the routing file names queues with no keys yet ({', '.join(missing)}): run 'tipline init'"
            )
