"""Helpers for the storage tests (the ``engine`` fixture comes from tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

from storage.crypto import ServerSecrets


@pytest.fixture
def server_secrets() -> ServerSecrets:
    return ServerSecrets(os.urandom(32))
