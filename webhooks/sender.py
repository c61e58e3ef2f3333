"""The outbox sender (filled in by the channels issue): delivers queued replies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tipline.runtime import Runtime


class Sender(Protocol):
    def run_once(self) -> int: ...
    def close(self) -> None: ...


def make_sender(runtime: "Runtime") -> Sender | None:
    """A sender for the configured channels, or None when no channel needs one."""
    return None
