from __future__ import annotations

import os
import re

import pytest

from storage import refcode_near, refcodes
from storage.crypto import ServerSecrets
from storage.refcodes import (
    ALPHABET, CodeStatus, candidates, check, code_hash, display, mistyped, new_code, normalize, typed_as_code,
    without,
)
from tests.conftest import CHEAP_KDF


def _codes(n: int = 300) -> list[str]:
    return [new_code() for _ in range(n)]


def test_new_code_shape_and_entropy() -> None:
    codes = _codes(500)
    assert len(set(codes)) == 500
    for code in codes:
        assert len(code) == 13 and set(code) <= set(ALPHABET)
        assert check(code).is_valid
    assert 12 * 5 >= 60
    shown = display(codes[0])
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", shown)
    assert normalize(shown) == codes[0]
    # every alphabet character shows up in data positions (uniform choice)
    assert set("".join(c[:12] for c in codes)) == set(ALPHABET)


def test_round_trip_and_folding() -> None:
    code = "0I1L" + new_code()[4:]
    data = "01110" + "ABCDEFG"  # contains 0 and 1 for folding checks
    code = data + refcodes.check_character(data)
    assert check(code).is_valid
    variants = [
        display(code),
        display(code).lower(),
        " " + display(code).replace("-", " ") + " ",
        display(code).replace("-", "."),
        code.replace("0", "O").replace("1", "I", 1).replace("1", "l", 1).lower(),
        code.replace("0", "o").replace("1", "L"),
        "\uff10" + code[1:],  # a full-width digit typed on a phone
    ]
    for text in variants:
        assert normalize(text) == code, text
        assert check(text).status is CodeStatus.VALID
        assert check(text).is_code_like


@pytest.mark.parametrize(
    "text",
    ["", "hello", "HELP", "1", "yes please", "0123456789AB", "0123456789ABCD", "7KQ2-M9XD-4TRU5", "7KQ2-M9XD-4TR*5",
     "  --  "],
)
def test_not_a_code(text: str) -> None:
    assert normalize(text) is None
    assert check(text).status is CodeStatus.NOT_A_CODE
    assert not check(text).is_code_like


def test_every_single_substitution_is_a_typo() -> None:
    for code in _codes(100):
        for i in range(13):
            for ch in ALPHABET:
                if ch == code[i]:
                    continue
                result = check(code[:i] + ch + code[i + 1 :])
                assert result.status is CodeStatus.TYPO
                assert result.is_code_like and not result.is_valid


def test_adjacent_transpositions_all_caught_except_0_z() -> None:
    """Luhn mod 32 misses exactly the adjacent swap of '0' and 'Z' (values 0 and 31),
    in every position including the check character; every other swap is a typo."""
    missed: set[frozenset[str]] = set()
    checked = 0
    for i in range(12):  # swap positions i and i+1 (i = 11 swaps the check character)
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                # build a valid code with a, b at positions i, i+1
                if i < 11:
                    data = "7KQ2M9XD4TRW"
                    data = data[:i] + a + b + data[i + 2 :]
                    code = data + refcodes.check_character(data)
                else:
                    # the check character must be b: search the preceding character's partner
                    found = None
                    for filler in ALPHABET:
                        data = "7KQ2M9XD4TR" [:10] + filler + a
                        if refcodes.check_character(data) == b:
                            found = data + b
                            break
                    if found is None:
                        continue
                    code = found
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                checked += 1
                if check(swapped).is_valid:
                    missed.add(frozenset((a, b)))
    assert checked > 11000
    assert missed == {frozenset(("0", "Z"))}


def test_code_hash_deterministic_and_keyed() -> None:
    secrets_a = ServerSecrets(os.urandom(32))
    secrets_b = ServerSecrets(os.urandom(32))
    code = new_code()
    h1 = code_hash(code, secrets=secrets_a, kdf=CHEAP_KDF)
    assert len(h1) == 32
    assert code_hash(display(code).lower(), secrets=secrets_a, kdf=CHEAP_KDF) == h1
    assert code_hash(code, secrets=secrets_b, kdf=CHEAP_KDF) != h1
    assert code_hash(new_code(), secrets=secrets_a, kdf=CHEAP_KDF) != h1
    with pytest.raises(refcodes.RefCodeError):
        code_hash("not a code", secrets=secrets_a, kdf=CHEAP_KDF)


def test_check_repr_hides_code() -> None:
    code = new_code()
    assert code not in repr(check(code))


def test_a_code_is_found_anywhere_in_a_message_however_it_is_typed() -> None:
    code = new_code()
    shown = display(code)
    for typed in (f"my code is {shown.lower().replace('-', ' ')}", f"hi {shown.replace('-', '.')}!",
                  f"{code.lower()} thanks", shown):
        found = candidates(typed)
        assert [c.code for c in found] == [code], typed
        assert code not in without(typed, found).upper().replace(" ", "")


def test_words_and_typos_are_not_candidates_unless_they_pass_the_check_character() -> None:
    assert candidates("international") == []  # one word of letters only
    assert candidates("hello there, how are you") == []
    wrong = new_code()
    typo = wrong[:-1] + ("2" if wrong[-1] != "2" else "3")
    assert candidates(f"code {typo}") == []
    [same] = candidates("that kept there")  # 4-4-5 and passes the check character: only a lookup can tell
    assert same.whole and not candidates("that kept there please")[0].whole
    assert candidates("same treatment") == []  # passes the check character, but two words are not a code


def test_words_are_a_code_only_as_codes_are_typed() -> None:
    """The reporter trial: "ok he is gone now" is 13 letters of the alphabet once its spaces are
    gone, and was answered "That code has a typo"; several words are a code only in its shape."""
    assert not typed_as_code("ok he is gone now") and mistyped("ok he is gone now") is None
    assert typed_as_code("7KQ2-M9XD-4TRW5") and typed_as_code("abcd efgh jkmnp") and typed_as_code("7kq2m9xd4trw5")
    assert typed_as_code("7KQ2M9XD 4TRW5") and not typed_as_code("international")
    near = mistyped("my code is 7KQ2-M9XD-4TRW")  # a character missing from the last group
    assert near is not None and not near.whole
    alone = mistyped("7KQ2-M9XD-4TRW6")  # a wrong check character
    assert alone is not None and alone.whole
    assert mistyped(display(new_code())) is None  # a good code is never a typo


def _mistyped_span_by_span(text: str) -> refcodes.Candidate | None:
    """``mistyped`` as first written: every span of up to four joined words read in full."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"[0-9A-Za-z]+", text)]
    for i in range(len(runs)):
        for j in range(i, min(i + 4, len(runs))):
            if j > i and any(ch not in " \t\r\n-.\u2010\u2011\u2012\u2013\u2014\u2212\u00a0"
                             for ch in text[runs[j - 1][1]:runs[j][0]]):
                break
            if refcodes._near(text[runs[i][0]:runs[j][1]]):
                whole = not re.search(r"[0-9A-Za-z]", text[:runs[i][0]] + text[runs[j][1]:])
                return refcodes.Candidate(runs[i][0], runs[j][1], "", whole)
    return None


def test_typo_scan_skips_only_spans_that_cannot_be_codes() -> None:
    """The typo scan runs on every message; it skips spans without a digit or of the wrong
    length without reading them, and must find exactly what reading every span finds."""
    rng = __import__("random").Random(11)
    seps = [" ", "-", ".", "\u2011", "\u00a0", " - ", ", ", "/", " and "]
    texts = ["Workers at the farm never leave and a man holds their papers", "the mill on Route 9",
             "my code is 7KQ2-M9XD-4TRW", "7KQ2-M9XD-4TRW6", "7kq2 m9xd 4trw56", "it was 2024 or 2025 maybe"]
    for _ in range(3000):
        words = []
        for _ in range(rng.randint(1, 7)):
            code = display(new_code()).replace("-", "")
            cut = rng.randint(1, 9)
            words.append(rng.choice([code[:cut], code[cut:], code, rng.choice(["hi", "farm", "ok", "now"])]))
        texts.append("".join(w + rng.choice(seps) for w in words).strip())
    for text in texts:
        assert mistyped(text) == _mistyped_span_by_span(text), text
    assert any(mistyped(t) is not None for t in texts) and any(mistyped(t) is None for t in texts)


def test_code_scan_finds_what_reading_every_gap_finds() -> None:
    """``candidates`` reads each gap between words once per message; what it finds is what
    joining words gap by gap (as first written) finds, in codes typed every way."""
    rng = __import__("random").Random(12)
    seps = [" ", "-", ".", "\u2011", "\u00a0", " - ", ", ", "/", " and "]
    codes = 0
    for _ in range(2000):
        words = []
        for _ in range(rng.randint(1, 6)):
            code = display(new_code())
            words.append(rng.choice([code, code.replace("-", rng.choice(seps)), code[:4], "farm", "9"]))
        text = "".join(w + rng.choice(seps) for w in words).strip()
        found = refcodes.candidates(text)
        assert [(c.start, c.end, c.code) for c in found] == _candidates_gap_by_gap(text), text
        codes += len(found)
    assert codes > 1000


def _candidates_gap_by_gap(text: str) -> list[tuple[int, int, str]]:
    """``candidates`` as first written: each gap between words read again for every start."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"[0-9A-Za-z]+", text)]
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(runs) and len(found) < refcodes.MAX_CANDIDATES:
        length, hit = 0, None
        for j in range(i, len(runs)):
            if j > i and any(ch not in " \t\r\n-.\u2010\u2011\u2012\u2013\u2014\u2212\u00a0"
                             for ch in text[runs[j - 1][1]:runs[j][0]]):
                break
            length += runs[j][1] - runs[j][0]
            if length >= 13:
                span = text[runs[i][0]:runs[j][1]]
                if length == 13 and typed_as_code(span) and refcodes.check(span).is_valid:
                    hit = (j, refcodes.normalize(span))
                break
        if hit is None:
            i += 1
            continue
        found.append((runs[i][0], runs[hit[0]][1], hit[1] or ""))
        i = hit[0] + 1
    return found


def test_every_new_code_typed_as_one_lower_case_word_is_read_as_a_code() -> None:
    # A digit-free code (0.7% of uniform draws: about 35 of these 5,000) typed without its dashes
    # was read as words, and its reporter's follow-up was never opened.
    for _ in range(5000):
        code = refcodes.new_code()
        assert refcodes.typed_as_code(code.lower()), code


def test_near_misses_are_the_typed_codes_with_a_mistake_and_never_a_longer_number() -> None:
    """What is cut from kept text: a code with a wrong, missing or extra character among other
    words; a card number, an IBAN or a valid code never."""
    code = display(new_code())
    wrong = code[:-1] + next(c for c in "23456789" if c != code[-1])  # the check character wrong

    def cut(text: str) -> list[str]:
        return [text[c.start:c.end] for c in refcode_near.near_misses(text)]

    assert cut(f"my code is {wrong} MARKER88 and more") == [wrong]
    assert cut(f"my code {wrong} 10 people") == [wrong]  # "code" next to it is a word, "10" no group
    short = code.lower().replace("-", " ")[:-1]  # the last character missing: groups 4-4-4
    assert cut(f"two {wrong} and {short} here") == [wrong, short]
    # A valid code is a candidate, not a near miss, whatever words stand next to it (the intake passes
    # the candidates found: "code" and its first two groups can read 4-4-4 when the third has no digit)
    for text in (f"code {code} ok", code):
        assert refcode_near.near_misses(text, besides=tuple(refcodes.candidates(text))) == [], text
    for number in ("card 4111 1111 1111 1111 was used", "IBAN DE89 3704 0044 0532 0130 00 please",
                   "call +44 7700 900 999", "it was 2024 or 2025", "Workers at the farm never leave"):
        assert cut(number) == [], number
    # Cutting keeps every other word
    found = refcode_near.near_misses(f"my code is {wrong} MARKER88")
    assert refcodes.without(f"my code is {wrong} MARKER88", found) == "my code is MARKER88"


def _near_misses_suffix_by_suffix(text: str) -> list[tuple[int, int]]:
    """``near_misses`` as first written: ``mistyped`` again on the rest of the text after each span
    (quadratic: a long message of digit groups cost seconds), kept as the reference."""
    found: list[tuple[int, int]] = []
    at = 0
    while len(found) < refcodes.MAX_CANDIDATES:
        near = refcodes.mistyped(text[at:])
        if near is None:
            return found
        start, end = at + near.start, at + near.end
        left, right = text[:start].rstrip(" \t\r\n-.\u2010\u2011\u2012\u2013\u2014\u2212\u00a0"), text[end:]
        before = re.search(r"[0-9A-Za-z]+\Z", left) if len(left) < start else None
        gap = len(right) - len(right.lstrip(" \t\r\n-.\u2010\u2011\u2012\u2013\u2014\u2212\u00a0"))
        after = re.compile(r"[0-9A-Za-z]+").match(right, gap) if gap else None
        if any(m is not None and 3 <= len(m.group()) <= 6 and re.search(r"\d", m.group()) for m in (before, after)):
            at = re.compile(r"[0-9A-Za-z]+").match(text, start).end()  # type: ignore[union-attr]
            continue
        found.append((start, end))
        at = end
    return found


def test_near_misses_are_found_in_one_pass_as_the_suffix_by_suffix_reading_finds_them() -> None:
    rng = __import__("random").Random(13)
    seps = [" ", "-", ".", " - ", ", ", "/", " and "]
    texts = ["card 4111 1111 1111 1111 was used", "code 7KQ2 M9XD 4TRW6 ok", "1111 " * 300]
    for _ in range(3000):
        words = []
        for _ in range(rng.randint(1, 8)):
            code = display(new_code()).replace("-", "")
            cut = rng.randint(1, 9)
            words.append(rng.choice([code[:cut], code[cut:], code, code[:4], "1111", "code", "ab12", "10", "2024"]))
        texts.append("".join(w + rng.choice(seps) for w in words).strip())
    found = 0
    for text in texts:
        spans = [(c.start, c.end) for c in refcode_near.near_misses(text)]
        assert spans == _near_misses_suffix_by_suffix(text), text
        found += len(spans)
    assert found > 300
