"""The database's keyed fingerprint of the server secret.

Every host of a line must use the same server secret: a process with another one
would answer reporters as strangers, fail to open the audit log and fail every staff
login (the staff pepper is derived from the secret).  The database keeps an HMAC under
a key derived from the secret (never the secret, nor anything that opens data), so a
process can tell "this is not the secret this line was set up with" before it starts.
"""

from __future__ import annotations

import hmac
from enum import StrEnum

from sqlalchemy import Connection, select

from storage.crypto import CryptoError, ServerSecrets
from storage.purposes import Purpose
from storage.tables import ServerSecretCheck

_t = ServerSecretCheck.__table__  # type: ignore[attr-defined]
_LABEL = b"tipline server secret fingerprint v1"


class SecretCheck(StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    NONE_RECORDED = "none-recorded"


def fingerprint(secrets: ServerSecrets) -> bytes:
    return secrets.mac(Purpose.SECRET_CHECK, _LABEL)


def compare(conn: Connection, *, secrets: ServerSecrets) -> SecretCheck:
    """Whether ``secrets`` is the server secret this database recorded."""
    stored = conn.execute(select(_t.c.fingerprint).where(_t.c.id == 1)).scalar()
    if stored is None:
        return SecretCheck.NONE_RECORDED
    if hmac.compare_digest(bytes(stored), fingerprint(secrets)):
        return SecretCheck.MATCHES
    return SecretCheck.DIFFERS


def is_recorded(conn: Connection) -> bool:
    """True once a server secret has been recorded (whichever it is)."""
    return conn.execute(select(_t.c.id).where(_t.c.id == 1)).first() is not None


def record(conn: Connection, *, secrets: ServerSecrets, now: float) -> None:
    """Record ``secrets`` as this database's server secret; a no-op when one is recorded."""
    if not is_recorded(conn):
        conn.execute(_t.insert().values(id=1, fingerprint=fingerprint(secrets), created_at=now))


class SecretMismatchError(CryptoError):
    """The server secret is not the one this database was set up with; the message says what to do."""


def require_match(conn: Connection, *, secrets: ServerSecrets, secrets_dir: object) -> None:
    """Raise ``SecretMismatchError`` unless ``secrets`` is this database's recorded server secret."""
    result = compare(conn, secrets=secrets)
    if result is SecretCheck.NONE_RECORDED:
        raise SecretMismatchError("this database has no record of its server secret yet: run 'tipline init'")
    if result is SecretCheck.DIFFERS:
        raise SecretMismatchError(mismatch_message(secrets_dir))


def mismatch_message(secrets_dir: object) -> str:
    return (
        f"the server secret in {secrets_dir} is not the one this line's database was set up with. "
        "Every host of a line must use the same one: copy the secrets folder from the first host "
        "(server.key, mode 0600) and set TIPLINE_SECRETS_DIR to it. Nothing was changed."
    )
