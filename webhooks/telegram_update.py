"""What one Telegram message said, as the engine reads it (issue 8, "What channels send besides text").

A message is read from python-telegram-bot's objects or, when PTB cannot parse the
update (Telegram's own guide examples lack ``from.is_bot``, old fixtures lack
``file_unique_id``), from the raw JSON: its text or caption and its private chat are
enough.  A location, venue or contact is never passed on, only its kind (it may be
the reporter's own position or a third party's number): the engine asks for the
place in words.  An edit is read as a new message, so nothing typed is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from telegram import Message

from bot.types import TELEGRAM, Hints, InboundMessage

# A venue carries a location too, so it is named first.
SHARED_KINDS = ("venue", "contact", "location")
MEDIA_KINDS = (
    "photo", "video", "document", "audio", "voice", "video_note", "sticker", "animation", "poll", "dice", "game",
    "story", "paid_media",
)
MAX_CALLBACK_ID = 256  # Telegram's ids are short digit strings; anything longer is not echoed back
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Said:
    """A private-chat message, reduced to what the line may read of it."""

    chat: str = field(repr=False)
    text: str | None = field(repr=False)
    caption: str | None = field(repr=False)
    kinds: frozenset[str]  # the non-text content it carries (photo, location, ...)
    message_id: int | None = field(repr=False)
    language_code: str | None = field(repr=False)


def split_start(text: str) -> tuple[str, str | None] | None:
    """("/start", payload) for a /start command (deep link), else None."""
    head, _, rest = text.strip().partition(" ")
    if head.split("@", 1)[0].lower() != "/start":
        return None
    payload = rest.strip()
    return "/start", (payload if _PAYLOAD.match(payload) else None)


def from_message(message: Message) -> Said | None:
    """What a parsed message said, or None outside a private chat."""
    if message.chat.type != "private":
        return None
    user = message.from_user
    return Said(
        chat=str(message.chat.id), text=message.text, caption=message.caption,
        kinds=frozenset(k for k in (*MEDIA_KINDS, *SHARED_KINDS) if getattr(message, k, None)),
        message_id=message.message_id, language_code=user.language_code if user else None,
    )


def from_raw(data: dict[str, Any]) -> tuple[Said, bool] | None:
    """(what the message said, whether it is an edit) from an update PTB could not parse.

    None when the update holds no message of a private chat.
    """
    for key, edited in (("message", False), ("edited_message", True)):
        message = data.get(key)
        if not isinstance(message, dict):
            continue
        chat = message.get("chat")
        if not isinstance(chat, dict) or chat.get("type") != "private" or not _is_int(chat.get("id")):
            return None
        user = message.get("from")
        lang = user.get("language_code") if isinstance(user, dict) else None
        said = Said(
            chat=str(chat["id"]), text=_str(message.get("text")), caption=_str(message.get("caption")),
            kinds=frozenset(k for k in (*MEDIA_KINDS, *SHARED_KINDS) if message.get(k)),
            message_id=message["message_id"] if _is_int(message.get("message_id")) else None,
            language_code=_str(lang),
        )
        return said, edited
    return None


def inbound(said: Said, *, provider_id: str, edited: bool, unread: bool = False) -> InboundMessage | None:
    """The engine's message for what was said, or None when there is nothing to answer.

    ``unread``: PTB could not parse the update, so a message with neither text nor a
    known kind is answered as one the line cannot read (it asks for text) instead of
    being taken for a service message.  An edit is read only for its words: a live
    location moving, or a picture replaced, is not a new message.
    """
    shared: str | None = None
    words: str | None = said.text
    media = False
    if said.text is None:
        shared = next((k for k in SHARED_KINDS if k in said.kinds), None)
        media, words = bool(said.kinds - set(SHARED_KINDS)) and not edited, said.caption
    if edited and not words:
        return None
    text, payload = words or "", None
    if shared is not None:
        text, media = "", False  # a shared place or contact is never kept, nor anything sent with it
    elif not media and not words:
        if not unread:
            return None  # a service message (pinned, joined, ...)
        media = True
    elif said.text is not None:
        start = split_start(said.text)
        if start is not None:
            text, payload = start
    return InboundMessage(
        channel=TELEGRAM, address=said.chat, text=text, provider_id=provider_id, start_payload=payload,
        has_media=media, shared=shared,
        # The edited message is already remembered for deletion on EXIT under its first delivery.
        message_ref=str(said.message_id) if said.message_id is not None and not edited else None,
        hints=Hints(language_code=language(said.language_code)),
    )


def callback_answer(data: dict[str, Any]) -> dict[str, Any] | None:
    """The ``answerCallbackQuery`` for any callback query in the raw update, whatever its shape.

    Read from the JSON, so a query PTB cannot parse (Telegram's guide example has no
    ``chat_instance``), or whose message is missing or inaccessible, stops its button
    spinning too.
    """
    query = data.get("callback_query")
    if not isinstance(query, dict):
        return None
    query_id = query.get("id")
    if not isinstance(query_id, str) or not 0 < len(query_id) <= MAX_CALLBACK_ID:
        return None
    return {"method": "answerCallbackQuery", "callback_query_id": query_id}


def language(code: str | None) -> str | None:
    if not code or len(code) > 16:
        return None
    return code.lower()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
