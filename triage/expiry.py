"""The idle-expiry job: what a quiet conversation gave is sealed as an incomplete tip.

Run by ``tipline worker`` (``IntakeService.expire_idle``); a conversation that is written
to again before the job sees it is expired on that message instead (``triage.intake``).
What the row keeps afterwards is at rest (``triage.plan.at_rest``): sealed under the
follow-up window's day keys, without the answers; an idle follow-up forgets its tip id.
A state whose hour key is already gone (the worker was down past the window) cannot be
sealed any more: the row is ended empty and counted in the log.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable

from sqlalchemy import Connection, Engine

from bot import Engine as ConversationEngine
from bot import state as st
from bot.types import Context, ConversationState
from storage import conversations
from storage.conversation_state import StateBoxes
from storage.conversations import ConversationRow, RowStatus
from triage.followup import FOLLOWUP
from triage.plan import AtRest, at_rest, row_status
from triage.sealer import TipSealer

log = logging.getLogger(__name__)


class IdleExpiry:
    def __init__(
        self, *, db: Engine, states: StateBoxes, engine: ConversationEngine, sealer: TipSealer,
        context: Callable[[], Context], retain_seconds: int,
    ) -> None:
        self.db = db
        self.states = states
        self.engine = engine
        self.sealer = sealer
        self.context = context
        self.retain_seconds = retain_seconds

    def run(self, *, now: float, limit: int = 100) -> int:
        """Seal what idle conversations gave, as incomplete tips.  Returns how many expired."""
        ctx = self.context()
        with self.db.begin() as conn:
            rows = conversations.lock_idle(conn, boxes=self.states, now=now, limit=limit)
            lost = sum(1 for conv in rows if conv.lost)
            for conv in rows:
                self._expire(conn, conv, ctx, now)
        if lost:
            log.warning("conversation states past their key window: ended empty", extra={"lost": lost})
        return len(rows)

    def _expire(self, conn: Connection, conv: ConversationRow, ctx: Context, now: float) -> None:
        if not conv.state:
            stored, status = AtRest({}, clears_tip=True, resting=True), RowStatus.ENDED
            conv = replace(conv, tip_id=None)
        else:
            outcome = self.engine.expire(ConversationState.from_dict(conv.state), ctx)
            outcome.state.extra.pop(FOLLOWUP, None)  # an idle follow-up forgets its tip
            tip_id = self.sealer.apply(conn, tip_id=conv.tip_id, state=outcome.state, events=outcome.events,
                                       channel=conv.channel, now=now)
            # What was worth sealing is sealed now; the rest is never sealed: the state goes to rest.
            outcome.state.extra[st.UNSEALED] = False
            # No address here, so no link to seal (an expired interview ends, it never finishes).
            stored = at_rest(outcome.state, tip_id=tip_id, link=None)
            conv = replace(conv, tip_id=None if stored.clears_tip else tip_id)
            status = row_status(outcome.state)
        # An expired conversation is not looked at again until its purge.
        conversations.save_conversation(
            conn, conv=conv, lookup=None, status=status, now=now,
            sealed_state=self.states.seal(conv.id, stored.state, resting=stored.resting),
            idle_seconds=self.retain_seconds, retain_seconds=self.retain_seconds,
        )
