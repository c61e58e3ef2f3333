"""Builds the inbound spool's parts (``storage.spool``, ``webhooks.spooling``) from settings.

The spool lives in ``<data>/spool/`` and is sealed under the SPOOL purpose's epoch keys, which
the runtime holds (``Runtime.epochs``); without them (a runtime built without the secrets folder)
there is no spool and a database outage is answered 503, as before.
"""

from __future__ import annotations

from storage.epochs import EpochKeys
from storage.spool import Spool
from tipline.runtime import Runtime
from tipline.settings import Settings
from webhooks.spooling import SpoolDrainer, SpoolKeeper

# What an SMS sender is told while the database is away, unless TIPLINE_SPOOL_REPLY says it in
# the line's own default language.
DEFAULT_SPOOL_REPLY = "Your message is received; a reply may take a few minutes."



def build_spool(settings: Settings, keys: EpochKeys | None) -> Spool | None:
    if keys is None:
        return None
    return Spool(settings.data_dir / "spool", keys,
                 max_files=settings.spool_max_files, max_bytes=settings.spool_max_bytes)


def spooled_reply(settings: Settings) -> str:
    return settings.spool_reply or DEFAULT_SPOOL_REPLY


def runtime_keys(rt: Runtime) -> EpochKeys | None:
    """The runtime's epoch keys (this process's, on its clock)."""
    return rt.epochs


def keeper(rt: Runtime, keys: EpochKeys | None = None) -> SpoolKeeper | None:
    spool = build_spool(rt.settings, keys or runtime_keys(rt))
    return SpoolKeeper(spool) if spool is not None else None


def drainer(rt: Runtime, keys: EpochKeys | None = None) -> SpoolDrainer | None:
    spool = build_spool(rt.settings, keys or runtime_keys(rt))
    return SpoolDrainer(spool, intake=rt.intake, secrets=rt.secrets) if spool is not None else None
