"""One message's reference code: drawn when the engine closes an interview, hashed outside the lock.

The engine asks ``Context.new_code`` for a code when it closes; the intake service runs the
engine on a plain read first, so the code is drawn and its Argon2id hash computed before
any write transaction (issue 11).  When the message is then redone under the lock, the
engine gets the same code back and the hash is not computed again.
"""

from __future__ import annotations

from typing import Callable

from storage import refcodes


class CodeSupply:
    def __init__(self, hasher: Callable[[str], bytes]) -> None:
        self._hasher = hasher
        self._code: str | None = None
        self._hashes: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return "CodeSupply(...)"  # never the code

    def draw(self) -> str:
        """This message's code in its shown form; the same one however often it is asked for."""
        if self._code is None:
            self._code = refcodes.display(refcodes.new_code())
        return self._code

    def hash(self, code: str) -> bytes:
        """The code's slow keyed hash, computed once per message."""
        canonical = refcodes.normalize(code) or code
        found = self._hashes.get(canonical)
        if found is None:
            found = self._hashes[canonical] = self._hasher(code)
        return found
