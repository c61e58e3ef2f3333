"""Engine bookkeeping kept in ``ConversationState.extra`` (JSON-safe values only).

Keys:
  pending      {"step": id, "keys": [...]}  Telegram checklist toggles not yet confirmed by Done
  urgent_sent  [reason, ...]   urgent reasons already raised from answers (once per reason)
  unsealed     bool            something was given since the last event that sealed the tip
  prefilled    [step id, ...]  steps answered by the first message (B1), skipped when reached
  lang_menu    bool            the language menu is showing: the next message may pick a locale
  use_numbers  bool            a carrier took a "YES": the next reply asks for numbers
  before_stop  str             the status to restore when an opted-out reporter opts in again
"""

from __future__ import annotations

from typing import Any

from bot.types import ConversationState

PENDING = "pending"
URGENT_SENT = "urgent_sent"
UNSEALED = "unsealed"
PREFILLED = "prefilled"
LANG_MENU = "lang_menu"
USE_NUMBERS = "use_numbers"
BEFORE_STOP = "before_stop"

# Answer keys that are not flow steps.
EMERGENCY_ANSWER = "emergency"
ADDENDA = "addenda"


def copy_state(state: ConversationState) -> ConversationState:
    """A deep copy through the stored form, so the caller's value is never changed."""
    return ConversationState.from_dict(_deep(state.to_dict()))


def _deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v) for v in value]
    return value


# Answers the line filled in itself (a deep link's campaign area): not something given.
NOT_GIVEN = frozenset({"campaign"})


def given(state: ConversationState) -> bool:
    """True when the reporter has given anything that belongs in a tip."""
    return any(v not in (None, "", []) for k, v in state.answers.items() if k not in NOT_GIVEN)


def record(state: ConversationState, key: str, value: Any) -> None:
    state.answers[key] = value
    state.extra[UNSEALED] = True


def sealed(state: ConversationState) -> None:
    """An event that seals the tip was emitted: all given so far is in it."""
    state.tip_open = True
    state.extra[UNSEALED] = False


def pending_keys(state: ConversationState, step_id: str) -> list[str]:
    pending = state.extra.get(PENDING)
    if isinstance(pending, dict) and pending.get("step") == step_id:
        keys = pending.get("keys")
        if isinstance(keys, list):
            return [str(k) for k in keys]
    return []
