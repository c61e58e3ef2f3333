"""Reference codes (INTAKE decision 5).

A code is 12 random Crockford base32 characters (60 bits from ``secrets``) and one
check character computed with the Luhn mod N algorithm over base 32, shown in
groups of 4-4-5: ``7KQ2-M9XD-4TRW5``.

Reading is forgiving: case-insensitive, spaces, dashes and dots ignored, ``O`` read
as ``0`` and ``I``/``L`` as ``1`` (Crockford).  ``U`` is not in the alphabet.

The check character catches every single-character substitution and every adjacent
transposition except the swap of ``0`` and ``Z`` (code points 0 and 31, the one
pair whose Luhn-doubled values differ by the same amount as the values themselves,
just as ``09``/``90`` in decimal Luhn).  A typo is therefore recognised before it
is looked up and before it counts against the wrong-code throttles.

Codes are stored only as ``code_hash``: Argon2id (slow) over an HMAC of the code
under a server pepper, so a copy of the database alone cannot brute-force them.
"""

from __future__ import annotations

import enum
import re
import secrets as _secrets
import unicodedata
from dataclasses import dataclass, field

from storage.crypto import KdfFailed, KdfParams, ServerSecrets, peppered_argon2id
from storage.purposes import Purpose

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_N = len(ALPHABET)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_FOLD = {"O": "0", "I": "1", "L": "1"}
_IGNORED = frozenset(" \t\r\n-.\u2010\u2011\u2012\u2013\u2014\u2212\u00a0")
_SEPARATORS = re.compile("[" + re.escape("".join(sorted(_IGNORED))) + "]+")  # compiled once: read per message
DATA_CHARS = 12
CODE_CHARS = DATA_CHARS + 1
GROUPS = (4, 4, 5)
_BITS = 5  # bits per character: len(ALPHABET) == 2 ** _BITS (checked below)
_MASK = (1 << _BITS) - 1
assert _N == 1 << _BITS, "new_code draws whole bits per character"


class RefCodeError(Exception):
    """Base class for reference-code errors."""


class CodeHashError(RefCodeError):
    """The slow hash could not be computed (bad KDF parameters)."""


class CodeStatus(enum.Enum):
    NOT_A_CODE = "not_a_code"
    TYPO = "typo"  # shaped like a code, but the check character does not match
    VALID = "valid"


@dataclass(frozen=True)
class CodeCheck:
    """Result of ``check``.  ``code`` is the canonical 13 characters (hidden from repr)."""

    status: CodeStatus
    code: str | None = field(default=None, repr=False)

    @property
    def is_valid(self) -> bool:
        return self.status is CodeStatus.VALID

    @property
    def is_typo(self) -> bool:
        return self.status is CodeStatus.TYPO

    @property
    def is_code_like(self) -> bool:
        return self.status is not CodeStatus.NOT_A_CODE


def check_character(data: str) -> str:
    """Luhn mod 32 check character for canonical data characters."""
    factor = 2
    total = 0
    for ch in reversed(data):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // _N + addend % _N
    return ALPHABET[(_N - total % _N) % _N]


def _check_ok(code: str) -> bool:
    return check_character(code[:-1]) == code[-1]


def new_code() -> str:
    """A fresh code, canonical and without separators (use ``display`` to show it)."""
    # 60 bits, 5 a character (32 = 2**5: uniform); no digit, drawn again (typed as one word it reads as words)
    while True:
        bits = _secrets.randbits(_BITS * DATA_CHARS)
        data = "".join(ALPHABET[(bits >> (_BITS * i)) & _MASK] for i in range(DATA_CHARS))
        if any(map(str.isdigit, data)):
            return data + check_character(data)


def display(code: str) -> str:
    """``7KQ2M9XD4TRW5`` -> ``7KQ2-M9XD-4TRW5``."""
    canonical = normalize(code)
    if canonical is None:
        raise RefCodeError("not a reference code")
    parts, start = [], 0
    for size in GROUPS:
        parts.append(canonical[start : start + size])
        start += size
    return "-".join(parts)


def normalize(text: str) -> str | None:
    """The canonical 13 characters, or None if ``text`` is not shaped like a code.

    The check character is not verified here (see ``check``).
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    out = []
    for ch in unicodedata.normalize("NFKC", text).upper():
        if ch in _IGNORED:
            continue
        ch = _FOLD.get(ch, ch)
        if ch not in _VALUE:
            return None
        out.append(ch)
    if len(out) != CODE_CHARS:
        return None
    return "".join(out)


def typed_as_code(text: str) -> bool:
    """Whether ``text`` looks like a code as typed, not only once its separators are gone:
    one 13-character token with a digit, or groups of 4-4-5 as codes are shown, or groups of
    at least 4 characters with a digit among them.  "ok he is gone now" (13 letters of the
    alphabet once spaces are removed) is words, not a mistyped code.
    """
    groups = [g for g in _SEPARATORS.split(text.strip()) if g]
    sizes = tuple(len(g) for g in groups)
    has_digit = any(map(str.isdigit, text))
    if len(sizes) == 1:
        return has_digit
    return sizes == GROUPS or (has_digit and min(sizes, default=0) >= 4)


def check(text: str) -> CodeCheck:
    """Not a code / a code with a typo (wrong check character) / a valid code."""
    canonical = normalize(text)
    if canonical is None:
        return CodeCheck(CodeStatus.NOT_A_CODE)
    if not _check_ok(canonical):
        return CodeCheck(CodeStatus.TYPO, canonical)
    return CodeCheck(CodeStatus.VALID, canonical)


_RUN = re.compile(r"[0-9A-Za-z]+")
_DIGIT = re.compile(r"[0-9]")
MAX_CANDIDATES = 3  # each costs an Argon2id check: a long message checks at most this many


@dataclass(frozen=True)
class Candidate:
    """A run of words in a message that reads as a code with a valid check character.

    ``start``/``end`` delimit it in the message's text; ``whole``: nothing else was typed.
    """

    start: int
    end: int
    code: str = field(repr=False)
    whole: bool = False


def candidates(text: str, *, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Codes anywhere in ``text`` ("my code is jgbx cdna f6yy2"): whole words joined only by
    spaces, dashes or dots, 13 characters, a valid check character, typed as a code is
    (``typed_as_code``: a 13-letter word like "international" or a run of short words is not).
    Non-overlapping, first ones first, at most ``limit``.
    """
    runs = _runs(text)
    joined = _joined(text, runs)
    found: list[Candidate] = []
    i = 0
    while i < len(runs) and len(found) < limit:
        hit = _candidate_at(text, runs, joined, i)
        if hit is None:
            i += 1
            continue
        j, code = hit
        start, end = runs[i][0], runs[j][1]
        whole = not _RUN.search(text[:start]) and not _RUN.search(text[end:])
        found.append(Candidate(start, end, code, whole))
        i = j + 1
    return found


def _runs(text: str) -> list[tuple[int, int]]:
    """Where the words (runs of ASCII letters and digits) of a message are."""
    return [(m.start(), m.end()) for m in _RUN.finditer(text)] if len(text) <= 20000 else []


def _joined(text: str, runs: list[tuple[int, int]]) -> list[bool]:
    """``joined[j]``: run ``j`` follows run ``j - 1`` across spaces, dashes and dots only (once per message)."""
    return [j > 0 and _IGNORED.issuperset(text[runs[j - 1][1]:runs[j][0]]) for j in range(len(runs))]


def _candidate_at(text: str, runs: list[tuple[int, int]], joined: list[bool], i: int) -> tuple[int, str] | None:
    """The last run and canonical code of a candidate starting at run ``i``, if there is one."""
    length = 0
    for j in range(i, len(runs)):
        if j > i and not joined[j]:
            return None  # words joined by anything but spaces, dashes and dots
        length += runs[j][1] - runs[j][0]
        if length > CODE_CHARS:
            return None
        if length == CODE_CHARS:
            span = text[runs[i][0]:runs[j][1]]
            if not typed_as_code(span):
                return None
            found = check(span)
            return (j, found.code) if found.is_valid and found.code is not None else None
    return None


def mistyped(text: str) -> Candidate | None:
    """A code typed with a mistake somewhere in ``text``: 13 characters typed as a code
    (``typed_as_code``) whose check character does not match, or a character missing or extra
    in the shown groups (4-4-4, 4-4-6 with a digit).  Never a valid code.
    """
    runs = _runs(text)
    # Every message of an interview is read here, and most spans are words: ``_near`` needs a
    # digit and 12-14 code characters, and a span is ASCII runs joined by separators that NFKC
    # keeps out of the alphabet, so both are known from the runs before ``_near`` is paid for.
    # (A run is ASCII, so its digits are 0-9.)
    digits = [_DIGIT.search(text, a, b) is not None for a, b in runs]
    if not any(digits):
        return None
    joined = _joined(text, runs)
    for i in range(len(runs)):
        length, digit = 0, False
        for j in range(i, min(i + 4, len(runs))):
            if j > i and not joined[j]:
                break
            length, digit = length + runs[j][1] - runs[j][0], digit or digits[j]
            if not digit or not _NEAR_LENGTHS[0] <= length <= _NEAR_LENGTHS[1]:
                continue
            span = text[runs[i][0]:runs[j][1]]
            if _near(span):
                whole = not _RUN.search(text[:runs[i][0]]) and not _RUN.search(text[runs[j][1]:])
                return Candidate(runs[i][0], runs[j][1], "", whole)
    return None


# The code characters ``_near`` accepts: groups 4-4-4 (12), a whole code (13), 4-4-6 (14).
_NEAR_LENGTHS = (12, 14)


def _near(span: str) -> bool:
    folded = [_FOLD.get(ch, ch) for ch in unicodedata.normalize("NFKC", span).upper() if ch not in _IGNORED]
    if not all(ch in _VALUE for ch in folded) or not any(map(str.isdigit, span)):
        return False
    if len(folded) == CODE_CHARS:
        return typed_as_code(span) and not check(span).is_valid
    groups = tuple(len(g) for g in _SEPARATORS.split(span.strip()) if g)
    return groups in ((4, 4, 4), (4, 4, 6))


def without(text: str, found: list[Candidate]) -> str:
    """``text`` with these candidates cut out (what is kept of a message that held a code)."""
    out, at = [], 0
    for c in sorted(found, key=lambda c: c.start):
        out.append(text[at:c.start])
        at = c.end
    out.append(text[at:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()


def code_hash(code: str, *, secrets: ServerSecrets, kdf: KdfParams) -> bytes:
    """Slow keyed hash of a code, deterministic so the tip table can be looked up by it.

    Argon2id(password = HMAC-SHA256(pepper, canonical code), salt = a fixed
    server-derived salt).  argon2-cffi does not expose Argon2's own secret input, so
    the pepper is mixed in by the HMAC: without the server secret nothing can be
    brute-forced from the database.
    """
    canonical = normalize(code)
    if canonical is None:
        raise RefCodeError("not a reference code")
    try:
        return peppered_argon2id(
            canonical.encode("ascii"),
            pepper=secrets.subkey(Purpose.REFCODE_PEPPER), salt=secrets.subkey(Purpose.REFCODE_SALT)[:16],
            time_cost=kdf.time_cost, memory_cost_kib=kdf.memory_cost_kib, parallelism=kdf.parallelism,
        )
    except KdfFailed:
        raise CodeHashError("Argon2id failed: check the code KDF parameters") from None
