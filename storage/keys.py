"""Queues, staff and their keys (GlobaLeaks-style key management): the one name callers import.

- Every queue has X25519 key versions (``QueueKey``); exactly one is current
  (``retired_at`` is NULL), retired ones are kept so old tips still open.
- Every staff member has an X25519 key pair.  The private key is wrapped by a
  ``Box`` whose key is Argon2id(HMAC-SHA256(pepper, passphrase), random salt):
  argon2-cffi does not expose Argon2's own secret (K) input, so the server pepper
  (``secrets.subkey(Purpose.STAFF_PEPPER)``) is mixed in by HMAC-ing the passphrase
  first.  A copy of the database without the server secret cannot even start a
  passphrase guess; the server secret without a passphrase opens nothing.
- A queue private key is never stored unwrapped: each member holding it has a
  ``Grant`` row, the key sealed (``crypto.seal``) to the member's public key with a
  context binding the staff id and the key id.

Errors never carry passphrases or key material.  The code lives by concern in
``storage.key_errors`` (the error family), ``storage.staff_accounts`` (members, passphrases,
unlocking), ``storage.queue_keys`` (queues, their keys and grants) and ``storage.key_rotation``
(rotating a queue, resetting a member); this module re-exports their public names.
"""

from __future__ import annotations

from storage.key_errors import (
    DuplicateError, GrantTamperedError, KeyManagementError, LastHolderError, NotAdminError, NotGrantedError,
    UnknownQueueError, UnknownStaffError, WeakPassphraseError, WrongPassphraseError,
)
from storage.key_rotation import reset_member, rotate
from storage.queue_keys import (
    QueueKeyPair, create_queue, current_public_keys, grant, grant_new_queue, list_queues, member_queues,
    queue_of_key, revoke,
)
from storage.staff_accounts import (
    MIN_PASSPHRASE_CHARS, StaffInfo, StaffKeys, add_staff, change_passphrase, check_passphrase, list_staff, staff_id_of,
    unlock,
)

__all__ = [
    "KeyManagementError", "WrongPassphraseError", "WeakPassphraseError", "UnknownStaffError",
    "UnknownQueueError", "DuplicateError", "NotGrantedError", "NotAdminError", "GrantTamperedError", "LastHolderError",
    "QueueKeyPair", "StaffInfo", "StaffKeys", "create_queue", "grant_new_queue", "current_public_keys",
    "queue_of_key", "list_queues", "add_staff", "unlock", "change_passphrase", "reset_member",
    "list_staff", "staff_id_of", "member_queues", "grant", "revoke", "rotate", "MIN_PASSPHRASE_CHARS",
    "check_passphrase",
]
