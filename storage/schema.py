"""Schema creation and upgrades through Alembic (storage/migrations)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class _RoutineAtDebug(logging.Filter):
    """Alembic says "Context impl ..." and "Will assume ... DDL." at INFO each time a revision is read,
    which /readyz does on every probe: those two lines are kept for DEBUG; the upgrades it runs stay INFO."""

    ROUTINE = ("Context impl ", "Will assume ")

    def filter(self, record: logging.LogRecord) -> bool:
        if not (record.levelno == logging.INFO and str(record.msg).startswith(self.ROUTINE)):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


logging.getLogger("alembic.runtime.migration").addFilter(_RoutineAtDebug())


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    cfg = _config()
    # A plain connection (not engine.begin()): Alembic runs its own transaction, and the
    # SQLite "BEGIN IMMEDIATE" hook of storage.db applies to it.
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
    return current == head


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision against ``engine`` (developers only)."""
    cfg = _config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def revisions(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, None before any; the newest this code knows)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
    return current, str(head)
