"""Engine bookkeeping kept in ``ConversationState.extra`` (JSON-safe values only).

Keys:
  pending      {"step": id, "keys": [...]}  Telegram checklist toggles not yet confirmed by Done
  urgent_sent  [reason, ...]   (older states) urgent reasons already raised
  urgent       bool            the tip's one URGENT event was raised (INTAKE decision 12)
  recheck      step id         the danger question is asked again; then back to this step
  unsealed     bool            something was given since the last event that sealed the tip
  prefilled    [step id, ...]  steps answered by the first message (B1), skipped when reached
  lang_menu    {"order": [...], "page": n}  the language menu is showing (``bot.langmenu``):
                               the next message may pick a locale (``True`` in older states)
  lang_sure    bool            the locale was chosen or the text decided it: it sticks until
                               the reporter changes it (else it is the likeliest guess)
  lang_chosen  bool            the reporter chose the locale (deep link, LANG, the menu, its name):
                               a message in another language is then offered a switch, not switched
  lang_offered [locale, ...]   languages a switch was already offered to (once each)
  use_numbers  bool            a carrier took a "YES": the next reply asks for numbers
  before_stop  str             the status to restore when an opted-out reporter opts in again
  resume       {"from": id, "to": id, "keep": {step id: answer}}  where an interview left by
                               EXIT or "not safe to text" goes on (``to``, walked from ``from``)
                               and the option answers given (they steer the path, the blocks and
                               the close, and score the tip finished after coming back); words
                               typed are not kept: the state's answers are dropped once sealed
  safe_check   bool            a reporter came back: the safety check is asked before going on
"""

from __future__ import annotations

from typing import Any

from bot.types import ConversationState

PENDING = "pending"
URGENT_SENT = "urgent_sent"
URGENT = "urgent"
RECHECK = "recheck"
UNSEALED = "unsealed"
PREFILLED = "prefilled"
LANG_MENU = "lang_menu"
LANG_SURE = "lang_sure"
LANG_OFFERED = "lang_offered"
LANG_CHOSEN = "lang_chosen"
USE_NUMBERS = "use_numbers"
BEFORE_STOP = "before_stop"
RESUME = "resume"
SAFE_CHECK = "safe_check"

# Answer keys that are not flow steps.
EMERGENCY_ANSWER = "emergency"
ADDENDA = "addenda"
# How often danger came back after the tip's one alert (staff see the count in the tip).
URGENT_REPEATS = "urgent_repeats"
# "<step>:words": what the reporter typed at a numbered question that was not an answer.
WORDS_SUFFIX = ":words"
# Answers that alone make no tip (INTAKE decision 14): the danger check and who it is about.
# A danger "yes" makes a tip through its urgent event; words typed there count when they
# tell something (see ``substantive``).
BASIC = frozenset({"A2", "A4"})


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
NOT_GIVEN = frozenset({"campaign", URGENT_REPEATS})


def given(state: ConversationState) -> bool:
    """True when the reporter has given anything that belongs in a tip."""
    return any(v not in (None, "", []) for k, v in state.answers.items() if k not in NOT_GIVEN)


def substantive(state: ConversationState, min_words: int = 6) -> bool:
    """True when a tip would hold more than the danger check and "who is it about"."""
    for key, value in state.answers.items():
        if key in NOT_GIVEN or value in (None, "", []):
            continue
        step_id = key.removesuffix(WORDS_SUFFIX)
        if step_id not in BASIC:
            return True
        if key.endswith(WORDS_SUFFIX) and len(" ".join(map(str, value)).split()) >= min_words:
            return True
        if key == "A2" and value != "no":
            return True
    return False


def worth_sealing(state: ConversationState) -> bool:
    """DONE, EXIT or expiry seal only a tip that exists or has something in it."""
    return given(state) and (state.tip_open or substantive(state))


def keep_words(state: ConversationState, step_id: str, texts: list[str]) -> None:
    """Add the reporter's own words at a question to the tip (never replacing earlier ones)."""
    key = step_id + WORDS_SUFFIX
    kept = state.answers.get(key)
    if not isinstance(kept, list):
        kept = []
    record(state, key, kept + texts)


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
