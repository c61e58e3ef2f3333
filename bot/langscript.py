"""What the letters of a text say about its language, before any statistics.

A script often names the language outright (Hangul is Korean, Thai is Thai); where several
languages share one (Cyrillic, Arabic, Ethiopic, Latin) a few letters that only some of them use
narrow the choice.  Everything here is a pure function of the text.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

# Unicode ranges of the scripts we tell apart; the first match wins.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "latin"), (0x1E00, 0x1EFF, "latin"),
    (0x0370, 0x03FF, "greek"), (0x1F00, 0x1FFF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"), (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"), (0x0750, 0x077F, "arabic"), (0xFB50, 0xFDFF, "arabic"), (0xFE70, 0xFEFF, "arabic"),
    (0x0900, 0x097F, "devanagari"), (0x0980, 0x09FF, "bengali"), (0x0A00, 0x0DFF, "indic"),
    (0x0E00, 0x0E7F, "thai"), (0x0E80, 0x0EFF, "lao"), (0x1000, 0x109F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"), (0x1200, 0x139F, "ethiopic"), (0x2D80, 0x2DDF, "ethiopic"),
    (0x1780, 0x17FF, "khmer"),
    (0x1100, 0x11FF, "hangul"), (0x3130, 0x318F, "hangul"), (0xAC00, 0xD7AF, "hangul"),
    (0x3040, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"), (0xFF66, 0xFF9D, "kana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"), (0x20000, 0x2FA1F, "han"),
)

# Scripts that belong to a single language of ours (or of nobody's: see UNOFFERED_SCRIPTS).
SCRIPT_LANGUAGE = {"hangul": "ko", "kana": "ja", "han": "zh", "thai": "th", "devanagari": "hi",
                   "bengali": "bn", "greek": "el", "hebrew": "he", "georgian": "ka", "armenian": "hy",
                   "lao": "lo", "myanmar": "my", "khmer": "km", "indic": "und"}

# Persian and Urdu letters that Arabic does not use (keheh, Farsi yeh, peh, tcheh, jeh, gaf,
# heh doachashmee, yeh barree, tteh, ddal, rreh, noon ghunna, heh with yeh, Extended digits).
PERSO_URDU = set("پچژگکیۀےۓٹڈڑںھ۰۱۲۳۴۵۶۷۸۹")
URDU_ONLY = set("ےۓٹڈڑںھ")

# Cyrillic letters that only some of ru/uk/bg use; Macedonian/Serbian letters rule all three out.
UKRAINIAN = set("іїєґ")
RUSSIAN = set("ыэё")
SOUTH_SLAVIC = set("ђћљњџѓќѕј")

# Vietnamese letters (horn/breve vowels, d-stroke, vowels with a dot below or hook above).
VIETNAMESE = set("ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")

# Tigrinya writes word-initial "a" as ኣ and has the q-with-aspiration series ቐ..ቖ; Amharic
# writes አ and uses a handful of very frequent words Tigrinya does not.  Cheap, and enough to
# tell a sentence apart; a single word without these marks stays undecided.
_TIGRINYA_LETTERS = set("ኣቐቑቒቓቔቕቖ")
_TIGRINYA_WORDS = {"እዩ", "እያ", "እዮም", "ኣብ", "ኣሎ", "ኣሎኹ", "ኣለኹ", "ከኣ", "ምስ", "እንታይ", "ብዙሕ", "ዘሎ", "ኢዩ", "ኢኻ"}
_AMHARIC_WORDS = {"ነው", "ናቸው", "ነበር", "እና", "ላይ", "ውስጥ", "ይህ", "ግን", "አለ", "ነገር", "እሱ", "እሷ", "ሰው",
                  "ጋር", "ወደ", "ምን", "የት", "አይደለም", "በጣም", "ሁሌ"}


@dataclass(frozen=True)
class Letters:
    """How many letters of each script a text has, and which one dominates."""

    counts: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def main(self) -> str | None:
        """The dominant script; another script beats Latin from a fifth of the letters on, since
        people drop Latin names, links and headers into other scripts far more than the reverse."""
        if not self.counts:
            return None
        others = [(n, name) for name, n in self.counts.items() if name != "latin"]
        if others and 5 * max(others)[0] >= self.total:
            return max(others)[1]
        return self.counts.most_common(1)[0][0]


def script_of(ch: str) -> str | None:
    if ch.isascii():  # only A-Z and a-z of ASCII are letters (Latin); the rest is no script
        return "latin" if ch.isalpha() else None
    code = ord(ch)
    for low, high, name in _RANGES:
        if low <= code <= high:
            return name if unicodedata.category(ch)[0] in "LM" else None
    return None


def letters(text: str) -> Letters:
    counts: Counter[str] = Counter()
    for ch, times in Counter(text).items():  # each distinct character once, in order of first use
        name = script_of(ch)
        if name is not None:
            counts[name] += times
    return Letters(counts)


def cyrillic_narrowing(text: str) -> tuple[str, ...]:
    """Which of ru/uk/bg the letters allow; () if a letter rules out all three."""
    chars = set(text.lower())
    if chars & SOUTH_SLAVIC:
        return ()
    allowed = ["ru", "uk", "bg"]
    if chars & UKRAINIAN:
        allowed = [x for x in allowed if x == "uk"]
    if chars & RUSSIAN:
        allowed = [x for x in allowed if x == "ru"]
    return tuple(allowed)


def arabic_script_language(text: str) -> str:
    """"ar", or "ur"/"fa" when letters Arabic does not use appear."""
    chars = set(text)
    if chars & URDU_ONLY:
        return "ur"
    if chars & PERSO_URDU:
        return "fa"
    return "ar"


def ethiopic_language(text: str) -> str | None:
    """"ti" or "am" when characteristic letters or words say so; None when they do not."""
    words = text.split()
    ti = sum(w.strip("።፣፤፥፦፧፨?!.,") in _TIGRINYA_WORDS for w in words)
    ti += sum(ch in _TIGRINYA_LETTERS for ch in text)
    am = sum(w.strip("።፣፤፥፦፧፨?!.,") in _AMHARIC_WORDS for w in words)
    am += text.count("አ")  # Tigrinya writes ኣ where Amharic writes አ
    if ti > am:
        return "ti"
    if am > ti:
        return "am"
    return None


def is_vietnamese(text: str) -> bool:
    return bool(set(text.lower()) & VIETNAMESE)


# Haitian Creole has no langdetect profile; its function words are few, frequent and spelled
# unlike French.  The strong set leaves out words common in another enabled language (French
# "se", Spanish "yo", Albanian "pa", Hungarian "ki"): those only add to the share, so a text needs
# at least one word no other language of ours writes that way.
_CREOLE_WORDS = {"mwen", "nou", "nan", "pou", "gen", "yon", "avèk", "avek", "kòm", "kounye", "konnya",
                 "kote", "moun", "fè", "paske", "kijan", "kòman", "koman", "poukisa", "tankou", "anpil",
                 "ankò", "toujou", "isit", "lòt", "bagay", "konnen", "vle", "kapab", "pral", "sou", "ap",
                 "kounya", "ke", "yo", "pa", "ki", "li", "sa", "se", "te", "m", "w", "t", "k", "epi", "kèk",
                 "janm", "ka", "sèlman", "lakay", "pitit", "timoun"}
_CREOLE_STRONG = {"mwen", "nou", "yon", "avèk", "kounye", "konnya", "kòman", "poukisa", "bagay", "moun",
                  "paske", "kijan", "ankò", "lòt", "konnen", "kounya", "tankou", "anpil", "toujou", "gen",
                  "epi", "kèk", "janm", "sèlman", "lakay", "kòmsi", "yonn", "pitit", "timoun"}


def creole_evidence(text: str) -> tuple[int, float]:
    """(distinct strong Haitian Creole words, share of all words that are Creole function words)."""
    words = [w.strip(".,;:!?()\"'«»").casefold() for w in text.replace("'", " ").split()]
    words = [w for w in words if w]
    if not words:
        return 0, 0.0
    strong = len({w for w in words if w in _CREOLE_STRONG})
    return strong, sum(w in _CREOLE_WORDS for w in words) / len(words)
