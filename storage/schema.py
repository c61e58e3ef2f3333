"""Schema creation and upgrades through Alembic (storage/migrations).

Every web worker checks the schema at start (``is_current``): that check reads the
migrations' headers and the ``alembic_version`` row itself, so a worker never imports
Alembic (about a sixth of its start-up); creating and upgrading the schema use Alembic.
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which storage/migrations/env.py keeps
_HEADER = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


class MigrationsUnreadable(Exception):
    """The migration files do not name exactly one newest revision."""


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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision: the one no migration names as its ``down_revision``.

    Read from the files' ``revision = ...`` and ``down_revision = ...`` lines (as Alembic
    writes them), not through Alembic; tests/storage/test_schema_head.py checks it agrees.
    """
    known: set[str] = set()
    replaced: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        fields = dict(_HEADER.findall(path.read_text(encoding="utf-8")))
        if "revision" not in fields:
            raise MigrationsUnreadable(f"{path.name}: no revision line")
        known.add(str(ast.literal_eval(fields["revision"])))
        down = ast.literal_eval(fields.get("down_revision", "None"))
        replaced.update([down] if isinstance(down, str) else list(down or ()))
    heads = known - replaced
    if len(heads) != 1:
        raise MigrationsUnreadable(f"the migrations have {len(heads)} newest revisions, not one")
    return heads.pop()


def current(engine: Engine) -> str | None:
    """The database's revision; None before any (no version table, or no row in it)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            conn.rollback()
            return None
        rows = [str(r[0]) for r in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]
        conn.rollback()
    if len(rows) > 1:
        raise MigrationsUnreadable(f"the database is at {len(rows)} revisions at once")
    return rows[0] if rows else None


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    cfg = _config()
    # A plain connection (not engine.begin()): Alembic runs its own transaction, and the
    # SQLite "BEGIN IMMEDIATE" hook of storage.db applies to it.
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    return current(engine) == head()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision against ``engine`` (developers only)."""
    from alembic import command

    cfg = _config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def revisions(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision, None before any; the newest this code knows)."""
    return current(engine), head()
