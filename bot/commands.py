"""Words that are not answers: carrier keywords and the engine's commands.

Carrier keywords (INTAKE decision 4, CHANNELS C5) are a fixed per-channel table because
the carrier acts on them whatever the engine does; the engine's own command words come
from the catalogs so a translation can add its equivalents.  Emergency words live in
the words files (``bot.words``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from enum import StrEnum
from typing import Mapping, Sequence

from bot.catalog import Catalogs
from bot.types import SMS, TELEGRAM, TERMINAL, WHATSAPP
from bot.words import fold_digits


class Carrier(StrEnum):
    OPT_OUT = "opt_out"  # the carrier stops delivery; the line must send nothing more
    OPT_IN = "opt_in"  # the carrier resumes delivery and sends its own confirmation
    HELP = "help"  # the carrier sends its own help reply


_OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
# Not YES (INTAKE decision 4): people answer "Is anyone in danger right now?" with "yes",
# and silence there is the worst reply the line can give, so the engine answers it.
_OPT_IN = ("START", "UNSTOP")
_HELP = ("HELP", "INFO")
_CARRIER = {
    **{w: Carrier.OPT_OUT for w in _OPT_OUT},
    **{w: Carrier.OPT_IN for w in _OPT_IN},
    **{w: Carrier.HELP for w in _HELP},
}

# Which single-word messages each channel's carrier reserves.  Telegram and the
# terminal have no carrier in between, so there "help" or "stop" are ordinary words.
CARRIER_WORDS: Mapping[str, Mapping[str, Carrier]] = {
    SMS: _CARRIER,
    WHATSAPP: _CARRIER,
    TELEGRAM: {},
    TERMINAL: {},
}


def carrier_action(channel: str, text: str) -> Carrier | None:
    """The carrier meaning of a whole message, or None (multi-word messages never match)."""
    word = text.strip().rstrip(".!").strip()
    if not word or any(c.isspace() for c in word):
        return None
    return CARRIER_WORDS.get(channel, {}).get(word.upper())


class Command(StrEnum):
    SKIP = "skip"
    BACK = "back"
    MENU = "menu"
    DONE = "done"
    LANG = "lang"
    EXIT = "exit"
    SIGNS = "signs"  # the signs of trafficking, then the pending question (issue 14)


COMMAND_MSGIDS: Mapping[Command, str] = {c: f"cmd.words.{c.value}" for c in Command}

# Extra command words only where no carrier claims them (Telegram's "/help" habit).
CHANNEL_EXTRAS: Mapping[str, Mapping[str, Command]] = {
    TELEGRAM: {"help": Command.MENU, "start": Command.MENU},
    TERMINAL: {"help": Command.MENU},
}

def normalize(text: str) -> str:
    """Lower-case, single-spaced, ASCII digits, without surrounding punctuation ("?" alone survives)."""
    folded = " ".join(fold_digits(text).casefold().split())
    stripped = folded.strip(" .,!;:\"'()")
    return stripped or folded


# Commands understood in every enabled locale's words, whatever the conversation's language:
# EXIT because a reporter whose phone is not safe must never be misread, LANG because it is
# the way out of a language that is not theirs.
EVERYWHERE = frozenset({Command.EXIT, Command.LANG})


@dataclass(frozen=True)
class CommandWords:
    """Command words per locale: a conversation reads its own locale's and English's (issue 10).

    Not every locale's: a word that is a command in one language may be an answer in another.
    """

    by_locale: Mapping[str, Mapping[str, Command]]
    everywhere: Mapping[str, Command]

    @classmethod
    def build(cls, catalogs: Catalogs, locales: tuple[str, ...]) -> "CommandWords":
        by_locale: dict[str, dict[str, Command]] = {}
        everywhere: dict[str, Command] = {}
        for locale in locales:
            own = by_locale.setdefault(locale, {})
            for command, msgid in COMMAND_MSGIDS.items():
                for word in catalogs.words(locale, msgid):
                    own.setdefault(normalize(word), command)
                    if command in EVERYWHERE:
                        everywhere.setdefault(normalize(word), command)
        return cls(by_locale=by_locale, everywhere=everywhere)

    @cached_property
    def _any_locale(self) -> Mapping[str, tuple[Command, str]]:
        """Each word's command in the first locale (in ``by_locale`` order) that has the word."""
        table: dict[str, tuple[Command, str]] = {}
        for locale, words in self.by_locale.items():
            for word, command in words.items():
                table.setdefault(word, (command, locale))
        return table

    def command(self, channel: str, text: str, locales: Sequence[str] | None = None) -> Command | None:
        """The command ``text`` is in ``locales`` (every enabled one when None), else None."""
        found = self.find(channel, text, locales)
        return found[0] if found is not None else None

    def find(self, channel: str, text: str, locales: Sequence[str] | None = None) -> tuple[Command, str] | None:
        """The command and the locale whose word it is ("" for a channel's own words)."""
        word = normalize(text)
        if channel == TELEGRAM and word.startswith("/"):
            word = word[1:].split("@", 1)[0]  # "/skip@tiplinebot" -> "skip"
        if locales is None:  # every enabled locale's words: one lookup
            first = self._any_locale.get(word)
            if first is not None:
                return first
        for locale in () if locales is None else locales:
            found = self.by_locale.get(locale, {}).get(word)
            if found is not None:
                return found, locale
        if word in self.everywhere:
            owner = next(loc for loc, words in self.by_locale.items() if words.get(word) is self.everywhere[word])
            return self.everywhere[word], owner
        extra = CHANNEL_EXTRAS.get(channel, {}).get(word)
        if extra is None and word.rstrip("?\uff1f\u061f") != word:  # "signs?" asks; "done?" closes nothing
            asked = self.find(channel, word.rstrip("?\uff1f\u061f"), locales)
            return asked if asked is not None and asked[0] is Command.SIGNS else None
        return (extra, "") if extra is not None else None
