"""Delivery to Telegram: send a message, edit a checklist's keyboard in place, delete a chat on EXIT.

Each item is one coroutine on the Bot's loop (``clients.BotLoop``); every Bot API
call has its own timeout, so one slow call fails alone.  Telegram's flood control
(``RetryAfter``) pauses the channel for as long as Telegram asks.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.types import OutboxAction, OutboxMessage
from webhooks.channel import OK, Delivery, DeliveryOutcome, Result
from webhooks.clients import BotLoop

log = logging.getLogger(__name__)

BOT_MARK = "b:"  # history refs of the bot's own messages (the reporter's carry no mark)
DELETE_CHUNK = 100  # deleteMessages takes 1-100 ids
ONE_CALL_TIMEOUT = 20.0
DEFAULT_RETRY_AFTER = 5.0


class TelegramChannel:
    def __init__(self, bot_loop: Callable[[], BotLoop]) -> None:
        self._loop = bot_loop  # built on first use, in the process that delivers

    def deliver(self, work: Delivery) -> Result:
        ids = _ids_to_delete(work.history) if work.message.action is OutboxAction.DELETE_HISTORY else []
        # The outer bound sits above the longest item: an EXIT takes one call per 100
        # messages, an edit may fall back to a send.
        calls = max(2, -(-len(ids) // DELETE_CHUNK))
        loop = self._loop()
        try:
            return loop.call(self._one(loop.bot, work, ids), timeout=ONE_CALL_TIMEOUT * calls + 10)
        except Exception as exc:  # timed out as a whole: the outcome is unknown, so retried (at least once)
            return Result(DeliveryOutcome.RETRY, type(exc).__name__)

    async def _one(self, bot: Bot, work: Delivery, ids: list[int]) -> Result:
        chat_id = int(work.address)
        try:
            if work.message.action is OutboxAction.DELETE_HISTORY:
                await _delete(bot, chat_id, ids)
                return Result(DeliveryOutcome.OK, history_cleared=True)
            return await _send(bot, chat_id, work.message)
        except RetryAfter as exc:
            return Result(DeliveryOutcome.RETRY, "telegram 429", retry_after=retry_after_seconds(exc))
        except Forbidden:  # the reporter blocked the bot or deleted the chat
            return Result(DeliveryOutcome.DEAD, "telegram forbidden")
        except BadRequest:
            return Result(DeliveryOutcome.DEAD, "telegram bad request")
        except TelegramError as exc:  # NetworkError, TimedOut, server errors
            return Result(DeliveryOutcome.RETRY, f"telegram {type(exc).__name__}")
        except Exception as exc:
            return Result(DeliveryOutcome.RETRY, type(exc).__name__)


async def _delete(bot: Bot, chat_id: int, ids: list[int]) -> None:
    for start in range(0, len(ids), DELETE_CHUNK):
        try:
            await asyncio.wait_for(bot.delete_messages(chat_id=chat_id, message_ids=ids[start:start + DELETE_CHUNK]),
                                   ONE_CALL_TIMEOUT)
        except BadRequest:  # too old or already gone: deletion is best effort
            log.info("telegram deletion refused")


async def _send(bot: Bot, chat_id: int, message: OutboxMessage) -> Result:
    markup = _keyboard(message)
    if message.edit:
        # A tick on the current checklist: the same question, new marks on its keyboard.
        # Only the keyboard changes, so a notice sent with the question stays in place.
        try:
            await asyncio.wait_for(
                bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(message.edit), reply_markup=markup),
                ONE_CALL_TIMEOUT,
            )
            return OK
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return OK
            # Too old or deleted: send the question afresh below.
    sent = await asyncio.wait_for(
        bot.send_message(chat_id=chat_id, text=message.text, reply_markup=markup, protect_content=True,
                         parse_mode=ParseMode.HTML if message.html else None),
        ONE_CALL_TIMEOUT,
    )
    return Result(DeliveryOutcome.OK, history_ref=BOT_MARK + str(sent.message_id))


def _keyboard(message: OutboxMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in message.buttons]
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's wait, in seconds.

    PTB 22 returns an int (with a deprecation warning) unless ``PTB_TIMEDELTA`` opts in
    to the coming ``timedelta``; the composition root opts in, and either type is read.
    """
    value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(1.0, seconds) if seconds > 0 else DEFAULT_RETRY_AFTER


def _ids_to_delete(refs: tuple[str, ...]) -> list[int]:
    """Every remembered message id except the bot's last one (the EXIT reply, which says what is left to do)."""
    last_bot = None
    for i, ref in enumerate(refs):
        if ref.startswith(BOT_MARK):
            last_bot = i
    ids = []
    for i, ref in enumerate(refs):
        if i == last_bot:
            continue
        raw = ref[len(BOT_MARK):] if ref.startswith(BOT_MARK) else ref
        if raw.lstrip("-").isdigit():
            ids.append(int(raw))
    return ids
