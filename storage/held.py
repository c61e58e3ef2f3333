"""Messages held back from a sender over the abuse limits, until the worker feeds them to intake.

A sender over the limit is not processed on the public path (no engine, scoring, sealing or
alert), but what they wrote is kept: a frantic reporter typing fast must not lose a report.
Each row is sealed under the interview state's epoch keys (it becomes interview state once fed)
and keyed by the sender's rate hash, which lives an hour; the worker feeds the oldest message of
each sender per round, so one sender's backlog never starves another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Connection, LargeBinary, func, select
from sqlmodel import Field, SQLModel

from storage.fastsql import Statement
from storage.lookups import in_list


class HeldMessage(SQLModel, table=True):
    __tablename__ = "held_message"

    id: int | None = Field(default=None, primary_key=True)
    rate_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False, index=True), repr=False)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False), repr=False)
    held_at: float = Field(index=True)


_T = HeldMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Held:
    id: int
    rate_key: bytes
    sealed: bytes


def hold(conn: Connection, *, rate_key: bytes, sealed: bytes, now: float) -> None:
    conn.execute(_T.insert().values(rate_key=rate_key, sealed=sealed, held_at=now))


# Every webhook asks this (issue 11): a prebuilt statement per number of open epochs.
_ANY: dict[int, Statement] = {}


def any_held(conn: Connection, keys: list[bytes]) -> bool:
    """Whether any of a sender's hashes (one per open epoch) still has messages waiting."""
    if not keys:
        return False
    statement = _ANY.get(len(keys))
    if statement is None:
        names = ", ".join(f":k{i}" for i in range(len(keys)))
        statement = _ANY[len(keys)] = Statement(f"SELECT 1 FROM held_message WHERE rate_key IN ({names}) LIMIT 1")
    return statement.first(conn, {f"k{i}": key for i, key in enumerate(keys)}) is not None


# The abuse gate's numbers (issue 11): the sender's count in the window running and whether they
# have messages held, read with their conversation in one statement (``storage.first_read``).
def screen_columns(n: int) -> str:
    """The gate's two columns, ``counted`` and ``held``, over ``n`` open rate epochs (``screen_params``
    binds them).  With no open epoch nothing is held (as ``any_held([])``)."""
    held_any = f"EXISTS (SELECT 1 FROM held_message WHERE rate_key IN ({in_list(n, 'k')}))" if n else "1 = 0"
    return ("(SELECT CASE WHEN window_start > :cutoff THEN count ELSE 0 END FROM throttle WHERE key = :key)"
            f" AS counted, {held_any} AS held")


def screen_params(*, key: bytes, keys: list[bytes], window_seconds: float, now: float) -> dict[str, object]:
    """``key``'s count (the current rate epoch's) in the window ending at ``now``; ``keys``' held messages."""
    params: dict[str, object] = {f"k{i}": k for i, k in enumerate(keys)}
    params.update(key=key, cutoff=now - window_seconds)
    return params


def next_round(conn: Connection, *, before: float, senders: int) -> list[Held]:
    """The oldest message of up to ``senders`` senders, each held before ``before``, oldest first."""
    firsts = select(func.min(_T.c.id)).where(_T.c.held_at < before).group_by(_T.c.rate_key).limit(senders)
    rows = conn.execute(select(_T.c.id, _T.c.rate_key, _T.c.sealed).where(_T.c.id.in_(firsts))
                        .order_by(_T.c.id)).all()
    return [Held(int(r[0]), bytes(r[1]), bytes(r[2])) for r in rows]


def release(conn: Connection, held_id: int) -> bool:
    """Delete one held message; False if another worker took it first."""
    return bool(conn.execute(_T.delete().where(_T.c.id == held_id)).rowcount)


def waiting(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_T)).scalar_one())


def purge(conn: Connection, *, before: float) -> int:
    """Delete held messages older than ``before`` (their keys are gone: nothing could open them)."""
    return int(conn.execute(_T.delete().where(_T.c.held_at < before)).rowcount or 0)
