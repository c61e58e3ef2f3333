"""A conversation's state sealed under epoch keys that die on schedule (issue 9, finding 1).

Two lifetimes:

- an interview in progress is sealed under ``Purpose.CONVERSATION_STATE`` (hour epochs),
  re-sealed on every save, so the copy an old WAL frame or dead row keeps dies with its hour
  (the window covers the idle timeout plus a few hours' grace for a worker that was down);
- what a finished, ended or expired interview keeps for the follow-up window (the language,
  the tip link, the option answers that steer a resumed interview) is sealed under
  ``Purpose.FOLLOWUP_STATE`` (day epochs) and dies with that window.

A blob names its purpose and epoch, so ``open`` needs no hint.  A blob whose epoch is gone
raises ``EpochDestroyed``: the caller treats it as lost (``storage.conversations``).

Transition: a state written before this change is a plain ``Box`` blob under the server key;
it still opens (read only) until the conversation is saved again or purged, so an upgrade
loses no interview in progress.  New writes never use the server key.
"""

from __future__ import annotations

import json
from typing import Any

from storage.crypto import Box
from storage.epochs import EpochDestroyed, EpochKeys, peek
from storage.purposes import Purpose

__all__ = ["EpochDestroyed", "StateBoxes"]

# Built once: ``json.dumps(state, separators=(",", ":"))`` makes a new encoder on every call.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


class StateBoxes:
    """Seal and open conversation states under the running or the resting purpose."""

    def __init__(self, epochs: EpochKeys, *, legacy: Box | None = None) -> None:
        self._running = epochs.box(Purpose.CONVERSATION_STATE)
        self._resting = epochs.box(Purpose.FOLLOWUP_STATE)
        self._legacy = legacy

    def seal(self, conv_id: str, state: dict[str, Any], *, resting: bool) -> bytes:
        """``resting``: the interview is over and the state holds only what the follow-up window needs."""
        box = self._resting if resting else self._running
        return box.encrypt(_ENCODE(state).encode(), conv_id.encode())

    def open(self, conv_id: str, blob: bytes) -> dict[str, Any]:
        """The state; EpochDestroyed when its epoch is gone, DecryptionFailed when altered."""
        sealed = peek(blob)
        if sealed is None and self._legacy is not None:
            data = self._legacy.decrypt(blob, conv_id.encode())
        elif sealed is not None and sealed.purpose is Purpose.FOLLOWUP_STATE:
            data = self._resting.decrypt(blob, conv_id.encode())
        else:
            data = self._running.decrypt(blob, conv_id.encode())
        value = json.loads(data)
        assert isinstance(value, dict)
        return value
