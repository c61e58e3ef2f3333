"""The import direction of DESIGN.md: storage imports none of the other packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {(path.name, a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path.name, node.module.split(".")[0]))
    return found


def test_storage_imports_none_of_the_other_packages() -> None:
    bad = {(f, m) for f, m in imported("storage") if m in {"bot", "webhooks", "triage", "tipline", "flask"}}
    assert not bad, bad
