"""Telegram bookkeeping around a reply: checklist edits in place, the chat's message ids, EXIT's deletion.

A Telegram chat keeps every message on the reporter's phone, so the line remembers the
ids of the messages it may later delete (sealed, ``storage.chatlog``) and queues that
deletion after the reply to EXIT.  A tick on a checklist edits the question's keyboard
instead of sending the question again.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from sqlalchemy import Connection

from bot.commands import Command, CommandWords
from bot.render import TOGGLE
from bot.types import EventKind, InboundMessage, Outcome, OutboxAction, OutboxMessage, Status
from storage import chatlog
from storage.epoch_blobs import Sealer


class TelegramHistory:
    def __init__(self, *, box: Sealer, words: CommandWords) -> None:
        self._box = box
        self._words = words

    def around_reply(
        self, conn: Connection, *, conversation_id: str, msg: InboundMessage, messages: Sequence[OutboxMessage],
        outcome: Outcome, now: float,
    ) -> list[OutboxMessage]:
        """What to queue for these replies: an edit for a checklist tick, a deletion after EXIT."""
        queued = edit_in_place(msg, messages, step=outcome.state.step)
        if msg.message_ref and not msg.button:  # a button's message is the bot's own, recorded when sent
            chatlog.record(conn, box=self._box, conversation_id=conversation_id, message_id=msg.message_ref, now=now)
        if self._exited(msg, outcome):
            queued.append(OutboxMessage(action=OutboxAction.DELETE_HISTORY))
        return queued

    def _exited(self, msg: InboundMessage, outcome: Outcome) -> bool:
        """EXIT after a finished report (or before anything was given) carries no event, but its
        reply still promises the deletion: the ended conversation and the EXIT word say so.
        """
        if any(e.kind is EventKind.INCOMPLETE and e.reason == "exit" for e in outcome.events):
            return True
        if outcome.state.status != Status.ENDED or msg.button:
            return False
        return self._words.command(msg.channel, msg.text or "") is Command.EXIT


def edit_in_place(msg: InboundMessage, messages: Sequence[OutboxMessage], *, step: str | None) -> list[OutboxMessage]:
    """A tick on the current checklist re-renders that same question: edit the message in place
    instead of sending the question again.  A tap on an older keyboard is answered with a new
    message (the current question), never by editing the old one.
    """
    if (_is_toggle(msg.button) and msg.message_ref and len(messages) == 1 and messages[0].buttons
            and (msg.button or "").split(":")[0] == step):
        return [dataclasses.replace(messages[0], edit=msg.message_ref)]
    return list(messages)


def _is_toggle(button: str | None) -> bool:
    """A Telegram checklist toggle ("C:t:leave"), as bot.render builds them."""
    return button is not None and button.count(":") == 2 and button.split(":")[1] == TOGGLE
