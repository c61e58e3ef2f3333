"""The link from a finished conversation to its tip, sealed under a key of the address and the epoch.

The address itself is never stored, so the conversation row says which tip it made only to
someone who already knows the reporter's number (README, threat model); and the key comes
from the TIP_LINK epoch key (day epochs, ``storage.epochs``), so once the follow-up window
has passed nobody, the line included, can open the link even with the number.

A link is ``0x02 | tag | epoch | Box blob`` in base64 (the epoch blob layout), under
``HMAC(TIP_LINK key of that epoch, "channel:address")``.  Links written before this change
(a Box blob under a key derived from the server secret) still open during the transition:
they live only in conversations, which are purged after the follow-up window.
"""

from __future__ import annotations

import base64
import hmac
import struct
from hashlib import sha256

from storage.crypto import Box, DecryptionFailed, ServerSecrets, hkdf
from storage.epochs import TAGS, EpochDestroyed, EpochKeys, peek
from storage.purposes import Purpose

TIP_LINK = "tip_link"  # state.extra: the finished interview's tip id, sealed under an address-derived key
_HEAD = struct.Struct(">BBI")  # as storage.epochs writes it: magic, purpose tag, epoch


class TipLinks:
    def __init__(self, *, epochs: EpochKeys, secrets: ServerSecrets | None = None) -> None:
        self._epochs = epochs
        # Links written before the epoch keys (read only, for the transition).
        self._legacy_root = secrets.subkey(Purpose.TIP_LINK) if secrets is not None else None

    @staticmethod
    def _info(channel: str, address: str) -> bytes:
        return f"{channel}:{address}".encode()

    def seal(self, tip_id: str, *, channel: str, address: str) -> str:
        """The tip id sealed for this address, as kept in the state (base64 text)."""
        epoch, key = self._epochs.derived(Purpose.TIP_LINK, self._info(channel, address))
        blob = _HEAD.pack(0x02, TAGS[Purpose.TIP_LINK], epoch) + Box(key).encrypt(tip_id.encode())
        return base64.b64encode(blob).decode()

    def open(self, blob: str, *, channel: str, address: str) -> str | None:
        """The tip id, or None when the blob is not this address's link, is damaged, or its epoch is gone."""
        try:
            raw = base64.b64decode(blob)
            sealed = peek(raw)
            if sealed is not None and sealed.purpose is Purpose.TIP_LINK:
                return open_under(self._epochs.ratchet(Purpose.TIP_LINK).key(sealed.epoch), blob,
                                  channel=channel, address=address)
            if sealed is None and self._legacy_root is not None:
                return open_legacy(self._legacy_root, blob, channel=channel, address=address)
            return None
        except (DecryptionFailed, EpochDestroyed, ValueError):
            return None


def open_under(epoch_key: bytes, blob: str, *, channel: str, address: str) -> str | None:
    """A link opened with one TIP_LINK epoch key (what ``EpochKeys.derived_at`` derives from it);
    None when it is not that key's.  (The theft drill tries every key a copied folder derives.)"""
    try:
        raw = base64.b64decode(blob)
        key = hmac.new(epoch_key, TipLinks._info(channel, address), sha256).digest()
        return Box(key).decrypt(raw[_HEAD.size:]).decode()
    except (DecryptionFailed, ValueError):
        return None


def open_legacy(root: bytes, blob: str, *, channel: str, address: str) -> str | None:
    """A link written before the epoch keys, under the server's TIP_LINK subkey ``root``."""
    try:
        return Box(hkdf(root, TipLinks._info(channel, address))).decrypt(base64.b64decode(blob)).decode()
    except (DecryptionFailed, ValueError):
        return None
