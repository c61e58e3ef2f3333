"""Delivery over Twilio: SMS and WhatsApp from the line's number.

Twilio's error 21610 means the carrier holds an opt-out for the number: nothing more
goes to it.  A 429 (or 20429) pauses the channel (SMS and WhatsApp share one
account) for a back-off (``storage.backoff``); 5xx, 401/403/408 and connection
errors are retried; any other refusal can never succeed.
"""

from __future__ import annotations

from typing import Any, Callable

from twilio.base.exceptions import TwilioRestException

from bot.types import WHATSAPP, OutboxAction
from storage.backoff import backoff
from webhooks.channel import OK, Delivery, DeliveryOutcome, Result

OPTED_OUT = 21610  # the carrier holds an opt-out for the number (status callbacks too)
RATE_LIMITED = 20429
PAUSE_BASE = 2.0
PAUSE_CAP = 60.0
_RETRIED = frozenset({401, 403, 408})


class TwilioChannel:
    def __init__(self, client: Callable[[], Any], *, sender: str) -> None:
        self._client = client  # built on first use, in the process that delivers
        self._sender = sender

    def deliver(self, work: Delivery) -> Result:
        if work.message.action is OutboxAction.DELETE_HISTORY:
            return OK  # carriers keep no chat the line could delete
        sender = self._sender
        if work.channel == WHATSAPP and not sender.startswith("whatsapp:"):
            sender = "whatsapp:" + sender
        try:
            message = self._client().messages.create(to=work.address, from_=sender, body=work.message.text)
        except TwilioRestException as exc:
            return _refused(exc, work.attempts)
        except Exception as exc:  # connection errors, timeouts
            return Result(DeliveryOutcome.RETRY, f"twilio {type(exc).__name__}")
        return Result(DeliveryOutcome.OK, provider_copy=str(message.sid))


def _refused(exc: TwilioRestException, attempts: int) -> Result:
    if exc.code == OPTED_OUT:
        return Result(DeliveryOutcome.OPTED_OUT, "twilio 21610")
    if exc.status == 429 or exc.code == RATE_LIMITED:
        pause = backoff(attempts + 1, base=PAUSE_BASE, cap=PAUSE_CAP)
        return Result(DeliveryOutcome.RETRY, "twilio 429", retry_after=pause)
    if exc.status >= 500 or exc.status in _RETRIED:
        return Result(DeliveryOutcome.RETRY, f"twilio {exc.status}")
    return Result(DeliveryOutcome.DEAD, f"twilio {exc.status} {exc.code or ''}".strip())
