"""Someone being beaten now is an emergency in every language (trial S6): the number, the alert,
and the interview moves on as for Yes instead of asking "is anyone in danger?" again."""

from __future__ import annotations

import pytest

from bot import Engine, build_engine
from bot.words import Alarm, Vocabulary, canon_tokens, load_vocabularies
from tests.bot.helpers import LOCALES, Chat
from bot.types import Context, Region

# "They are beating a girl at the motel" as reporters write it, one per locale.
BEATING = {
    "en": "they are hitting a girl at the motel",
    "es": "le estan pegando a una muchacha en el motel",
    "fr": "ils la frappent dans le motel",
    "pt": "estão batendo numa menina no motel",
    "it": "la stanno picchiando al motel, la picchiano",
    "de": "sie schlagen sie im motel",
    "ro": "o bat pe o fată la motel",
    "pl": "biją ją w motelu",
    "hu": "ütik a lányt a motelben",
    "ru": "он бьёт девушку в мотеле",
    "uk": "він б'є дівчину в мотелі",
    "bg": "удрят момиче в мотела",
    "ar": "عم يضربوا بنت بالموتيل",
    "hi": "मोटल में लड़की को पीट रहा है",
    "zh": "有人在汽车旅馆殴打一个女孩",
    "ko": "모텔에서 여자를 때리고 있어요",
    "th": "มีคนกำลังตีผู้หญิงที่โมเต็ล",
    "vi": "họ đang đánh cô ấy ở nhà nghỉ",
    "tl": "sinasampal nila yung babae sa motel",
    "id": "mereka memukul perempuan di motel",
    "so": "gabar bay garaacayaan motelka",
    "ti": "ኣብ ሞተል ንጓል ይወቕዕዋ ኣለዉ",
    "ht": "y ap bat li nan motel la",
    "sq": "po e rrahin një vajzë në motel",
}


@pytest.fixture(scope="module")
def vocabularies() -> dict[str, Vocabulary]:
    return load_vocabularies(LOCALES, tuple(BEATING))


@pytest.mark.parametrize("locale", sorted(BEATING))
def test_someone_being_beaten_now_says_danger_in_every_language(
    vocabularies: dict[str, Vocabulary], locale: str
) -> None:
    vocab = Vocabulary.merge([vocabularies[locale], vocabularies["en"]])
    assert vocab.alarm(canon_tokens(BEATING[locale]), "911") is Alarm.DANGER, locale


@pytest.fixture(scope="module")
def es_engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=("en", "es"), default_locale="en", region=us)


@pytest.mark.parametrize("text", ["le estan pegando a una muchacha en el motel",
                                  "ayuda, le estan pegando a una muchacha ahorita en el motel"])
def test_the_trials_spanish_beating_gets_the_number_the_alert_and_moves_on(
    es_engine: Engine, ctx: Context, text: str
) -> None:
    c = Chat(engine=es_engine, ctx=ctx)
    c.say("hola")
    out = c.say(text)
    assert "911" in c.last_text and ("urgent", "danger") in c.events
    assert "peligro ahora mismo" not in c.outcomes[-1].replies[-1].text  # not asked what was just told
    assert c.step == "A4" and len(out.replies) >= 2


@pytest.mark.parametrize(("locales", "text", "asked"), [
    (("en", "es"), "ayuda, le estan pegando a una muchacha ahorita en el motel", "peligro ahora mismo"),
    (("en",), "they are beating a girl at the motel right now", "danger right now"),
])
def test_danger_words_in_a_first_message_move_on_as_for_yes(
    us: Region, ctx: Context, locales: tuple[str, ...], text: str, asked: str
) -> None:
    engine = build_engine(locales_dir=LOCALES, locales=locales, default_locale="en", region=us)
    c = Chat(engine=engine, ctx=ctx)
    c.say(text)
    assert ("urgent", "danger") in c.events and "911" in c.last_text
    assert sum("911" in line for line in c.last_text.split("\n")) == 1  # the number once
    assert asked not in c.last_text  # and no danger question right after it
    assert c.state is not None and c.state.answers["A2"] == "yes" and c.step == "A4"
    c.say("1")
    assert c.step == "B2" and c.events.count(("urgent", "danger")) == 1  # the account is B1, kept
