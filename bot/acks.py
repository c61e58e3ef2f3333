"""Acknowledgements read as yes ("ok", "sure", "vale", "好的"): at a question whose Yes raises an
alarm they are no Yes.

The retrial's first witness answered "Is anyone in danger right now?" with "ok", meaning "go on";
it made a P1 danger tip and paged on-call, and so did "okay", "k", "sure" and "ok what do you
need".  The words file's ``answers.acks`` lists the acknowledgements among each locale's yes
words; at such a question the engine asks again instead (a number or a plain yes still answers).
"""

from __future__ import annotations

from bot.words import Vocabulary


def only_acknowledges(vocab: Vocabulary, tokens: list[str]) -> bool:
    """Whether ``tokens`` (canonical) open with an acknowledgement and say no yes of their own:
    "ok", "sure", "ok what do you need" -> True; "ok yes", "1", "yes" -> False."""
    acks = set(vocab.answers.get("acks", ()))
    words = vocab.strip_fillers(tokens)
    if not acks or not words or any(t.isdigit() for t in words):
        return False
    if not any(" ".join(words[:size]) in acks for size in (3, 2, 1)):
        return False
    said = f" {' '.join(words)} "
    return not any(f" {yes} " in said for yes in vocab.answers.get("yes", ()) if yes not in acks)
