"""The theft drill's victim: a real install that reporters use over both webhooks and the terminal.

Every answer carries a planted marker (``MARKER-<n>-<word>``) and every reporter writes from
a known address, so the attack (``bench.theft_attack``) can say exactly what it got back.
A fake clock drives the line: interviews happen, then the clock passes the idle window, the
provider retry window and the follow-up window with a round of jobs after each (what an
operator's ``tipline worker`` does), then a few interviews run in the current window.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from bench.common import fresh_runtime
from bot.types import InboundMessage
from storage.ratchet import FOLDER
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tipline.app import create_public_app
from tipline.jobs import INBOUND_RETENTION, Jobs
from tipline.runtime import Runtime
from triage.intake import IntakeService

BASE_URL = "https://tips.example.org"
TW_SID, TW_TOKEN, LINE = "AC" + "7" * 32, "theft_drill_auth_token_0123456789", "+12025550100"
TG_TOKEN, TG_SECRET = "123456789:AAH-theft-drill-token-fake-api-only", "theft_drill_webhook_secret"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
OLD, CURRENT = "older than the window", "within the current window"

# Scripts: "{m}" is replaced by a fresh marker.  Each ends as its kind ends.
WITNESS = ["hi", "2", "1", "{m} at the farm", "1", "2", "1 2", "1", "{m} behind the mill", "0", "1", "2"]
DANGER = ["hi", "1", "1", "{m} at the motel", "5", "DONE"]
CHILD = ["hi", "2", "1", "{m} girls at the bakery", "3", "1", "1 2", "DONE"]
SELF_REPORT = ["hi", "2", "2", "1", "5", "2", "4", "{m} city", "2"]
EXIT = ["hi", "2", "1", "{m} by the docks", "EXIT"]
DONE = ["hi", "2", "1", "{m} at the car wash", "2", "DONE"]
IDLE = ["hi", "2", "1", "{m} in the van"]
IN_PROGRESS = ["hi", "2", "1", "{m} at the quarry", "1"]


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Planted:
    """Everything planted, each value with the phase it belongs to."""

    markers: dict[str, str] = field(default_factory=dict)
    addresses: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, address) -> phase
    codes: dict[str, str] = field(default_factory=dict)
    provider_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, id) -> phase
    phase: str = OLD
    _n: count[int] = field(default_factory=lambda: count(1), repr=False)

    def marker(self, word: str) -> str:
        value = f"MARKER-{next(self._n)}-{word}"
        self.markers[value] = self.phase
        return value


@dataclass
class Line:
    """The install under attack, its fakes, its clock and what was planted in it."""

    rt: Runtime
    client: FlaskClient
    clock: FakeClock
    telegram: FakeTelegram
    twilio: FakeTwilio
    planted: Planted = field(default_factory=Planted)
    _update_ids: count[int] = field(default_factory=lambda: count(731_000_000), repr=False)
    _sids: count[int] = field(default_factory=lambda: count(1), repr=False)

    # -- reporters ------------------------------------------------------------------------

    def sms(self, sender: str, text: str) -> list[str]:
        """One signed Twilio webhook; returns the TwiML messages."""
        import xml.etree.ElementTree as ET

        sid = "SM%032x" % (0x7E57 << 96 | next(self._sids))
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": TW_SID, "From": sender, "To": LINE,
                  "Body": text, "NumMedia": "0", "FromCountry": "US", "ApiVersion": "2010-04-01"}
        signature = RequestValidator(TW_TOKEN).compute_signature(BASE_URL + "/webhooks/twilio/sms", params)
        r = self.client.post("/webhooks/twilio/sms", data=urlencode(params), headers={"X-Twilio-Signature": signature},
                             content_type="application/x-www-form-urlencoded")
        if r.status_code != 200:
            raise RuntimeError(f"the SMS webhook answered {r.status_code}")
        self._note("sms", sender, sid)
        return [m.text or "" for m in ET.fromstring(r.data).findall("Message")]

    def telegram_message(self, chat_id: int, text: str) -> list[str]:
        """One Telegram update with the secret header; returns what reached the fake Bot API since."""
        uid = next(self._update_ids)
        update = {"update_id": uid, "message": {
            "message_id": uid % 100000, "date": int(self.clock()), "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "R", "language_code": "en"},
            "chat": {"id": chat_id, "type": "private", "first_name": "R"}}}
        before = len(self.telegram.sent)
        r = self.client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                             headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        if r.status_code != 200:
            raise RuntimeError(f"the Telegram webhook answered {r.status_code}")
        self._note("telegram", str(chat_id), str(uid))
        self.deliver()
        return [s.text for s in self.telegram.sent[before:] if s.chat_id == chat_id]

    def terminal(self, address: str, text: str) -> list[str]:
        """What ``tipline chat`` does with one line (the intake service, inline replies, no provider id)."""
        handled = self.rt.intake.handle(InboundMessage(channel="terminal", address=address, text=text))
        self.planted.addresses[("terminal", address)] = self.planted.phase
        return [r.text for r in handled.replies]

    def _note(self, channel: str, address: str, provider_id: str) -> None:
        self.planted.addresses[(channel, address)] = self.planted.phase
        self.planted.provider_ids[(channel, provider_id)] = self.planted.phase

    def interview(self, send: Callable[[str], list[str]], script: list[str], word: str) -> list[str]:
        """Run a script through ``send``; markers planted; codes shown are recorded."""
        replies: list[str] = []
        for line in script:
            self.clock.advance(7.0)  # reporters take a few seconds a message (rows' times differ)
            replies = send(line.replace("{m}", self.planted.marker(word)) if "{m}" in line else line)
            for code in CODE.findall("\n".join(replies)):
                self.planted.codes[code] = self.planted.phase
        return replies

    # -- the worker -----------------------------------------------------------------------

    def deliver(self) -> None:
        """The outbox sender's round (Telegram replies and Twilio copy deletions)."""
        sender = self.rt.sender
        if sender is not None:
            sender.run_once()

    def jobs(self) -> dict[str, int]:
        return Jobs(self.rt, clock=self.clock).run_once()

    def close(self) -> None:
        self.rt.close()
        self.telegram.stop()
        self.twilio.stop()


def open_line(database_url: str | None = None, *, start: float | None = None) -> Line:
    """A fresh install with both channels on (fake providers over real HTTP) and a fake clock."""
    telegram, twilio = FakeTelegram(TG_TOKEN).start(), FakeTwilio(TW_SID, TW_TOKEN).start()
    env = {"TIPLINE_PUBLIC_BASE_URL": BASE_URL, "TIPLINE_TWILIO_ACCOUNT_SID": TW_SID,
           "TIPLINE_TWILIO_AUTH_TOKEN": TW_TOKEN, "TIPLINE_TWILIO_FROM": LINE, "TIPLINE_TWILIO_API_BASE": twilio.url,
           "TIPLINE_TELEGRAM_BOT_TOKEN": TG_TOKEN, "TIPLINE_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
           "TIPLINE_TELEGRAM_API_BASE": telegram.base_url}
    rt = fresh_runtime(database_url, **env)
    clock = FakeClock(start if start is not None else time.time())
    s = rt.settings
    # The composition root's epoch keys and service, on the drill's clock (Runtime builds them on
    # time.time); the sender and the jobs below use the same epoch keys.
    rt.__dict__["epochs"] = rt.epochs_on(clock)
    if start is not None:  # a clock that starts in the past: so do the chains
        shutil.rmtree(s.secrets_dir / FOLDER)
        rt.epochs.create_missing(start=start)
    rt.__dict__["intake"] = IntakeService(
        db=rt.db, secrets=rt.secrets, epochs=rt.epochs, engine=rt.engine, region=rt.region, rules=rt.rules,
        routing=rt.routing, code_kdf=s.code_kdf, default_locale=s.default_locale,
        idle_seconds=s.conversation_idle_minutes * 60, followup_days=s.followup_days,
    )
    rt.__dict__["_sender"] = rt.build_sender(clock=clock, fast_lane=False)
    rt.__dict__["_sender_built"] = True
    client = create_public_app(rt.settings, rt).test_client()
    return Line(rt=rt, client=client, clock=clock, telegram=telegram, twilio=twilio)


# -- the story ------------------------------------------------------------------------------


def sms_number(n: int) -> str:
    return f"+1555{2_340_000 + n:07d}"


def chat_id(n: int) -> int:
    return 5_190_000_000 + 7 * n


def old_interviews(line: Line, *, rounds: int = 1) -> None:
    """Every kind of interview, over every edge, ``rounds`` times (fresh addresses each time)."""
    line.planted.phase = OLD
    for r in range(rounds):
        _every_kind(line, 100 * r)
    staff_questions(line)


def _every_kind(line: Line, base: int) -> None:
    witness = line.interview(lambda t: line.sms(sms_number(base + 1), t), WITNESS, "witness")
    line.interview(lambda t: line.telegram_message(chat_id(base + 2), t), DANGER, "danger")
    line.interview(lambda t: line.terminal(f"terminal-{base + 3}", t), CHILD, "child")
    line.interview(lambda t: line.sms(sms_number(base + 4), t), SELF_REPORT, "self")
    line.interview(lambda t: line.telegram_message(chat_id(base + 5), t), EXIT, "exit")
    line.interview(lambda t: line.sms(sms_number(base + 6), t), DONE, "done")
    [code] = CODE.findall("\n".join(witness))
    line.interview(lambda t: line.sms(sms_number(base + 7), t), [code, "{m} the van is blue", "DONE"], "followup")
    line.interview(lambda t: line.telegram_message(chat_id(base + 8), t), IDLE, "idle")
    line.interview(lambda t: line.sms(sms_number(base + 9), t), ["WRNG-C0DE-XXXXX", "ABCD-EFGH-JKMNP"], "wrong")
    line.interview(lambda t: line.telegram_message(chat_id(base + 10), t), ["hi", "2", "1", "{m} again"], "idle")


def staff_questions(line: Line) -> None:
    """A question staff leave on every tip (``tipline tips ask``), echoing the reporter's words."""
    from storage import questions, tips
    from storage.purposes import Purpose

    with line.rt.db.begin() as conn:
        for meta in tips.list_tips(conn):
            questions.add(conn, box=line.rt.epochs.box(Purpose.STAFF_QUESTIONS), tip_id=meta.id,
                          text=f"Which street is {line.planted.marker('question')} on?", now=line.clock())


def pass_the_windows(line: Line) -> list[dict[str, int]]:
    """Past the idle window, the provider retry window and the follow-up window, a job round after each."""
    s = line.rt.settings
    rounds = []
    for step in (s.conversation_idle_minutes * 60 + 60, INBOUND_RETENTION + 3600,
                 (s.followup_days + 2) * 86400):
        line.clock.advance(step)
        rounds.append(line.jobs())
    return rounds


def current_interviews(line: Line) -> None:
    """Interviews still in progress when the copy is taken (what the README says a thief can read)."""
    line.planted.phase = CURRENT
    line.interview(lambda t: line.sms(sms_number(901), t), IN_PROGRESS, "live")
    line.interview(lambda t: line.telegram_message(chat_id(902), t), IN_PROGRESS, "live")
    # One finished in the current window: its closing reply (with its code) waits for Twilio's report.
    line.interview(lambda t: line.sms(sms_number(903), t), DONE, "live")


def copy_stolen(line: Line, dest: Path) -> Path:
    """Copy the database files (SQLite: the file and its WAL, no checkpoint) and the secrets folder."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(line.rt.settings.secrets_dir, dest / "secrets", dirs_exist_ok=True)
    spool = line.rt.settings.data_dir / "spool"
    if spool.is_dir():  # the inbound spool's files, as a thief of the data disk finds them
        shutil.copytree(spool, dest / "spool", dirs_exist_ok=True)
    if line.rt.settings.is_sqlite:
        db = Path(line.rt.settings.database_url[len("sqlite:///"):])
        with line.rt.db.connect():  # an open connection: SQLite cannot checkpoint the WAL away on close
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{db}{suffix}").exists():
                    shutil.copyfile(f"{db}{suffix}", dest / f"stolen.sqlite3{suffix}")
    return dest
