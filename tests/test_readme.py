"""The README's module map names files that exist: a rename or a split shows up here, not in a reader's search."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PATH = re.compile(r"`((?:bot|storage|triage|webhooks|tipline|bench)/[\w/]+\.(?:py|toml))`")


def named_paths(text: str) -> set[str]:
    return set(_PATH.findall(text))


def test_every_module_the_readme_names_exists() -> None:
    named = named_paths((ROOT / "README.md").read_text())
    assert "triage/intake.py" in named  # the map was read, not skipped
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, f"README.md names modules that do not exist: {missing}"


def test_the_pattern_finds_paths_in_backticks_only() -> None:
    assert named_paths("see `webhooks/sender.py` and `bot/flow.toml`, not webhooks/x.py") == {
        "webhooks/sender.py", "bot/flow.toml",
    }
