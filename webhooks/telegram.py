"""POST /webhooks/telegram: secret-token check, python-telegram-bot parsing, intake, 200.

Telegram retries any non-2xx answer and, in the open-source Bot API server, holds
every later update of the same chat meanwhile; so an update the line cannot parse
or does not handle is answered 200 (and logged as an opaque event).  Only a
database outage answers 503, so that the update comes again.  Replies go through
the outbox (``inline=False``); a button press is answered in the HTTP response
body (``answerCallbackQuery``), with no API call on the hot path.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any, Callable

from flask import Blueprint, Response, request
from sqlalchemy.exc import DBAPIError
from telegram import Update
from werkzeug.exceptions import RequestEntityTooLarge

from bot.types import TELEGRAM, Hints, InboundMessage
from triage.intake import IntakeService
from webhooks.responses import database_unavailable, ok_json, plain

log = logging.getLogger(__name__)

PATH = "/webhooks/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
# Button data that matches no step: the engine answers it by showing where the
# reporter is ("stale or forged"), which is the one short reply for an update the
# line does not read (an edit, a payload PTB cannot parse).
RESHOW = "-"
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MEDIA = (
    "photo", "video", "document", "audio", "voice", "video_note", "sticker", "animation", "contact",
    "location", "venue", "poll", "dice", "game", "story", "paid_media",
)


def split_start(text: str) -> tuple[str, str | None] | None:
    """("/start", payload) for a /start command (deep link), else None."""
    head, _, rest = text.strip().partition(" ")
    if head.split("@", 1)[0].lower() != "/start":
        return None
    payload = rest.strip()
    return "/start", (payload if _PAYLOAD.match(payload) else None)


class TelegramEdge:
    def __init__(self, *, intake: IntakeService, secret: str, wake: Callable[[], None]) -> None:
        self.secret = secret.encode()
        self.intake = intake
        self.wake = wake  # the sender delivers queued replies at once

    def webhook(self) -> Response:
        given = request.headers.get(HEADER)
        if given is None or not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret):
            return plain(403, "forbidden")
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
        if not isinstance(data, dict):
            log.warning("telegram update ignored: not an object")
            return ok_json()
        try:
            return self._handle(data)
        except DBAPIError:
            return database_unavailable("telegram webhook")
        except Exception as exc:  # never a 5xx for a bad update: Telegram would hold the chat
            log.error("telegram update failed", extra={"error": type(exc).__name__})
            return ok_json()

    # -- dispatch ------------------------------------------------------------------

    def _handle(self, data: dict[str, Any]) -> Response:
        update_id = data.get("update_id")
        provider_id = str(update_id) if isinstance(update_id, int) and not isinstance(update_id, bool) else None
        try:
            update = Update.de_json(data, None)
        except Exception:  # PTB raises TypeError/KeyError/ValueError on missing or odd fields
            log.info("telegram update unparseable")
            chat = _private_chat_from_raw(data)
            if chat is not None and provider_id is not None:
                self._reshow(chat, provider_id, None)
            return ok_json()
        if provider_id is None:
            return ok_json()
        if update.callback_query is not None:
            return self._callback(update, provider_id)
        if update.message is not None:
            return self._message(update, provider_id)
        if update.edited_message is not None:
            message = update.edited_message
            if message.chat.type == "private":
                lang = message.from_user.language_code if message.from_user else None
                self._reshow(str(message.chat.id), provider_id, lang)
            return ok_json()
        log.debug("telegram update ignored: type not handled")
        return ok_json()

    def _message(self, update: Update, provider_id: str) -> Response:
        message = update.message
        assert message is not None
        if message.chat.type != "private":
            log.info("telegram update ignored: not a private chat")
            return ok_json()
        user = message.from_user
        lang = user.language_code if user else None
        text = message.text if message.text is not None else (message.caption or "")
        media = message.text is None and any(getattr(message, name, None) for name in _MEDIA)
        if message.text is None and not media and not message.caption:
            log.debug("telegram update ignored: service message")
            return ok_json()
        payload = None
        if message.text is not None:
            start = split_start(message.text)
            if start is not None:
                text, payload = start
        msg = InboundMessage(
            channel=TELEGRAM, address=str(message.chat.id), text=text, provider_id=provider_id,
            start_payload=payload, has_media=media, message_ref=str(message.message_id),
            hints=Hints(language_code=_lang(lang)),
        )
        self._intake(msg)
        return ok_json()

    def _callback(self, update: Update, provider_id: str) -> Response:
        query = update.callback_query
        assert query is not None
        answer = {"method": "answerCallbackQuery", "callback_query_id": query.id}
        message = query.message
        if message is None or query.data is None or message.chat.type != "private":
            return ok_json(answer)
        msg = InboundMessage(
            channel=TELEGRAM, address=str(message.chat.id), text="", provider_id=provider_id,
            button=query.data[:64], message_ref=str(message.message_id),  # the keyboard's message
            hints=Hints(language_code=_lang(query.from_user.language_code)),
        )
        self._intake(msg)
        return ok_json(answer)

    def _reshow(self, chat: str, provider_id: str, lang: str | None) -> None:
        msg = InboundMessage(
            channel=TELEGRAM, address=chat, text="", provider_id=provider_id, button=RESHOW,
            hints=Hints(language_code=_lang(lang)),
        )
        self._intake(msg)

    def _intake(self, msg: InboundMessage) -> None:
        handled = self.intake.handle(msg, inline=False)
        if not handled.duplicate:
            self.wake()


def _lang(code: str | None) -> str | None:
    if not code or len(code) > 16:
        return None
    return code.lower()


def _private_chat_from_raw(data: dict[str, Any]) -> str | None:
    """The chat id of a private-chat message PTB could not parse, if the raw update names one."""
    for key in ("message", "edited_message"):
        message = data.get(key)
        if isinstance(message, dict):
            chat = message.get("chat")
            if isinstance(chat, dict) and chat.get("type") == "private":
                chat_id = chat.get("id")
                if isinstance(chat_id, int) and not isinstance(chat_id, bool):
                    return str(chat_id)
    return None


def blueprint(*, intake: IntakeService, secret: str, wake: Callable[[], None]) -> Blueprint:
    """The Telegram endpoint, checked against the webhook ``secret``; ``wake`` is called after replies are queued."""
    edge = TelegramEdge(intake=intake, secret=secret, wake=wake)
    bp = Blueprint("telegram", __name__)
    bp.add_url_rule(PATH, "webhook", edge.webhook, methods=["POST"])
    return bp
