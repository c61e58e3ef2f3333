"""Fonts for the PDFs the line makes (campaign posters, a tip exported for a partner).

Each script has one font family from a Debian package, found at run time through fontconfig
(``fc-list``), so nothing is bundled and an operator installs what their languages need.  A
missing font stops the document with the package to install, instead of boxes on a wall.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LATIN = "latin"  # also Cyrillic and Greek: Noto Sans covers them


@dataclass(frozen=True)
class ScriptFont:
    family: str  # the fontconfig family
    package: str  # the Debian package that installs it
    rtl: bool = False


SCRIPTS: dict[str, ScriptFont] = {
    LATIN: ScriptFont("Noto Sans", "fonts-noto-core"),
    "arabic": ScriptFont("Noto Sans Arabic", "fonts-noto-core", rtl=True),
    "ethiopic": ScriptFont("Noto Sans Ethiopic", "fonts-noto-core"),
    "devanagari": ScriptFont("Noto Sans Devanagari", "fonts-noto-core"),
    "thai": ScriptFont("Noto Sans Thai", "fonts-noto-core"),
    "hangul": ScriptFont("Noto Sans CJK KR", "fonts-noto-cjk"),
    "han": ScriptFont("Noto Sans CJK SC", "fonts-noto-cjk"),
}

# The script each enabled locale writes in; a locale not listed writes in Latin or Cyrillic.
LOCALE_SCRIPTS = {"ar": "arabic", "ti": "ethiopic", "hi": "devanagari", "th": "thai", "ko": "hangul", "zh": "han"}


class FontMissing(RuntimeError):
    """No font for a script on this machine: the message names the Debian package."""


@dataclass(frozen=True)
class FoundFont:
    script: str
    path: Path
    index: int  # the face inside a collection (.ttc); 0 for a single font
    rtl: bool


def script_of(locale: str) -> str:
    return LOCALE_SCRIPTS.get(locale.split("_")[0].split("-")[0], LATIN)


def font_for(locale: str, *, bold: bool = False) -> FoundFont:
    return find(script_of(locale), bold=bold)


@lru_cache(maxsize=32)
def find(script: str, *, bold: bool = False) -> FoundFont:
    wanted = SCRIPTS[script]
    style = "Bold" if bold else "Regular"
    hint = f"install the Debian package {wanted.package} (apt-get install {wanted.package})"
    if shutil.which("fc-list") is None:
        raise FontMissing(f"fontconfig's fc-list is missing: install the Debian package fontconfig, then {hint}")
    out = subprocess.run(["fc-list", "-f", "%{file}\t%{index}\t%{family}\n", f"{wanted.family}:style={style}"],
                         capture_output=True, text=True, check=False, timeout=30).stdout
    for line in sorted(out.splitlines()):
        path, _, rest = line.partition("\t")
        index, _, families = rest.partition("\t")
        if wanted.family in [f.strip() for f in families.split(",")]:
            return FoundFont(script=script, path=Path(path), index=int(index or 0), rtl=wanted.rtl)
    raise FontMissing(f"no font for {script} text ({wanted.family} {style}): {hint}")



# Code point ranges of the scripts that need their own font (the rest: Latin, Cyrillic, Greek).
_RANGES = (
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("ethiopic", ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F))),
    ("devanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    ("thai", ((0x0E00, 0x0E7F),)),
    ("hangul", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),
    ("han", ((0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
             (0xFF00, 0xFFEF))),
)


def scripts_in(text: str) -> tuple[str, ...]:
    """The scripts besides Latin that ``text`` uses (a reporter may write in any of them)."""
    points = {ord(c) for c in text if ord(c) >= 0x0600}
    return tuple(script for script, ranges in _RANGES
                 if any(low <= p <= high for p in points for low, high in ranges))
