"""The conversation engine: one inbound message and the state in, replies, state and events out.

Pure logic (no I/O, clocks or randomness of its own): the same input always gives the same outcome, so the service
layer can retry a message inside one transaction.  Its contract is INTAKE.md, "Decisions for tipline".

This module is the dispatcher and the first message; the rest lives beside it, one concern per module: ``engine_base``
(configuration, replying), ``engine_close`` (the close, EXIT, alerts, addenda), ``engine_answers`` (answers and the
walk on) and ``engine_commands`` (carrier words, commands, language, Telegram buttons) and ``engine_signs`` (a signs
question at a question).
"""

from __future__ import annotations

import re

from bot import messages as m
from bot import state as st
from bot.commands import Command, carrier_action
from bot.engine_base import MAX_TEXT_CHARS
from bot.engine_language import DENSE_SCRIPTS
from bot.engine_signs import EngineSigns
from bot.flow import Step
from bot.language import Decision
from bot.langnames import language_named, not_english
from bot.langscript import letters
from bot.render import pack
from bot.signs import Asked
from bot.types import TELEGRAM, Context, ConversationState, Event, EventKind, InboundMessage, Outcome, Status
from bot.words import Alarm, Vocabulary, canon_tokens

# A first message counts as an account of what happened (kept as B1) only when it is
# more than a greeting or "I want to report something": enough words and characters,
# and not a short question.
ACCOUNT_MIN_WORDS = 4
ACCOUNT_MIN_CHARS = 20
RETURN_MIN_WORDS = 3  # words typed on coming back are kept unless they are only a greeting
_WORD = re.compile(r"[\w']+")

__all__ = ["ACCOUNT_MIN_CHARS", "ACCOUNT_MIN_WORDS", "Engine", "MAX_TEXT_CHARS"]


class Engine(EngineSigns):
    # ---- public API ---------------------------------------------------------------

    def handle(self, state: ConversationState | None, msg: InboundMessage, ctx: Context) -> Outcome:
        """Answer one inbound message; never raises, whatever the message or state holds."""
        try:
            return self._handle(state, msg, ctx)
        except Exception as exc:  # the last line of defence: a reporter must never get silence
            return self._fallback(state, ctx, failed=type(exc).__name__)

    def expire(self, state: ConversationState, ctx: Context) -> Outcome:
        """Idle expiry: seal what was given and not yet sealed (INCOMPLETE "expiry"); no replies."""
        state = st.copy_state(state)
        events: list[Event] = []
        if st.worth_sealing(state) and state.extra.get(st.UNSEALED):
            events.append(Event(EventKind.INCOMPLETE, "expiry"))
            st.sealed(state)
        if state.status != Status.OPTED_OUT:  # an opt-out outlives the conversation
            state.status = Status.ENDED
        state.step = None
        state.extra.pop(st.PENDING, None)
        state.extra.pop(st.LANG_MENU, None)
        return Outcome(replies=[], state=state, events=events)

    # ---- dispatch -------------------------------------------------------------------

    def _handle(self, state: ConversationState | None, msg: InboundMessage, ctx: Context) -> Outcome:
        text = msg.text or ""
        if state is None or (state.status == Status.ENDED and not self._resumable(state)):
            state = self._new_state(msg, ctx)
        else:
            state = st.copy_state(state)
        if state.locale not in self.locales:
            state.locale = self.default_locale
        carrier = None if msg.button else carrier_action(msg.channel, text)
        if state.status == Status.OPTED_OUT:
            return self._opted_out(state, carrier, text, ctx)
        if carrier is not None:
            return self._carrier(state, carrier)
        if state.status == Status.NEW:
            return self._first(state, msg, ctx)
        if state.status == Status.ENDED:
            return self._come_back(state, msg, ctx)
        step = self.flow.step(state.step)
        if state.status != Status.FINISHED and (step is None or not step.asks):
            return self._restart(state, ctx, msg.channel)
        tokens = canon_tokens(text)  # read once, passed along
        paused = None if msg.button else self._pause(state, tokens, ctx, msg.channel)
        if paused is not None:  # "gtg", "someone is looking at my phone": as EXIT (trial S3)
            return paused
        return self._under_way(state, step, msg, ctx, tokens)

    def _under_way(
        self, state: ConversationState, step: Step | None, msg: InboundMessage, ctx: Context, tokens: list[str]
    ) -> Outcome:
        """A message in a conversation under way: asides, buttons, a language switch, the signs, an answer."""
        text = msg.text or ""
        prefix = self._asides(state, msg, ctx)
        if (msg.has_media or msg.shared) and not text.strip() and not msg.button:
            return self._reask(state, ctx, msg.channel, prefix)
        if msg.button and msg.channel == TELEGRAM:
            return self._button(state, msg.button, ctx)
        before = state.locale
        question = self._vocab_of(before).signs_question(tokens)  # R3: "trafficking ba to?" is no sign of another
        switched = [] if msg.button or question.asked is not Asked.NO else self._switched(state, msg.channel, text)
        prefix += switched
        if switched:  # a switch never drops what the message asked, in either language (retrial R3)
            question = self._vocab_of(state.locale, before).signs_question(tokens)
        if question.asked is not Asked.NO and not self._words_pending(state, msg):
            if state.status != Status.FINISHED and step is not None:  # an answer beside it counts
                return self._asked_at(state, step, text, tokens, question, ctx, msg.channel,
                                      prefix + self._switch_offer(state, text))
            if question.asked is Asked.ALONE:
                return self._signs(state, ctx, msg.channel, prefix)
        said = bool(switched) or not_english(text, self.locales) is not None
        if said and question.asked is Asked.NO and step is not None and step.type != "text" \
                and not self._words_pending(state, msg):  # "no hablo ingles" is no answer: the question again
            return self._reask(state, ctx, msg.channel, prefix)
        outcome = self._text(state, msg, ctx, prefix, tokens)
        return self._with_signs(outcome, ctx, msg.channel) if question.asked is Asked.MORE else outcome

    def _text(
        self, state: ConversationState, msg: InboundMessage, ctx: Context, prefix: list[str], tokens: list[str]
    ) -> Outcome:
        """Typed text in a conversation under way: a language pick, a command, a question, an answer."""
        text = msg.text or ""
        picked = self._menu_pick(state, text, ctx, msg.channel, prefix)
        if picked is None and not state.extra.get(st.LANG_SURE):
            picked = self._named_later(state, text, ctx, msg.channel, prefix)  # "English" at any step
        if picked is not None:
            return picked
        command = self._command_in(state, msg.channel, text)
        if command is not None:
            return self._command(state, command, ctx, msg.channel, prefix)
        prefix = prefix + self._switch_offer(state, text)
        if self._vocab_of(state.locale).is_about_line(tokens):
            return self._reask(state, ctx, msg.channel, prefix + [self._t(state, ctx, m.ABOUT)])
        step = self.flow.step(state.step)
        if state.status == Status.FINISHED or step is None:
            return self._addendum(state, text, tokens, ctx, prefix)
        return self._typed(state, step, text, tokens, ctx, msg.channel, prefix)

    def _new_state(self, msg: InboundMessage, ctx: Context) -> ConversationState:
        # A deep link's language is an explicit choice; the app language is only a prior,
        # weighed with the text at the first message (DESIGN.md "Language").
        # A Telegram deep link may also name a campaign area ("/start es-south": a poster
        # in the south, in Spanish); it is kept as a routing hint, never asked about.
        state = ConversationState(locale=self.default_locale)
        tokens = [t for t in (msg.start_payload or "").lower().replace("_", "-").split("-") if t]
        chosen = next((t for t in tokens if t in self.locales), None)
        if chosen is not None:
            self._choose(state, chosen)
        area = next((t for t in tokens if t in ctx.region.areas), None)
        if area is not None:
            state.answers["campaign"] = area
        return state

    def _restart(self, state: ConversationState, ctx: Context, channel: str) -> Outcome:
        # A state from an older flow (a step that no longer exists): start over, keep the answers.
        state.status, state.step, state.history, state.misses = Status.ACTIVE, self.flow.start, [], 0
        state.extra.pop(st.PENDING, None)
        return self._ask(state, ctx, channel, [], [])

    def _fallback(self, state: ConversationState | None, ctx: Context, *, failed: str) -> Outcome:
        try:
            safe = st.copy_state(state) if state is not None else ConversationState(locale=self.default_locale)
        except Exception:  # even the state may be unreadable; start clean rather than fail
            safe = ConversationState(locale=self.default_locale)
        text = self.render.text(self.default_locale, m.ERROR, emergency=ctx.region.emergency)
        return Outcome(replies=pack([text]), state=safe, failed=failed)

    def _come_back(self, state: ConversationState, msg: InboundMessage, ctx: Context) -> Outcome:
        """Back after "write again when it is safe" or EXIT: the bland safety check first.

        A command keeps its meaning (EXIT leaves again, DONE closes the tip); danger words bring
        the number; an account of what happened is kept; anything else is the safety check.
        """
        text = msg.text or ""
        self._safety_asked(state)
        command = None if msg.button else self.words.command(msg.channel, text, self._command_locales(state))
        prefix = self._asides(state, msg, ctx)
        if command is not None:
            return self._command(state, command, ctx, msg.channel, prefix)
        tokens = canon_tokens(text)
        paused = None if msg.button else self._pause(state, tokens, ctx, msg.channel)
        if paused is not None:  # still not safe: leave again
            return paused
        events: list[Event] = []
        vocab = self._vocab_of(state.locale)
        asked = vocab.asks_signs(tokens)
        if asked is Asked.ALONE:
            return self._signs(state, ctx, msg.channel, prefix)
        alarm = vocab.alarm(tokens, ctx.region.emergency)
        if alarm in (Alarm.DANGER, Alarm.NUMBER):
            events.append(self._emergency_event(state))
        if alarm is not Alarm.NONE:
            prefix.append(self._t(state, ctx, m.EMERGENCY))
        if self._is_account(text, tokens, vocab) or (
                len(tokens) >= RETURN_MIN_WORDS and not vocab.is_opener(tokens, RETURN_MIN_WORDS)):
            # "ok he is gone now": what the reporter wrote on coming back joins the tip (decision 13)
            st.keep_words(state, str(state.extra[st.RESUME]["from"]), self._pieces(text))
        outcome = self._ask(state, ctx, msg.channel, prefix, events)
        return self._with_signs(outcome, ctx, msg.channel) if asked is Asked.MORE else outcome

    # ---- first message --------------------------------------------------------------

    def _first(self, state: ConversationState, msg: InboundMessage, ctx: Context) -> Outcome:
        text = msg.text or ""
        state.status = Status.ACTIVE
        state.step = self.flow.start
        found = self.words.find(msg.channel, text)  # any enabled locale's words, at first
        named = language_named(text, self.locales) if found is None else None
        asking = None
        if named is not None and not state.extra.get(st.LANG_SURE):
            self._choose(state, named)  # "español", "中文": an explicit choice, not an account
        elif found is not None and found[1] in self.locales and any(c.isalpha() for c in text):
            state.locale = found[1]  # "SALIR", "IDIOMA": the command's own language
        else:
            asking = self._first_language(state, msg)
        command = found[0] if found is not None else None
        if command is Command.EXIT:
            return self._exit(state, ctx, msg.channel)
        if command is Command.LANG:
            return self._lang(state, ctx, msg.channel, [])
        parts = [self._t(state, ctx, m.FIRST)]
        if len(self.locales) > 1 and asking is None:
            parts.append(self._t(state, ctx, m.LANG_OFFER))
        parts.extend(self._asides(state, msg, ctx))
        events: list[Event] = []
        if command is not None or named is not None:
            if command is Command.MENU and self._says_help(state, text):  # decision 12: help brings the number
                parts.append(self._t(state, ctx, m.EMERGENCY))
            outcome = self._ask(state, ctx, msg.channel, parts, events)
            return self._with_signs(outcome, ctx, msg.channel) if command is Command.SIGNS else outcome
        vocab = self._vocab_of(*(asking.candidates[:3] if asking else (state.locale,)))
        tokens = canon_tokens(text)
        asked = vocab.asks_signs(tokens)
        if vocab.is_about_line(tokens):
            parts.append(self._t(state, ctx, m.ABOUT))
        elif asked is not Asked.ALONE:  # the question alone is no account of what happened
            shown = asking is None or asking.reason.startswith("not-offered:")  # else the menu shows it
            self._first_words(state, ctx, text, tokens, vocab, parts, events, show_number=shown)
        outcome = self._first_reply(state, ctx, msg.channel, asking, parts, events)
        return outcome if asked is Asked.NO else self._with_signs(outcome, ctx, msg.channel)

    def _first_reply(
        self, state: ConversationState, ctx: Context, channel: str, asking: Decision | None, parts: list[str],
        events: list[Event],
    ) -> Outcome:
        """The danger question (with the language menu when the language is unsure), or on as for
        Yes when the message's danger words already raised the alert (trial S6)."""
        if asking is not None:
            return self._ask_language(state, ctx, channel, asking, parts, events)
        if any(e.kind is EventKind.URGENT for e in events):
            return self._danger_said(state, ctx, channel, parts, events)
        return self._ask(state, ctx, channel, parts, events)

    def _first_words(
        self, state: ConversationState, ctx: Context, text: str, tokens: list[str], vocab: Vocabulary,
        parts: list[str], events: list[Event], *, show_number: bool,
    ) -> None:
        """Emergency words and an account of what happened (kept as B1) in a first message."""
        alarm = vocab.alarm(tokens, ctx.region.emergency)
        account = self._is_account(text, tokens, vocab)
        if alarm in (Alarm.DANGER, Alarm.NUMBER):  # "sos", "911" alone: someone needs help now
            events.append(self._emergency_event(state, "" if account else text))  # an account is B1
        if alarm is not Alarm.NONE and show_number:  # the language menu shows the number anyway
            parts.append(self._t(state, ctx, m.EMERGENCY))
        if account:
            self._keep_account(state, ctx, text, parts)

    def _keep_account(self, state: ConversationState, ctx: Context, text: str, parts: list[str]) -> None:
        """A first message that tells what happened is the answer to "what did you see" (B1)."""
        b1 = self.flow.steps.get("B1")
        value, note = self._keep(text, b1.max_chars if b1 else None)
        st.record(state, "B1", value)
        state.extra[st.PREFILLED] = ["B1"]
        if note:
            parts.append(self._t(state, ctx, note, max=str(self.max_text_chars)))

    def _is_account(self, text: str, tokens: list[str], vocab: Vocabulary) -> bool:
        if vocab.is_opener(tokens, ACCOUNT_MIN_WORDS):
            return False
        words = _WORD.findall(text.casefold())
        # Chinese and Japanese write a word in a character or two, without spaces.
        dense = sum(letters(text).counts[s] for s in DENSE_SCRIPTS)
        count, size = len(words) + dense // 2, len(" ".join(words)) + 2 * dense
        if count < ACCOUNT_MIN_WORDS or size < ACCOUNT_MIN_CHARS:
            return False
        return not (text.strip().endswith("?") and count < 8)
