"""Readiness of one process's database: reachable, and at the schema this code expects.

Used by ``/readyz`` on both apps.  Returns a short reason (never a driver message, which can
name a host or a user) so a load balancer's log says what is wrong without leaking anything.

A probe comes every few seconds: a routine answer logs at DEBUG only, a failure logs once at
WARNING when it starts (or its reason changes), and once more when the database is ready again,
so the log shows an outage's start and end without a line per probe.
"""

from __future__ import annotations

import logging
import threading
import weakref

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import secret_check
from storage.crypto import ServerSecrets
from storage.db import ping, read_only
from storage.db_errors import refusal
from storage.schema import is_current

log = logging.getLogger(__name__)

# The last problem logged for each engine (one per process, more in the tests): None while ready.
_last: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def readiness_problem(engine: Engine, secrets: ServerSecrets | None) -> str | None:
    """None when this process can serve: database reachable, schema current, the server keys
    loaded and the ones this database was set up with.  Else a short reason."""
    problem, cause = _problem(engine, secrets)
    _report(engine, problem, cause)
    return problem


def database_problem(engine: Engine) -> str | None:
    """None when the database answers and its schema is current; else a short reason."""
    return _database_problem(engine)[0]


def _problem(engine: Engine, secrets: ServerSecrets | None) -> tuple[str | None, str]:
    """The reason (None: ready) and the exception class behind it, for the log."""
    if secrets is None:
        return "server keys not loaded", ""
    problem, cause = _database_problem(engine)
    if problem is not None:
        return problem, cause
    try:
        with read_only(engine) as conn:
            check = secret_check.compare(conn, secrets=secrets)
    except (SQLAlchemyError, OSError) as exc:
        return _unreachable(exc), type(exc).__name__
    if check is secret_check.SecretCheck.DIFFERS:
        return "server keys do not match this database", ""
    return None, ""


def _database_problem(engine: Engine) -> tuple[str | None, str]:
    try:
        ping(engine)
    except (SQLAlchemyError, OSError) as exc:
        return _unreachable(exc), type(exc).__name__
    try:
        current = is_current(engine)
    except (SQLAlchemyError, OSError) as exc:
        return "database unreachable", f"schema version unreadable, {type(exc).__name__}"
    if not current:
        return "migrations not current: run 'tipline upgrade'", ""
    return None, ""


def _unreachable(exc: BaseException) -> str:
    """"database unreachable", and why when the driver said (too many clients, authentication ...):
    the operator reads what to fix in the probe's answer; never the driver's own words."""
    found = refusal(exc)
    return "database unreachable" + (f": {found.reason}" if found else "")


def _report(engine: Engine, problem: str | None, cause: str) -> None:
    with _lock:
        before = _last.pop(engine, None)
        if problem is not None:
            _last[engine] = problem
    detail = f" ({cause})" if cause else ""
    if problem is not None and problem != before:
        log.warning("readiness: %s%s", problem, detail)
    elif problem is None and before is not None:
        # At WARNING too: an operator at the default level saw the start, and must see the end.
        log.warning("readiness: ready again (was: %s)", before)
    else:
        log.debug("readiness: %s", problem or "ready")
