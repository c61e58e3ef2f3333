"""The link from a finished conversation to its tip, sealed under a key derived from the address.

The address itself is never stored, so the conversation row says which tip it made
only to someone who already knows the reporter's number (README, threat model).
"""

from __future__ import annotations

import base64

from storage.crypto import Box, DecryptionFailed, ServerSecrets, hkdf
from storage.purposes import Purpose

TIP_LINK = "tip_link"  # state.extra: the finished interview's tip id, sealed under an address-derived key


class TipLinks:
    def __init__(self, *, secrets: ServerSecrets) -> None:
        self._root = secrets.subkey(Purpose.TIP_LINK)

    def _box(self, channel: str, address: str) -> Box:
        return Box(hkdf(self._root, f"{channel}:{address}".encode()))

    def seal(self, tip_id: str, *, channel: str, address: str) -> str:
        """The tip id sealed for this address, as kept in the state (base64 text)."""
        return base64.b64encode(self._box(channel, address).encrypt(tip_id.encode())).decode()

    def open(self, blob: str, *, channel: str, address: str) -> str | None:
        """The tip id, or None when the blob is not this address's link (or is damaged)."""
        try:
            return self._box(channel, address).decrypt(base64.b64decode(blob)).decode()
        except (DecryptionFailed, ValueError):
            return None
