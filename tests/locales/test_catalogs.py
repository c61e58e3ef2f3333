"""Every catalog under locales/, against the template and the English source (issue 10).

Parametrised over the locale folders present, so a translation is checked the moment its
folder lands.  ``TIPLINE_CATALOG_TEST_DIR`` points the tests at another locales folder (a
translator's work in progress).
"""

from __future__ import annotations

import io
import os
import re
import string
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import messages as m
from bot.catalog import Catalogs, load_catalogs, po_path
from bot.commands import CARRIER_WORDS, COMMAND_MSGIDS, normalize
from bot.flow import load_flow
from bot.options import options_for
from bot.region_words import region_params
from bot.render import Renderer, pack
from bot.segments import MAX_SEGMENTS, segments
from bot.types import Region
from bot.validation import needed_msgids
from bot.words import canon, load_vocabularies
from tests.bot.helpers import ALL_PARTNERS, CODE, every_region
from tipline.locales import TEMPLATE, present_locales, status_rows, template_ids

REPO = Path(__file__).resolve().parents[2]
LOCALES_DIR = Path(os.environ.get("TIPLINE_CATALOG_TEST_DIR") or REPO / "locales")
PRESENT = present_locales(LOCALES_DIR)
TRANSLATED = tuple(loc for loc in PRESENT if loc != "en")
REGIONS = every_region()
FLOW = load_flow()
# The words carriers act on (INTAKE decision 4, CHANNELS C5), and YES, which US carriers
# may take as an opt-in: no command word of any locale may be one of them.
CARRIER = {w.casefold() for table in CARRIER_WORDS.values() for w in table} | {
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "start", "unstop", "help", "info", "yes"}
# The longest real values: every partner kind, the longest configured number, the code.
LONGEST = {"max": "5000", "code": CODE, "question": ""}

# Words many languages share with English: channels, the English command words a translation
# may teach beside its own ("reply LANG"), and workplaces known by their English names.
# (Names of places and organisations are capitalised in English: never counted as English.)
SAME_IN_EVERY_LANGUAGE = frozenset({
    "sms", "lang", "exit", "skip", "back", "menu", "done", "ok",
    "hotel", "motel", "bar", "club", "salon", "spa", "massage", "nail", "nails",
})
# Messages that may read as in English, each with the reason (add one with its reason).
SAME_AS_ENGLISH: dict[tuple[str, str], str] = {
    ("fr", "partner.police"): "police is the French word",
    ("tl", "region.hotline_sms"): "'text' is the Filipino word for an SMS (mag-text)",
}


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return load_catalogs(LOCALES_DIR, PRESENT)


@pytest.fixture(scope="module")
def render(catalogs: Catalogs) -> Renderer:
    return Renderer(catalogs, "en", vocabularies=load_vocabularies(LOCALES_DIR, PRESENT))


def fields(text: str) -> list[str]:
    return sorted({f for _, f, _, _ in string.Formatter().parse(text) if f})


# ---- the template ----------------------------------------------------------------------


def _pot(path: Path) -> list[tuple[str, list[str]]]:
    with path.open("rb") as handle:
        return [(str(msg.id), list(msg.auto_comments)) for msg in read_po(handle) if msg.id]


def test_template_is_what_extraction_gives(tmp_path: Path) -> None:
    out = tmp_path / "tipline.pot"
    cwd = os.getcwd()
    try:
        os.chdir(REPO)  # babel.cfg names paths from the repository's top
        args = ["pybabel", "-q", "extract", "-F", "babel.cfg", "--add-location=file", "-o", str(out), "."]
        CommandLineInterface().run(args)  # type: ignore[no-untyped-call]
    finally:
        os.chdir(cwd)
    assert _pot(out) == _pot(TEMPLATE), "locales/tipline.pot is out of date: run 'make catalogs'"


def test_template_holds_every_message_the_line_can_show() -> None:
    ids = set(template_ids())
    for region in REGIONS:
        assert not set(needed_msgids(FLOW, region)) - ids, region.code
    english = set(load_catalogs(REPO / "locales", ("en",)).messages["en"])
    assert english == ids, "English and the template disagree: run 'make catalogs', then write the English"


def test_status_has_a_row_for_every_locale() -> None:
    assert not set(PRESENT) - status_rows(LOCALES_DIR), "add a row to locales/STATUS.md"


# ---- each catalog ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", PRESENT)
def test_every_message_present_and_non_empty(catalogs: Catalogs, locale: str) -> None:
    ids = template_ids()
    missing = [i for i in ids if not catalogs.has(locale, i)]
    assert not missing, f"{locale}: missing, empty or fuzzy: {', '.join(missing)}"
    stale = sorted(set(catalogs.messages[locale]) - set(ids))
    assert not stale, f"{locale}: not in the template (run 'make catalogs'): {', '.join(stale)}"


@pytest.mark.parametrize("locale", PRESENT)
def test_catalog_compiles(locale: str) -> None:
    with po_path(LOCALES_DIR, locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    errors = [(msg.id, [str(e) for e in errs]) for msg, errs in catalog.check()]
    assert not errors, errors
    out = io.BytesIO()
    write_mo(out, catalog)
    assert out.getvalue()


@pytest.mark.parametrize("locale", TRANSLATED)
def test_placeholders_identical_to_english(catalogs: Catalogs, locale: str) -> None:
    english = catalogs.messages["en"]
    differ = [(i, fields(english[i]), fields(t)) for i, t in catalogs.messages[locale].items()
              if i in english and fields(english[i]) != fields(t)]
    assert not differ, f"{locale}: placeholders differ (keep {{name}} as it is): {differ}"


@pytest.mark.parametrize("locale", PRESENT)
def test_options_of_every_step(render: Renderer, locale: str) -> None:
    for region in REGIONS:
        for step in FLOW.steps.values():
            labels = [render.label(locale, o) for o in options_for(step, region)]
            english = [render.label("en", o) for o in options_for(step, region)]
            assert len(labels) == len(english), (step.id, region.code)
            # A label on two lines, or two alike, would misnumber or blur the answers.
            assert all(label and "\n" not in label for label in labels), (step.id, labels)
            assert len(set(map(canon, labels))) == len(labels), f"{locale} {step.id}: two options read alike"


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: r.code)
@pytest.mark.parametrize("locale", PRESENT)
def test_every_reply_fits_three_segments(render: Renderer, locale: str, region: Region) -> None:
    p = {**region_params(render, locale, region), "partners": render.partners(locale, ALL_PARTNERS), **LONGEST}
    before = [render.text(locale, x, **p) for x in (m.HINT_AMBIGUOUS, m.HINT_COMMANDS, m.HELP, m.MEDIA)]
    notices = [render.text(locale, s.text, **p) for s in FLOW.steps.values() if not s.asks]
    too_long = []
    for step in FLOW.steps.values():
        question = render.question(step, locale, region, p)
        # The longest things that ride with a question: a hint or help, and the notices before it.
        for reply in [question, *(r.text for r in pack(before + notices + [question]))]:
            if segments(reply) > MAX_SEGMENTS:
                too_long.append(f"{step.id} ({segments(reply)} segments)")
    for msgid in template_ids():
        if segments(render.text(locale, msgid, **p)) > MAX_SEGMENTS:
            too_long.append(msgid)
    assert not too_long, f"{locale} in {region.code}: over {MAX_SEGMENTS} SMS segments: {', '.join(too_long)}"


_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(re.sub(r"\{[^}]*\}", " ", text)) if len(w) >= 3]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_english_left_in_a_translation(catalogs: Catalogs, locale: str) -> None:
    english = catalogs.messages["en"]
    # English words are those the English catalog writes in lower case: a capitalised one
    # ("Ontario", "Polaris", "Telegram") is a name, and names stay as they are.
    vocabulary = {w for text in english.values() for w in _WORD.findall(text) if w.islower() and len(w) >= 3}
    vocabulary -= SAME_IN_EVERY_LANGUAGE
    left = []
    for msgid, text in catalogs.messages[locale].items():
        if msgid.startswith("cmd.words.") or (locale, msgid) in SAME_AS_ENGLISH or msgid not in english:
            continue  # command words list English beside the locale's own on purpose
        words = _words(text)
        in_english = [w for w in words if w in vocabulary]
        proper = all(w[:1].isupper() for w in _WORD.findall(text))  # place names ("Ontario")
        if text == english[msgid] and in_english and not proper:
            left.append(f"{msgid} (as in English)")
        elif len(words) >= 4 and len(in_english) * 2 >= len(words):
            left.append(f"{msgid} (mostly English: {' '.join(in_english)})")
    assert not left, f"{locale}: untranslated English: {'; '.join(left)}"


@pytest.mark.parametrize("locale", PRESENT)
def test_command_words_collide_with_nothing(catalogs: Catalogs, locale: str) -> None:
    vocab = load_vocabularies(LOCALES_DIR, (locale,))[locale]
    emergency = {canon(w) for w in (*vocab.danger, *vocab.numbers, *vocab.within)}
    owner: dict[str, str] = {}
    for command, msgid in COMMAND_MSGIDS.items():
        for word in catalogs.words(locale, msgid):
            key = normalize(word)
            assert key.casefold() not in CARRIER, f"{locale}: {msgid} uses the carrier word {word!r}"
            assert canon(key) not in emergency, f"{locale}: {msgid} uses the emergency word {word!r}"
            assert owner.setdefault(key, command) == command, \
                f"{locale}: {word!r} is both {owner[key]} and {command}"


def test_a_command_word_means_one_command_in_every_locale(catalogs: Catalogs) -> None:
    # The engine understands the command words of every enabled locale at once.
    owner: dict[str, tuple[str, str]] = {}
    clashes = []
    for locale in PRESENT:
        for command, msgid in COMMAND_MSGIDS.items():
            for word in catalogs.words(locale, msgid):
                first = owner.setdefault(normalize(word), (locale, command))
                if first[1] != command:
                    clashes.append(f"{word!r}: {first[1]} in {first[0]}, {command} in {locale}")
    assert not clashes, clashes
