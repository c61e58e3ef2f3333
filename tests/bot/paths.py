"""A way to every question of the flow: the shortest replies that reach each asking step.

Found by walking the real engine breadth-first over a few typical replies, so the paths follow
the flow file as it changes.  States that differ in the answers that choose blocks (who it is
about, the place, the reporter's age) are kept apart; the rest are not, which keeps the walk
to a few thousand engine calls.
"""

from __future__ import annotations

import json
from functools import cache

from bot import Engine, build_engine, load_region
from bot.types import ConversationState, InboundMessage
from tests.bot.helpers import LOCALES, make_context

REPLIES = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "a farm behind the mill on route 9", "0")
BRANCHES = ("A4", "B2", "V3")  # answers that choose which blocks come


def _key(state: ConversationState) -> tuple[str | None, str]:
    return state.step, json.dumps([state.answers.get(k) for k in BRANCHES])


@cache
def english_engine() -> Engine:
    return build_engine(locales_dir=LOCALES, locales=("en",), default_locale="en", region=load_region("US"))


@cache
def paths_to_steps() -> dict[str, tuple[str, ...]]:
    """Asking step id -> the messages (from the first one) that bring a reporter there."""
    engine, ctx = english_engine(), make_context(load_region("US"))
    asking = {s.id for s in engine.flow.steps.values() if s.asks}

    def say(state: ConversationState | None, text: str) -> ConversationState:
        msg = InboundMessage(channel="sms", address="+15550001111", text=text)
        return engine.handle(state, msg, ctx).state

    first = say(None, "hi")
    reached: dict[str, tuple[str, ...]] = {str(first.step): ("hi",)}
    seen = {_key(first)}
    frontier: list[tuple[ConversationState, tuple[str, ...]]] = [(first, ("hi",))]
    while frontier and asking - set(reached):
        found: list[tuple[ConversationState, tuple[str, ...]]] = []
        for state, path in frontier:
            for reply in REPLIES:
                after = say(state, reply)
                if after.step is not None and _key(after) not in seen:
                    seen.add(_key(after))
                    found.append((after, (*path, reply)))
                    reached.setdefault(after.step, (*path, reply))
        frontier = found
    return reached
