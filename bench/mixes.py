"""The three request mixes, as pre-signed Twilio SMS webhooks written to a file for wrk.

Every request carries a valid X-Twilio-Signature (twilio's RequestValidator over the
configured public URL and the form parameters) and a fresh MessageSid, so the tip line
does its full work for each and no request is answered from the redelivery cache.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from storage import refcodes

BASE_URL = "https://bot.example.org"
SMS_PATH = "/webhooks/twilio/sms"
TW_SID = "AC" + "2" * 32
TW_TOKEN = "bench_auth_token_0123456789abcdef"
LINE = "+12025550100"

# The README's typical witness path: 12 messages from "hi" to the reference code.
INTERVIEW = ["hi", "2", "1", "Workers at the farm never leave and a man holds their papers", "1", "2", "1 2",
             "1", "the farm behind the old mill on Route 9", "2", "1", "2"]
MID_REPORTERS = 500  # mix (a): reporters answering "2" then "BACK", round and round
INTERVIEW_SLOTS = 50  # mix (b), (c): interviews in progress at once, interleaved round-robin


@dataclass(frozen=True)
class Message:
    text: str
    sender: str = ""  # a phone number: never printed


class Signer:
    """Builds raw, signed HTTP requests; MessageSids never repeat within one bench run."""

    def __init__(self) -> None:
        self._validator = RequestValidator(TW_TOKEN)
        self._sids = count(int.from_bytes(secrets.token_bytes(6), "big") << 20)

    def params(self, message: Message) -> dict[str, str]:
        sid = "SM%032x" % next(self._sids)
        return {"ToCountry": "US", "ToState": "DC", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
                "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
                "Body": message.text, "FromCountry": "US", "To": LINE, "ToZip": "", "NumSegments": "1",
                "MessageSid": sid, "AccountSid": TW_SID, "From": message.sender, "ApiVersion": "2010-04-01"}

    def headers_and_body(self, message: Message) -> tuple[dict[str, str], str]:
        params = self.params(message)
        signature = self._validator.compute_signature(BASE_URL + SMS_PATH, params)
        return {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}, urlencode(params)

    def raw(self, message: Message) -> bytes:
        headers, body = self.headers_and_body(message)
        head = [f"POST {SMS_PATH} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()),
                f"Content-Length: {len(body.encode())}"]
        return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def write_requests(path: Path, signer: Signer, messages: Iterator[Message], n: int) -> None:
    """The first ``n`` messages as records "<length>\\n<raw request>" (read by bench/replay.lua)."""
    with path.open("wb") as f:
        for _, message in zip(range(n), messages, strict=False):
            raw = signer.raw(message)
            f.write(b"%d\n" % len(raw) + raw)


def phone(prefix: int, n: int) -> str:
    """A distinct, well-formed US number per (prefix, n)."""
    return f"+1{prefix:03d}{n:07d}"


def mid_interview_warmup(tag: int) -> list[Message]:
    """Mix (a) starts with every reporter past "hi" (sent before the measured run)."""
    return [Message("hi", phone(200 + tag, i)) for i in range(MID_REPORTERS)]


def mid_interview(tag: int) -> Iterator[Message]:
    """Mix (a): each reporter answers "2", then "BACK", round and round; 500 requests apart."""
    for step in count():
        text = "2" if (step // MID_REPORTERS) % 2 == 0 else "BACK"
        yield Message(text, phone(200 + tag, step % MID_REPORTERS))


def interviews(tag: int) -> Iterator[Message]:
    """Mix (b): whole interviews, 50 at a time round-robin; each new interview from a new number.

    A reporter's next message comes 50 requests after the previous one, so with 8 in flight
    no reporter's messages race each other.
    """
    for step in count():
        slot, turn = step % INTERVIEW_SLOTS, step // INTERVIEW_SLOTS
        interview = turn // len(INTERVIEW)
        yield Message(INTERVIEW[turn % len(INTERVIEW)], phone(300 + tag, interview * INTERVIEW_SLOTS + slot))


def wrong_code() -> str:
    """A code of the right shape with a valid check character, so the line must look it up."""
    data = "".join(secrets.choice(refcodes.ALPHABET) for _ in range(refcodes.DATA_CHARS))
    return refcodes.display(data + refcodes.check_character(data))


def interviews_with_codes(tag: int, every: int) -> Iterator[Message]:
    """Mix (c): mix (b) with a wrong follow-up code from a new sender after every ``every`` messages."""
    senders = count()
    for i, message in enumerate(interviews(tag), start=1):
        yield message
        if i % every == 0:
            yield Message(wrong_code(), phone(400 + tag, next(senders)))
