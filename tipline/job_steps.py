"""How the worker runs one job of a round: on its own, logged once while it keeps failing.

A job that fails (the database away, one bad row) is logged at WARNING with its name and a
one-line reason the first round it fails, not every round after (a day-long outage would
otherwise write a traceback every two seconds); once it succeeds again that is logged too.
The next job runs either way.
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from storage.db_errors import refusal

DATABASE = "database"  # the step that opens the jobs' connection: when it fails, none of them ran


class Steps:
    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.failing: dict[str, str] = {}  # job -> the reason it failed with (what was logged)

    def runner(self, report: dict[str, int]) -> Callable[[str, Callable[[], int]], None]:
        """``run(name, job)``: the job's count goes into ``report`` when it succeeds."""
        def run(name: str, job: Callable[[], int]) -> None:
            self.quietly(name, lambda: report.__setitem__(name, job()))
        return run

    def quietly(self, name: str, job: Callable[[], object]) -> bool:
        """Run ``job``; True if it succeeded.  Its failure is logged once, not every round."""
        try:
            job()
        except Exception as exc:  # one job's failure must not stop the others: retried next round
            self.failed(name, exc)
            return False
        self.succeeded(name)
        return True

    def in_transactions(self, db: Engine, jobs: Mapping[str, Callable[[Connection], int]],
                        report: dict[str, int]) -> None:
        """Each job in its own transaction on one connection; none when the database does not answer."""
        try:
            conn = db.connect()
        except Exception as exc:  # the database is away: one line for all of them
            self.failed(DATABASE, exc)
            return
        self.succeeded(DATABASE)
        with conn:
            for name, job in jobs.items():
                self.quietly(name, lambda: report.__setitem__(name, _in_transaction(conn, job)))  # noqa: B023

    def failed(self, name: str, exc: BaseException) -> None:
        reason = reason_of(exc)
        if self.failing.get(name) != reason:
            self.log.warning("scheduled job failed: %s: %s (retried each round; logged again when it recovers)",
                             name, reason, extra={"job": name})
        self.failing[name] = reason

    def succeeded(self, name: str) -> None:
        if self.failing.pop(name, None) is not None:
            self.log.warning("scheduled job recovered: %s", name, extra={"job": name})


def _in_transaction(conn: Connection, job: Callable[[Connection], int]) -> int:
    with conn.begin():
        return job(conn)


def reason_of(exc: BaseException) -> str:
    """One line on why a job failed, never the exception's own text past the driver's class: a
    query's text and parameters ride along in SQLAlchemy's messages."""
    found = refusal(exc)
    if found is not None:
        return f"database {found.reason}"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        orig = exc.orig
        if type(orig).__module__ == "sqlite3":  # SQLite's own messages name a state, never a value
            return f"database: {str(orig).splitlines()[0][:100] if str(orig) else type(orig).__name__}"
        return f"database error ({type(orig).__name__})"
    return f"{type(exc).__name__}"
