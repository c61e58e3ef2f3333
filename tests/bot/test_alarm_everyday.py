"""Everyday words are not alarms (INTAKE decision 12: an alarm means what the reporter meant).

In languages written without spaces (zh, th) a danger word is found inside a sentence, and in
Korean as a stem with endings: a short danger word then hides in everyday words ("急" in "着急",
worried; "ฆ่า" in "ฆ่าเชื้อ", disinfect).  Each phrase below is what a worried reporter or a
worker describing their day may write; none may raise the on-call alarm, while the danger words
that replaced the short ones still do.  Arabic and Hindi match whole words; their list holds
everyday words that say haste, not danger.
"""

from __future__ import annotations

import pytest

from bot.alarms import Alarm
from bot.words import Vocabulary, canon_tokens, words_path
from tests.bot.helpers import LOCALES

EVERYDAY = {
    "zh": ["我很着急，中介拿着我的护照",  # worried; the agency holds my passport
           "我很着急，工人的工钱一直没发",  # worried; the workers' wages never came
           "他急着回家",  # in a hurry to go home
           "她在美甲店用剪刀剪指甲",  # scissors at the nail salon
           "他在厨房用菜刀切菜",  # a kitchen knife, cutting vegetables
           "洗车店的高压水枪坏了",  # the car wash's pressure washer ("water gun") broke
           "春节快来了，老板还不发工资"],  # Spring Festival is near, the boss still does not pay
    "th": ["ร้านนี้ใช้ยาฆ่าเชื้อทุกวัน",  # the shop uses disinfectant every day
           "ฉันกินอาหารจานด่วนทุกวัน",  # I eat fast food every day
           "เขาใช้มีดโกนที่ร้านตัดผม",  # he uses a razor at the barber's
           "รถติดอยู่บนถนนนานมาก",  # the car was stuck in traffic a long time
           "ที่ร้านล้างรถใช้ปืนฉีดน้ำ",  # the car wash uses a water spray gun
           "วันนี้ร้อนจะตาย"],  # "hot to death" today
    "ko": ["도와줘서 고마워요",  # thank you for helping
           "화장실이 급해요",  # I need the bathroom (in a hurry)
           "칼국수 먹었어요",  # I ate noodle soup
           "피곤해요"],  # I am tired
    "ar": ["أنا مستعجل، عندي شغل",  # I am in a hurry, I have work
           "صاحب العمل أخذ جواز سفري"],  # the employer took my passport (not danger in itself)
    "hi": ["मुझे जल्दी है, काम पर जाना है"],  # I am in a hurry, I have to go to work
}

STILL_DANGER = {
    "zh": ["他们有枪", "老板拿刀砍人", "很紧急", "需要急救", "快来人啊"],
    "th": ["เขามีปืน", "ฉันติดอยู่ในห้อง", "เขาจะฆ่าฉัน", "ช่วยด่วน", "เขากำลังจะตาย", "ฆ่าคน"],
    "ko": ["위험해요", "살려주세요", "칼을 들고 있어요"],
    "ar": ["نحن في خطر", "الأمر عاجل"],
    "hi": ["हम खतरे में हैं"],
}


def _alarm(locale: str, text: str) -> Alarm:
    vocab = Vocabulary.merge([Vocabulary.load(words_path(LOCALES, locale)), Vocabulary.load(words_path(LOCALES, "en"))])
    return vocab.alarm(canon_tokens(text), "911")


@pytest.mark.parametrize("locale,text", [(loc, t) for loc, texts in EVERYDAY.items() for t in texts])
def test_an_everyday_phrase_raises_no_alarm(locale: str, text: str) -> None:
    assert _alarm(locale, text) is not Alarm.DANGER, (locale, text)


@pytest.mark.parametrize("locale,text", [(loc, t) for loc, texts in STILL_DANGER.items() for t in texts])
def test_the_longer_danger_words_still_raise_it(locale: str, text: str) -> None:
    assert _alarm(locale, text) is Alarm.DANGER, (locale, text)


@pytest.mark.parametrize("locale", ["zh", "th"])
def test_no_single_character_danger_word_where_words_are_found_inside_others(locale: str) -> None:
    short = [w for w in Vocabulary.load(words_path(LOCALES, locale)).danger if len(w) == 1]
    assert short == [], f"{locale}: a one-character danger word hides inside everyday words: {short}"
