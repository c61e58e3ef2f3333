"""bot/ stays pure logic: no web frameworks, SDKs, storage or I/O libraries (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

BOT = Path(bot.__file__).resolve().parent
FORBIDDEN = {"flask", "twilio", "telegram", "storage", "webhooks", "triage", "tipline", "sqlalchemy",
             "sqlmodel", "httpx", "requests", "socket", "subprocess", "logging", "random", "time"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_bot_imports_nothing_forbidden() -> None:
    for path in BOT.glob("*.py"):
        assert not imported_roots(path) & FORBIDDEN, path.name


def test_public_api_is_exported() -> None:
    for name in ("Engine", "build_engine", "load_flow", "load_catalogs", "validate", "FlowError", "load_region"):
        assert name in bot.__all__ and hasattr(bot, name)
