"""The rota key's private half: a file in the console's secrets folder, on the staff side only.

The public app never loads this module (tests/oncall): it seals chat ids with the public
half from the database and cannot open an address.  ``tipline init`` creates the pair
once; an install whose database already has a rota key never makes a new one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Connection

from storage.crypto import CryptoError, new_keypair, open_sealed
from storage.oncall import RotaKey, address_context, record_rota_key, rota_key

ROTA_KEY_FILE = "oncall-rota.key"


class RotaKeyMissing(CryptoError):
    """The console secrets folder holds no rota key; the message says what to do."""


@dataclass(frozen=True)
class RotaOpener:
    """Opens rota addresses.  Never printed: repr shows nothing."""

    private: bytes = field(repr=False)

    def matches(self, key: RotaKey) -> bool:
        private = X25519PrivateKey.from_private_bytes(self.private)
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return public == key.public_key

    def address(self, *, member_id: str, sealed: bytes) -> str:
        return open_sealed(sealed, recipient_private=self.private, context=address_context(member_id)).decode()


def ensure_rota_key(conn: Connection, folder: Path, *, now: float) -> RotaKey | None:
    """Create the rota key pair when the database has none (private half to ``folder``); the new key or None."""
    if rota_key(conn) is not None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    private, public = new_keypair()
    path = folder / ROTA_KEY_FILE
    # No address was ever sealed to a key the database does not name: a stale file is replaced.
    tmp = folder / (ROTA_KEY_FILE + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return record_rota_key(conn, public_key=public, now=now)


def load_rota_opener(folder: Path) -> RotaOpener:
    path = folder / ROTA_KEY_FILE
    try:
        private = path.read_bytes()
    except FileNotFoundError:
        raise RotaKeyMissing(
            f"no rota key at {path}: set TIPLINE_CONSOLE_SECRETS_DIR to the staff host's console secrets "
            "folder (created by 'tipline init'), or restore it from your backup"
        ) from None
    if len(private) != 32:
        raise RotaKeyMissing(f"{path} is not a 32-byte rota key; restore it from your backup")
    return RotaOpener(private)


def check_rota_opener(conn: Connection, opener: RotaOpener, folder: Path) -> None:
    """Refuse a rota key file that is not the one the database's addresses are sealed to."""
    key = rota_key(conn)
    if key is None or not opener.matches(key):
        raise RotaKeyMissing(
            f"the rota key in {folder} is not this database's: point TIPLINE_CONSOLE_SECRETS_DIR at the "
            "folder 'tipline init' wrote for this install, or restore it from your backup"
        )
