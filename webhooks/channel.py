"""The channel interface: one method, in the shape of an httpx transport.

The delivery loop (``webhooks.sender``) hands a channel one ``Delivery`` at a time
and gets a ``Result`` back; a channel never opens a transaction and never raises
for a provider's refusal (it says so in the result).  One implementation per
provider: ``telegram_channel.TelegramChannel``, ``twilio_channel.TwilioChannel``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.types import OutboxMessage


class DeliveryOutcome(StrEnum):
    OK = "ok"  # delivered (or nothing left to do)
    RETRY = "retry"  # may succeed later: retried with back-off, dead after the maximum attempts
    DEAD = "dead"  # can never succeed: dead-lettered at once
    OPTED_OUT = "opted_out"  # the carrier says the address opted out: nothing more is sent to it


@dataclass(frozen=True)
class Delivery:
    """One queued message, opened for delivery to ``address`` on ``channel``."""

    item_id: int
    conversation_id: str
    channel: str
    attempts: int  # failed attempts so far
    address: str = field(repr=False)
    message: OutboxMessage = field(repr=False)
    # The conversation's remembered message refs, oldest first (history deletion on EXIT).
    history: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Result:
    outcome: DeliveryOutcome
    error: str = ""  # short and opaque (e.g. "telegram 429"): it is stored and logged
    retry_after: float | None = None  # the provider asked for a pause of the whole channel
    history_ref: str | None = field(default=None, repr=False)  # remember: deletable on EXIT
    provider_copy: str | None = field(default=None, repr=False)  # a provider message id to delete later
    history_cleared: bool = False  # the remembered history is gone: forget it


OK = Result(DeliveryOutcome.OK)


class Channel(Protocol):
    def deliver(self, work: Delivery) -> Result: ...
