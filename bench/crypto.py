"""What encryption costs: sealing and opening a typical tip, and one conversation step
with and without encryption, measured in the same run (medians of three rounds).

    .venv/bin/python bench/crypto.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_runtime
from bot.types import InboundMessage
from storage import crypto, keys, refcodes
from storage.crypto import KdfParams, ServerSecrets
from tipline.settings import CODE_KDF_DEFAULT

ROUNDS = 3
ANSWERS = ["2", "1", "Workers at the farm never leave and a man holds their papers", "1", "2"]


class PlainBox:
    """Stands in for crypto.Box to measure a step without encryption (benchmark only)."""

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        return b"\x01" + plaintext

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        return blob[1:]


class PlainStates:
    """Stands in for conversation_state.StateBoxes to measure a step without encryption (benchmark only)."""

    def seal(self, conv_id: str, state: dict[str, Any], *, resting: bool) -> bytes:
        return json.dumps(state).encode()

    def open(self, conv_id: str, blob: bytes) -> dict[str, Any]:
        value = json.loads(blob)
        assert isinstance(value, dict)
        return value


def typical_tip() -> bytes:
    answers = {
        "A2": "no", "A4": "other", "B1": "A man drives the workers to the farm at 4am and keeps their passports. " * 3,
        "B2": ["work"], "B3": "no", "C": ["leave", "docs", "debt", "pay"], "W1": "south", "T1": "week",
        "F1": "yes", "MORE": "yes", "W2": "Behind the feed store on route 9", "W3": "A chicken farm",
        "L1": "farm", "L2": "yes", "L3": "yes", "L4": "unsure", "L5": "yes", "T2": "ongoing", "N1": "6_20",
        "N2": "Men in their twenties, speak Spanish", "N3": "Older man, grey truck", "X1": "Grey pickup",
        "X2": None, "R1": "neighbour", "F2": "They look very tired",
    }
    reasons = [f"reason line {i}: C.leave yes +5" for i in range(12)]
    return json.dumps({"kind": "snapshot", "answers": answers, "assessment": {"reasons": reasons}}).encode()


def rate(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def median_rate(fn: Callable[[], object], n: int) -> float:
    return statistics.median(rate(fn, n) for _ in range(ROUNDS))


def step_rates(reporters: int = 100) -> tuple[float, float]:
    """(with encryption, without) messages per second, interleaved rounds."""
    with_enc: list[float] = []
    without: list[float] = []
    for _ in range(ROUNDS):
        for encrypted in (True, False):
            rt = fresh_runtime()
            service = rt.intake
            if not encrypted:
                service._states = PlainStates()  # type: ignore[assignment]
                service._outbox_box = PlainBox()
            ids = count()
            for r in range(reporters):
                msg = InboundMessage(channel="sms", address=f"+1555{r:07d}", text="hi", provider_id=str(next(ids)))
                service.handle(msg)
            start = time.perf_counter()
            for answer in ANSWERS:
                for r in range(reporters):
                    service.handle(InboundMessage(channel="sms", address=f"+1555{r:07d}", text=answer,
                                                  provider_id=str(next(ids))))
            value = reporters * len(ANSWERS) / (time.perf_counter() - start)
            (with_enc if encrypted else without).append(value)
            rt.db.dispose()
    return statistics.median(with_enc), statistics.median(without)


def main() -> None:
    payload = typical_tip()
    queues = [crypto.new_keypair() for _ in range(3)]  # a typical tip reaches three queues

    def seal_three() -> None:
        for i, (_, public) in enumerate(queues):
            crypto.seal(payload, recipient_public=public, key_id=f"k{i}", context=b"tip:1:q")

    envelope = crypto.seal(payload, recipient_public=queues[0][1], key_id="k0", context=b"tip:1:q")

    def open_one() -> None:
        crypto.open_sealed(envelope, recipient_private=queues[0][0], context=b"tip:1:q")

    box = crypto.Box(os.urandom(32))
    state = json.dumps({"answers": {"B1": "x" * 200, "C": ["leave"]}, "step": "C", "history": ["A2", "A4"]}).encode()

    def box_round_trip() -> None:
        box.decrypt(box.encrypt(state, b"id"), b"id")

    secrets = ServerSecrets(os.urandom(32))
    default_code_kdf = CODE_KDF_DEFAULT
    code = refcodes.new_code()
    hash_ms = 1000 / median_rate(lambda: refcodes.code_hash(code, secrets=secrets, kdf=default_code_kdf), 5)
    staff_kdf = KdfParams()
    rt = fresh_runtime()
    with rt.db.begin() as conn:
        keys.add_staff(conn, username="bench", passphrase="bench passphrase 12", is_admin=False,
                       secrets=rt.secrets, kdf=staff_kdf, now=time.time())

    def unlock() -> None:
        with rt.db.connect() as conn:
            keys.unlock(conn, username="bench", passphrase="bench passphrase 12", secrets=rt.secrets, kdf=staff_kdf)

    unlock_ms = 1000 / median_rate(unlock, 3)
    seal_rate = median_rate(seal_three, 300)
    open_rate = median_rate(open_one, 1000)
    box_rate = median_rate(box_round_trip, 5000)
    with_enc, without = step_rates()
    print(f"typical tip: {len(payload)} bytes of JSON")
    print(f"seal to 3 queues:             {1000 / seal_rate:7.3f} ms  ({seal_rate:8.0f}/s)")
    print(f"open one envelope:            {1000 / open_rate:7.3f} ms  ({open_rate:8.0f}/s)")
    print(f"state box encrypt+decrypt:    {1000 / box_rate:7.3f} ms  ({box_rate:8.0f}/s)")
    kdf_name = f"t={default_code_kdf.time_cost} m={default_code_kdf.memory_cost_kib // 1024} MiB"
    print(f"reference-code hash (Argon2id {kdf_name}):    {hash_ms:7.1f} ms  (at the close and per code candidate,"
          " before the write lock)")
    print(f"staff unlock (Argon2id t=3 m=64 MiB):          {unlock_ms:7.1f} ms  (once per login)")
    print(f"conversation step with encryption:    {with_enc:8.1f} msg/s")
    print(f"conversation step without encryption: {without:8.1f} msg/s")
    print(f"ratio with / without: {with_enc / without:.2f}")


if __name__ == "__main__":
    main()
