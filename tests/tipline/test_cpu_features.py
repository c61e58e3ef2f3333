"""The code hash keeps its measured cost after the webhook's AEAD has run (tipline/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Two threads started before any encryption: one seals (ChaCha20-Poly1305) first, as a web
# worker's thread does for every message, then both hash codes, alternating; their CPU is compared.
_RATIO = r"""
import os, statistics, threading, time
import tipline
from storage import refcodes
from storage.crypto import Box, KdfParams, ServerSecrets
from tipline.settings import CODE_KDF_DEFAULT
secrets = ServerSecrets(master=bytes(range(32)))
code = refcodes.display(refcodes.new_code())
turn = [threading.Event(), threading.Event()]
costs = {0: [], 1: []}
def work(me):
    if me == 0:
        Box(os.urandom(32)).encrypt(b"state" * 40)
    for _ in range(7):
        turn[me].wait(); turn[me].clear()
        start = time.thread_time()
        for _ in range(5):
            refcodes.code_hash(code, secrets=secrets, kdf=CODE_KDF_DEFAULT)
        costs[me].append(time.thread_time() - start)
        turn[1 - me].set()
threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
for t in threads: t.start()
turn[0].set()
for t in threads: t.join()
print(statistics.median(costs[0]) / statistics.median(costs[1]))
"""


def _run(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "OPENSSL_ia32cap"} | env
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip()


def test_importing_tipline_masks_openssls_avx512_unless_the_operator_chose() -> None:
    show = "import os, tipline; print(os.environ['OPENSSL_ia32cap'])"
    assert _run(show) == ":~0x10000"
    assert _run(show, OPENSSL_ia32cap="~0x0:~0x0") == "~0x0:~0x0"


@pytest.mark.skipif("avx512f" not in Path("/proc/cpuinfo").read_text(errors="replace") if Path("/proc/cpuinfo").exists()
                    else True, reason="the slowdown needs a CPU with AVX-512")
def test_a_thread_that_sealed_state_hashes_codes_as_fast_as_one_that_did_not() -> None:
    # Without the mask the thread that sealed pays ~1.6x the CPU per code hash on AVX-512 CPUs.
    assert float(_run(_RATIO)) < 1.3
