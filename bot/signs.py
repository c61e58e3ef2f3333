"""The signs of trafficking, on request (issue 14): what asks for them and how they are shown.

A reporter unsure whether what they saw counts can ask at any step (the SIGNS command or a
phrase of the words file's ``[signs]`` table).  The answer is a short summary grouped as the
authorities group the red flags (INTAKE.md section 0), in the catalogs as ``signs.*``: each
line after the first is "<group>: <signs>", so Telegram can show the groups in bold while
SMS gets the same words as plain text.  Asking alone never changes the conversation; an
answer sent with the question ("1 but what are the signs") counts, but only the words besides
the phrases and their doubting words ("not sure if", "but", the ``[signs]`` doubts) can answer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

# The summary's messages, in order: each fits three SMS segments on its own (the ones that fit
# together share a message, so a GSM-7 language usually sends one).
SUMMARY = ("signs.1", "signs.2", "signs.3")
BTN_BACK = "btn.signs_back"  # Telegram: the button under the summary, back to the question
BACK_DATA = "signs:back"  # its callback data
MSGIDS = (*SUMMARY, BTN_BACK)

# "<group>: <signs>": the heading ends at the first colon (ASCII or full-width) of a line,
# if it comes early enough to be a heading rather than part of a sentence.
_HEADING = re.compile(r"^([^:\uff1a\n]{1,40})([:\uff1a])")


AROUND = 4  # words besides the question (and its doubting words) that still only ask
# Scripts written without spaces between words: a phrase is found anywhere inside a run
# ("有什么迹象" holds "什么迹象"); elsewhere only whole words count.
_DENSE = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _escape(text: str) -> str:
    # Telegram's HTML needs only these three escaped; quotes stay as typed.
    return html.escape(text, quote=False)


class Asked(Enum):
    NO = "no"
    ALONE = "alone"  # only the question: answer it, change nothing
    MORE = "more"  # the question and more words: those words are handled as usual (decision 13)


@dataclass(frozen=True)
class Question:
    """How a message asks for the signs, and its words besides the question: only those can
    answer the pending question ("1 but what are the signs" -> ["1"]), never the question's own
    doubting words ("not sure if this is trafficking")."""

    asked: Asked
    rest: tuple[str, ...] = ()


NOT_ASKED = Question(Asked.NO)


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One search for every phrase, longest first; dense-script phrases match inside words."""
    alternatives = []
    for phrase in sorted(phrases, key=len, reverse=True):
        if _DENSE.search(phrase):
            alternatives.append(re.escape(phrase))
        else:
            alternatives.append(r"(?<!\S)" + re.escape(phrase) + r"(?!\S)")
    return re.compile("|".join(alternatives)) if alternatives else None


def _blank(patterns: tuple[re.Pattern[str] | None, ...], text: str) -> str:
    """``text`` without every match of every pattern, each searched in the whole text (a doubt
    "si es trata" holds the phrase "es trata": both go), single-spaced again."""
    chars = list(text)
    for pattern in patterns:
        for hit in pattern.finditer(text) if pattern is not None else ():
            chars[hit.start():hit.end()] = " " * (hit.end() - hit.start())
    return " ".join("".join(chars).split())


def _words(tokens: list[str]) -> int:
    """Words in ``tokens``, a dense-script character counting as half a word (as the engine counts)."""
    return sum(1 if not _DENSE.search(t) else max(1, len(_DENSE.findall(t)) // 2) for t in tokens)


@dataclass(frozen=True)
class SignsWords:
    """A vocabulary's signs phrases and the doubting words that belong to such a question."""

    phrases: tuple[str, ...] = ()
    doubts: tuple[str, ...] = ()

    @cached_property
    def _phrases(self) -> re.Pattern[str] | None:
        return _pattern(self.phrases)

    @cached_property
    def _doubts(self) -> re.Pattern[str] | None:
        return _pattern(self.doubts)

    def read(self, tokens: list[str]) -> Question:
        """Whether ``tokens`` (canonical words) ask for the signs, and what else they say."""
        text = " ".join(tokens)
        if self._phrases is None or self._phrases.search(text) is None:
            return NOT_ASKED
        before, left = text, _blank((self._phrases, self._doubts), text)
        while left != before:  # words that meet once others between them are gone
            before, left = left, _blank((self._phrases, self._doubts), left)
        rest = left.split()
        return Question(Asked.ALONE if _words(rest) <= AROUND else Asked.MORE, tuple(rest))


def to_html(text: str) -> str:
    """Telegram HTML of a summary text: every group heading in bold (and a first line without
    one, the title), everything escaped."""
    lines = []
    for number, line in enumerate(text.split("\n")):
        found = _HEADING.match(line)
        if found is None:
            lines.append(f"<b>{_escape(line)}</b>" if number == 0 and line else _escape(line))
        else:
            rest = line[found.end():]
            lines.append(f"<b>{_escape(found.group(1) + found.group(2))}</b>{_escape(rest)}")
    return "\n".join(lines)
