from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, select

from storage import keys, sealing
from storage.crypto import ServerSecrets
from storage.keys import (
    GrantTamperedError,
    NotAdminError,
    NotGrantedError,
    UnknownQueueError,
    UnknownStaffError,
    WeakPassphraseError,
    WrongPassphraseError,
)
from storage.sealing import EnvelopeTamperedError
from storage.tables import TipEnvelope
from tests.conftest import CHEAP_KDF
from tests.factories import table_of

NOW = 1_800_000_000.0
ADMIN_PW = "admin passphrase 1"
ALICE_PW = "alice passphrase 1"
BOB_PW = "bob passphrase 123"
_env = table_of(TipEnvelope)


def _setup(engine: Engine, secrets: ServerSecrets) -> None:
    """admin holds police+ngo; alice holds police; bob holds ngo."""
    with engine.begin() as conn:
        admin_id = keys.add_staff(conn, username="admin", passphrase=ADMIN_PW, is_admin=True, secrets=secrets,
                                  kdf=CHEAP_KDF, now=NOW)
        keys.add_staff(conn, username="alice", passphrase=ALICE_PW, is_admin=False, secrets=secrets, kdf=CHEAP_KDF,
                       now=NOW)
        keys.add_staff(conn, username="bob", passphrase=BOB_PW, is_admin=False, secrets=secrets, kdf=CHEAP_KDF, now=NOW)
        for name in ("police", "ngo"):
            pair = keys.create_queue(conn, name=name, title=name.title(), now=NOW)
            keys.grant_new_queue(conn, member_id=admin_id, pair=pair, now=NOW)
    with engine.begin() as conn:
        admin = _unlock(conn, secrets, "admin", ADMIN_PW)
        keys.grant(conn, admin=admin, member="alice", queue="police", now=NOW)
        keys.grant(conn, admin=admin, member="bob", queue="ngo", now=NOW)


def _unlock(conn: Connection, secrets: ServerSecrets, username: str, passphrase: str) -> keys.StaffKeys:
    return keys.unlock(conn, username=username, passphrase=passphrase, secrets=secrets, kdf=CHEAP_KDF)


def _seal(engine: Engine, tip_id: str, queues: list[str], version: int = 1, payload: bytes | None = None) -> list[str]:
    with engine.begin() as conn:
        return sealing.seal_tip(conn, tip_id=tip_id, version=version,
                                payload=payload or f"tip {tip_id} v{version}".encode(), queues=queues, now=NOW)


def test_member_opens_own_queues_only(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t-police", ["police"])
    _seal(engine, "t-ngo", ["ngo"])
    _seal(engine, "t-both", ["police", "ngo"])
    with engine.begin() as conn:
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        bob = _unlock(conn, server_secrets, "bob", BOB_PW)
        assert sealing.open_tip(conn, tip_id="t-police", keys=alice).payload == b"tip t-police v1"
        assert sealing.open_tip(conn, tip_id="t-both", keys=alice).queue == "police"
        assert sealing.open_tip(conn, tip_id="t-both", keys=bob).queue == "ngo"
        assert sealing.open_tip(conn, tip_id="t-ngo", keys=bob).payload == b"tip t-ngo v1"
        with pytest.raises(NotGrantedError, match="you hold no key"):
            sealing.open_tip(conn, tip_id="t-ngo", keys=alice)
        with pytest.raises(NotGrantedError):
            sealing.open_tip(conn, tip_id="t-police", keys=bob)
        assert keys.member_queues(conn, alice.staff_id) == ["police"]
        assert keys.member_queues(conn, bob.staff_id) == ["ngo"]
        assert [s.username for s in keys.list_staff(conn)] == ["admin", "alice", "bob"]
        with pytest.raises(sealing.UnknownTipError):
            sealing.open_tip(conn, tip_id="nope", keys=alice)


def test_versions(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t1", ["police"], version=1)
    _seal(engine, "t1", ["police"], version=2)
    with engine.begin() as conn:
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        assert sealing.open_tip(conn, tip_id="t1", keys=alice).version == 2
        assert sealing.open_tip(conn, tip_id="t1", keys=alice, version=1).payload == b"tip t1 v1"
    with pytest.raises(sealing.AlreadySealedError):
        _seal(engine, "t1", ["police"], version=2)
    with pytest.raises(UnknownQueueError):
        _seal(engine, "t2", ["nosuchqueue"])
    with pytest.raises(sealing.NoQueuesError):
        _seal(engine, "t2", [])


def test_wrong_passphrase_and_unknown_staff(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    with engine.begin() as conn:
        with pytest.raises(WrongPassphraseError) as info:
            _unlock(conn, server_secrets, "alice", "not her passphrase")
        assert "not her passphrase" not in str(info.value)
        with pytest.raises(WrongPassphraseError):  # right passphrase, other server secret
            _unlock(conn, ServerSecrets(b"\x01" * 32), "alice", ALICE_PW)
        with pytest.raises(UnknownStaffError):
            _unlock(conn, server_secrets, "mallory", ALICE_PW)
        for weak in ("", "short", "         x"):
            with pytest.raises(WeakPassphraseError):
                keys.add_staff(conn, username="carol", passphrase=weak, is_admin=False, secrets=server_secrets,
                               kdf=CHEAP_KDF, now=NOW)
        with pytest.raises(keys.DuplicateError):
            keys.add_staff(conn, username="alice", passphrase=ALICE_PW, is_admin=False, secrets=server_secrets,
                           kdf=CHEAP_KDF, now=NOW)
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        assert alice.private.hex() not in repr(alice) and "hidden" in repr(alice)


def test_admin_grant(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t-ngo", ["ngo"])
    with engine.begin() as conn:
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        _unlock(conn, server_secrets, "bob", BOB_PW)  # bob exists and can log in
        with pytest.raises(NotAdminError):
            keys.grant(conn, admin=alice, member="bob", queue="police", now=NOW)
        with pytest.raises(NotGrantedError):
            sealing.open_tip(conn, tip_id="t-ngo", keys=alice)
    with engine.begin() as conn:
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        keys.grant(conn, admin=admin, member="alice", queue="ngo", now=NOW)
        with pytest.raises(UnknownQueueError):
            keys.grant(conn, admin=admin, member="alice", queue="nosuch", now=NOW)
        with pytest.raises(UnknownStaffError):
            keys.grant(conn, admin=admin, member="nobody", queue="ngo", now=NOW)
    with engine.begin() as conn:
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        assert sealing.open_tip(conn, tip_id="t-ngo", keys=alice).payload == b"tip t-ngo v1"
        assert keys.member_queues(conn, alice.staff_id) == ["ngo", "police"]
    # an admin who does not hold a queue cannot grant it
    with engine.begin() as conn:
        admin_id = keys.staff_id_of(conn, "admin")
        keys.add_staff(conn, username="admin2", passphrase=ADMIN_PW, is_admin=True, secrets=server_secrets,
                       kdf=CHEAP_KDF, now=NOW)
        admin2 = _unlock(conn, server_secrets, "admin2", ADMIN_PW)
        with pytest.raises(NotGrantedError):
            keys.grant(conn, admin=admin2, member="bob", queue="police", now=NOW)
        assert admin_id


def test_change_passphrase(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t1", ["police"])
    new_pw = "a brand new passphrase"
    with engine.begin() as conn:
        with pytest.raises(WrongPassphraseError):
            keys.change_passphrase(conn, username="alice", old="wrong passphrase", new=new_pw, secrets=server_secrets,
                                   kdf=CHEAP_KDF)
        with pytest.raises(WeakPassphraseError):
            keys.change_passphrase(conn, username="alice", old=ALICE_PW, new="short", secrets=server_secrets,
                                   kdf=CHEAP_KDF)
        keys.change_passphrase(conn, username="alice", old=ALICE_PW, new=new_pw, secrets=server_secrets, kdf=CHEAP_KDF)
    with engine.begin() as conn:
        with pytest.raises(WrongPassphraseError):
            _unlock(conn, server_secrets, "alice", ALICE_PW)
        alice = _unlock(conn, server_secrets, "alice", new_pw)
        assert sealing.open_tip(conn, tip_id="t1", keys=alice).payload == b"tip t1 v1"


def test_reset_needs_admin_regrant(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t-police", ["police"])
    _seal(engine, "t-ngo", ["ngo"])
    with engine.begin() as conn:
        # a second admin who holds only 'police' resets bob (who held 'ngo')
        keys.add_staff(conn, username="admin2", passphrase=ADMIN_PW, is_admin=True, secrets=server_secrets,
                       kdf=CHEAP_KDF, now=NOW)
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        keys.grant(conn, admin=admin, member="admin2", queue="police", now=NOW)
        keys.grant(conn, admin=admin, member="bob", queue="police", now=NOW)
    new_pw = "bob forgot, new passphrase"
    with engine.begin() as conn:
        admin2 = _unlock(conn, server_secrets, "admin2", ADMIN_PW)
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        with pytest.raises(NotAdminError):
            keys.reset_member(conn, admin=alice, username="bob", new_passphrase=new_pw, secrets=server_secrets,
                              kdf=CHEAP_KDF, now=NOW)
        regranted = keys.reset_member(conn, admin=admin2, username="bob", new_passphrase=new_pw,
                                      secrets=server_secrets, kdf=CHEAP_KDF, now=NOW)
        assert regranted == ["police"]
    with engine.begin() as conn:
        with pytest.raises(WrongPassphraseError):
            _unlock(conn, server_secrets, "bob", BOB_PW)
        bob = _unlock(conn, server_secrets, "bob", new_pw)
        assert sealing.open_tip(conn, tip_id="t-police", keys=bob).payload == b"tip t-police v1"
        with pytest.raises(NotGrantedError):  # admin2 does not hold 'ngo': lost until re-granted
            sealing.open_tip(conn, tip_id="t-ngo", keys=bob)
    with engine.begin() as conn:
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        keys.grant(conn, admin=admin, member="bob", queue="ngo", now=NOW)
    with engine.begin() as conn:
        bob = _unlock(conn, server_secrets, "bob", new_pw)
        assert sealing.open_tip(conn, tip_id="t-ngo", keys=bob).payload == b"tip t-ngo v1"


def test_rotation(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    old_key = _seal(engine, "t-old", ["police"])[0]
    with engine.begin() as conn:
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        with pytest.raises(NotAdminError):
            keys.rotate(conn, admin=_unlock(conn, server_secrets, "alice", ALICE_PW), queue="police", now=NOW + 1)
        new_key = keys.rotate(conn, admin=admin, queue="police", now=NOW + 1)
        assert new_key != old_key
        assert keys.current_public_keys(conn, ["police"])[0][1] == new_key
        with pytest.raises(UnknownQueueError):
            keys.current_public_keys(conn, ["police", "nosuch"])
    assert _seal(engine, "t-new", ["police"]) == [new_key]
    with engine.begin() as conn:
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)  # held the old key: got the new one
        assert sealing.open_tip(conn, tip_id="t-old", keys=alice).key_id == old_key
        assert sealing.open_tip(conn, tip_id="t-new", keys=alice).key_id == new_key
        with pytest.raises(NotGrantedError):
            sealing.open_tip(conn, tip_id="t-new", keys=_unlock(conn, server_secrets, "bob", BOB_PW))
    with engine.begin() as conn:  # a member granted after rotation opens old and new tips
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        granted = keys.grant(conn, admin=admin, member="bob", queue="police", now=NOW + 2)
        assert set(granted) == {old_key, new_key}
    with engine.begin() as conn:
        bob = _unlock(conn, server_secrets, "bob", BOB_PW)
        assert sealing.open_tip(conn, tip_id="t-old", keys=bob).payload == b"tip t-old v1"
        assert sealing.open_tip(conn, tip_id="t-new", keys=bob).payload == b"tip t-new v1"
    # revoke + rotate: the revoked member cannot open tips sealed afterwards
    with engine.begin() as conn:
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        assert keys.revoke(conn, admin=admin, member="bob", queue="police") == 2
        keys.rotate(conn, admin=admin, queue="police", now=NOW + 3)
    _seal(engine, "t-newer", ["police"])
    with engine.begin() as conn:
        bob = _unlock(conn, server_secrets, "bob", BOB_PW)
        with pytest.raises(NotGrantedError):
            sealing.open_tip(conn, tip_id="t-newer", keys=bob)
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        assert sealing.open_tip(conn, tip_id="t-newer", keys=alice).payload == b"tip t-newer v1"


def test_tampering_is_caught(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t1", ["police"], payload=b"first tip")
    _seal(engine, "t2", ["police"], payload=b"second tip")
    _seal(engine, "t1", ["police"], version=2, payload=b"first tip, v2")
    with engine.begin() as conn:
        rows = {(r.tip_id, r.version): r for r in conn.execute(select(_env))}
        # flip one byte of each region of t1 v1
        original = rows[("t1", 1)].envelope
        for pos in (0, 5, 10, len(original) // 2, len(original) - 1):
            flipped = bytearray(original)
            flipped[pos] ^= 0x01
            conn.execute(_env.update().where(_env.c.id == rows[("t1", 1)].id).values(envelope=bytes(flipped)))
            alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
            with pytest.raises(EnvelopeTamperedError):
                sealing.open_tip(conn, tip_id="t1", keys=alice, version=1)
        # swap: t2's envelope stored under t1 v1, and t1 v2's envelope stored under t1 v1
        for donor in (("t2", 1), ("t1", 2)):
            conn.execute(_env.update().where(_env.c.id == rows[("t1", 1)].id).values(envelope=rows[donor].envelope))
            with pytest.raises(EnvelopeTamperedError):
                sealing.open_tip(conn, tip_id="t1", keys=alice, version=1)
        conn.execute(_env.update().where(_env.c.id == rows[("t1", 1)].id).values(envelope=original))
        assert sealing.open_tip(conn, tip_id="t1", keys=alice, version=1).payload == b"first tip"


def test_envelope_moved_between_queues(engine: Engine, server_secrets: ServerSecrets) -> None:
    _setup(engine, server_secrets)
    _seal(engine, "t1", ["police", "ngo"])
    with engine.begin() as conn:
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        rows = {r.queue: r for r in conn.execute(select(_env).where(_env.c.tip_id == "t1"))}
        # relabel the ngo envelope as the police one (admin holds both keys)
        conn.execute(_env.delete().where(_env.c.id == rows["police"].id))
        relabel = _env.update().where(_env.c.id == rows["ngo"].id)
        conn.execute(relabel.values(queue="police", key_id=rows["police"].key_id))
        with pytest.raises(EnvelopeTamperedError):
            sealing.open_tip(conn, tip_id="t1", keys=admin)


def test_grant_tampering_is_caught(engine: Engine, server_secrets: ServerSecrets) -> None:
    from storage.tables import Grant

    grant_t = table_of(Grant)
    _setup(engine, server_secrets)
    _seal(engine, "t1", ["police"])
    with engine.begin() as conn:
        alice = _unlock(conn, server_secrets, "alice", ALICE_PW)
        bob = _unlock(conn, server_secrets, "bob", BOB_PW)
        admin = _unlock(conn, server_secrets, "admin", ADMIN_PW)
        key_id = keys.current_public_keys(conn, ["police"])[0][1]
        admin_grant = conn.execute(
            select(grant_t.c.wrapped).where(grant_t.c.staff_id == admin.staff_id, grant_t.c.key_id == key_id)
        ).scalar_one()
        # alice's grant replaced by admin's (sealed to admin): does not open for alice
        conn.execute(grant_t.update().where(grant_t.c.staff_id == alice.staff_id).values(wrapped=admin_grant))
        with pytest.raises(GrantTamperedError):
            sealing.open_tip(conn, tip_id="t1", keys=alice)
        # a forged grant row for bob carrying alice's wrapped key: does not open either
        conn.execute(grant_t.insert().values(staff_id=bob.staff_id, key_id=key_id, wrapped=admin_grant, created_at=NOW))
        with pytest.raises(GrantTamperedError):
            sealing.open_tip(conn, tip_id="t1", keys=bob)


def test_repr_hides_key_material(engine: Engine, server_secrets: ServerSecrets) -> None:
    with engine.begin() as conn:
        pair = keys.create_queue(conn, name="q", title="Q", now=NOW)
        assert pair.private.hex() not in repr(pair) and repr(pair.private) not in repr(pair)
        with pytest.raises(keys.DuplicateError):
            keys.create_queue(conn, name="q", title="Q", now=NOW)


def test_unlock_rewraps_under_new_kdf_cost(engine: Engine, server_secrets: ServerSecrets) -> None:
    from storage.crypto import KdfParams

    from storage.tables import Staff

    staff_t = table_of(Staff)
    stronger = KdfParams(time_cost=2, memory_cost_kib=2048, parallelism=1)
    _setup(engine, server_secrets)
    _seal(engine, "t1", ["police"])
    with engine.begin() as conn:
        keys.unlock(conn, username="alice", passphrase=ALICE_PW, secrets=server_secrets, kdf=stronger)
        spec = conn.execute(select(staff_t.c.kdf).where(staff_t.c.username == "alice")).scalar_one()
        assert spec.startswith("argon2id-hmac:t=2,m=2048,p=1:")
    with engine.begin() as conn:
        alice = keys.unlock(conn, username="alice", passphrase=ALICE_PW, secrets=server_secrets, kdf=stronger)
        opened = sealing.open_tip(conn, tip_id="t1", keys=alice)
        assert opened.payload == b"tip t1 v1" and b"tip t1" not in repr(opened).encode()
