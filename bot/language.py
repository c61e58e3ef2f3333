"""Deciding the language of a reporter's text (DESIGN.md "Language"; issue 10).

``decide`` weighs, strongest first: the script (Hangul is Korean, kana Japanese...), letters
that only some languages of a shared script use, then langdetect's n-gram profiles restricted
to what the text allows and trusted only on enough n-grams and a clear margin; Telegram's
``language_code`` and the calling-code country only re-rank the menu or break a near tie; the
deployment default comes last.  When the evidence is weak or disagrees, or points to a language
the line does not offer, the answer is ``ask`` with the likeliest enabled locales first; the
line never pretends a text is English.  Explicit choices are the engine's; ``language_named``
recognises a language's name for it.  Pure: the profiles load once, on first use or ``warm_up``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.langmodel import Ranking, default_model
from bot.langnames import language_named, prior_languages
from bot.langscript import (
    SCRIPT_LANGUAGE,
    arabic_script_language,
    creole_evidence,
    cyrillic_narrowing,
    ethiopic_language,
    is_vietnamese,
    letters,
)

# Trust the n-gram ranking when the best language's log-likelihood leads the next one's by
# MARGIN nats.  Naive Bayes counts each letter in up to three overlapping n-grams as if they
# were independent, so a 10-nat lead means odds nearer e^(10/3) ~ 28:1 than e^10.  One number
# for every length: on bench/language.py wrong commitments stay under the targets from 8 nats
# up and asking on sentences grows past 12; 10 is the round value between.  MIN_NGRAMS only
# keeps two-letter texts ("ok", "hi") out of it.
MIN_NGRAMS = 6
MARGIN = 10.0
# Stop reading a long text once the leader is this far ahead: three times what a commitment
# needs, so that a name or a borrowed word at the start cannot decide alone.
STOP_MARGIN = 3 * MARGIN
# A prior may settle a text that falls short of MARGIN only when the text leans this far its way.
TIE_MARGIN = 3.0
# Haitian Creole (no profile): a word only Creole uses, Creole function words making up this
# share of a text of at least this many words.
CREOLE_STRONG_WORDS = 1
CREOLE_SHARE = 0.3
CREOLE_MIN_WORDS = 4


@dataclass(frozen=True)
class Decision:
    """Either commit to ``locale`` or ask, offering ``candidates`` likeliest first."""

    action: Literal["commit", "ask"]
    candidates: tuple[str, ...]
    reason: str

    @property
    def locale(self) -> str | None:
        return self.candidates[0] if self.action == "commit" else None

    @classmethod
    def commit(cls, locale: str, reason: str) -> Decision:
        return cls("commit", (locale,), reason)

    @classmethod
    def ask(cls, candidates: Sequence[str], reason: str) -> Decision:
        return cls("ask", tuple(candidates), reason)


@dataclass(frozen=True)
class Reading:
    """What the text alone says: its likeliest languages (any, offered or not) and how surely."""

    ranked: tuple[str, ...]
    decisive: bool
    reason: str
    margin: float = 0.0


def warm_up() -> None:
    """Load the n-gram profiles now rather than on the first message."""
    default_model()


def decide(text: str, *, enabled: Sequence[str], telegram_lang: str | None = None,
           country: str | None = None, default: str) -> Decision:
    """The language to answer ``text`` in, or the short list to ask the reporter to choose from."""
    offered = tuple(dict.fromkeys(enabled))
    if len(offered) == 1:
        return Decision.commit(offered[0], "only-locale")
    reading = read_text(text, offered)
    priors = prior_languages(telegram_lang, country)
    best = reading.ranked[0] if reading.ranked else None
    if reading.decisive and best in offered:
        return Decision.commit(best, reading.reason)
    ranked = _menu(reading, priors, default, offered)
    if best is not None and best not in offered and reading.decisive:
        return Decision.ask(ranked, f"not-offered:{best}")
    # Short of decisive, but the text leans towards the language a prior names: the two agree.
    # A prior never picks the text's second guess, so it cannot outvote the text.
    if reading.reason == "ngram-weak" and best in offered and best in priors and reading.margin >= TIE_MARGIN:
        return Decision.commit(best, "ngram+prior")
    return Decision.ask(ranked, reading.reason if reading.ranked else "no-evidence")


def _menu(reading: Reading, priors: Sequence[str], default: str, offered: Sequence[str]) -> tuple[str, ...]:
    """Offered locales, likeliest first: what the text narrowed to, the priors, the default, the rest.

    A statistical guess that fell short ("ngram-weak": "ok" reads as Polish) ranks after the
    priors, and after the default too unless the text leans its way by TIE_MARGIN: "Hello"
    and "/start" lead by a nat or less (Finnish, Swedish, Italian) and must not open the
    first reply in Italian.  Letters and words that narrowed the choice (Ethiopic, a Creole
    word) rank before.
    """
    guesses = [lang for lang in reading.ranked[:3] if lang in offered]
    lead: list[str] = []
    after_priors: list[str] = []
    after_default: list[str] = []
    if reading.reason != "ngram-weak":
        lead = guesses
    elif reading.margin >= TIE_MARGIN:
        after_priors = guesses
    else:
        after_default = guesses
    order = [*lead, *(p for p in priors if p in offered), *after_priors, default, *after_default, *offered]
    return tuple(lang for lang in dict.fromkeys(order) if lang in offered)


def read_text(text: str, offered: Sequence[str]) -> Reading:
    """The text's own evidence, script first."""
    seen = letters(text)
    script = seen.main
    if script is None:
        return Reading((), False, "no-letters")
    if seen.counts["kana"] and script in ("kana", "han"):
        return Reading(("ja",), True, "script:kana")
    if script in SCRIPT_LANGUAGE:
        return Reading((SCRIPT_LANGUAGE[script],), True, f"script:{script}")
    if script == "ethiopic":
        found = ethiopic_language(text)
        if found is None:  # Tigrinya or Amharic: the letters do not say; the reporter does
            return Reading(("ti", "am"), False, "script:ethiopic-weak")
        return Reading((found,), True, f"script:ethiopic-{found}")
    if script == "arabic":
        return _arabic(text)
    if script == "cyrillic":
        return _cyrillic(text)
    if script == "latin":
        return _latin(text, offered)
    return Reading((), False, f"script:{script}")


def _arabic(text: str) -> Reading:
    found = arabic_script_language(text)
    if found != "ar":
        return Reading((found, "ar"), True, f"letters:{found}")
    ranking = default_model().rank(text, frozenset({"ar", "fa", "ur"}), enough=STOP_MARGIN)
    if ranking.best != "ar" and _trusted(ranking):  # Persian or Urdu without their own letters
        return Reading(ranking.order, True, "ngram")
    return Reading(("ar",), True, "script:arabic")


def _cyrillic(text: str) -> Reading:
    allowed = cyrillic_narrowing(text)
    if not allowed:
        return Reading(("mk",), True, "letters:south-slavic")
    if len(allowed) == 1:
        return Reading(allowed, True, f"letters:{allowed[0]}")
    reading = _from_ranking(default_model().rank(text, frozenset(allowed), enough=STOP_MARGIN))
    return reading if reading.ranked else Reading(allowed, False, "script:cyrillic")  # the script narrows


def _latin(text: str, offered: Sequence[str]) -> Reading:
    if is_vietnamese(text):
        return Reading(("vi",), True, "letters:vi")
    model = default_model()
    ranking = model.rank(text, frozenset(model.languages), enough=STOP_MARGIN)
    if "ht" in offered:
        strong, share = creole_evidence(text)
        if strong >= CREOLE_STRONG_WORDS and share >= CREOLE_SHARE and len(text.split()) >= CREOLE_MIN_WORDS:
            return Reading(("ht",), True, "words:ht")
        if strong:  # a Creole word among others: French or Creole, the reporter says which
            return Reading(("ht", *ranking.order[:2]), False, "words:ht-weak")
    return _from_ranking(ranking)


def _from_ranking(ranking: Ranking) -> Reading:
    if ranking.ngrams < MIN_NGRAMS:  # "ok", "hi": too little to rank anything by
        return Reading((), False, "too-short")
    return Reading(ranking.order[:3], _trusted(ranking), "ngram" if _trusted(ranking) else "ngram-weak",
                    ranking.margin)


def _trusted(ranking: Ranking) -> bool:
    return ranking.ngrams >= MIN_NGRAMS and ranking.margin >= MARGIN


__all__ = ["Decision", "Reading", "decide", "language_named", "read_text", "warm_up"]
