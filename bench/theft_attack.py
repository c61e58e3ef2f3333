"""The thief: a copy of the database's records and a copy of the secrets folder, nothing else.

Every key the copied folder can derive goes on the key ring, read through the project's own
public functions (``load_server_secrets`` and every ``Purpose``; every epoch a copied
``Ratchet`` file still derives), plus every period key whose wrapped value turns up in any
record, old WAL frames included.  Every box-shaped blob of every record is tried under every
key with the associated data a row could have used (built from the other values of the same
record, as the code that wrote it does).  Then keyed hashes are brute-forced: candidate phone
numbers and Telegram chat ids against the conversation lookups and throttle keys, Telegram
update ids (and Twilio SIDs read from opened rows) against the inbound provider-id hashes,
whose match opens the stored replies.  Addresses found open tip links.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from bench.theft_brute import Timing, brute
from bench.theft_carve import Record
from storage.crypto import Box, DecryptionFailed, ServerSecrets, load_server_secrets
from storage.purposes import Purpose
from storage.ratchet import FOLDER, EpochDestroyed, Ratchet, RatchetMissing, Schedule
from triage.tiplink import TIP_LINK, open_legacy, open_under

_EPOCH_GUESSES = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 7 * 86400)
_MAX_EPOCHS = 5000
_SID = re.compile(r"\b(?:SM|MM)[0-9a-f]{32}\b")
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
_CHANNELS = {"sms", "whatsapp", "telegram", "terminal"}


@dataclass
class KeyRing:
    secrets: ServerSecrets = field(repr=False)
    boxes: list[tuple[str, Box]] = field(default_factory=list, repr=False)
    mac_keys: list[tuple[str, bytes]] = field(default_factory=list, repr=False)  # keys of channel:address lookups
    epoch_keys: list[bytes] = field(default_factory=list, repr=False)  # every epoch key of every copied ratchet
    ratchet_epochs: int = 0


def ratchet_keys(secrets_dir: Path, now: float) -> Iterator[tuple[str, bytes]]:
    """Every epoch key each copied ratchet file still derives, up to ``now`` (and one ahead)."""
    for path in sorted((secrets_dir / FOLDER).glob("*.json")):
        try:
            base = int(json.loads(path.read_text(encoding="ascii"))["epoch"])
        except (ValueError, KeyError, OSError):
            continue
        # The file does not name its epoch length: the right one is where the base epoch is
        # behind "now" by the least (a shorter guess puts it far behind, a longer one ahead).
        spans = [(int(now // s) - base, s) for s in _EPOCH_GUESSES if 0 <= int(now // s) + 1 - base]
        if not spans:
            continue
        span, seconds = min(spans)
        ratchet = Ratchet(secrets_dir, path.stem, Schedule(seconds, keep=min(max(span, 0), _MAX_EPOCHS)),
                          clock=lambda: now)
        try:
            for epoch, key in ratchet.window():
                yield f"ratchet:{path.stem}:{epoch}", key
            yield f"ratchet:{path.stem}:{ratchet.schedule.epoch(now) + 1}", ratchet.key(ratchet.schedule.epoch(now) + 1)
        except (EpochDestroyed, RatchetMissing):
            continue


def key_ring(secrets_dir: Path, now: float) -> KeyRing:
    secrets = load_server_secrets(secrets_dir)
    ring = KeyRing(secrets)
    ring.boxes = [(f"server:{p.value}", secrets.box(p)) for p in Purpose]
    ring.mac_keys = [("server:lookup", secrets.subkey(Purpose.LOOKUP))]
    for name, key in ratchet_keys(secrets_dir, now):
        ring.boxes.append((name, Box(key)))
        ring.mac_keys.append((name, key))
        ring.epoch_keys.append(key)
        ring.ratchet_epochs += 1
    return ring


# -- decrypting every blob ------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    key: str
    plaintext: bytes = field(repr=False)
    record: Record = field(repr=False)
    aad: bytes = field(repr=False)


def _boxlike(value: object) -> bool:
    """A ``Box`` blob (version 1), or an epoch blob (``storage.epochs``: a 6-byte head, then a Box blob)."""
    return isinstance(value, bytes) and len(value) >= 29 and (value[0] == 1 or _epoch_inner(value) is not None)


def _epoch_inner(value: bytes) -> bytes | None:
    """The Box blob inside an epoch blob; the head names the purpose and epoch, the ring has every key."""
    if value[:1] == b"\x02" and len(value) >= 6 + 29 and value[6] == 1:
        return value[6:]
    return None


def aads(record: Record) -> list[bytes]:
    """Associated data a row could have been sealed with, from the record's other values."""
    words = [v for v in record.fields if isinstance(v, str)] + [str(v) for v in record.fields if isinstance(v, int)]
    found = {b"", b"provider-deletion"}
    for w in words:
        found |= {w.encode(), f"tipline-period-key:{w}".encode(), f"tipline-address:{w}".encode()}
        found |= {f"{w}:{x}".encode() for x in words if x != w}
    found |= {v for v in record.fields if isinstance(v, bytes) and len(v) == 32}
    return sorted(found)


def open_all(records: Iterable[Record], ring: KeyRing) -> list[Opened]:
    """Try every box-shaped blob under every key; period keys found are added and tried too."""
    seen: set[tuple[bytes, tuple[bytes, ...]]] = set()
    todo: list[tuple[bytes, list[bytes], Record]] = []
    for record in records:
        for value in record.fields:
            if _boxlike(value):
                assert isinstance(value, bytes)
                candidates = aads(record)
                if (value, tuple(candidates)) not in seen:
                    seen.add((value, tuple(candidates)))
                    todo.append((value, candidates, record))
    opened = _try(todo, ring.boxes)
    period_boxes = {o.aad.decode(): Box(o.plaintext) for o in opened
                    if o.aad.startswith(b"tipline-period-key:") and len(o.plaintext) == 32}
    named = [(f"period key {aad.split(':', 1)[1]}", box) for aad, box in sorted(period_boxes.items())]
    return opened + _try(todo, named)


def _try(todo: list[tuple[bytes, list[bytes], Record]], boxes: list[tuple[str, Box]]) -> list[Opened]:
    found = []
    for blob, candidates, record in todo:
        hit = _first(blob, candidates, boxes)
        if hit is not None:
            found.append(Opened(hit[0], hit[1], record, hit[2]))
    return found


def _first(blob: bytes, candidates: list[bytes], boxes: list[tuple[str, Box]]) -> tuple[str, bytes, bytes] | None:
    blob = _epoch_inner(blob) or blob
    for name, box in boxes:
        for aad in candidates:
            try:
                return name, box.decrypt(blob, aad), aad
            except DecryptionFailed:
                continue
    return None


# -- brute force ------------------------------------------------------------------------------


@dataclass
class Findings:
    opened: list[Opened] = field(default_factory=list, repr=False)
    addresses: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)  # -> how it was found
    links: set[tuple[str, str, str, str]] = field(default_factory=set, repr=False)  # channel, address, tip, how
    replies: list[tuple[str, str, bytes]] = field(default_factory=list, repr=False)  # channel, provider id, text
    timings: list[Timing] = field(default_factory=list)
    ratchet_epochs: int = 0

    def texts(self) -> list[str]:
        """Every plaintext recovered, as text."""
        return [o.plaintext.decode("utf-8", "replace") for o in self.opened] + \
            [r[2].decode("utf-8", "replace") for r in self.replies]


def _hashes(records: Iterable[Record]) -> set[bytes]:
    return {v for r in records for v in r.fields if isinstance(v, bytes) and len(v) == 32}


def _derive(root: bytes, info: bytes) -> bytes:
    """A per-item key as the code derives one (``EpochKeys.derived``, the old ``reply_box``)."""
    return hmac.new(root, info, hashlib.sha256).digest()


def open_replies(ring: KeyRing, records: list[Record], ids: Iterable[tuple[str, str]]) -> list[tuple[str, str, bytes]]:
    """The replies stored for a redelivery, under every derivation the intake has used: the id's
    keyed hash under the server's INBOUND key or any epoch key the copy derives, and its reply
    key from the server's INBOUND_REPLIES key or from any epoch key."""
    by_key: dict[bytes, list[Record]] = {}
    for r in records:
        for v in r.fields:
            if isinstance(v, bytes) and len(v) == 32:
                by_key.setdefault(v, []).append(r)
    out, seen = [], set()
    for channel, pid in ids:
        info = f"{channel}:{pid}".encode()
        hashes = {_derive(k, info) for k in [ring.secrets.subkey(Purpose.INBOUND), *ring.epoch_keys]}
        boxes = [Box(_derive(k, info)) for k in [ring.secrets.subkey(Purpose.INBOUND_REPLIES), *ring.epoch_keys]]
        for key in hashes:
            for r in by_key.get(key, []):
                for v in r.fields:
                    if _boxlike(v) and (channel, pid, v) not in seen:
                        assert isinstance(v, bytes)
                        seen.add((channel, pid, v))
                        hit = _first(v, [key, b""], [("reply", box) for box in boxes])
                        if hit is not None:
                            out.append((channel, pid, hit[1]))
    return out


def link_addresses(ring: KeyRing, records: list[Record], findings: Findings, lookups: dict[tuple[str, str], bytes],
                   tips: dict[str, set[float]]) -> None:
    """Which tip each found address made: a tip id in its row, its row's times, its sealed tip link."""
    # Links before the ratchet (a server-derived key), and under every epoch key the folder derives.
    legacy = ring.secrets.subkey(Purpose.TIP_LINK)
    epoch_keys = [key for _, key in ring.mac_keys]
    plain = {id(o.record): o.plaintext for o in findings.opened}
    for (channel, address), lookup in lookups.items():
        for r in (r for r in records if lookup in r.fields):
            for v in r.fields:
                if isinstance(v, str) and v in tips:
                    findings.links.add((channel, address, v, "tip id in its row"))
                if isinstance(v, float):
                    findings.links |= {(channel, address, t, "same time") for t, at in tips.items() if v in at}
            text = plain.get(id(r), b"").decode("utf-8", "replace")
            findings.links |= {(channel, address, t, "tip id in its state") for t in tips if t in text}
            for blob in re.findall(rf'"{TIP_LINK}":"([A-Za-z0-9+/=]+)"', text):
                tips_found = {open_legacy(legacy, blob, channel=channel, address=address)}
                tips_found |= {open_under(k, blob, channel=channel, address=address) for k in epoch_keys}
                findings.links |= {(channel, address, tip, "tip link") for tip in tips_found if tip is not None}


def tip_times(records: Iterable[Record]) -> dict[str, set[float]]:
    """Tip ids (live rows of the tip table, which a thief reads with SQL) and their times."""
    return {str(r.fields[0]): {v for v in r.fields if isinstance(v, float)}
            for r in records if r.source == "row of tip" and isinstance(r.fields[0], str)
            and _HEX_ID.match(r.fields[0])}


def attack(records: list[Record], secrets_dir: Path, *, now: float, phones: range, chat_ids: range,
           update_ids: range) -> Findings:
    """Everything the copy and the secrets give up (phone candidates: +1555 and seven digits)."""
    ring = key_ring(secrets_dir, now)
    findings = Findings(ratchet_epochs=ring.ratchet_epochs)
    findings.opened = open_all(records, ring)
    for o in findings.opened:  # destinations sealed under a period or ADDRESS epoch key: "channel\0address"
        channel, nul, address = o.plaintext.decode("utf-8", "replace").partition("\x00")
        if nul and channel in _CHANNELS and address:
            findings.addresses.setdefault((channel, address), "sealed destination opened")
    hashes = _hashes(records)
    lookups: dict[tuple[str, str], bytes] = {}
    macs, throttle = [key for _, key in ring.mac_keys], ring.secrets.subkey(Purpose.THROTTLE)
    for channel, pattern, candidates in (("sms", b"sms:+1555%07d", phones), ("telegram", b"telegram:%d", chat_ids)):
        timing, hits = brute(f"{channel} addresses", macs, hashes, pattern, candidates, second=throttle)
        findings.timings.append(timing)
        for k, lookup in hits:
            address = (pattern % k).decode().split(":", 1)[1]
            lookups[(channel, address)] = lookup
            findings.addresses.setdefault((channel, address), "brute force of keyed hashes")
    # Provider-id hashes: under the server's INBOUND key (before the ratchet) and every epoch key.
    timing, hits = brute("Telegram update ids", [ring.secrets.subkey(Purpose.INBOUND), *ring.epoch_keys], hashes,
                         b"telegram:%d", update_ids)
    findings.timings.append(timing)
    uids = [str(k) for k, _ in hits]
    sids = {m for text in findings.texts() for m in _SID.findall(text)}
    findings.replies = open_replies(ring, records, [("telegram", u) for u in uids] + [("sms", s) for s in sids])
    link_addresses(ring, records, findings, lookups, tip_times(records))
    return findings
