"""Setting up an install: what ``tipline init`` does, callable from tests and benchmarks too."""

from __future__ import annotations

import time
from typing import Sequence

from sqlalchemy import Connection

from storage import audit, keys
from storage.crypto import create_server_secrets
from storage.schema import upgrade
from tipline.runtime import Runtime
from tipline.settings import Settings


def prepare(settings: Settings) -> tuple[Runtime, bool]:
    """Data folder, server secret (created once) and the newest schema; returns (runtime, secret created)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    created = create_server_secrets(settings.secrets_dir)
    rt = Runtime(settings)
    upgrade(rt.db)
    return rt, created


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
