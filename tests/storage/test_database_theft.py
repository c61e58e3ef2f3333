"""A copy of the database plus the server secrets, without any staff passphrase,
opens no tip: every envelope and grant is tried with every candidate key that can be
obtained without a passphrase."""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, select

from storage import crypto, keys, periods, sealing
from storage.crypto import Box, DecryptionFailed, ServerSecrets
from storage.purposes import Purpose
from storage.tables import Grant, Staff, TipEnvelope
from tests.conftest import CHEAP_KDF
from tests.factories import table_of

NOW = 1_800_000_000.0
PURPOSES = list(Purpose)  # the one registry, so a new purpose is covered without editing this test


def _all_blobs(engine: Engine) -> list[bytes]:
    meta = MetaData()
    meta.reflect(engine)
    blobs: list[bytes] = []
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                blobs.extend(bytes(v) for v in row if isinstance(v, (bytes, memoryview)))
    return blobs


def test_db_copy_plus_secrets_opens_nothing(engine: Engine, server_secrets: ServerSecrets) -> None:
    with engine.begin() as conn:
        admin_id = keys.add_staff(conn, username="admin", passphrase="admin passphrase 1", is_admin=True,
                                  secrets=server_secrets, kdf=CHEAP_KDF, now=NOW)
        keys.add_staff(conn, username="alice", passphrase="alice passphrase 1", is_admin=False,
                       secrets=server_secrets, kdf=CHEAP_KDF, now=NOW)
        pair = keys.create_queue(conn, name="police", title="Police", now=NOW)
        keys.grant_new_queue(conn, member_id=admin_id, pair=pair, now=NOW)
        # A period key as the line stored them before the ratchet (wrapped in the database).
        periods.address_box(conn, secrets=server_secrets, period=periods.period_of(NOW), now=NOW, followup_days=7)
    with engine.begin() as conn:
        admin = keys.unlock(conn, username="admin", passphrase="admin passphrase 1", secrets=server_secrets,
                            kdf=CHEAP_KDF)
        keys.grant(conn, admin=admin, member="alice", queue="police", now=NOW)
        keys.rotate(conn, admin=admin, queue="police", now=NOW + 1)
    with engine.begin() as conn:
        for i in range(2):
            sealing.seal_tip(conn, tip_id=f"t{i}", version=1, payload=b"SECRET TIP", queues=["police"], now=NOW)

    blobs = _all_blobs(engine)
    # Candidate private keys: every 32-byte window of every stored blob, every server
    # subkey, and whatever the server secrets unwrap (period keys, and anything a
    # server Box opens).
    candidates: set[bytes] = set(server_secrets.subkey(p) for p in PURPOSES)
    for blob in blobs:
        for start in range(0, max(1, len(blob) - 31)):
            candidates.add(blob[start : start + 32])
        for purpose in PURPOSES:
            for aad in (b"", b"tipline-period-key:" + periods.period_of(NOW).encode()):
                try:
                    candidates.add(server_secrets.box(purpose).decrypt(blob, aad=aad))
                except DecryptionFailed:
                    pass
    candidates = {c for c in candidates if len(c) == 32}
    assert len(candidates) > 100

    with engine.begin() as conn:
        envelope_rows = conn.execute(select(table_of(TipEnvelope)))
        envelopes = [(r.tip_id, r.version, r.queue, bytes(r.envelope)) for r in envelope_rows]
        grants = [(r.staff_id, r.key_id, bytes(r.wrapped)) for r in conn.execute(select(table_of(Grant)))]
        staff = [(r.id, bytes(r.wrapped_private)) for r in conn.execute(select(table_of(Staff)))]
    assert len(envelopes) == 2 and len(grants) >= 4

    opened = 0
    for cand in candidates:
        for tip_id, version, queue, env in envelopes:
            for context in (f"{tip_id}:{version}:{queue}".encode(), b""):
                try:
                    crypto.open_sealed(env, recipient_private=cand, context=context)
                    opened += 1
                except DecryptionFailed:
                    pass
        for staff_id, key_id, wrapped in grants:
            try:
                crypto.open_sealed(wrapped, recipient_private=cand,
                                   context=f"tipline-grant:{staff_id}:{key_id}".encode())
                opened += 1
            except DecryptionFailed:
                pass
        for staff_id, wrapped in staff:
            try:
                Box(cand).decrypt(wrapped, aad=f"tipline-staff-key:{staff_id}".encode())
                opened += 1
            except DecryptionFailed:
                pass
    assert opened == 0
    assert not any(b"SECRET TIP" in blob for blob in blobs)
    assert not any(b"15550001111" in blob for blob in blobs)
