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


def prior_languages(telegram_lang: str | None, country: str | None) -> tuple[str, ...]:
    """Languages the priors point to, strongest first (Telegram's app language, then the country)."""
    found: list[str] = []
    if telegram_lang:
        found.append(telegram_lang.lower().replace("_", "-").split("-")[0])
    if country:
        found.extend(COUNTRY_LANGUAGES.get(country.upper(), ()))
    return tuple(dict.fromkeys(found))
