"""Key rotation and recovery: a queue's new current key, a member's new key pair after a lost passphrase."""

from __future__ import annotations

from sqlalchemy import Connection, select

from storage import crypto
from storage.crypto import KdfParams, ServerSecrets
from storage.queue_keys import current_key, grant, member_queues, put_grant
from storage.staff_accounts import StaffKeys, check_passphrase, random_id, require_admin, staff_row, wrap_private
from storage.tables import Grant, Queue, QueueKey, Staff

_queue_t = Queue.__table__  # type: ignore[attr-defined]
_key_t = QueueKey.__table__  # type: ignore[attr-defined]
_staff_t = Staff.__table__  # type: ignore[attr-defined]
_grant_t = Grant.__table__  # type: ignore[attr-defined]


def reset_member(
    conn: Connection,
    *,
    admin: StaffKeys,
    username: str,
    new_passphrase: str,
    secrets: ServerSecrets,
    kdf: KdfParams,
    now: float,
) -> list[str]:
    """Reset a member who forgot their passphrase.

    The old private key cannot be recovered (nobody holds the passphrase), so the
    member gets a NEW key pair and all their old grants are deleted.  The admin
    then re-grants, in the same call, each queue the member used to hold AND the
    admin holds (all key versions the admin holds).  Queues the admin does not hold
    stay lost to the member until an admin who holds them calls ``grant``.
    Returns the queues re-granted.
    """
    require_admin(conn, admin)
    check_passphrase(new_passphrase)
    row = staff_row(conn, username, for_update=True)
    old_queues = set(member_queues(conn, row.id, current_only=False))
    private, public = crypto.new_keypair()
    wrapped, spec = wrap_private(private, staff_id=row.id, passphrase=new_passphrase, secrets=secrets, kdf=kdf)
    conn.execute(_grant_t.delete().where(_grant_t.c.staff_id == row.id))
    conn.execute(
        _staff_t.update().where(_staff_t.c.id == row.id).values(public_key=public, wrapped_private=wrapped, kdf=spec)
    )
    regranted = []
    held_by_admin = admin.held_key_ids(conn)
    for queue in sorted(old_queues):
        if current_key(conn, queue).key_id in held_by_admin:
            grant(conn, admin=admin, member=username, queue=queue, now=now)
            regranted.append(queue)
    return regranted


def rotate(conn: Connection, *, admin: StaffKeys, queue: str, now: float) -> str:
    """Give ``queue`` a new current key; returns its key id.

    The old key is retired (kept, so old tips still open).  The new private key is
    sealed to every member who held the old current key, using only their public
    keys (no passphrase of theirs is needed).  The admin must hold the current key.
    """
    require_admin(conn, admin)
    if conn.dialect.name == "postgresql":
        conn.execute(select(_queue_t.c.name).where(_queue_t.c.name == queue).with_for_update())
    old = current_key(conn, queue)
    admin.queue_private(conn, old.key_id)
    holders = list(
        conn.execute(
            select(_staff_t.c.id, _staff_t.c.public_key)
            .select_from(_grant_t.join(_staff_t, _grant_t.c.staff_id == _staff_t.c.id))
            .where(_grant_t.c.key_id == old.key_id)
        )
    )
    private, public = crypto.new_keypair()
    key_id = random_id("k")
    conn.execute(_key_t.update().where(_key_t.c.key_id == old.key_id).values(retired_at=now))
    conn.execute(_key_t.insert().values(key_id=key_id, queue=queue, public_key=public, created_at=now))
    for holder in holders:
        put_grant(conn, staff_id=holder.id, public=holder.public_key, key_id=key_id, private=private,
                   by=admin.staff_id, now=now)
    return key_id
