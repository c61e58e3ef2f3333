"""The signs of trafficking, on request (issue 14): what asks for them and how they are shown.

A reporter unsure whether what they saw counts can ask at any step (the SIGNS command or a
phrase of the words file's ``[signs]`` table).  The answer is a short summary grouped as the
authorities group the red flags (INTAKE.md section 0), in the catalogs as ``signs.*``: each
line after the first is "<group>: <signs>", so Telegram can show the groups in bold while
SMS gets the same words as plain text.  Asking never changes the conversation.
"""

from __future__ import annotations

import html
import re
from enum import Enum

# The summary's messages, in order: each fits three SMS segments on its own (the ones that fit
# together share a message, so a GSM-7 language usually sends one).
SUMMARY = ("signs.1", "signs.2", "signs.3")
BTN_BACK = "btn.signs_back"  # Telegram: the button under the summary, back to the question
BACK_DATA = "signs:back"  # its callback data
MSGIDS = (*SUMMARY, BTN_BACK)

# "<group>: <signs>": the heading ends at the first colon (ASCII or full-width) of a line,
# if it comes early enough to be a heading rather than part of a sentence.
_HEADING = re.compile(r"^([^:\uff1a\n]{1,40})([:\uff1a])")


AROUND = 4  # words besides the phrases that still only ask


def _escape(text: str) -> str:
    # Telegram's HTML needs only these three escaped; quotes stay as typed.
    return html.escape(text, quote=False)


class Asked(Enum):
    NO = "no"
    ALONE = "alone"  # only the question: answer it, change nothing
    MORE = "more"  # the question and more words: those words are handled as usual (decision 13)


def asked(found: list[tuple[int, int]], tokens: int) -> Asked:
    """Whether a message of ``tokens`` words, holding signs phrases at ``found`` (start, size),
    asks only for the signs: a few words besides the phrases are still the question ("so how do
    I know if this is trafficking"); more tell something."""
    if not found:
        return Asked.NO
    covered = {i for start, size in found for i in range(start, start + size)}
    return Asked.ALONE if tokens - len(covered) <= AROUND else Asked.MORE


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
