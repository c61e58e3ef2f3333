"""The idle-expiry job: what a quiet conversation gave is sealed as an incomplete tip.

Run by ``tipline worker`` (``IntakeService.expire_idle``); a conversation that is written
to again before the job sees it is expired on that message instead (``triage.intake``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from sqlalchemy import Engine

from bot import Engine as ConversationEngine
from bot.types import Context, ConversationState
from storage import conversations
from storage.conversations import RowStatus
from storage.crypto import Box
from triage.plan import at_rest, row_status
from triage.sealer import TipSealer


class IdleExpiry:
    def __init__(
        self, *, db: Engine, state_box: Box, engine: ConversationEngine, sealer: TipSealer,
        context: Callable[[], Context], retain_seconds: int,
    ) -> None:
        self.db = db
        self.state_box = state_box
        self.engine = engine
        self.sealer = sealer
        self.context = context
        self.retain_seconds = retain_seconds

    def run(self, *, now: float, limit: int = 100) -> int:
        """Seal what idle conversations gave, as incomplete tips.  Returns how many expired."""
        ctx = self.context()
        with self.db.begin() as conn:
            rows = conversations.lock_idle(conn, box=self.state_box, now=now, limit=limit)
            for conv in rows:
                if not conv.state:
                    state, status = {}, RowStatus.ENDED
                else:
                    outcome = self.engine.expire(ConversationState.from_dict(conv.state), ctx)
                    tip_id = self.sealer.apply(conn, tip_id=conv.tip_id, state=outcome.state, events=outcome.events,
                                               channel=conv.channel, now=now)
                    # No address here, so no link to seal (an expired interview ends, it never finishes).
                    stored = at_rest(outcome.state, tip_id=tip_id, link=None)
                    conv = replace(conv, tip_id=None if stored.clears_tip else tip_id)
                    state, status = stored.state, row_status(outcome.state)
                # An expired conversation is not looked at again until its purge.
                conversations.save_conversation(
                    conn, box=self.state_box, conv=conv, state=state, status=status, now=now,
                    idle_seconds=self.retain_seconds, retain_seconds=self.retain_seconds,
                )
        return len(rows)
