"""The error family of the key management (``storage.keys``): never carries passphrases or key material."""

from __future__ import annotations


class KeyManagementError(Exception):
    """Base class for the errors of this module."""


class WrongPassphraseError(KeyManagementError):
    """The passphrase does not unlock this staff member's key."""


class WeakPassphraseError(KeyManagementError):
    """The new passphrase is empty or too short."""


class UnknownStaffError(KeyManagementError):
    """No staff member with that username or id."""


class UnknownQueueError(KeyManagementError):
    """No queue with that name (or it has no current key)."""


class DuplicateError(KeyManagementError):
    """A queue or staff member with that name already exists."""


class NotGrantedError(KeyManagementError):
    """The staff member holds no key for that queue key version."""


class NotAdminError(KeyManagementError):
    """The action needs an administrator."""


class GrantTamperedError(KeyManagementError):
    """A stored grant does not open with the member's key: it was altered or moved."""


class LastHolderError(KeyManagementError):
    """Revoking would leave a queue key held by nobody: the tips sealed to it could never open."""
