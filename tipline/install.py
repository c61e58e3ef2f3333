"""Setting up an install: what ``tipline init`` does, callable from tests and benchmarks too."""

from __future__ import annotations

import os
import time
from typing import Sequence

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from storage import audit, chain_check, keys, secret_check, tip_mac
from storage.crypto import SECRET_FILE, create_server_secrets
from storage.db import read_only
from storage.oncall_secret import ensure_rota_key
from storage.schema import is_current, upgrade
from tipline.runtime import Runtime
from tipline.settings import Settings, SettingsError


DEMO_MARKER = "demo-install"  # in the data folder: 'tipline init --demo' made this install


class InstallError(Exception):
    """The install cannot be prepared as it stands; the message says what to do."""


def check_layout(settings: Settings, *, demo: bool = False) -> None:
    """A secrets folder inside the data folder is for demo installs only: a backup or copy of
    the data folder would carry the keys with the data they open."""
    nested = settings.secrets_dir == settings.data_dir or settings.data_dir in settings.secrets_dir.parents
    if nested and not demo and not (settings.data_dir / DEMO_MARKER).exists():
        raise InstallError(
            f"TIPLINE_SECRETS_DIR ({settings.secrets_dir}) is inside the data folder ({settings.data_dir}), "
            "which only a demo install ('tipline init --demo') may do. Move the secrets folder to another "
            "volume and set TIPLINE_SECRETS_DIR to it (README: 'Moving the secrets folder')."
        )


def prepare(
    settings: Settings, *, demo: bool = False, chains_from: float | None = None, new_chains: bool = False
) -> tuple[Runtime, bool]:
    """Data folder, server secret (created once, never for a database that has one), the epoch-key
    chains that are missing (an existing install gains them by running init again) and the
    newest schema; returns (runtime, secret created).  The layout guard (``check_layout``)
    is the command's to apply: tests and benchmarks prepare throwaway installs in one folder.
    ``chains_from`` backdates new chains (tests whose fake clocks start in the past); ``new_chains``
    starts chains the line lost (``init --new-chains``: what their keys sealed is gone)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)  # older installs made it 0755
    if demo and settings.data_dir in settings.secrets_dir.parents:
        (settings.data_dir / DEMO_MARKER).touch(mode=0o600)
    rt = Runtime(settings)
    try:
        upgrade(rt.db)
        with rt.db.begin() as conn:
            created = _secret_for(rt, conn)
            # Tips from before the metadata MAC get theirs once; from then on a missing one is tampering.
            tip_mac.seal_install(conn, secrets=rt.secrets, now=time.time())
            # The rota key pair: public half in the database, private half on the staff side only.
            ensure_rota_key(conn, settings.oncall_key_dir, now=time.time())
        with rt.db.begin() as conn:
            # Never start a chain the line already has on another host: that would split the line.
            blocked = chain_check.blocking(conn, epochs=rt.epochs, now=time.time())
            if blocked and not new_chains:
                raise InstallError(chain_check.blocked_message(rt.epochs, blocked))
            chain_check.forget(conn, purposes=blocked)
            rt.epochs.create_missing(start=chains_from)
            chain_check.require_match(conn, epochs=rt.epochs)
            chain_check.record(conn, epochs=rt.epochs, now=time.time())
    except BaseException:
        rt.db.dispose()  # the caller gets no runtime to close
        raise
    return rt, created


def _secret_for(rt: Runtime, conn: Connection) -> bool:
    """Create the server secret only for a database that has none; check and record it."""
    folder = rt.settings.secrets_dir
    has_secret = secret_check.is_recorded(conn) or audit.count(conn) > 0
    if has_secret and not (folder / SECRET_FILE).exists():
        raise InstallError(
            f"this database already has a server secret, and {folder} holds none; 'tipline init' will "
            "not make a new one (this host would answer as another line). "
            "Copy the secrets folder from the first host and set TIPLINE_SECRETS_DIR to it."
        )
    created = create_server_secrets(folder)
    _record_secret(rt, conn)
    return created


def _record_secret(rt: Runtime, conn: Connection) -> None:
    if secret_check.compare(conn, secrets=rt.secrets) is secret_check.SecretCheck.DIFFERS:
        raise InstallError(secret_check.mismatch_message(rt.settings.secrets_dir))
    if not secret_check.is_recorded(conn):
        # An install from before the fingerprint: its audit log's first entry shows
        # whether this is its secret (the chain's key is derived from it).
        report = audit.verify(conn, secrets=rt.secrets)
        if not report.ok and report.failed_seq == 1:
            raise InstallError(secret_check.mismatch_message(rt.settings.secrets_dir))
        secret_check.record(conn, secrets=rt.secrets, now=time.time())


def check_install(rt: Runtime) -> None:
    """What every command that opens data needs: secrets, the newest schema, the line's own secret.

    Raises ``SettingsError`` or a ``CryptoError`` with a message that says what to run."""
    rt.secrets  # noqa: B018 - raises SecretsMissing with the fix
    if not is_current(rt.db):
        raise SettingsError("this install has no database schema, or an old one: run 'tipline init' (a new install) or "
                            "'tipline upgrade' (README, 'Upgrades')")
    with read_only(rt.db) as conn:
        secret_check.require_match(conn, secrets=rt.secrets, secrets_dir=rt.settings.secrets_dir)


def needs_first_admin(settings: Settings) -> bool:
    """True unless this install's database already has staff (read without creating anything)."""
    rt = Runtime(settings)
    try:
        if not is_current(rt.db):
            return True
        with read_only(rt.db) as conn:
            return not keys.list_staff(conn)
    except (SQLAlchemyError, OSError):
        return True  # no database yet (or none readable): prepare() says what is wrong
    finally:
        rt.db.dispose()


def add_first_admin(rt: Runtime, *, username: str, passphrase: str) -> None:
    """The first staff member, an admin holding the keys of every queue in the routing file."""
    now = time.time()
    with rt.db.begin() as conn:
        staff_id = keys.add_staff(conn, username=username, passphrase=passphrase, is_admin=True,
                                  secrets=rt.secrets, kdf=rt.settings.staff_kdf, now=now)
        add_missing_queues(rt, conn, [staff_id], now)
        audit.append(conn, secrets=rt.secrets, actor="cli", action="init", subject=username, now=now)


def add_missing_queues(rt: Runtime, conn: Connection, admin_ids: Sequence[str], now: float) -> list[str]:
    """Create the routing file's queues that have no keys yet, granted to the given admins.

    A new queue's private key is sealed to the admins' public keys at once (sealing needs
    no passphrase), so it is never stored unwrapped and never orphaned.
    """
    existing = set(keys.list_queues(conn))
    added = []
    for queue in rt.routing.queues:
        if queue.name in existing:
            continue
        pair = keys.create_queue(conn, name=queue.name, title=queue.title, now=now)
        for admin_id in admin_ids:
            keys.grant_new_queue(conn, member_id=admin_id, pair=pair, now=now)
        audit.append(conn, secrets=rt.secrets, actor="cli", action="queue_add", subject=queue.name, now=now)
        added.append(queue.name)
    return added
