"""Names of languages as people type them, and the priors: country -> likely languages.

Both are small hand-kept tables.  A name counts only as the whole text (the engine decides where
a name may be read as a choice: "hindi" is "no" in Tagalog, "Chinese workers" is an answer).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Each locale's names: its own (endonym, with and without accents), English, and common variants.
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "inglés", "ingles", "anglais", "englisch"),
    "es": ("español", "espanol", "castellano", "spanish"),
    "zh": ("中文", "汉语", "漢語", "普通话", "普通話", "华语", "國語", "zhongwen", "chinese", "mandarin"),
    "ar": ("العربية", "عربي", "عربى", "العربيه", "arabic", "arabi"),
    "ro": ("română", "romana", "românește", "romaneste", "romanian"),
    "uk": ("українська", "украинский", "ukrainian", "ukrainska"),
    "vi": ("tiếng việt", "tieng viet", "việt", "vietnamese"),
    "fr": ("français", "francais", "french"),
    "ru": ("русский", "по-русски", "russian", "russkiy"),
    "pt": ("português", "portugues", "portuguese"),
    "tl": ("tagalog", "filipino", "wikang filipino", "pilipino"),
    "bg": ("български", "bulgarian", "balgarski"),
    "pl": ("polski", "polish", "po polsku"),
    "sq": ("shqip", "albanian", "shqipe"),
    "ko": ("한국어", "조선말", "한글", "korean"),
    "ht": ("kreyòl", "kreyol", "kreyòl ayisyen", "kreyol ayisyen", "haitian creole", "haitian", "creole"),
    "ti": ("ትግርኛ", "tigrinya", "tigrigna"),
    "so": ("soomaali", "af-soomaali", "af soomaali", "somali"),
    "hu": ("magyar", "hungarian"),
    "th": ("ภาษาไทย", "ไทย", "thai"),
    "id": ("bahasa indonesia", "indonesia", "indonesian"),
    "it": ("italiano", "italian"),
    "de": ("deutsch", "german"),
    "hi": ("हिन्दी", "हिंदी", "hindi"),
}

# Languages the line has no catalog for, as people name or greet in them (trial S5: "merhaba" was
# guessed Indonesian, "türkçe" at the menu left the reporter stuck).  Whole texts only.
OTHER_LANGUAGES: dict[str, tuple[str, ...]] = {
    "tr": ("türkçe", "turkce", "turkish", "merhaba", "merhabalar", "günaydın", "gunaydin", "iyi günler",
           "iyi gunler", "iyi akşamlar", "iyi aksamlar", "nasılsın", "nasilsin"),
    "fa": ("فارسی", "farsi", "persian", "دری", "dari"),
    "ur": ("اردو", "urdu"),
    "am": ("አማርኛ", "amharic", "amarigna"),
    "ps": ("پښتو", "pashto"),
    "bn": ("বাংলা", "bengali", "bangla"),
    "pa": ("ਪੰਜਾਬੀ", "punjabi"),
    "ne": ("नेपाली", "nepali"),
    "sw": ("kiswahili", "swahili"),
    "ja": ("日本語", "japanese", "nihongo"),
    "km": ("ខ្មែរ", "khmer"),
    "my": ("မြန်မာ", "burmese"),
}

# "I don't speak English" in the offered languages: the conversation switches to the language it is
# in, and it is never read as an answer ("no hablo ingles" is not "No").
NOT_ENGLISH: dict[str, tuple[str, ...]] = {
    "es": ("no hablo ingles", "no hablo inglés", "no entiendo ingles", "no entiendo inglés", "en español",
           "hablo español", "solo español", "solo hablo español"),
    "fr": ("je ne parle pas anglais", "je parle pas anglais", "en français", "je ne comprends pas l'anglais"),
    "pt": ("não falo inglês", "nao falo ingles", "em português", "não entendo inglês", "nao entendo ingles"),
    "de": ("ich spreche kein englisch", "auf deutsch"),
    "it": ("non parlo inglese", "in italiano"),
    "ro": ("nu vorbesc engleza", "nu vorbesc engleză", "în română", "in romana"),
    "ru": ("я не говорю по-английски", "я не говорю по английски", "не говорю по-английски", "по-русски пожалуйста"),
    "uk": ("я не розмовляю англійською", "не розмовляю англійською", "українською будь ласка"),
    "tl": ("hindi ako marunong mag english", "di ako marunong mag english", "tagalog po", "tagalog lang"),
    "vi": ("tôi không biết tiếng anh", "toi khong biet tieng anh", "không biết tiếng anh"),
    "id": ("saya tidak bisa bahasa inggris", "tidak bisa bahasa inggris", "gak bisa bahasa inggris"),
    "pl": ("nie mówię po angielsku", "nie mowie po angielsku"),
    "ar": ("لا أتكلم الإنجليزية", "لا اتكلم الانجليزية", "لا أتحدث الإنجليزية", "ما بحكي انجليزي", "ما بعرف انجليزي"),
    "zh": ("我不会说英语", "我不会英语", "不会英语", "我不懂英语", "不懂英文", "我不会英文"),
}


# Languages someone from a calling-code country most likely writes, likeliest first.  A prior
# only: it re-ranks a menu and may break a near tie, never overrides decisive text.
COUNTRY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "US": ("en", "es"), "CA": ("en", "fr"), "GB": ("en",), "IE": ("en",), "AU": ("en",), "NZ": ("en",),
    "NG": ("en",), "GH": ("en",), "MX": ("es",), "GT": ("es",), "HN": ("es",), "SV": ("es",),
    "CO": ("es",), "VE": ("es",), "PE": ("es",), "AR": ("es",), "ES": ("es",), "CU": ("es",),
    "DO": ("es",), "CN": ("zh",), "TW": ("zh",), "HK": ("zh", "en"), "SG": ("en", "zh"),
    "MA": ("ar", "fr"), "DZ": ("ar", "fr"), "TN": ("ar", "fr"), "EG": ("ar",), "SD": ("ar",),
    "SY": ("ar",), "IQ": ("ar",), "JO": ("ar",), "LB": ("ar", "fr"), "LY": ("ar",), "SA": ("ar",),
    "YE": ("ar",), "RO": ("ro",), "MD": ("ro", "ru"), "UA": ("uk", "ru"), "VN": ("vi",),
    "FR": ("fr",), "BE": ("fr",), "SN": ("fr",), "CI": ("fr",), "CM": ("fr", "en"), "CD": ("fr",),
    "RU": ("ru",), "BY": ("ru",), "KZ": ("ru",), "KG": ("ru",), "UZ": ("ru",), "TJ": ("ru",),
    "PT": ("pt",), "BR": ("pt",), "AO": ("pt",), "PH": ("tl", "en"), "BG": ("bg",), "PL": ("pl",),
    "AL": ("sq",), "XK": ("sq",), "KR": ("ko",), "HT": ("ht", "fr"), "ER": ("ti", "ar"),
    "ET": ("ti",), "SO": ("so",), "DJ": ("so", "fr"), "HU": ("hu",), "TH": ("th",), "ID": ("id",),
    "IT": ("it",), "DE": ("de",), "AT": ("de",), "CH": ("de", "fr", "it"), "IN": ("hi", "en"),
}


def fold(text: str) -> str:
    """Lower case, accents off (NFKD minus combining marks), spaces collapsed."""
    if text.isascii():  # no accents, nothing NFKD changes: nearly every message
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# Folding strips marks that some scripts need (Devanagari vowel signs, Thai tones): match both.
_BY_NAME: dict[str, str] = {}
for _locale, _names in LANGUAGE_NAMES.items():
    for _name in _names:
        _BY_NAME.setdefault(" ".join(_name.casefold().split()), _locale)
        _BY_NAME.setdefault(fold(_name), _locale)


def language_named(text: str, enabled: Sequence[str]) -> str | None:
    """The enabled locale whose name is the whole of ``text`` ("español", "中文", "tigrinya"), else None."""
    stripped = text.strip().strip(".!?¿¡,;:()[]\"'«»“”„。！？،؟።")
    for key in (" ".join(stripped.casefold().split()), fold(stripped)):
        locale = _BY_NAME.get(key)
        if locale is not None and locale in enabled:
            return locale
    return None


def _table(names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, said in names.items():
        for words in said:
            table.setdefault(" ".join(words.casefold().split()), code)
            table.setdefault(fold(words), code)
    return table


_OTHER = _table(OTHER_LANGUAGES)
_NOT_ENGLISH = _table(NOT_ENGLISH)


def _whole(text: str) -> tuple[str, str]:
    stripped = text.strip().strip(".!?¿¡,;:()[]\"'«»“”„。！？،؟።")
    return " ".join(stripped.casefold().split()), fold(stripped)


def unoffered_named(text: str, enabled: Sequence[str]) -> str | None:
    """The language ``text`` names or greets in, when the line does not offer it ("türkçe",
    "merhaba", "italiano" where Italian is not enabled), else None."""
    for key in _whole(text):
        code = _OTHER.get(key) or _BY_NAME.get(key)
        if code is not None and code not in enabled:
            return code
    return None


def not_english(text: str, enabled: Sequence[str]) -> str | None:
    """The enabled locale of an "I don't speak English" ("no hablo ingles"), else None."""
    for key in _whole(text):
        code = _NOT_ENGLISH.get(key)
        if code is not None and code in enabled:
            return code
    return None


def prior_languages(telegram_lang: str | None, country: str | None) -> tuple[str, ...]:
    """Languages the priors point to, strongest first (Telegram's app language, then the country)."""
    found: list[str] = []
    if telegram_lang:
        found.append(telegram_lang.lower().replace("_", "-").split("-")[0])
    if country:
        found.extend(COUNTRY_LANGUAGES.get(country.upper(), ()))
    return tuple(dict.fromkeys(found))
