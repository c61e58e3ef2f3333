"""Settings, read once from the environment into a frozen value.

Only this module reads ``TIPLINE_*`` variables; everything else receives a
``Settings`` object.  Secret-bearing fields are ``repr=False`` so a settings
object printed into a log or a traceback shows no token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Mapping

from storage.crypto import KdfParams
from tipline.locales import LocaleError, default_locales
from tipline.settings_ops import SettingsError as SettingsError  # defined there, imported from here
from tipline.settings_ops import admin_passphrase, limits, metrics, outbox, pool, spool
from tipline.settings_ops import whole_number as _int

ROOT = Path(__file__).resolve().parent.parent


# Argon2id floors (OWASP's minimum for Argon2id: 19 MiB, 2 passes).  Below them a stolen
# database with the secrets folder gives up passphrases and codes too cheaply.
KDF_FLOOR = KdfParams(time_cost=2, memory_cost_kib=19456)
# Reference codes are not passwords: 60 random bits, hashed over an HMAC under a server pepper
# (README, "Reference-code hashing cost"), looked up once per finished interview and per code
# attempt.  The default costs ~3 ms on one core (bench/crypto.py); the floor half of that,
# still ~10^4 core-years per code for an attacker who holds the pepper and 10,000 stored codes.
CODE_KDF_DEFAULT = KdfParams(time_cost=2, memory_cost_kib=4096)
CODE_KDF_FLOOR = KdfParams(time_cost=1, memory_cost_kib=4096)
# Only the test suite sets it: it allows Argon2id costs under the floors, and a process
# that serves reporters (serve, worker) refuses to start with it.
TEST_ONLY_CHEAP_KDF = "TIPLINE_TEST_ONLY_CHEAP_KDF"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    secrets_dir: Path
    database_url: str
    region: str = "US"
    # The day the operator called the region's numbers live (README, "Settings"); None: not yet.
    region_verified: date | None = None
    # The deployment's emergency number, for the generic region only (it has none of its own).
    emergency_number: str = ""
    locales: tuple[str, ...] = ("en",)
    default_locale: str = "en"
    locales_dir: Path = ROOT / "locales"
    # How long a quiet conversation stays open before what was given is sealed.
    conversation_idle_minutes: int = 60
    # How long a finished reporter can come back from the same address, and how
    # long an address stays decryptable (its period key is destroyed after it).
    followup_days: int = 7
    max_text_chars: int = 5000
    # Abuse limits (triage.limits): messages per minute from one address (0: off), and
    # messages per second into one web process before new ones are held for the worker.
    rate_per_minute: int = 20
    flood_per_second: int = 1000
    # Closed tips (finished, no case open, no legal hold) are deleted this long after their
    # last change (tipline.retention).
    tip_retention_days: int = 365
    partners: tuple[str, ...] = ()
    code_kdf: KdfParams = CODE_KDF_DEFAULT
    staff_kdf: KdfParams = KdfParams()
    public_base_url: str = ""
    twilio_account_sid: str = field(default="", repr=False)
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = field(default="", repr=False)
    telegram_bot_token: str = field(default="", repr=False)
    telegram_webhook_secret: str = field(default="", repr=False)
    telegram_api_base: str = "https://api.telegram.org/bot"
    twilio_api_base: str = ""
    intake_passphrase: str = field(default="", repr=False)
    routing_file: Path | None = None
    # Set from TIPLINE_TEST_ONLY_CHEAP_KDF (tests only): costs under KDF_FLOOR are allowed.
    test_only_cheap_kdf: bool = False
    # The staff console (issue 12): session limits, and plain-HTTP cookies for a developer's machine only.
    console_idle_minutes: int = 15
    console_session_hours: int = 8
    console_insecure_cookies: bool = False
    # On-call (README, "On-call"): the staff-only folder holding the rota key, the bot's username for
    # enrolment links, how long an unclaimed P1 waits before the next person, and the alert loop's poll.
    console_secrets_dir: Path | None = None
    telegram_bot_username: str = ""
    oncall_escalate_minutes: int = 5
    oncall_poll_seconds: int = 2
    # Who may scrape the console's /metrics (README, "Health and metrics"): networks, or a bearer token.
    metrics_networks: tuple[str, ...] = ()
    metrics_token: str = field(default="", repr=False)
    # The inbound spool (issue 13, README "When the database is away"): its bounds, and what an
    # SMS sender is told while the database is away ("" : the built-in English sentence).
    spool_max_files: int = 10_000
    spool_max_bytes: int = 64 * 1024 * 1024
    spool_reply: str = ""
    outbox_lease_seconds: int = 120  # a sender killed mid-send: its items wait this long for another
    # PostgreSQL connections per process (README, "Sizing"): 0 / -1 derive them from the threads.
    db_pool_size: int = 0
    db_max_overflow: int = -1

    def pool_for(self, threads: int) -> tuple[int, int]:
        """(pool size, overflow) for a process serving ``threads`` threads at once: one connection
        each, plus two for its own background threads (jobs, sender, alert loop), and two spare."""
        size = self.db_pool_size or threads + 2
        overflow = self.db_max_overflow if self.db_max_overflow >= 0 else 2
        return size, overflow

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def oncall_key_dir(self) -> Path:
        """The console secrets folder (the rota key): never the server secrets folder the public host holds."""
        return self.console_secrets_dir or self.secrets_dir.parent / "console-secrets"

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_webhook_secret)

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Configured secrets, for the log filter to redact by value wherever they appear."""
        values = (self.twilio_auth_token, self.telegram_bot_token, self.telegram_webhook_secret,
                  self.intake_passphrase, self.metrics_token)
        return tuple(v for v in values if v)

    def check_servable(self) -> None:
        """Refuse to serve reporters with the tests' cheap Argon2id costs."""
        if self.test_only_cheap_kdf or not (
            _meets_floor(self.staff_kdf) and _meets_floor(self.code_kdf, CODE_KDF_FLOOR)
        ):
            raise SettingsError(
                f"{TEST_ONLY_CHEAP_KDF} is for the test suite: it lowers Argon2id costs below what "
                "protects passphrases and codes. Unset it (and any TIPLINE_*_KDF_* below the floors) to serve."
            )


def _meets_floor(kdf: KdfParams, floor: KdfParams = KDF_FLOOR) -> bool:
    return kdf.time_cost >= floor.time_cost and kdf.memory_cost_kib >= floor.memory_cost_kib


def _kdf(env: Mapping[str, str], prefix: str, default: KdfParams, floor: KdfParams = KDF_FLOOR) -> KdfParams:
    kdf = KdfParams(
        time_cost=_int(env, f"{prefix}_TIME", default.time_cost),
        memory_cost_kib=_int(env, f"{prefix}_MEMORY_KIB", default.memory_cost_kib),
    )
    if not _meets_floor(kdf, floor) and not env.get(TEST_ONLY_CHEAP_KDF):
        raise SettingsError(
            f"{prefix}_TIME and {prefix}_MEMORY_KIB are below the Argon2id floor "
            f"(time {floor.time_cost}, memory {floor.memory_cost_kib} KiB): raise them or unset them"
        )
    return kdf


def _check_secrets_apart(secrets_dir: Path, database_url: str) -> None:
    """The secrets folder must not be inside the SQLite database's folder, nor hold it:
    a copy of either folder would carry both the data and the keys that open it."""
    if not database_url.startswith("sqlite:///"):
        return
    db_dir = Path(database_url[len("sqlite:///"):]).resolve().parent
    if secrets_dir == db_dir or db_dir in secrets_dir.parents or secrets_dir in db_dir.parents:
        raise SettingsError(
            f"TIPLINE_SECRETS_DIR ({secrets_dir}) must not be inside the database's folder ({db_dir}) or "
            "hold it: a copied database folder would carry the keys with it. Point it at another volume."
        )


def _list(env: Mapping[str, str], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(key)
    if not raw:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _locales(env: Mapping[str, str], locales_dir: Path) -> tuple[str, ...]:
    """TIPLINE_LOCALES, or every complete locale that needs no explicit choice (tipline.locales)."""
    listed = _list(env, "TIPLINE_LOCALES", ())
    if listed:
        return listed
    try:
        found = default_locales(locales_dir)
    except (OSError, LocaleError) as exc:
        raise SettingsError(f"TIPLINE_LOCALES is unset and {locales_dir} cannot be read: {exc}") from None
    if not found:
        raise SettingsError(f"TIPLINE_LOCALES is unset and {locales_dir} holds no complete catalog: list the locales")
    return found


def _date(env: Mapping[str, str], key: str) -> date | None:
    raw = env.get(key, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{key} must be the day you checked, as YYYY-MM-DD, got {raw!r}") from None
    if value > date.today():
        raise SettingsError(f"{key}={raw} is in the future: set the day you called the numbers")
    return value


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    """TIPLINE_DATABASE_URL (a SQLite file in the data folder by default); a bare postgres URL
    is pointed at psycopg 3, the driver installed."""
    url = env.get("TIPLINE_DATABASE_URL") or f"sqlite:///{data_dir / 'db' / 'tipline.sqlite3'}"
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _storage_paths(env: Mapping[str, str]) -> tuple[Path, Path, str]:
    """(data folder, secrets folder, database URL), the secrets kept apart from the database."""
    data_dir = Path(env.get("TIPLINE_DATA_DIR") or (Path.cwd() / "var")).resolve()
    secrets_dir = Path(env.get("TIPLINE_SECRETS_DIR") or (data_dir / "secrets")).resolve()
    database_url = _database_url(env, data_dir)
    _check_secrets_apart(secrets_dir, database_url)
    return data_dir, secrets_dir, database_url


def _languages(env: Mapping[str, str]) -> tuple[Path, tuple[str, ...], str]:
    """(catalog folder, the line's locales, the default one, which must be among them)."""
    locales_dir = Path(env.get("TIPLINE_LOCALES_DIR") or (ROOT / "locales"))
    locales = _locales(env, locales_dir)
    default_locale = env.get("TIPLINE_DEFAULT_LOCALE") or locales[0]
    if default_locale not in locales:
        raise SettingsError(
            f"TIPLINE_DEFAULT_LOCALE={default_locale!r} is not one of TIPLINE_LOCALES={','.join(locales)}"
        )
    return locales_dir, locales, default_locale


def _public_base_url(env: Mapping[str, str]) -> str:
    base_url = env.get("TIPLINE_PUBLIC_BASE_URL", "").rstrip("/")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise SettingsError(f"TIPLINE_PUBLIC_BASE_URL must start with https://, got {base_url!r}")
    return base_url


def _oncall(env: Mapping[str, str], secrets_dir: Path) -> dict[str, object]:
    """The on-call settings (README, "On-call"); the console secrets folder sits beside the server's by default."""
    return dict(
        console_secrets_dir=Path(env.get("TIPLINE_CONSOLE_SECRETS_DIR") or secrets_dir.parent / "console-secrets"),
        telegram_bot_username=env.get("TIPLINE_TELEGRAM_BOT_USERNAME", "").lstrip("@"),
        oncall_escalate_minutes=_int(env, "TIPLINE_ONCALL_ESCALATE_MINUTES", 5),
        oncall_poll_seconds=_int(env, "TIPLINE_ONCALL_POLL_SECONDS", 2),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    # Read in this order, so the first problem reported is the same whatever else is wrong.
    data_dir, secrets_dir, database_url = _storage_paths(env)
    locales_dir, locales, default_locale = _languages(env)
    base_url = _public_base_url(env)
    return Settings(
        data_dir=data_dir,
        secrets_dir=secrets_dir,
        database_url=database_url,
        region=env.get("TIPLINE_REGION", "US").upper(),
        region_verified=_date(env, "TIPLINE_REGION_VERIFIED"),
        emergency_number=env.get("TIPLINE_EMERGENCY_NUMBER", "").strip(),
        locales=locales,
        default_locale=default_locale,
        locales_dir=locales_dir,
        conversation_idle_minutes=_int(env, "TIPLINE_IDLE_MINUTES", 60),
        followup_days=_int(env, "TIPLINE_FOLLOWUP_DAYS", 7),
        partners=_list(env, "TIPLINE_PARTNERS", ()),
        code_kdf=_kdf(env, "TIPLINE_CODE_KDF", CODE_KDF_DEFAULT, CODE_KDF_FLOOR),
        staff_kdf=_kdf(env, "TIPLINE_STAFF_KDF", KdfParams(time_cost=3, memory_cost_kib=65536)),
        test_only_cheap_kdf=bool(env.get(TEST_ONLY_CHEAP_KDF)),
        public_base_url=base_url,
        twilio_account_sid=env.get("TIPLINE_TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TIPLINE_TWILIO_AUTH_TOKEN", ""),
        twilio_from=env.get("TIPLINE_TWILIO_FROM", ""),
        telegram_bot_token=env.get("TIPLINE_TELEGRAM_BOT_TOKEN", ""),
        telegram_webhook_secret=env.get("TIPLINE_TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_api_base=env.get("TIPLINE_TELEGRAM_API_BASE", "https://api.telegram.org/bot"),
        twilio_api_base=env.get("TIPLINE_TWILIO_API_BASE", ""),
        intake_passphrase=admin_passphrase(env),
        routing_file=Path(env["TIPLINE_ROUTING_FILE"]) if env.get("TIPLINE_ROUTING_FILE") else None,
        console_idle_minutes=_int(env, "TIPLINE_CONSOLE_IDLE_MINUTES", 15),
        console_session_hours=_int(env, "TIPLINE_CONSOLE_SESSION_HOURS", 8),
        console_insecure_cookies=env.get("TIPLINE_CONSOLE_INSECURE_COOKIES", "") == "1",
    ).with_(**_oncall(env, secrets_dir), **metrics(env), **limits(env), **spool(env), **outbox(env), **pool(env))
