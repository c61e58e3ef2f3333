"""The ends of an interview: the close and its reference code, EXIT, the unsafe stop, the alert,
what a reporter adds after the close, and keeping long text whole."""

from __future__ import annotations

from bot import messages as m
from bot import state as st
from bot.engine_base import MAX_TEXT_CHARS, EngineBase
from bot.flow import Flow
from bot.navigate import next_target
from bot.pause import pause_rest
from bot.render import pack
from bot.types import SMS, TELEGRAM, WHATSAPP, Context, ConversationState, Event, EventKind, Outcome, Status
from bot.words import Alarm


class EngineClose(EngineBase):
    def _keep(self, text: str, chunk: int | None) -> tuple[str | list[str], str | None]:
        """Text kept whole up to the hard limit, split into parts of ``chunk`` if longer."""
        value = text.strip()
        note = None
        if len(value) > self.max_text_chars:
            value, note = value[:self.max_text_chars], m.CUT_LONG
        if chunk is None or len(value) <= chunk:
            return value, note
        return split_text(value, chunk), note or m.KEPT_LONG

    def _pieces(self, text: str) -> list[str]:
        value, _ = self._keep(text, MAX_TEXT_CHARS)
        return value if isinstance(value, list) else [value]

    def _urgent(self, state: ConversationState, reason: str) -> Event:
        """The tip's one URGENT (one open alert per tip); later ones seal now and are counted."""
        st.sealed(state)
        if state.extra.get(st.URGENT) or state.extra.get(st.URGENT_SENT):
            state.answers[st.URGENT_REPEATS] = int(state.answers.get(st.URGENT_REPEATS) or 0) + 1
            return Event(EventKind.UPDATED, reason)
        state.extra[st.URGENT] = True
        return Event(EventKind.URGENT, reason)

    def _emergency_event(self, state: ConversationState, words: str = "") -> Event:
        """The danger answer; ``words``: what the reporter typed to say it (kept beside the yes)."""
        st.record(state, st.EMERGENCY_ANSWER, "yes")
        if words.strip():
            st.keep_words(state, st.EMERGENCY_ANSWER, self._pieces(words))
        return self._urgent(state, "danger")

    def _close(
        self,
        state: ConversationState,
        ctx: Context,
        parts: list[str],
        events: list[Event],
        kind: EventKind,
        reason: str,
    ) -> Outcome:
        code = ctx.new_code()
        parts = parts + [self._t(state, ctx, f"q.{self.flow.close_for(state.answers)}", code=code)]
        state.status, state.step, state.code_given = Status.FINISHED, None, True
        state.extra.pop(st.PENDING, None)
        st.sealed(state)
        return Outcome(replies=pack(parts), state=state, events=events + [Event(kind, reason, code=code)])

    def _unsafe(self, state: ConversationState, ctx: Context, parts: list[str], events: list[Event]) -> Outcome:
        step = self.flow.step(state.step)
        if step is not None:  # coming back "safe", the interview goes on as this question's yes would
            self._remember(state, step.id, next_target(step, "yes"))
        state.status, state.step = Status.ENDED, None
        st.sealed(state)
        events = events + [Event(EventKind.INCOMPLETE, "unsafe")]
        return Outcome(replies=pack(parts + [self._t(state, ctx, m.UNSAFE)]), state=state, events=events)

    def _pause(self, state: ConversationState, tokens: list[str], ctx: Context, channel: str) -> Outcome | None:
        """ "gtg", "someone is looking at my phone", "viene alguien": EXIT's one bland reply (trial
        S3), in any enabled language, nothing of it kept as an answer; None for other messages.

        Being watched is a reason to stop texting, not a report of danger: only emergency words
        besides the pause phrase bring the number and raise the alert (decision 12).
        """
        # Every enabled locale's pause words, the conversation's first: the merged vocabulary is
        # kept by ``_vocab_of`` and its phrase lists are compiled once on it (``bot.pause``).
        rest = pause_rest(self._vocab_of(state.locale, *self.locales).pause, tokens)
        if rest is None:
            return None
        alarm = self._vocab_of(state.locale).alarm(rest, ctx.region.emergency)
        events = [self._emergency_event(state)] if alarm in (Alarm.DANGER, Alarm.NUMBER) else []
        parts = [self._t(state, ctx, m.EMERGENCY)] if alarm is not Alarm.NONE else []
        return self._exit(state, ctx, channel, parts=parts, events=events)

    def _exit(
        self, state: ConversationState, ctx: Context, channel: str, *, parts: list[str] | None = None,
        events: list[Event] | None = None,
    ) -> Outcome:
        events = list(events or [])
        checking = bool(state.extra.pop(st.SAFE_CHECK, False))
        fresh = not checking or bool(state.extra.get(st.UNSEALED))  # the kept path answers are sealed already
        if st.worth_sealing(state) and state.status != Status.FINISHED and fresh:
            events.append(Event(EventKind.INCOMPLETE, "exit"))
            st.sealed(state)
        step = self.flow.step(state.step)
        if state.status == Status.ACTIVE and step is not None and step.asks and state.tip_open and not checking:
            # EXIT at the safety question itself: coming back, the safety check's yes is its answer.
            at_check = step.id == self.flow.safety_check
            self._remember(state, step.id, next_target(step, "yes") if at_check else step.id)
        state.status, state.step = Status.ENDED, None
        state.extra.pop(st.PENDING, None)
        msgid = {TELEGRAM: m.EXIT_TELEGRAM, SMS: m.EXIT_SMS, WHATSAPP: m.EXIT_SMS}.get(channel, m.EXIT)
        return Outcome(replies=pack([*(parts or []), self._t(state, ctx, msgid)]), state=state, events=events)

    # ---- coming back after "write again when it is safe" or EXIT (issue 8) ------------------

    def _remember(self, state: ConversationState, from_step: str, to: str) -> None:
        """Where the interview goes on when the reporter comes back, with the option answers
        that steer the rest of it or score it (words typed live only in the sealed tip): the
        finished tip is scored and routed from every answer, not only those given since."""
        if self.flow.safety_check is None:
            return
        kept = steering(self.flow) | scored(self.flow)
        keep = {k: v for k, v in state.answers.items() if k in kept and v not in (None, "", [])}
        state.extra[st.RESUME] = {"from": from_step, "to": to, "keep": keep}
        state.extra.pop(st.LANG_MENU, None)

    def _resumable(self, state: ConversationState) -> bool:
        back = state.extra.get(st.RESUME)
        return (
            state.status == Status.ENDED and isinstance(back, dict) and self.flow.safety_check is not None
            and str(back.get("from")) in self.flow.steps
        )

    def _safety_asked(self, state: ConversationState) -> None:
        """Back after an interview ended unsafe or by EXIT: the bland safety check is the question."""
        back = state.extra[st.RESUME]
        keep = back.get("keep")
        for key, value in (keep.items() if isinstance(keep, dict) else ()):
            state.answers.setdefault(str(key), value)  # already sealed: not marked as new
        state.status, state.step = Status.ACTIVE, self.flow.safety_check
        state.history, state.misses = [], 0
        state.extra[st.SAFE_CHECK] = True
        state.extra.pop(st.PENDING, None)

    def _addendum(
        self, state: ConversationState, text: str, tokens: list[str], ctx: Context, prefix: list[str]
    ) -> Outcome:
        """A message after the close joins the tip; the reply never says a report exists.

        Reference codes are not guessed here: the service (``triage``) recognises a stored code
        anywhere in a message and removes it from the text before the engine sees it, so what
        arrives is the reporter's words, kept whole, however short or code-shaped.
        """
        value = text.strip()
        parts = list(prefix)
        if self._vocab_of(state.locale).alarm(tokens, ctx.region.emergency) is not Alarm.NONE:
            parts.append(self._t(state, ctx, m.EMERGENCY))
        if not value:
            return self._say(parts + [self._t(state, ctx, m.FINISHED)], state)
        addenda = state.answers.setdefault(st.ADDENDA, [])
        if not isinstance(addenda, list):
            addenda = state.answers[st.ADDENDA] = []
        addenda.extend(self._pieces(value))
        if len(value) > self.max_text_chars:
            parts.append(self._t(state, ctx, m.CUT_LONG, max=str(self.max_text_chars)))
        st.sealed(state)
        return self._say(parts + [self._t(state, ctx, m.ADDENDUM)], state, [Event(EventKind.UPDATED, "more")])


def steering(flow: Flow) -> frozenset[str]:
    """Steps whose answers steer the rest of the interview: the path's close, blocks, informs."""
    ids = {c.partition(".")[0] for c in flow.close_when}
    ids.update(k for block in flow.blocks for k in block.when)
    ids.update(k for step in flow.steps.values() for k in step.inform_if)
    return frozenset(ids)


# Answers given by picking an option: what the rules score and route on, never words typed.
_OPTION_TYPES = frozenset({"choice", "checklist", "yn", "ynu"})


def scored(flow: Flow) -> frozenset[str]:
    """Option answers kept over a pause (EXIT, "not safe to text") so that the version sealed
    after coming back is scored on the whole tip (a P2 labour tip must not end P4)."""
    ids = {s.id for s in flow.steps.values() if s.type in _OPTION_TYPES}
    return frozenset(ids | {st.EMERGENCY_ANSWER})


def split_text(text: str, size: int) -> list[str]:
    """Parts of at most ``size`` characters, cut at a space where there is one."""
    parts: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", size // 2, size + 1)
        cut = cut if cut > 0 else size
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return parts
