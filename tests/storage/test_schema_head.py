"""The schema check every web worker runs at start, without Alembic (issue 11: readiness)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from storage import schema
from storage.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def test_head_read_from_the_files_is_alembics() -> None:
    assert schema.head() == ScriptDirectory.from_config(schema._config()).get_current_head()


def test_an_upgraded_database_is_current_and_an_older_one_is_not(engine: Engine) -> None:
    assert schema.is_current(engine)
    assert schema.revisions(engine) == (schema.head(), schema.head())
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0010_queue_index'"))
    assert not schema.is_current(engine)
    assert schema.revisions(engine)[0] == "0010_queue_index"


def test_an_empty_database_is_not_current(tmp_path: Path) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'db' / 'empty.sqlite3'}")
    assert schema.current(empty) is None
    assert not schema.is_current(empty)
    empty.dispose()


def test_the_public_app_starts_without_importing_alembic() -> None:
    code = ("import sys, tipline.app, tipline.runtime, tipline.server, storage.health; "
            "sys.exit(1 if 'alembic' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
