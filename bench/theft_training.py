"""The theft drill's training sandbox (issue 14): the thief also holds a sandbox's folder.

``tipline training start`` runs in the drill's install (its click command, on the live runtime),
with the sandbox beside the live data and secrets folders, as an operator who practises on the
live host would put it.  The thief copies the sandbox's whole folder (its SQLite database and
WAL, its secrets and console-secrets folders, its state file) with the live copy, then asks
three questions:

- does any live marker, address, reference code or provider credential appear in any sandbox
  file, raw or in any blob the sandbox's own keys (or the live ones) open?
- do the sandbox's keys (its server secret, every epoch its ratchet files derive, and the
  trainee's queue keys, unlocked with the passphrase the command printed) open any live blob
  or any live tip envelope?
- is anything in the sandbox a copy of a live secret (the live secret files' values, every
  subkey and epoch key they derive, the live queue key ids)?

and, the other way round, whether the live copy (its records and secrets folder) holds any
trace of the sandbox: its scripted reporters' numbers, its staff, its server secret.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from bench.theft_attack import KeyRing, key_ring, open_all
from bench.theft_carve import Record, carve, live_rows
from bench.theft_scenario import TG_SECRET, TG_TOKEN, TW_SID, TW_TOKEN, Line, Planted
from storage import crypto
from storage.crypto import DecryptionFailed
from storage.key_errors import KeyManagementError
from storage.keys import unlock
from storage.tables import TipEnvelope
from storage.purposes import Purpose
from tipline.cli_training import training_group
from tipline.runtime import Runtime
from tipline.training import TRAINEE, TRAINER, load
from tipline.training_scripts import FOLLOW_UP_ADDRESS, SCENARIOS

_PASSPHRASE = re.compile(r"passphrase, shown once: (\S+)")
_ENV = TipEnvelope.__table__  # type: ignore[attr-defined]


@dataclass
class SandboxFindings:
    """What the thief got from the sandbox's folder, as counts the drill prints."""

    folder: Path
    files: int = 0
    bytes: int = 0
    records: int = 0
    opened_own: int = 0  # sandbox blobs its own keys open (the scripts' fiction)
    live_values: int = 0  # live markers, addresses, codes and credentials searched for
    live_in_files: list[str] = field(default_factory=list)
    live_in_opened: list[str] = field(default_factory=list)
    live_blobs_tried: int = 0
    live_blobs_opened: int = 0
    envelopes_tried: int = 0
    envelopes_opened: int = 0
    trainee_queue_keys: int = 0
    secrets_checked: int = 0
    secret_copies: list[str] = field(default_factory=list)
    sandbox_values: int = 0  # the sandbox's reporters' numbers, staff names and server secret
    sandbox_in_live: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not (self.live_in_files or self.live_in_opened or self.live_blobs_opened or self.envelopes_opened
                    or self.secret_copies or self.sandbox_in_live)


def start_sandbox(line: Line) -> tuple[Path, str]:
    """``tipline training start --dir <install>/training`` on the drill's live runtime; its folder
    and the trainee passphrase it printed."""
    folder = line.rt.settings.data_dir.parent / "training"
    result = CliRunner().invoke(training_group, ["start", "--dir", str(folder)], obj={"runtime": line.rt})
    found = _PASSPHRASE.search(result.output)
    if result.exit_code != 0 or found is None:
        raise RuntimeError(f"tipline training start failed ({result.exit_code}): {result.output[-400:]}")
    return folder, found.group(1)


def copy_sandbox(folder: Path, dest: Path) -> Path:
    """The thief's copy of the sandbox's whole folder (its SQLite files copied without a checkpoint)."""
    shutil.copytree(folder, dest / "training", dirs_exist_ok=True)
    return dest / "training"


def live_values(line: Line, planted: Planted) -> dict[str, str]:
    """Every live value that must not appear in the sandbox -> what it is."""
    values = {m: "live marker" for m in planted.markers}
    values |= {a: f"live {c} address" for (c, a) in planted.addresses if c != "terminal"}
    values |= {c: "live reference code" for c in planted.codes}
    values |= {v: "live provider credential" for v in (TW_SID, TW_TOKEN, TG_TOKEN, TG_SECRET)}
    return values


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _encodings(value: bytes) -> list[bytes]:
    return [value, value.hex().encode(), base64.b64encode(value), base64.urlsafe_b64encode(value).rstrip(b"=")]


def live_secret_values(line: Line, ring: KeyRing) -> dict[bytes, str]:
    """The live secret files' contents (every string value of a JSON file), every subkey and
    epoch key they derive, and the live queue key ids: each must be absent from the sandbox."""
    s = line.rt.settings
    out: dict[bytes, str] = {}
    for root in {s.secrets_dir, s.oncall_key_dir}:
        for path in _files(root) if root.is_dir() else []:
            raw = path.read_bytes()
            try:
                data = json.loads(raw)
                strings = [v for v in data.values() if isinstance(v, str) and len(v) >= 16] \
                    if isinstance(data, dict) else []
                out |= {v.encode(): f"a value of live {path.name}" for v in strings}
            except (ValueError, UnicodeDecodeError):
                out[raw] = f"live {path.name}"
    out |= {ring.secrets.subkey(p): f"live subkey {p.value}" for p in Purpose}
    out |= {k: "a live epoch key" for k in ring.epoch_keys}
    with line.rt.db.connect() as conn:
        ids = conn.execute(select(_ENV.c.key_id).distinct()).scalars()
        out |= {str(k).encode(): "a live queue key id" for k in ids}
    return out


def _sandbox_records(copy: Path) -> list[Record]:
    db = copy / "data" / "db" / "tipline.sqlite3"
    return carve(db) + live_rows(db)


def _trainee_keys(line: Line, copy: Path, passphrase: str) -> list[bytes]:
    """The trainee's queue private keys, unlocked in the copied sandbox with the printed passphrase
    (none when the copy's secrets no longer unlock them, e.g. a sandbox folder tampered with)."""
    settings, _, _ = load(line.rt.settings, copy)
    rt = Runtime(settings)
    try:
        with rt.db.begin() as conn:
            keys = unlock(conn, username=TRAINEE, passphrase=passphrase, secrets=rt.secrets, kdf=settings.staff_kdf)
            return [keys.queue_private(conn, k) for k in sorted(keys.held_key_ids(conn))]
    except KeyManagementError:
        return []
    finally:
        rt.db.dispose()


def _open_live_envelopes(line: Line, privates: list[bytes], found: SandboxFindings) -> None:
    with line.rt.db.connect() as conn:
        rows = list(conn.execute(select(_ENV.c.tip_id, _ENV.c.version, _ENV.c.queue, _ENV.c.envelope)))
    for row in rows:
        found.envelopes_tried += 1
        for private in privates:
            try:
                crypto.open_sealed(row.envelope, recipient_private=private,
                                   context=f"{row.tip_id}:{row.version}:{row.queue}".encode())
            except DecryptionFailed:
                continue
            found.envelopes_opened += 1


def _sandbox_traces(copy: Path, live_copy: Path, live_records: list[Record], found: SandboxFindings) -> None:
    """Whether the live copy (its records, secrets folder and spool) holds anything of the sandbox."""
    numbers = [s.address for s in SCENARIOS] + [FOLLOW_UP_ADDRESS]
    values = {a.encode(): "a sandbox reporter's number" for a in numbers}
    values |= {name.encode(): "a sandbox staff name" for name in (TRAINEE, TRAINER)}
    secret = (copy / "secrets" / crypto.SECRET_FILE).read_bytes()
    values |= {e: "the sandbox's server secret" for e in _encodings(secret)}
    found.sandbox_values = len(values)
    fields = [v.encode() if isinstance(v, str) else v for r in live_records for v in r.fields
              if isinstance(v, (str, bytes))]
    # The live copy's own files (SQLite file and WAL, secrets, spool); not the sandbox's folder in it.
    files = [p.read_bytes() for p in _files(live_copy) if copy not in p.parents]
    haystack = b"\0".join(fields + files)
    found.sandbox_in_live = sorted({f"{what} in the live copy" for v, what in values.items() if v in haystack})


def attack_sandbox(line: Line, copy: Path, passphrase: str, live_records: list[Record], live_ring: KeyRing,
                   ) -> SandboxFindings:
    """The questions of the module's docstring, on the thief's copies of the sandbox and the live line."""
    found = SandboxFindings(copy)
    _sandbox_traces(copy, copy.parent, live_records, found)
    wanted = live_values(line, line.planted)
    found.live_values = len(wanted)
    secrets = live_secret_values(line, live_ring)
    found.secrets_checked = len(secrets)
    for path in _files(copy):
        raw = path.read_bytes()
        found.files, found.bytes = found.files + 1, found.bytes + len(raw)
        found.live_in_files += [f"{what} in {path.name}" for v, what in wanted.items() if v.encode() in raw]
        found.secret_copies += [f"{what} in {path.name}" for v, what in secrets.items()
                                if any(e in raw for e in _encodings(v))]
    records = _sandbox_records(copy)
    found.records = len(records)
    # The drill's clock runs ahead of the wall clock the sandbox was made on: every epoch from the
    # sandbox's start to the drill's "now" is on the ring (the copied ratchet files derive them).
    ring = key_ring(copy / "secrets", max(time.time(), line.clock()))
    both = KeyRing(ring.secrets, boxes=ring.boxes + live_ring.boxes)
    opened = open_all(records, both)
    found.opened_own = len(opened)
    text = "\n".join(o.plaintext.decode("utf-8", "replace") for o in opened)
    found.live_in_opened = [f"{what} in an opened sandbox blob" for v, what in wanted.items() if v in text]
    live_opened = open_all(live_records, ring)
    found.live_blobs_tried = sum(1 for r in live_records for v in r.fields if isinstance(v, bytes) and len(v) >= 29)
    found.live_blobs_opened = len(live_opened)
    privates = _trainee_keys(line, copy, passphrase)
    found.trainee_queue_keys = len(privates)
    _open_live_envelopes(line, privates, found)
    return found


def render(found: SandboxFindings) -> str:
    """The drill's lines on the sandbox (printed after the live table)."""
    seen = found.live_in_files + found.live_in_opened + found.secret_copies + found.sandbox_in_live
    return "\n".join([
        "### The training sandbox (`tipline training start --dir <install>/training`), copied with the live line",
        "",
        f"- the copy: {found.files} files, {found.bytes:,} bytes (SQLite file and WAL, secrets, console secrets, "
        f"state); {found.records:,} records carved or read; {found.opened_own} of its blobs opened under its own keys "
        "and the live ones (the scripts' fiction)",
        f"- live values searched for in every sandbox file and every opened blob (markers, addresses, codes, "
        f"provider credentials): {found.live_values}, found {len(found.live_in_files) + len(found.live_in_opened)}",
        f"- the sandbox's keys (server secret, every epoch its ratchet files derive) against the live copy: "
        f"{found.live_blobs_opened} of {found.live_blobs_tried:,} blob-shaped values opened",
        f"- the trainee's {found.trainee_queue_keys} queue keys (unlocked with the printed passphrase) against "
        f"the live tip envelopes: {found.envelopes_opened} of {found.envelopes_tried} opened",
        f"- live secrets searched for in every sandbox file (raw, hex, base64): {found.secrets_checked} values "
        f"(secret files, every subkey, every live epoch key, queue key ids), found {len(found.secret_copies)}",
        f"- the other way: the sandbox's reporters' numbers, staff names and server secret searched for in the live "
        f"copy's records, secrets and spool: {found.sandbox_values} values, found {len(found.sandbox_in_live)}",
        "",
        f"Sandbox target (issue 14: nothing of the live line in it, none of its keys opens the live line): "
        f"{'MET' if found.met else 'MISSED'}" + ("" if not seen else " (" + "; ".join(seen[:8]) + ")"),
    ])
