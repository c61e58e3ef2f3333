"""The redelivery drill's reporters and what their messages must produce.

Each conversation plays one of a few whole interviews (the README's path and variants: danger,
a possible minor, BACK and a stray answer, DONE early, danger words after the close), padded with
messages after the close (each adds to the tip) to ``LENGTH`` messages.  ``reference`` plays each
distinct script once, in order, through the public app in this process on a SQLite line of its
own: the replies at every step (reference codes masked), the tip the code names (priority,
categories, status, versions) and the outbox rows it left are what every conversation on the
drill's line must match.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bench import mixes
from bench.common import fresh_runtime
from storage import refcodes, tips
from tipline.app import create_public_app
from tipline.runtime import Runtime

LENGTH = 25  # messages per conversation: 200 conversations make the 5,000 deliveries
VARIANTS: tuple[tuple[str, ...], ...] = (
    tuple(mixes.INTERVIEW),  # the README's path to the reference code
    ("hello", "1", "1", "They lock the girls in the back of the salon at night", "4", "1", "1 3", "3", "0", "1",
     "2", "1", "1", "2", "3", "DONE"),  # danger, a minor, the optional questions, DONE
    ("hi", "3", "1", "9", "BACK", "Men sleep at the site and cannot leave", "1", "3", "2 4", "2", "near the port",
     "3", "2", "DONE"),  # not sure, a stray answer, BACK, DONE at "a few more questions?"
    ("hi", "2", "1", "A man takes the workers passports", "DONE", "ok he is gone now",
     "he came back and he has a gun, we are in danger"),  # an early DONE, danger after the close
)
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
_MESSAGE = re.compile(r"<Message[^>]*>(.*?)</Message>", re.S)

Replies = tuple[str, ...]
TipFacts = tuple[str, str, str, int]  # priority, categories, status, versions


def script(n: int) -> tuple[str, ...]:
    """Conversation ``n``'s messages: its variant, then additions after the close."""
    base = VARIANTS[n % len(VARIANTS)]
    return base + tuple(f"and one more thing, number {k}" for k in range(1, LENGTH - len(base) + 1))


def replies(twiml: str) -> Replies:
    """The texts of a TwiML answer, in order."""
    return tuple(html.unescape(m) for m in _MESSAGE.findall(twiml))


def masked(texts: Replies) -> Replies:
    """The replies with the reference code (new for every tip) masked."""
    return tuple(CODE.sub("<code>", t) for t in texts)


def code_in(answers: Sequence[Replies]) -> str | None:
    found = [m.group(0) for texts in answers for t in texts if (m := CODE.search(t))]
    return found[0] if found else None


def tip_facts(rt: Runtime, code: str | None) -> TipFacts | None:
    """What the staff queue shows of the tip the reporter's code names."""
    if code is None:
        return None
    with rt.db.connect() as conn:
        meta = tips.find_by_code_hash(conn, refcodes.code_hash(code, secrets=rt.secrets, kdf=rt.settings.code_kdf))
    return None if meta is None else (meta.priority, ",".join(meta.categories), meta.status, meta.version)


def count_rows(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@dataclass(frozen=True)
class Expected:
    replies: tuple[Replies, ...]  # per message, codes masked
    tip: TipFacts | None
    tips: int  # tips the script made
    outbox: int  # outbox rows it left (SMS replies ride back in the HTTP answer: none expected)


def reference(env: dict[str, str], scripts: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Expected]:
    """Each distinct script played once, in order, in this process (SQLite)."""
    rt = fresh_runtime(None, **env)
    try:
        client, signer = create_public_app(rt.settings, rt).test_client(), mixes.Signer()
        out: dict[tuple[str, ...], Expected] = {}
        for n, lines in enumerate(dict.fromkeys(scripts)):
            with rt.db.connect() as conn:
                before = count_rows(conn, "tip"), count_rows(conn, "outbox")
            answers = []
            for line in lines:
                headers, body = signer.headers_and_body(mixes.Message(line, mixes.phone(599, n)))
                answers.append(replies(client.post(mixes.SMS_PATH, data=body, headers=headers).get_data(as_text=True)))
            with rt.db.connect() as conn:
                made, queued = count_rows(conn, "tip") - before[0], count_rows(conn, "outbox") - before[1]
            out[lines] = Expected(tuple(masked(a) for a in answers), tip_facts(rt, code_in(answers)), made, queued)
    finally:
        rt.close()
    return out
