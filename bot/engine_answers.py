"""Answers: what a reporter typed at a question, read, kept and acted on, and the walk on to
the next question (notices, skips, blocks, the close)."""

from __future__ import annotations

from typing import Any

from bot import messages as m
from bot import state as st
from bot.acks import only_acknowledges
from bot.engine_close import EngineClose
from bot.flow import BLOCKS, CLOSE, MORE, UNSAFE, Step
from bot.navigate import next_block, next_target
from bot.options import options_for
from bot.parse import Miss, Parsed, parse_answer
from bot.types import Context, ConversationState, Event, EventKind, Outcome, Status
from bot.words import Alarm

MISSES_BEFORE_COMMANDS = 3


class EngineAnswers(EngineClose):
    def _typed(
        self, state: ConversationState, step: Step, text: str, tokens: list[str], ctx: Context, channel: str,
        prefix: list[str],
    ) -> Outcome:
        alarm = self._vocab_of(state.locale).alarm(tokens, ctx.region.emergency)
        if step.type == "text":
            if alarm is Alarm.NUMBER:  # "911" alone is no account of what happened: the number, and
                return self._alarmed(state, ctx, channel, prefix, Alarm.UNCLEAR)  # the danger check again
            if self._refuses(state, tokens):  # "I won't say", "не скажу": a skip, the words kept beside it
                return self._answer(state, step, None, ctx, channel, prefix, words=text.strip(), alarm=alarm)
            value, note = self._keep(text, step.max_chars)
            if not value:
                return self._miss(state, step, Parsed(miss=Miss.UNCLEAR), ctx, channel, prefix)
            notes = [self._t(state, ctx, note, max=str(self.max_text_chars))] if note else []
            return self._answer(state, step, value, ctx, channel, prefix + notes, alarm=alarm)
        parsed = self._parse(state, step, text, ctx)
        if not parsed.ok and alarm in (Alarm.DANGER, Alarm.NEGATED) and step.urgent.get("yes") == "danger":
            # At a danger question, "someone is hurt now" means yes and "nobody in danger" no.
            parsed = Parsed(value="yes" if alarm is Alarm.DANGER else "no", words=text.strip())
        elif parsed.value == "yes" and "yes" in step.urgent and alarm is not Alarm.DANGER \
                and only_acknowledges(self._vocab_of(state.locale), tokens):  # "ok": "go on", not Yes (retrial)
            return self._miss(state, step, Parsed(miss=Miss.UNCLEAR), ctx, channel, prefix)
        if alarm is Alarm.NUMBER:
            alarm = Alarm.NEGATED  # a number at a numbered question is an answer, never an alarm
        if parsed.ok:
            return self._answer(state, step, parsed.value, ctx, channel, prefix, words=parsed.words, alarm=alarm)
        if any(c.isalpha() for c in text):
            st.keep_words(state, step.id, self._pieces(text))
        if alarm is Alarm.NONE:
            return self._miss(state, step, parsed, ctx, channel, prefix)
        return self._alarmed(state, ctx, channel, prefix, alarm, parsed)

    def _danger_said(
        self, state: ConversationState, ctx: Context, channel: str, parts: list[str], events: list[Event]
    ) -> Outcome:
        """A first message whose danger words raised the alert ("ayuda, le estan pegando a una
        muchacha"): on as for Yes, never "is anyone in danger?" right after (trial S6)."""
        start = self.flow.steps[self.flow.start]
        st.record(state, start.id, "yes")
        state.history.append(start.id)
        number = self._t(state, ctx, m.EMERGENCY)  # the flow's own notice after Yes shows it
        return self._advance(state, start.id, next_target(start, "yes"), ctx, channel,
                             [p for p in parts if p != number], events)

    def _refuses(self, state: ConversationState, tokens: list[str]) -> bool:
        """The whole message declines to say (the words file's "prefer not to say" forms, trial minor
        8): at a question answered in words it is no answer (a refusal is no locatable place)."""
        vocab = self._vocab_of(state.locale)
        said = " ".join(vocab.strip_fillers(tokens))
        return bool(said) and said in vocab.options.get("A4", {}).get("private", ())

    def _alarmed(
        self, state: ConversationState, ctx: Context, channel: str, prefix: list[str], alarm: Alarm,
        parsed: Parsed | None = None,
    ) -> Outcome:
        """Emergency words: the number always; the alert only for danger; unclear asks again."""
        parts = prefix + [self._t(state, ctx, m.EMERGENCY)]
        events = [self._emergency_event(state)] if alarm is Alarm.DANGER else []
        if alarm is Alarm.UNCLEAR and state.step != self.flow.start and state.status == Status.ACTIVE:
            state.extra[st.RECHECK] = [None, state.step]
            state.step = self.flow.start
        elif parsed is not None and alarm is Alarm.NEGATED:
            state.misses += 1
            parts.append(self._t(state, ctx, self._hint(state, self.flow.steps[str(state.step)], parsed)))
        return self._reask(state, ctx, channel, parts, events)

    def _parse(self, state: ConversationState, step: Step, text: str, ctx: Context) -> Parsed:
        options = options_for(step, ctx.region)
        words = self.render.answer_words(step, state.locale, ctx.region)
        return parse_answer(step, text, options, words, vocab=self._vocab_of(state.locale))

    def _hint(self, state: ConversationState, step: Step, parsed: Parsed) -> str:
        hint = {
            Miss.AMBIGUOUS: m.HINT_AMBIGUOUS,
            Miss.SEVERAL: m.HINT_NUMBER,  # not "put spaces between the numbers": they did
            # "yes no": words that name two answers; spaces between numbers would not help
            Miss.CONFLICT: m.HINT_CHECKLIST if step.type == "checklist" else m.HINT_NUMBER,
            Miss.NONE_WITH_OTHERS: m.HINT_NONE_WITH_OTHERS,
        }.get(parsed.miss or Miss.UNCLEAR)
        if hint is None and step.id + st.WORDS_SUFFIX in state.answers and step.type != "text":
            hint = m.HINT_KEPT if state.misses <= 1 else m.HINT_SKIP  # asked again once, then skip offered
        if hint is None:
            hint = {"checklist": m.HINT_CHECKLIST, "text": m.HINT_TEXT}.get(step.type, m.HINT_NUMBER)
        return hint

    def _miss(
        self, state: ConversationState, step: Step, parsed: Parsed, ctx: Context, channel: str, prefix: list[str]
    ) -> Outcome:
        state.misses += 1
        parts = prefix + [self._t(state, ctx, self._hint(state, step, parsed))]
        if state.misses >= MISSES_BEFORE_COMMANDS:
            parts.append(self._t(state, ctx, m.HINT_COMMANDS))
        return self._reask(state, ctx, channel, parts)

    def _answer(
        self, state: ConversationState, step: Step, value: Any, ctx: Context, channel: str, prefix: list[str],
        *, words: str | None = None, alarm: Alarm = Alarm.NONE,
    ) -> Outcome:
        if state.extra.get(st.SAFE_CHECK) and step.id == self.flow.safety_check:
            return self._checked(state, value, ctx, channel, prefix, words=words, alarm=alarm)
        st.record(state, step.id, value)
        if words:
            st.keep_words(state, step.id, self._pieces(words))
        state.misses = 0
        state.extra.pop(st.PENDING, None)
        events = self._answer_events(state, step, value, alarm)
        parts = list(prefix)
        flow_shows_number = step.id == self.flow.start and value == "yes" and st.RECHECK not in state.extra
        if alarm is not Alarm.NONE and not flow_shows_number:
            parts.append(self._t(state, ctx, m.EMERGENCY))
        back = state.extra.pop(st.RECHECK, None)
        if isinstance(back, list) and len(back) == 2 and step.id == self.flow.start:
            return self._rechecked(state, value, back, ctx, channel, parts, events, alarm)
        state.history.append(step.id)
        target = next_target(step, value)
        if alarm is Alarm.UNCLEAR and step.id != self.flow.start:
            state.extra[st.RECHECK] = [step.id, target]  # ask the danger question, then go on
            state.step = self.flow.start
            return self._reask(state, ctx, channel, parts, events)
        return self._advance(state, step.id, target, ctx, channel, parts, events)

    def _checked(
        self, state: ConversationState, value: Any, ctx: Context, channel: str, prefix: list[str],
        *, words: str | None, alarm: Alarm,
    ) -> Outcome:
        """The safety check answered: on where the interview stopped, or the bland reply again."""
        if words:
            st.keep_words(state, step_id=str(state.step), texts=self._pieces(words))
        parts = prefix + ([self._t(state, ctx, m.EMERGENCY)] if alarm is not Alarm.NONE else [])
        events = [self._emergency_event(state)] if alarm is Alarm.DANGER else []
        if value is None:  # SKIP: the check is not skipped
            return self._ask(state, ctx, channel, parts, events)
        state.extra.pop(st.SAFE_CHECK, None)
        if value == "yes":
            back = state.extra.pop(st.RESUME)
            return self._advance(state, str(back["from"]), str(back.get("to") or back["from"]), ctx, channel,
                                 parts, events)
        if state.extra.get(st.UNSEALED) and st.worth_sealing(state) and not events:
            events.append(Event(EventKind.INCOMPLETE, "unsafe"))
            st.sealed(state)
        state.status, state.step = Status.ENDED, None
        return self._say(parts + [self._t(state, ctx, m.UNSAFE)], state, events)

    def _answer_events(self, state: ConversationState, step: Step, value: Any, alarm: Alarm) -> list[Event]:
        """The alerts an answer raises: the flow's urgent answers, then danger words beside it."""
        events: list[Event] = []
        sent = state.extra.setdefault(st.URGENT_SENT, [])
        for key in value if isinstance(value, list) else [value]:
            reason = step.urgent.get(key) if isinstance(key, str) else None
            if reason and reason not in sent:  # answering the same question again is no new signal
                events.append(self._urgent(state, reason))
                sent.append(reason)
        if alarm is Alarm.DANGER and not any(e.reason == "danger" for e in events):
            events.append(self._emergency_event(state))
        return events

    def _rechecked(
        self, state: ConversationState, value: Any, back: list[Any], ctx: Context, channel: str,
        parts: list[str], events: list[Event], alarm: Alarm,
    ) -> Outcome:
        """The danger question was asked again: on from where we were."""
        if value == "yes" and alarm is Alarm.NONE:
            parts.append(self._t(state, ctx, m.EMERGENCY))
        if back[0] is None:
            state.step = str(back[1])
            return self._reask(state, ctx, channel, parts, events)
        return self._advance(state, str(back[0]), str(back[1]), ctx, channel, parts, events)

    def _advance(
        self,
        state: ConversationState,
        from_step: str,
        target: str,
        ctx: Context,
        channel: str,
        parts: list[str],
        events: list[Event],
    ) -> Outcome:
        """Walk notices, skips and specials until a question, the close or the end."""
        prefilled = state.extra.get(st.PREFILLED, [])
        for _ in range(len(self.flow.steps) + len(self.flow.blocks) + 4):
            if target == MORE:
                target = self.flow.more_offer
            if target == BLOCKS:
                target = next_block(self.flow, self._members, from_step, state.answers)
            if target == CLOSE:
                return self._close(state, ctx, parts, events, EventKind.COMPLETE, "close")
            if target == UNSAFE:
                return self._unsafe(state, ctx, parts, events)
            step = self.flow.steps[target]
            from_step = step.id
            if step.inform_if and all(state.answers.get(k) == v for k, v in step.inform_if.items()):
                parts.append(self._t(state, ctx, step.inform_text or step.text))
                target = step.next["*"]
            elif not step.asks:
                parts.append(self._t(state, ctx, step.text))
                target = step.next["*"]
            elif step.id in prefilled and state.answers.get(step.id):
                target = next_target(step, state.answers[step.id])
            else:
                state.step = step.id
                return self._ask(state, ctx, channel, parts, events)
        return self._close(state, ctx, parts, events, EventKind.COMPLETE, "close")
