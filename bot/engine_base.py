"""What every part of the engine shares: its configuration and the ways it replies.

The engine is split by concern into a chain of classes, each in its own module
(``engine_base`` -> ``engine_close`` -> ``engine_answers`` -> ``engine_commands`` ->
``engine``); a later one may call what an earlier one defines, never the reverse.
"""

from __future__ import annotations

from typing import Mapping

from bot import messages as m
from bot import state as st
from bot.catalog import Catalogs
from bot.commands import CommandWords
from bot.flow import Flow
from bot.navigate import block_of
from bot.region_words import region_params
from bot.render import Renderer, pack
from bot.types import TELEGRAM, Button, Context, ConversationState, Event, InboundMessage, Outcome, Region, Status
from bot.words import Alarm, Vocabulary, canon_tokens

# The hard limit of one message kept (INTAKE decision 13): longer ones keep this much.
MAX_TEXT_CHARS = 5000
# Whatever their language, a reporter's words are also read as English (issue 10): English
# words are the ones people everywhere type ("ok", "yes", "sos"); other locales' are not read.
ENGLISH = "en"
# Where a shared location is asked for as the place in words rather than as "the detail".
PLACE_STEPS = frozenset({"W1", "W2"})


class EngineBase:
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
        self.vocabularies = dict(vocabularies or {})
        self.render = Renderer(catalogs, default_locale, self.vocabularies)
        self.words = CommandWords.build(catalogs, self.locales)
        self._vocab_cache: dict[tuple[str, ...], Vocabulary] = {}
        self._vocab_asked: dict[tuple[str, ...], Vocabulary] = {}  # by the locales as asked for
        # The default locale's words (and English): what a conversation starts with.
        self.vocab = self._vocab_of(default_locale)
        self._members = block_of(flow)
        self._params_cache: dict[tuple[str, Region, tuple[str, ...]], dict[str, str]] = {}

    def _vocab_of(self, *locales: str) -> Vocabulary:
        """The words a reporter in ``locales`` is read with: theirs, then English's."""
        found = self._vocab_asked.get(locales)  # asked several times a message: no key built
        if found is not None:
            return found
        key = tuple(dict.fromkeys((*locales, ENGLISH)))
        found = self._vocab_cache.get(key)
        if found is None:
            found = Vocabulary.merge(self.vocabularies[loc] for loc in key if loc in self.vocabularies)
            self._vocab_cache[key] = found
        self._vocab_asked[locales] = found  # as few entries as ``_vocab_cache``: enabled locales only
        return found

    def alarm_in(self, locale: str, text: str, emergency: str) -> Alarm:
        """What the emergency words of ``text`` say, read in the reporter's language and English
        (a Spanish "están en peligro" after the close is danger as "they are in danger" is)."""
        return self._vocab_of(locale).alarm(canon_tokens(text), emergency)

    def added_words_alarm(self, locale: str, text: str, ctx: Context) -> tuple[str | None, bool]:
        """Words a reporter adds to a tip by reference code, read as words after the close are:
        the emergency reply in ``locale`` when they hold emergency words, and whether they say
        danger ("sos", "he came back with a gun": the tip's alert and P1)."""
        alarm = self.alarm_in(locale, text, ctx.region.emergency)
        if alarm is Alarm.NONE:
            return None, False
        notice = self.render.text(locale, m.EMERGENCY, **self._params_in(locale, ctx))
        return notice, alarm in (Alarm.DANGER, Alarm.NUMBER)

    def emergency_notice(self, text: str, ctx: Context) -> str | None:
        """The fixed emergency reply (INTAKE decision 12) when ``text`` holds emergency words in any
        enabled locale, in the first locale that reads them (the default first); None without.
        It needs no conversation and no database: the spool answers with it during an outage."""
        tokens = canon_tokens(text)
        if not tokens:
            return None
        for locale in dict.fromkeys((self.default_locale, *self.locales)):
            if self._vocab_of(locale).alarm(tokens, ctx.region.emergency) is not Alarm.NONE:
                return self.render.text(locale, m.EMERGENCY, **self._params_in(locale, ctx))
        return None

    def _asides(self, state: ConversationState, msg: InboundMessage, ctx: Context) -> list[str]:
        """What is said about what was sent besides text: pictures and shared items are not kept.

        A shared location, venue or contact is never stored, not even its kind in the tip: the
        reporter is asked to type the place (at the "where" questions) or the detail in words.
        """
        notes = [self._t(state, ctx, m.MEDIA)] if msg.has_media else []
        if msg.shared:
            notes.append(self._t(state, ctx, m.SHARED_PLACE if state.step in PLACE_STEPS else m.SHARED))
        return notes

    def _says_help(self, state: ConversationState, text: str) -> bool:
        """The message is only a word like "help" ("ayuda"): not danger in itself, but it always
        brings the emergency number (INTAKE decision 12)."""
        phrase = " ".join(canon_tokens(text))
        return bool(phrase) and any(phrase in words.within for words in self._vocab_of(state.locale).alarms)

    def _command_locales(self, state: ConversationState) -> tuple[str, ...]:
        return (state.locale, ENGLISH)

    def _params(self, state: ConversationState, ctx: Context) -> dict[str, str]:
        return self._params_in(state.locale, ctx)

    def _params_in(self, locale: str, ctx: Context) -> dict[str, str]:
        key = (locale, ctx.region, ctx.partners)
        params = self._params_cache.get(key)
        if params is None:  # the same few values for every message of a deployment
            partners = self.render.partners(locale, ctx.partners)
            if not partners:
                partners = self.render.text(locale, m.PARTNERS_DEFAULT)
            params = {**region_params(self.render, locale, ctx.region), "partners": partners}
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
