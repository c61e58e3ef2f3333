"""Words that are not answers: carrier keywords, the engine's commands (EXIT, SKIP, BACK, MENU,
DONE, LANG), the language menu, and Telegram's inline buttons."""

from __future__ import annotations

from bot import messages as m
from bot import signs
from bot import state as st
from bot.commands import Carrier, Command
from bot.engine_language import EngineLanguage
from bot.options import options_for
from bot.parse import checked
from bot.render import DONE_DATA, TOGGLE, pack
from bot.types import TELEGRAM, Button, Context, ConversationState, Event, EventKind, Outcome, Reply, Status
from bot.words import Alarm


class EngineCommands(EngineLanguage):
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

    def _opted_out(self, state: ConversationState, carrier: Carrier | None, text: str, ctx: Context) -> Outcome:
        if carrier is Carrier.OPT_IN:
            state.status = str(state.extra.pop(st.BEFORE_STOP, Status.ACTIVE) or Status.ACTIVE)
            if state.status == Status.OPTED_OUT:
                state.status = Status.ACTIVE
            return Outcome(replies=[], state=state, events=[Event(EventKind.OPTED_IN, "carrier")], send=False)
        if carrier is None and self.alarm_in(state.locale, text, ctx.region.emergency) in (Alarm.DANGER, Alarm.NUMBER):
            # STOP stops the line's messages, not the reporter's: danger written after it still makes
            # the tip (P1, the on-call alert), with nothing sent (reporter trial: "a man is beating a
            # girl ... right now, she is 12" after STOP was dropped).
            return Outcome(replies=[], state=state, events=[self._emergency_event(state, text)], send=False)
        return Outcome(replies=[], state=state, events=[], send=False)

    def _command(
        self, state: ConversationState, command: Command, ctx: Context, channel: str, prefix: list[str]
    ) -> Outcome:
        if command is Command.EXIT:
            return self._exit(state, ctx, channel)
        if command is Command.SIGNS:
            return self._signs(state, ctx, channel, prefix)
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
            return self._close(state, ctx, prefix, [], EventKind.INCOMPLETE, "done")
        if command is Command.SKIP:
            return self._answer(state, step, None, ctx, channel, prefix)
        # BACK: the earlier answer stays until it is answered again (nothing given is lost).
        if state.history:
            state.step = state.history.pop()
        state.misses = 0
        state.extra.pop(st.PENDING, None)
        return self._reask(state, ctx, channel, prefix)

    def _button(self, state: ConversationState, data: str, ctx: Context) -> Outcome:
        channel = TELEGRAM
        if data == signs.BACK_DATA:  # the button under the signs summary
            return self._reask(state, ctx, channel, [])
        if data.startswith("lang:"):
            return self._lang_button(state, data, ctx)
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
            if not chosen:  # a button user is shown the buttons, not told to type numbers (trial minor 9)
                return self._reask(state, ctx, channel, [self._t(state, ctx, m.HINT_BUTTONS)])
            parsed = checked(step, chosen, options_for(step, ctx.region))
            return self._answer(state, step, parsed.value, ctx, channel, [])
        action, _, key = rest.partition(":")
        if action != TOGGLE or key not in keys:
            return self._reask(state, ctx, channel, [])
        self._toggle(state, step.id, key, keys, step.none_option.key if step.none_option else None)
        return self._reask(state, ctx, channel, [])

    @staticmethod
    def _toggle(state: ConversationState, step_id: str, key: str, keys: list[str], none_key: str | None) -> None:
        chosen = st.pending_keys(state, step_id)
        if key in chosen:
            chosen.remove(key)
        elif key == none_key:
            chosen = [key]  # "none" clears the other marks
        else:
            chosen = [k for k in chosen if k != none_key] + [key]
        state.extra[st.PENDING] = {"step": step_id, "keys": [k for k in keys if k in chosen]}

    # ---- the signs (issue 14) ---------------------------------------------------------

    def _signs(self, state: ConversationState, ctx: Context, channel: str, prefix: list[str]) -> Outcome:
        """The signs summary, then the pending question: nothing in the state changes.

        On Telegram the summary carries a button back to the question instead (the summary is
        long; the button brings the question with its own buttons under the thumb).
        """
        if channel != TELEGRAM:
            return self._reask(state, ctx, channel, prefix + self._signs_texts(state, ctx))
        back = ((Button(label=self._t(state, ctx, signs.BTN_BACK), data=signs.BACK_DATA),),)
        return Outcome(replies=pack(prefix) + self._signs_replies(state, ctx, channel, back), state=state)

    def _signs_texts(self, state: ConversationState, ctx: Context) -> list[str]:
        return [self._t(state, ctx, msgid) for msgid in signs.SUMMARY]

    def _signs_replies(
        self, state: ConversationState, ctx: Context, channel: str, buttons: tuple[tuple[Button, ...], ...] = ()
    ) -> list[Reply]:
        texts = self._signs_texts(state, ctx)
        if channel != TELEGRAM:
            return pack(texts, buttons)  # SMS: each part within three segments
        return [Reply(text=signs.to_html("\n".join(texts)), buttons=buttons, html=True)]
