"""A signs question at a question of the flow (issue 14): what in it answers, and in what order
the replies come.

"1 but what are the signs" answers the pending question (1) and asks for the signs: the answer
is recorded with all that follows from it (the emergency reply, alerts), the summary is sent,
then the next question.  Only the words besides the question can answer; the question's own
doubting words ("not sure if this is trafficking") never do, so asking cannot turn into a false
"Not sure", "possible minor" or danger answer.  Whatever the emergency reply is, it comes before
the summary: a reporter with someone in danger must read the number first.
"""

from __future__ import annotations

from bot import messages as m
from bot import state as st
from bot.engine_commands import EngineCommands
from bot.flow import Step
from bot.langmenu import Menu
from bot.parse import Miss, Parsed
from bot.render import pack
from bot.signs import Asked, Question
from bot.types import TELEGRAM, Context, ConversationState, InboundMessage, Outcome, Reply
from bot.words import Alarm, canon_tokens


class EngineSigns(EngineCommands):
    def only_asks_signs(self, locale: str, text: str) -> bool:
        """``text`` asks for the signs and tells nothing more (a follow-up by code answers it and
        adds nothing to the tip)."""
        vocab = self._vocab_of(locale if locale in self.locales else self.default_locale)
        return vocab.asks_signs(canon_tokens(text)) is Asked.ALONE

    def _asked_at(
        self, state: ConversationState, step: Step, text: str, tokens: list[str], question: Question, ctx: Context,
        channel: str, prefix: list[str],
    ) -> Outcome:
        """A message asking for the signs while ``step`` waits for its answer (``tokens``: its words)."""
        alarm = self._vocab_of(state.locale).alarm(tokens, ctx.region.emergency)
        if step.type == "text":
            if question.asked is Asked.MORE:  # the words tell something: they are the answer (decision 13)
                return self._with_signs(self._typed(state, step, text, tokens, ctx, channel, prefix), ctx, channel)
            if alarm is Alarm.NONE:
                return self._signs(state, ctx, channel, prefix)
            outcome = self._alarmed(state, ctx, channel, prefix, Alarm.UNCLEAR if alarm is Alarm.NUMBER else alarm)
            return self._with_signs(outcome, ctx, channel)
        parsed = self._parse(state, step, " ".join(question.rest), ctx) if question.rest else Parsed(miss=Miss.UNCLEAR)
        if parsed.value == "unsure" and not question.rest[0].isdigit():  # "maybe, how do I know": doubt, not
            parsed = Parsed(miss=Miss.UNCLEAR)  # an answer; only "3" says "Not sure" beside the question
        if not parsed.ok and alarm in (Alarm.DANGER, Alarm.NEGATED) and step.urgent.get("yes") == "danger":
            parsed = Parsed(value="yes" if alarm is Alarm.DANGER else "no")  # as for any answer (engine_answers)
        if alarm is Alarm.NUMBER:
            alarm = Alarm.NEGATED  # a number at a numbered question is an answer, never an alarm
        words = text.strip() if question.asked is Asked.MORE else None  # a few words only asked
        if parsed.ok:
            outcome = self._answer(state, step, parsed.value, ctx, channel, prefix, words=words, alarm=alarm)
        elif alarm is not Alarm.NONE:
            if words:
                st.keep_words(state, step.id, self._pieces(words))
            outcome = self._alarmed(state, ctx, channel, prefix, alarm)
        elif words or parsed.miss is not Miss.UNCLEAR:  # words kept, or numbers that do not fit ("1 8")
            if words:
                st.keep_words(state, step.id, self._pieces(words))
            outcome = self._miss(state, step, parsed, ctx, channel, prefix)
        else:
            return self._signs(state, ctx, channel, prefix)  # only the question: nothing changes
        return self._with_signs(outcome, ctx, channel)

    def _with_signs(self, outcome: Outcome, ctx: Context, channel: str) -> Outcome:
        """``outcome`` (of a message that asked for the signs) with the summary just before its
        question: after the emergency reply and whatever else the message brought, so the number
        comes first and the question the reporter answers next is the last thing they read."""
        state = outcome.state
        summary = self._signs_replies(state, ctx, channel)
        step = self.flow.step(state.step)
        replies = list(outcome.replies)
        question = self.render.question(step, state.locale, ctx.region, self._params(state, ctx)) if step else None
        if question is None or not replies or not replies[-1].text.endswith(question):
            # No question at the end (a language menu, the close): the summary first, as it answers
            # what was asked, unless the emergency number is there: the number comes first.
            number = self._t(state, ctx, m.EMERGENCY)
            replies = replies + summary if any(number in r.text for r in replies) else summary + replies
        else:
            last = replies.pop()
            before = last.text[:-len(question)].rstrip("\n")
            if channel == TELEGRAM:
                replies += pack([before]) + summary + [Reply(text=question, buttons=last.buttons)]
            else:
                texts = [r.text for r in replies] + [before] + [r.text for r in summary] + [question]
                replies = pack(texts, last.buttons)
        return Outcome(replies=replies, state=state, events=outcome.events, send=outcome.send, failed=outcome.failed)

    def _words_pending(self, state: ConversationState, msg: InboundMessage) -> bool:
        """A pick from an open language menu or a command: those come first ("what are the signs"
        with the menu open is still a question)."""
        menu = Menu.stored(state.extra.get(st.LANG_MENU), self.locales)
        if menu is not None and menu.pick(msg.text or "", self.catalogs, self.locales) is not None:
            return True
        return self.words.command(msg.channel, msg.text or "", self._command_locales(state)) is not None
