"""Readiness of one process's database: reachable, and at the schema this code expects.

Used by ``/readyz`` on both apps.  Returns a short reason (never a driver message, which can
name a host or a user) so a load balancer's log says what is wrong without leaking anything.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import secret_check
from storage.crypto import ServerSecrets
from storage.db import ping, read_only
from storage.db_errors import refusal
from storage.schema import is_current

log = logging.getLogger(__name__)


def readiness_problem(engine: Engine, secrets: ServerSecrets | None) -> str | None:
    """None when this process can serve: database reachable, schema current, the server keys
    loaded and the ones this database was set up with.  Else a short reason."""
    if secrets is None:
        return "server keys not loaded"
    problem = database_problem(engine)
    if problem is not None:
        return problem
    try:
        with read_only(engine) as conn:
            check = secret_check.compare(conn, secrets=secrets)
    except (SQLAlchemyError, OSError) as exc:
        return _unreachable(exc)
    if check is secret_check.SecretCheck.DIFFERS:
        return "server keys do not match this database"
    return None


def database_problem(engine: Engine) -> str | None:
    """None when the database answers and its schema is current; else a short reason."""
    try:
        ping(engine)
    except (SQLAlchemyError, OSError) as exc:
        return _unreachable(exc)
    try:
        current = is_current(engine)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness: schema version unreadable (%s)", type(exc).__name__)
        return "database unreachable"
    if not current:
        return "migrations not current: run 'tipline upgrade'"
    return None


def _unreachable(exc: BaseException) -> str:
    """"database unreachable", and why when the driver said (too many clients, authentication ...):
    the operator reads what to fix in the probe's answer; never the driver's own words."""
    found = refusal(exc)
    reason = "database unreachable" + (f": {found.reason}" if found else "")
    log.warning("readiness: %s (%s)", reason, type(exc).__name__)
    return reason
