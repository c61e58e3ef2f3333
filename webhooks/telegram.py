"""POST /webhooks/telegram: secret-token check, python-telegram-bot parsing, intake, 200.

Telegram retries any non-2xx answer and, in the open-source Bot API server, holds
every later update of the same chat meanwhile; so an update the line cannot parse
or does not handle is answered 200 (and logged as an opaque event).  A database
outage keeps the message in the local spool and answers 200 (``webhooks.spooling``), with the
emergency reply in the body when the message holds emergency words (INTAKE decision 12); only
when it cannot be kept (no spool, or a full one) is it answered 503, so that the update comes
again.  Replies go through
the outbox (``inline=False``); a button press is answered in the HTTP response
body (``answerCallbackQuery``), with no API call on the hot path, for every
callback query whatever its shape.  What a message said is read in
``telegram_update`` (from PTB's objects, or from the raw JSON when PTB cannot
parse it); an edit is read as a new message.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Callable

from flask import Blueprint, Response, request
from sqlalchemy.exc import DBAPIError
from telegram import Update
from werkzeug.exceptions import RequestEntityTooLarge

from bot.types import TELEGRAM, Hints, InboundMessage
from triage.intake import IntakeService
from triage.oncall_enrol import OncallEnrol
from webhooks import probe, telegram_update
from webhooks.responses import database_unavailable, ok_json, plain
from webhooks.spooling import Keep

log = logging.getLogger(__name__)

PATH = "/webhooks/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


class TelegramEdge:
    def __init__(self, *, intake: IntakeService, secret: str, wake: Callable[[], None],
                 enrol: OncallEnrol | None = None, spool: Keep | None = None) -> None:
        self.secret = secret.encode()
        self.spool = spool  # keeps an update's message while the database is away (webhooks.spooling)
        self.intake = intake
        self.wake = wake  # the sender delivers queued replies at once
        self.enrol = enrol  # on-call staff enrolling a chat (/start oc_<token>): never a reporter

    def webhook(self) -> Response:
        given = request.headers.get(HEADER)
        if given is None or not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret):
            return plain(403, "forbidden")
        if (nonce := request.headers.get(probe.HEADER)) is not None:  # tipline doctor's round trip
            return probe.answer(nonce)
        request.max_content_length = MAX_BODY
        try:
            raw = request.get_data(cache=False)
        except RequestEntityTooLarge:
            log.warning("telegram update ignored: too large")
            return ok_json()
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            log.warning("telegram update ignored: not JSON")
            return ok_json()
        except RecursionError:  # e.g. {"a": nested 100,000 deep: json's C parser stops at the recursion limit
            log.warning("telegram update ignored: nested too deep")
            return ok_json()
        if not isinstance(data, dict):
            log.warning("telegram update ignored: not an object")
            return ok_json()
        try:
            return self._handle(data)
        except DBAPIError:
            return database_unavailable("telegram webhook")
        except Exception as exc:  # never a 5xx for a bad update: Telegram would hold the chat
            log.error("telegram update failed", extra={"error": type(exc).__name__})
            return ok_json(telegram_update.callback_answer(data))  # the button stops spinning all the same

    # -- dispatch ------------------------------------------------------------------

    def _handle(self, data: dict[str, Any]) -> Response:
        update_id = data.get("update_id")
        provider_id = str(update_id) if isinstance(update_id, int) and not isinstance(update_id, bool) else None
        try:
            update = Update.de_json(data, None)
        except Exception:  # PTB raises TypeError/KeyError/ValueError on missing or odd fields
            log.info("telegram update unparseable")
            raw = telegram_update.from_raw(data)
            if raw is not None and provider_id is not None:
                said, edited = raw
                self._intake(telegram_update.inbound(said, provider_id=provider_id, edited=edited, unread=True))
            return ok_json(telegram_update.callback_answer(data))
        if provider_id is None:
            return ok_json(telegram_update.callback_answer(data))
        if update.callback_query is not None:
            return self._callback(update, provider_id, data)
        for message, edited in ((update.message, False), (update.edited_message, True)):
            if message is not None:
                read = telegram_update.from_message(message)
                if read is None:
                    log.info("telegram update ignored: not a private chat")
                elif not edited and (answer := self._enrolment(read)) is not None:
                    return ok_json(answer)
                else:
                    return ok_json(self._intake(telegram_update.inbound(read, provider_id=provider_id, edited=edited)))
                return ok_json()
        log.debug("telegram update ignored: type not handled")
        return ok_json()

    def _enrolment(self, read: telegram_update.Said) -> dict[str, Any] | None:
        """The answer to an on-call enrolment link, sent in the response body (no chat id is kept)."""
        start = telegram_update.split_start(read.text or "")
        if self.enrol is None or start is None or not self.enrol.is_enrolment(start[1]):
            return None
        text = self.enrol.enrol(read.chat, str(start[1]))
        return {"method": "sendMessage", "chat_id": int(read.chat), "text": text, "protect_content": True}

    def _callback(self, update: Update, provider_id: str, data: dict[str, Any]) -> Response:
        query = update.callback_query
        assert query is not None
        answer = telegram_update.callback_answer(data)
        message = query.message  # None, or an inaccessible message, for old keyboards
        if message is None or query.data is None or message.chat.type != "private":
            return ok_json(answer)
        msg = InboundMessage(
            channel=TELEGRAM, address=str(message.chat.id), text="", provider_id=provider_id,
            button=query.data[:64], message_ref=str(message.message_id),  # the keyboard's message
            hints=Hints(language_code=telegram_update.language(query.from_user.language_code)),
        )
        self._intake(msg)
        return ok_json(answer)

    def _intake(self, msg: InboundMessage | None) -> dict[str, Any] | None:
        """Hand ``msg`` to the intake; what to answer in the response body (a spooled message's
        emergency reply), or None."""
        if msg is None:
            log.debug("telegram update ignored: nothing to read")
            return None
        if self.spool is not None and self.spool.holds(msg) and self.spool(msg):
            return self._spooled(msg)  # behind the chat's messages kept during an outage, in order
        try:
            handled = self.intake.handle(msg, inline=False)
        except DBAPIError:
            if self.spool is None or not self.spool(msg):
                raise  # answered 503: Telegram redelivers the update
            return self._spooled(msg)  # kept: the replies follow from the spool
        if not handled.duplicate:
            self.wake()
        return None

    def _spooled(self, msg: InboundMessage) -> dict[str, Any] | None:
        """Kept in the spool: nothing to say now, unless it holds emergency words, which bring the
        emergency number at once (INTAKE decision 12) in the response body (no outbox needed)."""
        notice = self.intake.emergency_notice(msg.text or "")
        if notice is None or not msg.address.lstrip("-").isdigit():
            return None
        return {"method": "sendMessage", "chat_id": int(msg.address), "text": notice}


def blueprint(*, intake: IntakeService, secret: str, wake: Callable[[], None],
              enrol: OncallEnrol | None = None, spool: Keep | None = None) -> Blueprint:
    """The Telegram endpoint, checked against the webhook ``secret``; ``wake`` is called after replies are queued."""
    edge = TelegramEdge(intake=intake, secret=secret, wake=wake, enrol=enrol, spool=spool)
    bp = Blueprint("telegram", __name__)
    bp.add_url_rule(PATH, "webhook", edge.webhook, methods=["POST"])
    return bp
