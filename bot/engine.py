"""The conversation engine: one inbound message and the state in, replies, state and events out.

Pure logic (no I/O, no clocks, no randomness of its own): the same input always gives
the same outcome, which is what lets the service layer retry a message inside one
transaction.  The contract it follows is INTAKE.md, "Decisions for tipline".
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from bot import messages as m
from bot import state as st
from bot.catalog import Catalogs
from bot.commands import Carrier, Command, CommandWords, carrier_action, normalize
from bot.flow import BLOCKS, CLOSE, MORE, UNSAFE, Flow, Step
from bot.navigate import block_of, next_block, next_target
from bot.options import options_for
from bot.parse import Miss, Parsed, checked, parse_answer
from bot.region_words import region_params
from bot.render import DONE_DATA, TOGGLE, Renderer, pack
from bot.words import Alarm, Vocabulary, canon_tokens
from bot.types import (
    SMS, TELEGRAM, WHATSAPP, Button, Context, ConversationState, Event, EventKind, InboundMessage, Outcome, Region,
    Status,
)

MISSES_BEFORE_COMMANDS = 3
# A first message counts as an account of what happened (kept as B1) only when it is
# more than a greeting or "I want to report something": enough words and characters,
# and not a short question.
ACCOUNT_MIN_WORDS = 4
ACCOUNT_MIN_CHARS = 20
# The hard limit of one message kept (INTAKE decision 13): longer ones keep this much.
MAX_TEXT_CHARS = 5000
# A reference code typed back after the close ("7KQ2-M9XD-4TRW5") is not added to the
# tip: codes live only in the close reply and in Event.code.
_CODE_LIKE = re.compile(r"^[0-9A-Za-z]{3,6}([- ][0-9A-Za-z]{3,6}){1,4}$")
_WORD = re.compile(r"[\w']+")


class Engine:
    def __init__(
        self,
        flow: Flow,
        catalogs: Catalogs,
        *,
        locales: tuple[str, ...],
        default_locale: str,
        max_text_chars: int = MAX_TEXT_CHARS,
        vocabularies: Mapping[str, Vocabulary] | None = None,
    ) -> None:
        self.flow = flow
        self.catalogs = catalogs
        self.locales = tuple(locales) or (default_locale,)
        self.default_locale = default_locale
        self.max_text_chars = max_text_chars
        vocabularies = dict(vocabularies or {})
        self.render = Renderer(catalogs, default_locale, vocabularies)
        self.words = CommandWords.build(catalogs, self.locales)
        # Emergency words, greetings and questions about the line of every enabled locale.
        self.vocab = Vocabulary.merge(vocabularies[loc] for loc in self.locales if loc in vocabularies)
        self._members = block_of(flow)
        self._params_cache: dict[tuple[str, Region, tuple[str, ...]], dict[str, str]] = {}

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
        if state is None or state.status == Status.ENDED:
            state = self._new_state(msg, ctx)
        else:
            state = st.copy_state(state)
        if state.locale not in self.locales:
            state.locale = self.default_locale
        carrier = None if msg.button else carrier_action(msg.channel, text)
        if state.status == Status.OPTED_OUT:
            return self._opted_out(state, carrier)
        if carrier is not None:
            return self._carrier(state, carrier)
        if state.status == Status.NEW:
            return self._first(state, msg, ctx)
        step = self.flow.step(state.step)
        if state.status != Status.FINISHED and (step is None or not step.asks):
            return self._restart(state, ctx, msg.channel)
        prefix = [self._t(state, ctx, m.MEDIA)] if msg.has_media else []
        if msg.has_media and not text.strip() and not msg.button:
            return self._reask(state, ctx, msg.channel, prefix)
        if msg.button and msg.channel == TELEGRAM:
            return self._button(state, msg.button, ctx)
        if state.extra.pop(st.LANG_MENU, False):
            locale = self._pick_locale(text)
            if locale is not None:
                state.locale = locale
                return self._reask(state, ctx, msg.channel, prefix)
        command = self.words.command(msg.channel, text)
        if command is not None:
            return self._command(state, command, ctx, msg.channel, prefix)
        tokens = canon_tokens(text)
        if self.vocab.is_about_line(tokens):
            return self._reask(state, ctx, msg.channel, prefix + [self._t(state, ctx, m.ABOUT)])
        if state.status == Status.FINISHED or step is None:
            return self._addendum(state, text, tokens, ctx, prefix)
        return self._typed(state, step, text, tokens, ctx, msg.channel, prefix)

    def _new_state(self, msg: InboundMessage, ctx: Context) -> ConversationState:
        # An explicit deep-link choice wins; the app language is only a prior (DESIGN.md).
        # A Telegram deep link may also name a campaign area ("/start es-south": a poster
        # in the south, in Spanish); it is kept as a routing hint, never asked about.
        locale = self.default_locale
        tokens = [t for t in (msg.start_payload or "").lower().replace("_", "-").split("-") if t]
        for hint in (*tokens, msg.hints.language_code):
            if hint and hint.split("-")[0].lower() in self.locales:
                locale = hint.split("-")[0].lower()
                break
        state = ConversationState(locale=locale)
        area = next((t for t in tokens if t in ctx.region.areas), None)
        if area is not None:
            state.answers["campaign"] = area
        return state

    # ---- carrier keywords -----------------------------------------------------------

    def _carrier(self, state: ConversationState, carrier: Carrier) -> Outcome:
        if carrier is Carrier.OPT_OUT:
            state.extra[st.BEFORE_STOP] = state.status
            state.status = Status.OPTED_OUT
            return Outcome(replies=[], state=state, events=[Event(EventKind.OPTED_OUT, "carrier")], send=False)
        if carrier is Carrier.OPT_IN:
            # Usually a "YES" meant as an answer: the carrier answers it, we ask for numbers next time.
            state.extra[st.USE_NUMBERS] = True
            return Outcome(replies=[], state=state, events=[Event(EventKind.OPTED_IN, "carrier")], send=False)
        return Outcome(replies=[], state=state, events=[], send=False)

    def _opted_out(self, state: ConversationState, carrier: Carrier | None) -> Outcome:
        if carrier is Carrier.OPT_IN:
            state.status = str(state.extra.pop(st.BEFORE_STOP, Status.ACTIVE) or Status.ACTIVE)
            if state.status == Status.OPTED_OUT:
                state.status = Status.ACTIVE
            return Outcome(replies=[], state=state, events=[Event(EventKind.OPTED_IN, "carrier")], send=False)
        return Outcome(replies=[], state=state, events=[], send=False)

    # ---- first message --------------------------------------------------------------

    def _first(self, state: ConversationState, msg: InboundMessage, ctx: Context) -> Outcome:
        text = msg.text or ""
        state.status = Status.ACTIVE
        state.step = self.flow.start
        command = self.words.command(msg.channel, text)
        if command is Command.EXIT:
            return self._exit(state, ctx, msg.channel)
        if command is Command.LANG:
            return self._lang(state, ctx, msg.channel, [])
        parts = [self._t(state, ctx, m.FIRST)]
        if len(self.locales) > 1:
            parts.append(self._t(state, ctx, m.LANG_OFFER))
        if msg.has_media:
            parts.append(self._t(state, ctx, m.MEDIA))
        events: list[Event] = []
        if command is not None:
            return self._ask(state, ctx, msg.channel, parts, events)
        tokens = canon_tokens(text)
        if self.vocab.is_about_line(tokens):
            return self._ask(state, ctx, msg.channel, parts + [self._t(state, ctx, m.ABOUT)], events)
        alarm = self.vocab.alarm(tokens, ctx.region.emergency)
        if alarm in (Alarm.DANGER, Alarm.NUMBER):  # "sos", "911" alone: someone needs help now
            events.append(self._emergency_event(state))
        if alarm is not Alarm.NONE:
            parts.append(self._t(state, ctx, m.EMERGENCY))
        if self._is_account(text, tokens):
            b1 = self.flow.steps.get("B1")
            value, note = self._keep(text, b1.max_chars if b1 else None)
            st.record(state, "B1", value)
            state.extra[st.PREFILLED] = ["B1"]
            if note:
                parts.append(self._t(state, ctx, note, max=str(self.max_text_chars)))
        return self._ask(state, ctx, msg.channel, parts, events)

    def _is_account(self, text: str, tokens: list[str]) -> bool:
        if self.vocab.is_opener(tokens, ACCOUNT_MIN_WORDS):
            return False
        words = _WORD.findall(text.casefold())
        if len(words) < ACCOUNT_MIN_WORDS or len(" ".join(words)) < ACCOUNT_MIN_CHARS:
            return False
        return not (text.strip().endswith("?") and len(words) < 8)

    def _keep(self, text: str, chunk: int | None) -> tuple[str | list[str], str | None]:
        """Text kept whole up to the hard limit, split into parts of ``chunk`` if longer."""
        value = text.strip()
        note = None
        if len(value) > self.max_text_chars:
            value, note = value[:self.max_text_chars], m.CUT_LONG
        if chunk is None or len(value) <= chunk:
            return value, note
        return _split(value, chunk), note or m.KEPT_LONG

    # ---- answers ----------------------------------------------------------------------

    def _typed(
        self, state: ConversationState, step: Step, text: str, tokens: list[str], ctx: Context, channel: str,
        prefix: list[str],
    ) -> Outcome:
        alarm = self.vocab.alarm(tokens, ctx.region.emergency)
        if step.type == "text":
            value, note = self._keep(text, step.max_chars)
            if not value:
                return self._miss(state, step, Parsed(miss=Miss.UNCLEAR), ctx, channel, prefix)
            notes = [self._t(state, ctx, note, max=str(self.max_text_chars))] if note else []
            return self._answer(state, step, value, ctx, channel, prefix + notes, alarm=alarm)
        parsed = self._parse(state, step, text, ctx)
        if not parsed.ok and alarm in (Alarm.DANGER, Alarm.NEGATED) and step.urgent.get("yes") == "danger":
            # At a danger question, "someone is hurt now" means yes and "nobody in danger" no.
            parsed = Parsed(value="yes" if alarm is Alarm.DANGER else "no", words=text.strip())
        if alarm is Alarm.NUMBER:
            alarm = Alarm.NEGATED  # a number at a numbered question is an answer, never an alarm
        if parsed.ok:
            return self._answer(state, step, parsed.value, ctx, channel, prefix, words=parsed.words, alarm=alarm)
        if any(c.isalpha() for c in text):
            st.keep_words(state, step.id, self._pieces(text))
        if alarm is Alarm.NONE:
            return self._miss(state, step, parsed, ctx, channel, prefix)
        return self._alarmed(state, ctx, channel, prefix, alarm, parsed)

    def _pieces(self, text: str) -> list[str]:
        value, _ = self._keep(text, MAX_TEXT_CHARS)
        return value if isinstance(value, list) else [value]

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
        return parse_answer(step, text, options, words, vocab=self.vocab)

    def _hint(self, state: ConversationState, step: Step, parsed: Parsed) -> str:
        hint = {
            Miss.AMBIGUOUS: m.HINT_AMBIGUOUS,
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

    def _urgent(self, state: ConversationState, reason: str) -> Event:
        """The tip's one URGENT (one open alert per tip); later ones seal now and are counted."""
        st.sealed(state)
        if state.extra.get(st.URGENT) or state.extra.get(st.URGENT_SENT):
            state.answers[st.URGENT_REPEATS] = int(state.answers.get(st.URGENT_REPEATS) or 0) + 1
            return Event(EventKind.UPDATED, reason)
        state.extra[st.URGENT] = True
        return Event(EventKind.URGENT, reason)

    def _answer(
        self, state: ConversationState, step: Step, value: Any, ctx: Context, channel: str, prefix: list[str],
        *, words: str | None = None, alarm: Alarm = Alarm.NONE,
    ) -> Outcome:
        st.record(state, step.id, value)
        if words:
            st.keep_words(state, step.id, self._pieces(words))
        state.misses = 0
        state.extra.pop(st.PENDING, None)
        events: list[Event] = []
        sent = state.extra.setdefault(st.URGENT_SENT, [])
        for key in value if isinstance(value, list) else [value]:
            reason = step.urgent.get(key) if isinstance(key, str) else None
            if reason and reason not in sent:  # answering the same question again is no new signal
                events.append(self._urgent(state, reason))
                sent.append(reason)
        parts = list(prefix)
        if alarm is Alarm.DANGER and not any(e.reason == "danger" for e in events):
            events.append(self._emergency_event(state))
        flow_shows_number = step.id == self.flow.start and value == "yes" and st.RECHECK not in state.extra
        if alarm is not Alarm.NONE and not flow_shows_number:
            parts.append(self._t(state, ctx, m.EMERGENCY))
        back = state.extra.pop(st.RECHECK, None)
        if isinstance(back, list) and len(back) == 2 and step.id == self.flow.start:
            # The danger question was asked again: on from where we were.
            if value == "yes" and alarm is Alarm.NONE:
                parts.append(self._t(state, ctx, m.EMERGENCY))
            if back[0] is None:
                state.step = str(back[1])
                return self._reask(state, ctx, channel, parts, events)
            return self._advance(state, str(back[0]), str(back[1]), ctx, channel, parts, events)
        state.history.append(step.id)
        target = next_target(step, value)
        if alarm is Alarm.UNCLEAR and step.id != self.flow.start:
            state.extra[st.RECHECK] = [step.id, target]  # ask the danger question, then go on
            state.step = self.flow.start
            return self._reask(state, ctx, channel, parts, events)
        return self._advance(state, step.id, target, ctx, channel, parts, events)

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
                return self._close(state, ctx, channel, parts, events, EventKind.COMPLETE, "close")
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
        return self._close(state, ctx, channel, parts, events, EventKind.COMPLETE, "close")

    # ---- commands -----------------------------------------------------------------------

    def _command(
        self, state: ConversationState, command: Command, ctx: Context, channel: str, prefix: list[str]
    ) -> Outcome:
        if command is Command.EXIT:
            return self._exit(state, ctx, channel)
        if command is Command.MENU:
            help_text = self._t(state, ctx, m.HELP)
            if state.status == Status.FINISHED:
                return self._say(prefix + [help_text, self._t(state, ctx, m.FINISHED)], state)
            return self._reask(state, ctx, channel, prefix + [help_text])
        if command is Command.LANG:
            return self._lang(state, ctx, channel, prefix)
        step = self.flow.step(state.step)
        if state.status == Status.FINISHED or step is None:
            return self._say(prefix + [self._t(state, ctx, m.FINISHED)], state)
        if command is Command.DONE:
            if not st.worth_sealing(state):  # no empty tips (INTAKE decision 14)
                state.status, state.step = Status.ENDED, None
                return self._say(prefix + [self._t(state, ctx, m.DONE_EMPTY)], state)
            return self._close(state, ctx, channel, prefix, [], EventKind.INCOMPLETE, "done")
        if command is Command.SKIP:
            return self._answer(state, step, None, ctx, channel, prefix)
        # BACK: the earlier answer stays until it is answered again (nothing given is lost).
        if state.history:
            state.step = state.history.pop()
        state.misses = 0
        state.extra.pop(st.PENDING, None)
        return self._reask(state, ctx, channel, prefix)

    def _exit(self, state: ConversationState, ctx: Context, channel: str) -> Outcome:
        events = []
        if st.worth_sealing(state) and state.status != Status.FINISHED:
            events.append(Event(EventKind.INCOMPLETE, "exit"))
            st.sealed(state)
        state.status, state.step = Status.ENDED, None
        state.extra.pop(st.PENDING, None)
        msgid = {TELEGRAM: m.EXIT_TELEGRAM, SMS: m.EXIT_SMS, WHATSAPP: m.EXIT_SMS}.get(channel, m.EXIT)
        return Outcome(replies=pack([self._t(state, ctx, msgid)]), state=state, events=events)

    def _lang(self, state: ConversationState, ctx: Context, channel: str, prefix: list[str]) -> Outcome:
        if len(self.locales) == 1:
            return self._reask(state, ctx, channel, prefix + [self._t(state, ctx, m.LANG_ONE)])
        state.extra[st.LANG_MENU] = True
        names = [f"{n} {self.catalogs.text(loc, m.LANG_NAME, loc)}" for n, loc in enumerate(self.locales, 1)]
        parts = prefix + [self._t(state, ctx, m.LANG_MENU) + "\n" + "\n".join(names)]
        buttons = tuple(
            (Button(label=self.catalogs.text(loc, m.LANG_NAME, loc), data=f"lang:{loc}"),) for loc in self.locales
        )
        return Outcome(replies=pack(parts, buttons if channel == TELEGRAM else ()), state=state)

    def _pick_locale(self, text: str) -> str | None:
        said = normalize(text)
        for n, locale in enumerate(self.locales, 1):
            name = normalize(self.catalogs.text(locale, m.LANG_NAME, locale))
            if said in (str(n), locale.casefold(), name):
                return locale
        return None

    # ---- special moments ------------------------------------------------------------------

    def _emergency_event(self, state: ConversationState) -> Event:
        st.record(state, st.EMERGENCY_ANSWER, "yes")
        return self._urgent(state, "danger")

    def _close(
        self,
        state: ConversationState,
        ctx: Context,
        channel: str,
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
        state.status, state.step = Status.ENDED, None
        st.sealed(state)
        events = events + [Event(EventKind.INCOMPLETE, "unsafe")]
        return Outcome(replies=pack(parts + [self._t(state, ctx, m.UNSAFE)]), state=state, events=events)

    def _addendum(
        self, state: ConversationState, text: str, tokens: list[str], ctx: Context, prefix: list[str]
    ) -> Outcome:
        """A message after the close joins the tip; the reply never says a report exists."""
        value = text.strip()
        parts = list(prefix)
        if self.vocab.alarm(tokens, ctx.region.emergency) is not Alarm.NONE:
            parts.append(self._t(state, ctx, m.EMERGENCY))
        if not value or _CODE_LIKE.match(value):
            return self._say(parts + [self._t(state, ctx, m.FINISHED)], state)
        addenda = state.answers.setdefault(st.ADDENDA, [])
        if not isinstance(addenda, list):
            addenda = state.answers[st.ADDENDA] = []
        addenda.extend(self._pieces(value))
        if len(value) > self.max_text_chars:
            parts.append(self._t(state, ctx, m.CUT_LONG, max=str(self.max_text_chars)))
        st.sealed(state)
        return self._say(parts + [self._t(state, ctx, m.ADDENDUM)], state, [Event(EventKind.UPDATED, "more")])

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

    # ---- Telegram buttons -----------------------------------------------------------------

    def _button(self, state: ConversationState, data: str, ctx: Context) -> Outcome:
        channel = TELEGRAM
        if data.startswith("lang:") and state.extra.pop(st.LANG_MENU, False):
            locale = data[5:]
            if locale in self.locales:
                state.locale = locale
            return self._reask(state, ctx, channel, [])
        step = self.flow.step(state.step)
        step_id, _, rest = data.partition(":")
        if step is None or step_id != step.id:
            return self._reask(state, ctx, channel, [])  # stale or forged: show where we are
        keys = [o.key for o in options_for(step, ctx.region)]
        if step.type != "checklist":
            if rest in keys:
                return self._answer(state, step, rest, ctx, channel, [])
            return self._reask(state, ctx, channel, [])
        if rest == DONE_DATA:
            chosen = st.pending_keys(state, step.id)
            if not chosen:
                return self._miss(state, step, Parsed(miss=Miss.UNCLEAR), ctx, channel, [])
            parsed = checked(step, chosen, options_for(step, ctx.region))
            return self._answer(state, step, parsed.value, ctx, channel, [])
        action, _, key = rest.partition(":")
        if action != TOGGLE or key not in keys:
            return self._reask(state, ctx, channel, [])
        chosen = st.pending_keys(state, step.id)
        none_key = step.none_option.key if step.none_option else None
        if key in chosen:
            chosen.remove(key)
        elif key == none_key:
            chosen = [key]  # "none" clears the other marks
        else:
            chosen = [k for k in chosen if k != none_key] + [key]
        state.extra[st.PENDING] = {"step": step.id, "keys": [k for k in keys if k in chosen]}
        return self._reask(state, ctx, channel, [])

    # ---- output helpers --------------------------------------------------------------------

    def _params(self, state: ConversationState, ctx: Context) -> dict[str, str]:
        key = (state.locale, ctx.region, ctx.partners)
        params = self._params_cache.get(key)
        if params is None:  # the same few values for every message of a deployment
            partners = self.render.partners(state.locale, ctx.partners)
            if not partners:
                partners = self.render.text(state.locale, m.PARTNERS_DEFAULT)
            params = {**region_params(self.render, state.locale, ctx.region), "partners": partners}
            self._params_cache[key] = params
        return params

    def _t(self, state: ConversationState, ctx: Context, msgid: str, **extra: str) -> str:
        return self.render.text(state.locale, msgid, **{**self._params(state, ctx), **extra})

    def _ask(
        self, state: ConversationState, ctx: Context, channel: str, parts: list[str], events: list[Event]
    ) -> Outcome:
        """Reply with ``parts`` and then the current question (with buttons on Telegram)."""
        step = self.flow.step(state.step)
        if step is None:
            return self._say(parts, state, events)
        if state.extra.pop(st.USE_NUMBERS, False):
            parts = [self._t(state, ctx, m.USE_NUMBERS)] + parts
        question = self.render.question(step, state.locale, ctx.region, self._params(state, ctx))
        buttons: tuple[tuple[Button, ...], ...] = ()
        if channel == TELEGRAM:
            buttons = self.render.buttons(step, state.locale, ctx.region, st.pending_keys(state, step.id))
        return Outcome(replies=pack(parts + [question], buttons), state=state, events=events)

    def _reask(
        self, state: ConversationState, ctx: Context, channel: str, parts: list[str], events: list[Event] | None = None
    ) -> Outcome:
        if state.status == Status.FINISHED or self.flow.step(state.step) is None:
            return self._say(parts + [self._t(state, ctx, m.FINISHED)], state, events or [])
        return self._ask(state, ctx, channel, parts, events or [])

    @staticmethod
    def _say(parts: list[str], state: ConversationState, events: list[Event] | None = None) -> Outcome:
        return Outcome(replies=pack(parts), state=state, events=events or [])


def _split(text: str, size: int) -> list[str]:
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
