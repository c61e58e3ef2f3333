"""Each language's ways of asking for the signs (the ``[signs]`` table of its words file): every
phrase asks on its own, and the doubting words that belong to a question ("not sure if", "no se
si", "but") go with it, so they never answer the pending question.  No doubting word is a yes or
no of its language ("no, but what are the signs" answers No), except words that say nothing by
themselves: "ok" before a question, Thai's polite endings."""

from __future__ import annotations

import pytest

from bot.signs import Asked
from bot.words import Vocabulary, canon_tokens, words_path
from tests.bot.helpers import LOCALES
from tipline.locales import present_locales

PRESENT = present_locales(LOCALES)
WEAK = frozenset({"ok", "okay", "k", "ค่ะ", "ครับ"})  # a yes elsewhere; beside a question, only politeness


def vocab(locale: str) -> Vocabulary:
    return Vocabulary.load(words_path(LOCALES, locale))


@pytest.mark.parametrize("locale", PRESENT)
def test_every_phrase_asks_alone_and_with_its_doubting_words(locale: str) -> None:
    words = vocab(locale)
    assert len(words.signs) >= 9 and words.doubts, locale  # the natural variants, not one form
    for phrase in words.signs:
        assert words.signs_question(canon_tokens(phrase + "?")).asked is Asked.ALONE, (locale, phrase)
    first = words.signs[0]
    for doubt in words.doubts:
        question = words.signs_question(canon_tokens(f"{doubt}, {first}?"))
        assert question.asked is Asked.ALONE and question.rest == (), (locale, doubt)


@pytest.mark.parametrize("locale", PRESENT)
def test_no_doubting_word_is_a_yes_or_no(locale: str) -> None:
    words = vocab(locale)
    answers = {w for key in ("yes", "no") for w in words.answers[key]}
    assert not answers & set(words.doubts) - WEAK, locale


def test_han_script_phrases_are_found_inside_a_run_of_characters() -> None:
    words = vocab("zh")
    for text in ("有什么迹象？", "请问有哪些迹象", "这算不算人口贩运？", "这是不是人口贩卖"):
        assert words.signs_question(canon_tokens(text)).asked is Asked.ALONE, text
    assert words.signs_question(canon_tokens("4 但是怎么判断是不是人口贩运")).rest == ("4",)


def test_latin_phrases_match_whole_words_only() -> None:
    words = vocab("en")
    assert words.signs_question(canon_tokens("the signs were there, his red flagship")).asked is Asked.NO
