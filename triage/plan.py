"""What one inbound message does, as plain values both intake paths share.

``read`` says, from the conversation as read, whether the optimistic path may answer
the message; ``plan`` says, from the engine's outcome, what is sent, kept for a
redelivery and stored, and the row's status.  Neither touches the database, so the
fast and the locked path cannot drift apart on these rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from bot import state as st
from bot.types import ConversationState, InboundMessage, Outcome, OutboxMessage, Reply, Status
from storage.conversations import ConversationRow, RowStatus
from storage import refcodes
from triage.followup import FOLLOWUP, is_code_attempt
from triage.tiplink import TIP_LINK

# The one mapping from the engine's statuses to the row's (storage cannot import bot).
_ROW_STATUS: dict[str, RowStatus] = {
    Status.NEW: RowStatus.NEW,
    Status.ACTIVE: RowStatus.ACTIVE,
    Status.FINISHED: RowStatus.FINISHED,
    Status.ENDED: RowStatus.ENDED,
    Status.OPTED_OUT: RowStatus.OPTED_OUT,
}
# Statuses after which the interview's answers are sealed into the tip and dropped from the state.
_OVER = frozenset({Status.FINISHED, Status.ENDED, Status.OPTED_OUT})
# What a state at rest keeps for the follow-up window (issue 9): the tip link, where an
# interview left by EXIT or "not safe to text" goes on with the option answers that steer it
# (bot/ safety check), the language as chosen, the opt-out's status to restore, and whether
# the tip's one alert was raised.  Everything else (answers, history, menus) is dropped.
_KEPT_EXTRA = frozenset({TIP_LINK, st.RESUME, st.LANG_SURE, st.LANG_OFFERED, st.BEFORE_STOP, st.URGENT,
                         st.URGENT_SENT, st.UNSEALED})


def row_status(state: ConversationState) -> RowStatus:
    if FOLLOWUP in state.extra and state.status not in (Status.ENDED, Status.OPTED_OUT):
        return RowStatus.FOLLOW_UP  # its tip id is dropped at DONE or at expiry
    return _ROW_STATUS.get(state.status, RowStatus.ACTIVE)


@dataclass(frozen=True)
class Reading:
    """What the conversation as read says about one message, before the engine runs."""

    state: ConversationState | None = field(repr=False)
    expired: bool  # the idle timer ran out: seal what was given before going on
    code_attempt: bool  # the text is shaped like a reference code

    @property
    def fast(self) -> bool:
        """An interview in progress with nothing to seal, open or look up first: no lock needed to answer."""
        state = self.state
        return (
            state is not None and not self.expired and not self.code_attempt and state.status != Status.ENDED
            and FOLLOWUP not in state.extra and TIP_LINK not in state.extra
        )


def read(conv: ConversationRow, msg: InboundMessage, now: float, *, code_attempt: bool | None = None) -> Reading:
    """``code_attempt``: the message may hold a code (worked out by the caller, or here from the text)."""
    state = ConversationState.from_dict(conv.state) if conv.state else None
    if code_attempt is None:
        text = msg.text or ""
        code_attempt = is_code_attempt(text) or bool(refcodes.candidates(text))
    return Reading(state=state, expired=state is not None and conv.expired(now), code_attempt=code_attempt)


@dataclass(frozen=True)
class AtRest:
    """The state as stored, whether the row forgets its tip id with it, and whether it is at rest
    (only what the follow-up window needs, sealed under FOLLOWUP_STATE day epochs; else the
    state of a running interview, under CONVERSATION_STATE hour epochs)."""

    state: dict[str, Any] = field(repr=False)
    clears_tip: bool = False
    resting: bool = False


def at_rest(state: ConversationState, *, tip_id: str | None, link: Callable[[str], str] | None) -> AtRest:
    """Once an interview is over and sealed, its answers are dropped (they live only in the sealed
    tip) and a finished or ended one (EXIT, "not safe to text") keeps ``link(tip_id)`` instead of
    the tip id, so the stored row no longer says which tip it made but the reporter coming back
    from the same phone adds to it (with no ``link``, it keeps neither).  A finished or ended
    state with nothing worth sealing keeps only the same few values.  A follow-up's tip id
    (``FOLLOWUP``) is kept only while the follow-up runs.  ``state`` is left as it is.
    """
    data = state.to_dict()
    if FOLLOWUP in state.extra and state.status not in (Status.ENDED, Status.OPTED_OUT):
        return AtRest(data)  # a follow-up in progress: under hour keys, dropped at DONE or expiry
    unsealed = bool(state.extra.get(st.UNSEALED, True))
    if state.status not in _OVER or (unsealed and state.status == Status.OPTED_OUT):
        return AtRest(data)
    # Unsealed here means nothing was worth sealing: no new tip, so a link it had stays as it is.
    extra = {k: v for k, v in state.extra.items() if k in _KEPT_EXTRA and (unsealed or k != TIP_LINK)}
    if not unsealed and tip_id is not None and link is not None and state.status in (Status.FINISHED, Status.ENDED):
        extra[TIP_LINK] = link(tip_id)
    kept = {**data, "step": None, "answers": {}, "history": [], "misses": 0, "extra": extra}
    return AtRest(kept, clears_tip=not unsealed, resting=True)


@dataclass(frozen=True)
class Plan:
    """What one message does: the replies (sent, queued and kept for a redelivery), what is stored."""

    outcome: Outcome = field(repr=False)
    send: bool
    messages: tuple[OutboxMessage, ...] = field(repr=False)
    stored: AtRest
    tip_id: str | None  # what the row keeps as its tip id
    status: RowStatus

    @property
    def replies(self) -> list[Reply]:
        return self.outcome.replies if self.send else []

    @property
    def payload(self) -> list[dict[str, Any]]:
        """The replies as kept for a redelivery (the outbox's stored format)."""
        return [m.to_dict() for m in self.messages]


def plan(outcome: Outcome, *, send: bool, tip_id: str | None, link: Callable[[str], str]) -> Plan:
    stored = at_rest(outcome.state, tip_id=tip_id, link=link)
    return Plan(
        outcome=outcome, send=send,
        messages=tuple(OutboxMessage.of(r) for r in outcome.replies) if send else (),
        stored=stored, tip_id=None if stored.clears_tip else tip_id, status=row_status(outcome.state),
    )
