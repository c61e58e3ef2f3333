"""The conversation's language: decided at the first message, asked when unsure, switched on
request, offered when a later message is clearly in another language (DESIGN.md "Language").

Evidence, strongest first: an explicit choice (a deep link, LANG and the menu, a language's
name as the whole first message), the text when ``bot.language.decide`` finds it decisive, the
priors (Telegram's app language, the calling-code country: read here, never stored), the
deployment default.  When ``decide`` asks, the first reply asks too, but never makes someone in
danger wait: the danger check and the emergency number come first, in the likeliest language
and in English, and the danger question keeps its numbers while languages go by letter.
"""

from __future__ import annotations

from bot import messages as m
from bot import state as st
from bot.engine_answers import EngineAnswers
from bot.engine_base import ENGLISH
from bot.commands import Command
from bot.langmenu import Menu, name
from bot.langnames import language_named, not_english, unoffered_named
from bot.langscript import letters
from bot.language import Decision, decide
from bot.render import pack
from bot.types import TELEGRAM, Button, Context, ConversationState, Event, InboundMessage, Outcome
from bot.words import canon

# A later message long enough for its language to be worth an offer to switch ("ok", "yes",
# "Chinese workers" are not; a sentence of what happened is).  A Han, kana or Hangul character
# holds about a word: it counts as three letters.
SWITCH_MIN_LETTERS = 30
# Trial S5: while the language was only inferred ("hi" read as English), a message in another
# offered language switches the conversation to it: its script says so from this many letters
# (a Han character counting three), the n-grams (already held to a 10-nat margin) from SWITCH_NGRAM.
SWITCH_SCRIPT = 4
SWITCH_NGRAM = 15
DENSE_SCRIPTS = ("han", "kana", "hangul")


class EngineLanguage(EngineAnswers):
    def _first_language(self, state: ConversationState, msg: InboundMessage) -> Decision | None:
        """Settle the first message's language in ``state``; a Decision to ask, or None when settled."""
        if state.extra.get(st.LANG_SURE) or len(self.locales) == 1:
            return None
        text = msg.text or ""
        decision = decide(text, enabled=self.locales, telegram_lang=msg.hints.language_code,
                          country=msg.hints.country, default=self.default_locale)
        state.locale = decision.candidates[0] if decision.candidates else self.default_locale
        other = unoffered_named(text, self.locales) or (
            decision.reason.partition(":")[2] if decision.reason.startswith("not-offered:") else None)
        if other:  # "merhaba", "türkçe": English (the reply says the line does not speak theirs yet)
            state.locale = ENGLISH if ENGLISH in self.locales else self.default_locale
            return Decision.ask(decision.candidates, f"not-offered:{other}")
        greeted = self._greeting_language(text, decision.candidates)
        if greeted is not None:  # "hi", "hola": too short for the n-grams, but a greeting says its language
            state.locale = greeted
            decision = Decision.commit(greeted, "greeting")
        if decision.action == "commit":
            state.extra[st.LANG_SURE] = True
            return None
        return decision

    def _greeting_language(self, text: str, ranked: tuple[str, ...]) -> str | None:
        """The enabled locale whose greetings hold the whole of ``text``, likeliest first, else None."""
        said = canon(text)
        if not said:
            return None
        greeting_in = [loc for loc in self.locales
                       if loc in self.vocabularies and said in self.vocabularies[loc].greetings]
        return next((loc for loc in (*ranked, *greeting_in) if loc in greeting_in), None)

    def _choose(self, state: ConversationState, locale: str) -> None:
        state.locale = locale
        state.extra[st.LANG_SURE] = True
        state.extra[st.LANG_CHOSEN] = True
        state.extra.pop(st.LANG_MENU, None)

    def _in(self, locale: str, ctx: Context, msgid: str) -> str:
        return self.render.text(locale, msgid, **self._params_in(locale, ctx))

    def _header(self, state: ConversationState) -> str:
        """The menu's one line of instructions: in the conversation's language, and in English
        while the language is only a guess."""
        first = self.render.text(state.locale, m.LANG_MENU)
        if state.locale == ENGLISH or state.extra.get(st.LANG_SURE) or ENGLISH not in self.locales:
            return first
        return first + "\n" + self.render.text(ENGLISH, m.LANG_MENU)

    def _menu_reply(
        self, state: ConversationState, channel: str, menu: Menu, parts: list[str],
        buttons: tuple[tuple[Button, ...], ...] = (), events: list[Event] | None = None,
    ) -> Outcome:
        state.extra[st.LANG_MENU] = menu.to_extra()
        text = self._header(state) + "\n" + menu.lines(self.catalogs)
        if channel == TELEGRAM:
            buttons = buttons + menu.buttons(self.catalogs)
        return Outcome(replies=pack(parts + [text], buttons if channel == TELEGRAM else ()), state=state,
                       events=events or [])

    def _ask_language(
        self, state: ConversationState, ctx: Context, channel: str, decision: Decision, parts: list[str],
        events: list[Event],
    ) -> Outcome:
        """The first reply when the language is unsure: danger check and emergency number in the
        likeliest language and in English, then the menu.  The danger question stays pending."""
        if decision.reason.startswith("not-offered:"):
            return self._not_offered(state, ctx, channel, parts, events, question=True)
        step = self.flow.steps[self.flow.start]
        likeliest = state.locale
        for locale in dict.fromkeys((likeliest, ENGLISH)):
            if locale in self.locales:
                question = self.render.question(step, locale, ctx.region, self._params_in(locale, ctx))
                parts = parts + [question + "\n" + self._in(locale, ctx, m.EMERGENCY)]
        buttons = self.render.buttons(step, likeliest, ctx.region) if channel == TELEGRAM else ()
        return self._menu_reply(state, channel, Menu(decision.candidates), parts, buttons, events)

    def _lang(self, state: ConversationState, ctx: Context, channel: str, prefix: list[str]) -> Outcome:
        """LANG: every enabled language, the conversation's own first."""
        if len(self.locales) == 1:
            return self._reask(state, ctx, channel, prefix + [self._t(state, ctx, m.LANG_ONE)])
        order = tuple(dict.fromkeys((state.locale, *self.locales)))
        return self._menu_reply(state, channel, Menu(order), prefix)

    def _menu_pick(
        self, state: ConversationState, text: str, ctx: Context, channel: str, prefix: list[str]
    ) -> Outcome | None:
        """A reply to the language menu: a language chosen, the next page, or None (not a pick)."""
        menu = Menu.stored(state.extra.pop(st.LANG_MENU, None), self.locales)
        if menu is None:
            return None
        picked = menu.pick(text, self.catalogs, self.locales)
        if picked is None and unoffered_named(text, self.locales):  # "türkçe": not stuck at the menu
            return self._not_offered(state, ctx, channel, prefix, [], question=False)
        if picked is None:
            return None
        if picked not in self.locales:  # "more": the next page; the danger question still waits
            return self._menu_reply(state, channel, menu.next_page(), prefix)
        self._choose(state, picked)
        return self._reask(state, ctx, channel, prefix)

    def _lang_button(self, state: ConversationState, data: str, ctx: Context) -> Outcome:
        menu = Menu.stored(state.extra.pop(st.LANG_MENU, None), self.locales)
        if menu is not None and data == "lang:+":
            return self._menu_reply(state, TELEGRAM, menu.next_page(), [])
        if menu is not None and data[5:] in self.locales:
            self._choose(state, data[5:])
        return self._reask(state, ctx, TELEGRAM, [])

    def _switch_offer(self, state: ConversationState, text: str) -> list[str]:
        """A long message clearly in another enabled language than the one the reporter chose:
        offer the switch in one line, in both languages, once per language (an inferred language
        is switched by ``_switched`` instead)."""
        seen = letters(text)
        if len(self.locales) == 1 or seen.total + 2 * sum(seen.counts[s] for s in DENSE_SCRIPTS) < SWITCH_MIN_LETTERS:
            return []
        if not state.extra.get(st.LANG_CHOSEN):  # an inferred language was switched already (``_switched``)
            return []
        decision = decide(text, enabled=self.locales, default=self.default_locale)
        other = decision.locale
        if other is None or other == state.locale:
            return []
        if not state.extra.get(st.LANG_SURE):
            self._choose(state, other)
            return []
        offered = state.extra.setdefault(st.LANG_OFFERED, [])
        if not isinstance(offered, list) or other in offered:
            return []
        offered.append(other)
        state.extra[st.LANG_MENU] = Menu((other, state.locale)).to_extra()
        return [f"{self.render.text(other, m.LANG_MENU)} / {self.render.text(state.locale, m.LANG_MENU)}"
                f" a {name(self.catalogs, other)}, b {name(self.catalogs, state.locale)}"]

    def _not_offered(
        self, state: ConversationState, ctx: Context, channel: str, parts: list[str], events: list[Event], *,
        question: bool,
    ) -> Outcome:
        """A language the line does not offer ("merhaba", "türkçe"): one short line in English that
        it does not speak theirs yet, the danger question on a first message, and the menu (trial
        S5: 3 SMS segments at most, where the danger question and 911 in two languages took 6)."""
        state.locale = ENGLISH if ENGLISH in self.locales else self.default_locale
        state.extra.pop(st.LANG_SURE, None)
        parts = parts + [self._in(state.locale, ctx, m.LANG_NOT_OFFERED)]
        buttons: tuple[tuple[Button, ...], ...] = ()
        if question:
            step = self.flow.steps[self.flow.start]
            parts.append(self.render.question(step, state.locale, ctx.region, self._params_in(state.locale, ctx)))
            buttons = self.render.buttons(step, state.locale, ctx.region) if channel == TELEGRAM else ()
        order = tuple(dict.fromkeys((state.locale, *self.locales)))
        return self._menu_reply(state, channel, Menu(order), parts, buttons, events)

    def _named_later(
        self, state: ConversationState, text: str, ctx: Context, channel: str, prefix: list[str]
    ) -> Outcome | None:
        """While the language is a guess, its name at any step chooses it ("English" after a
        reply in the wrong one); a language the line does not offer gets ``_not_offered``."""
        named = language_named(text, self.locales)
        if named is not None:
            self._choose(state, named)
            return self._reask(state, ctx, channel, prefix)
        if unoffered_named(text, self.locales):
            return self._not_offered(state, ctx, channel, prefix, [], question=False)
        return None

    def _switched(self, state: ConversationState, channel: str, text: str) -> list[str]:
        """Trial S5: a message in another offered language while the language was only inferred
        ("hi" -> English, then Spanish): switch to it and say so in one line (its name and how to
        change it).  A language the reporter chose is only offered a switch (``_switch_offer``)."""
        if len(self.locales) == 1 or state.extra.get(st.LANG_CHOSEN):
            return []
        menu = Menu.stored(state.extra.get(st.LANG_MENU), self.locales)
        if menu is not None and menu.pick(text, self.catalogs, self.locales) is not None:
            return []  # "中文" at the menu is a choice, made by ``_menu_pick``
        other = self._written_in(state, channel, text)
        if other is None or other == state.locale:
            return []
        state.locale = other
        state.extra[st.LANG_SURE] = True
        state.extra.pop(st.LANG_MENU, None)
        return [f"{name(self.catalogs, other)}. {self.render.text(other, m.LANG_OFFER)}"]

    def _command_in(self, state: ConversationState, channel: str, text: str) -> Command | None:
        """The command ``text`` is in the conversation's language or English, or any enabled
        language's SIGNS word ("SEÑALES" after "hi"): answered in the conversation's language, since
        a command is no evidence of a language (retrial R2), yet never dropped as words."""
        command = self.words.command(channel, text, self._command_locales(state))
        if command is None:
            found = self.words.find(channel, text)
            command = Command.SIGNS if found is not None and found[0] is Command.SIGNS else None
        return command

    def _written_in(self, state: ConversationState, channel: str, text: str) -> str | None:
        """The offered locale ``text`` is surely in: "no hablo ingles", its script, or n-grams over a
        long enough text; None when unsure.  A command word of any locale is no evidence (retrial R2)."""
        if self.words.find(channel, text) is not None:  # retrial R2: SIGNS, /signs, SALIR say no language
            return None
        said = not_english(text, self.locales)
        if said is not None:
            return said
        seen = letters(text)
        weight = seen.total + 2 * sum(seen.counts[s] for s in DENSE_SCRIPTS)
        if weight < SWITCH_SCRIPT or (weight < SWITCH_NGRAM and text.isascii()):
            return None  # "1 3", "yes", "my cousin": no n-gram reading (about 1 ms) on the hot path
        decision = decide(text, enabled=self.locales, default=self.default_locale)
        by_script = decision.reason.startswith(("script:", "letters:"))
        return decision.locale if by_script or weight >= SWITCH_NGRAM else None
