"""Operations settings read by ``tipline.settings``: who may scrape metrics, the first admin's passphrase,
whole-number settings."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Mapping


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it.

    Defined here and imported by ``tipline.settings`` (which everyone imports it from), so this
    module needs nothing from that one."""


def networks(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    found = tuple(part.strip() for part in env.get(key, "").split(",") if part.strip())
    for net in found:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise SettingsError(f"{key}: {net!r} is not a network (write 10.0.0.0/8 or 127.0.0.1)") from None
    return found


def admin_passphrase(env: Mapping[str, str]) -> str:
    """The first admin's passphrase for 'tipline init' without a keyboard: a file (a container
    secret), or the variable; TIPLINE_INTAKE_PASSPHRASE is the older name of the variable."""
    path = env.get("TIPLINE_ADMIN_PASSPHRASE_FILE", "")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"TIPLINE_ADMIN_PASSPHRASE_FILE ({path}) cannot be read: "
                                f"{type(exc).__name__}") from None
        value = text.rstrip("\r\n")
        if not value:
            raise SettingsError(f"TIPLINE_ADMIN_PASSPHRASE_FILE ({path}) is empty")
        return value
    return env.get("TIPLINE_ADMIN_PASSPHRASE") or env.get("TIPLINE_INTAKE_PASSPHRASE", "")


def exposed_secret_file(env: Mapping[str, str]) -> str | None:
    """What is wrong with TIPLINE_ADMIN_PASSPHRASE_FILE's mode, when group or others may read it
    (``printf ... > file`` under the usual umask 022 makes it 0644); None when it is its owner's alone."""
    path = env.get("TIPLINE_ADMIN_PASSPHRASE_FILE", "")
    try:
        mode = Path(path).stat().st_mode & 0o777 if path else 0
    except OSError:
        return None  # unreadable: reading it says so
    if not mode & 0o077:
        return None
    return (f"TIPLINE_ADMIN_PASSPHRASE_FILE ({path}) is readable by {'others' if mode & 0o007 else 'its group'} "
            f"(mode {mode:04o}): chmod 600 it, and delete it once 'tipline init' made the admin")


def metrics(env: Mapping[str, str]) -> dict[str, object]:
    """Who may scrape the console's /metrics: networks, or a bearer token (issue 13)."""
    return {
        "metrics_networks": networks(env, "TIPLINE_METRICS_NETWORKS"),
        "metrics_token": env.get("TIPLINE_METRICS_TOKEN", ""),
    }


def whole_number(env: Mapping[str, str], key: str, default: int, *, zero: bool = False) -> int:
    """A positive whole number (``zero``: 0 allowed too, meaning off)."""
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a whole number, got {raw!r}") from None
    if value < 0 or (value == 0 and not zero):
        raise SettingsError(f"{key} must be {'0 (off) or more' if zero else 'positive'}, got {value}")
    return value


def limits(env: Mapping[str, str]) -> dict[str, object]:
    """The abuse limits (0 messages a minute: off) and how long closed tips are kept."""
    return {
        "rate_per_minute": whole_number(env, "TIPLINE_RATE_PER_MINUTE", 20, zero=True),
        "flood_per_second": whole_number(env, "TIPLINE_FLOOD_PER_SECOND", 1000),
        "tip_retention_days": whole_number(env, "TIPLINE_TIP_RETENTION_DAYS", 365),
    }


def spool(env: Mapping[str, str]) -> dict[str, object]:
    """The inbound spool's bounds and the fixed SMS reply while the database is away."""
    return {
        "spool_max_files": whole_number(env, "TIPLINE_SPOOL_MAX_FILES", 10_000),
        "spool_max_bytes": whole_number(env, "TIPLINE_SPOOL_MAX_MB", 64) * 1024 * 1024,
        "spool_reply": env.get("TIPLINE_SPOOL_REPLY", "").strip(),
    }


def outbox(env: Mapping[str, str]) -> dict[str, object]:
    """How long a sender's lease on the replies it is sending lasts: a sender killed mid-send (no
    chance to give them back) holds them this long.  Under the provider clients' 30 s bound, a
    slow send may be repeated by another process while it is still in flight."""
    lease = whole_number(env, "TIPLINE_OUTBOX_LEASE_SECONDS", 120)
    if lease < 5:
        raise SettingsError(f"TIPLINE_OUTBOX_LEASE_SECONDS must be 5 or more, got {lease}")
    return {"outbox_lease_seconds": lease}


def pool(env: Mapping[str, str]) -> dict[str, object]:
    """This process's PostgreSQL pool: 0 (size) and -1 (overflow) mean derived from its threads
    (``Settings.pool_for``)."""
    return {
        "db_pool_size": whole_number(env, "TIPLINE_DB_POOL_SIZE", 0),
        "db_max_overflow": whole_number(env, "TIPLINE_DB_MAX_OVERFLOW", -1, zero=True),
    }
