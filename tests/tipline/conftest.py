"""Fixtures of tests/tipline: the environment of a fresh install the CLI runs on (cheap key derivations)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """As tests/tipline/test_cli.py's installs: the data and secrets under tmp_path, the test's database."""
    values = dict(os.environ)
    values.update({
        "TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(tmp_path / "secrets"),
        "TIPLINE_DATABASE_URL": database_url, "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024", "TIPLINE_TEST_ONLY_CHEAP_KDF": "1",
    })
    values.pop("TIPLINE_INTAKE_PASSPHRASE", None)
    return values
