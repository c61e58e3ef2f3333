"""Cryptographic building blocks (all from ``cryptography``).

- ``Box``: symmetric AEAD (ChaCha20-Poly1305) with a random nonce and a version byte.
- ``seal`` / ``open_sealed``: hybrid public-key sealing, X25519 + HKDF-SHA256 +
  ChaCha20-Poly1305, in a versioned envelope that names the recipient key.
- ``ServerSecrets``: the server's secrets, kept in a folder apart from the database,
  with one subkey per purpose derived by HKDF so that no two uses share a key.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.purposes import Purpose

_BOX_V1 = b"\x01"
_ENVELOPE_MAGIC = b"TLS1"
_NONCE = 12


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost.  Tests lower it; it is never turned off."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 1


class CryptoError(Exception):
    """Base class for the errors below; callers may catch this one."""


class DecryptionFailed(CryptoError):
    """Wrong key, or the ciphertext was altered."""


class SecretsMissing(CryptoError):
    """The server secrets folder is missing or incomplete; run ``tipline init``."""


def hkdf(key: bytes, info: bytes, length: int = 32, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


class Box:
    """AEAD under one 32-byte key.  Output: version byte, nonce, ciphertext+tag."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a Box key is 32 bytes")
        self._aead = ChaCha20Poly1305(key)

    def __repr__(self) -> str:
        return "Box(<key>)"

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE)
        return _BOX_V1 + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        if len(blob) < 1 + _NONCE + 16 or blob[:1] != _BOX_V1:
            raise DecryptionFailed("not a tipline box, or an unknown version")
        try:
            return self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
        except InvalidTag:
            raise DecryptionFailed("wrong key or altered ciphertext") from None


# --- X25519 key pairs and sealed envelopes -------------------------------------------


def new_keypair() -> tuple[bytes, bytes]:
    """Return (private, public) raw 32-byte X25519 keys."""
    private = X25519PrivateKey.generate()
    return _raw_private(private), _raw_public(private.public_key())


def _raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _seal_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return hkdf(shared, b"tipline seal v1", salt=ephemeral_public + recipient_public)


def seal(plaintext: bytes, *, recipient_public: bytes, key_id: str, context: bytes = b"") -> bytes:
    """Seal ``plaintext`` to one X25519 public key.

    Envelope: b"TLS1", key-id length (1 byte), key id (ASCII), ephemeral public key
    (32), nonce (12), ciphertext+tag.  The header and ``context`` are authenticated,
    so an envelope moved to another tip, version or key does not open.
    """
    kid = key_id.encode("ascii")
    if not 0 < len(kid) < 256:
        raise ValueError("key id must be 1-255 ASCII characters")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw_public(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    header = _ENVELOPE_MAGIC + bytes([len(kid)]) + kid + ephemeral_public
    nonce = os.urandom(_NONCE)
    aead = ChaCha20Poly1305(_seal_key(shared, ephemeral_public, recipient_public))
    return header + nonce + aead.encrypt(nonce, plaintext, header + context)


def envelope_key_id(envelope: bytes) -> str:
    """The key id an envelope names (raises DecryptionFailed if it is not an envelope)."""
    if envelope[:4] != _ENVELOPE_MAGIC or len(envelope) < 6:
        raise DecryptionFailed("not a tipline envelope, or an unknown version")
    n = envelope[4]
    return envelope[5 : 5 + n].decode("ascii", "replace")


def open_sealed(envelope: bytes, *, recipient_private: bytes, context: bytes = b"") -> bytes:
    """Open an envelope made by ``seal``; raises ``DecryptionFailed`` on any mismatch."""
    envelope_key_id(envelope)
    n = envelope[4]
    header_end = 5 + n + 32
    if len(envelope) < header_end + _NONCE + 16:
        raise DecryptionFailed("truncated envelope")
    header = envelope[:header_end]
    ephemeral_public = envelope[5 + n : header_end]
    private = X25519PrivateKey.from_private_bytes(recipient_private)
    recipient_public = _raw_public(private.public_key())
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        aead = ChaCha20Poly1305(_seal_key(shared, ephemeral_public, recipient_public))
        nonce = envelope[header_end : header_end + _NONCE]
        return aead.decrypt(nonce, envelope[header_end + _NONCE :], header + context)
    except (InvalidTag, ValueError):
        raise DecryptionFailed("wrong key or altered envelope") from None


# --- Server secrets -----------------------------------------------------------------

SECRET_FILE = "server.key"


@dataclass(frozen=True)
class ServerSecrets:
    """Subkeys derived from the one server secret.  Never printed: repr shows nothing."""

    master: bytes = field(repr=False)
    # Derived subkeys, kept: the hot path derives the lookup and inbound keys per message.
    _subkeys: dict[Purpose, bytes] = field(default_factory=dict, repr=False, compare=False)

    def subkey(self, purpose: Purpose) -> bytes:
        key = self._subkeys.get(purpose)
        if key is None:
            key = self._subkeys[purpose] = hkdf(self.master, b"tipline/" + purpose.encode())
        return key

    def box(self, purpose: Purpose) -> Box:
        return Box(self.subkey(purpose))

    def mac(self, purpose: Purpose, data: bytes) -> bytes:
        return hmac.new(self.subkey(purpose), data, sha256).digest()


def create_server_secrets(folder: Path) -> bool:
    """Create the secrets folder and server secret if missing.  Returns True if created."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / SECRET_FILE
    if path.exists():
        return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(32))
    return True


def load_server_secrets(folder: Path) -> ServerSecrets:
    path = folder / SECRET_FILE
    try:
        master = path.read_bytes()
    except FileNotFoundError:
        raise SecretsMissing(
            f"no server secret at {path}: run 'tipline init' (or set TIPLINE_SECRETS_DIR to the folder that holds it)"
        ) from None
    if len(master) != 32:
        raise SecretsMissing(f"{path} is not a 32-byte server secret; restore it from your backup")
    return ServerSecrets(master)


# --- Slow keyed hashing ---------------------------------------------------------------


class KdfFailed(CryptoError):
    """Argon2id refused its parameters."""


def peppered_argon2id(
    secret: bytes, *, pepper: bytes, salt: bytes, time_cost: int, memory_cost_kib: int, parallelism: int
) -> bytes:
    """Argon2id of HMAC-SHA256(pepper, secret): a 32-byte key or hash.

    argon2-cffi does not expose Argon2's own secret input, so the server pepper goes in
    through the HMAC: without the server secret nothing stored can be brute-forced.
    """
    from argon2.exceptions import HashingError
    from argon2.low_level import Type, hash_secret_raw

    peppered = hmac.new(pepper, secret, sha256).digest()
    try:
        return hash_secret_raw(
            secret=peppered, salt=salt, time_cost=time_cost, memory_cost=memory_cost_kib,
            parallelism=parallelism, hash_len=32, type=Type.ID,
        )
    except HashingError:
        raise KdfFailed("Argon2id refused its parameters") from None
