"""tipline: the composition root (settings, app factories, CLI)."""

import os

# OpenSSL's AVX-512 ChaCha20-Poly1305 (every webhook seals state with it) leaves the thread's upper
# vector registers dirty, and from then on Argon2id's SSE code runs about 1.6x slower in that thread
# and in threads it starts (measured: a code hash 3.4 -> 5.4 ms of CPU; README "Reference-code
# hashing cost").  Masking AVX-512F makes OpenSSL use its AVX2 code, as fast for messages this
# small.  Set before anything loads OpenSSL (it reads the variable once); an operator's value wins.
os.environ.setdefault("OPENSSL_ia32cap", ":~0x10000")
