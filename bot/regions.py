"""Deployment regions read from ``bot/regions.toml`` (emergency number, hotline, areas).

The file's layout is described at its top.  Loading checks every entry it reads and names
the bad one (``US.emergency.texting``), so a typo stops start-up instead of reaching a
reporter in danger as a wrong number or a false promise that texting works.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from bot.flow import FlowError
from bot.types import Line, Operator, Region, Texting

DEFAULT_REGIONS = Path(__file__).resolve().parent / "regions.toml"
GENERIC = "XX"  # the fallback: no national line; the deployment configures its emergency number

_SOURCE = re.compile(r"^[A-Z]{2}[0-9]+$")  # a REGIONS.md Sources id: "US4", "GN3"
_AREA = re.compile(r"^[a-z][a-z0-9_]*$")  # becomes part of a msgid: "area.US.northeast"
_DIALLED = re.compile(r"^[0-9]{2,6}$")  # a configured emergency number: "112", "000", "10111"
_LINE_KEYS = {"number", "source", "verified", "verified_live"}
_EMERGENCY_KEYS = _LINE_KEYS | {"texting", "text_number"}
_HOTLINE_KEYS = _LINE_KEYS | {"sms", "operator"}
_REGION_KEYS = {"areas", "emergency", "hotline"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_E = TypeVar("_E", Texting, Operator)


class RegionError(FlowError):
    """An unknown or malformed region; the message names the entry or lists the valid codes."""


class EmergencyNumberError(RegionError):
    """A configured emergency number that is missing, malformed, or given where the file has one."""


def region_codes(path: Path | None = None) -> tuple[str, ...]:
    """The codes the regions file defines, sorted; raises RegionError if it cannot be read."""
    return tuple(sorted(_read(path or DEFAULT_REGIONS)))


def load_region(code: str, path: Path | None = None, *, emergency: str | None = None) -> Region:
    """The region with this code (case-insensitive); raises RegionError naming valid codes.

    ``emergency`` is the deployment's own emergency number, needed by (and only allowed for)
    a region whose file entry leaves it empty: the generic fallback, which must never guess one.
    """
    table = _read(path or DEFAULT_REGIONS)
    key = code.strip().upper()
    if key not in table:
        raise RegionError(f"unknown region {code!r}; valid codes: {', '.join(sorted(table))}")
    region = _parse_region(key, table[key])
    return _with_configured_emergency(region, emergency)


def verification_warnings(region: Region, verified_on: date | None) -> list[str]:
    """One sentence per number nobody has called for this deployment (no number in it).

    ``verified_on`` is the day the operator called the region's numbers; a number changed in
    the file after that day needs calling again.
    """
    warnings = []
    for line in region.lines:
        if line.verified_live:
            continue
        if verified_on is None:
            warnings.append(
                f"region {region.code}: the {line.kind} number (source {line.source}) was read from a "
                f"stored copy on {_day(line.verified)} and not verified live for this deployment"
            )
        elif verified_on < line.verified:
            warnings.append(
                f"region {region.code}: the {line.kind} number (source {line.source}) changed in the "
                f"regions file on {_day(line.verified)}, after this deployment's check on "
                f"{_day(verified_on)}"
            )
    return warnings


def _day(day: date) -> str:
    # "29 Nov 2026": the log filter redacts digit runs like 2026-11-29 as if they were numbers.
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _with_configured_emergency(region: Region, emergency: str | None) -> Region:
    wanted = (emergency or "").strip()
    if region.emergency and wanted:
        raise EmergencyNumberError(
            f"region {region.code} has its own emergency number in the regions file; a configured "
            "one is only for a region without (the generic fallback)"
        )
    if region.emergency:
        return region
    if not wanted:
        raise EmergencyNumberError(
            f"region {region.code} has no emergency number of its own: configure the number people "
            "call in an emergency where this line runs (it is never guessed from a phone number)"
        )
    if not _DIALLED.match(wanted):
        raise EmergencyNumberError(f"the configured emergency number must be 2 to 6 digits, got {wanted!r}")
    return Region(
        code=region.code, emergency=wanted, hotline=region.hotline, areas=region.areas,
        texting=region.texting, text_number=region.text_number, hotline_sms=region.hotline_sms,
        hotline_operator=region.hotline_operator, lines=region.lines,
    )


def _parse_region(code: str, entry: dict[str, Any]) -> Region:
    _only(entry, _REGION_KEYS, code)
    emergency = _table(entry, "emergency", code)
    if emergency is None:
        raise RegionError(f"regions file: {code} lacks its [{code}.emergency] table")
    _only(emergency, _EMERGENCY_KEYS, f"{code}.emergency")
    texting = _choice(Texting, emergency, "texting", f"{code}.emergency")
    text_number = _optional_str(emergency, "text_number", f"{code}.emergency")
    if text_number is not None and texting is not Texting.YES:
        raise RegionError(f"regions file: {code}.emergency.text_number is only for texting = \"yes\"")
    lines = [_line("emergency", emergency, f"{code}.emergency", allow_empty=True)]
    hotline = _table(entry, "hotline", code)
    sms, operator = None, Operator.NGO
    if hotline is not None:
        _only(hotline, _HOTLINE_KEYS, f"{code}.hotline")
        lines.append(_line("hotline", hotline, f"{code}.hotline"))
        sms = _optional_str(hotline, "sms", f"{code}.hotline")
        operator = _choice(Operator, hotline, "operator", f"{code}.hotline")
    return Region(
        code=code, emergency=str(emergency["number"]).strip(),
        hotline=str(hotline["number"]) if hotline is not None else None,
        areas=_areas(entry, code), texting=texting, text_number=text_number,
        hotline_sms=sms, hotline_operator=operator, lines=tuple(lines),
    )


def _areas(entry: dict[str, Any], code: str) -> tuple[str, ...]:
    areas = entry.get("areas")
    if not isinstance(areas, list) or not areas:
        raise RegionError(f"regions file: {code}.areas must be a non-empty list of area keys")
    for area in areas:
        if not isinstance(area, str) or not _AREA.match(area):
            raise RegionError(f"regions file: {code}.areas has {area!r}; keys are lower-case words like 'north'")
    if len(set(areas)) != len(areas):
        raise RegionError(f"regions file: {code}.areas lists an area twice")
    return tuple(areas)


def _line(kind: str, table: dict[str, Any], where: str, *, allow_empty: bool = False) -> Line:
    number = table.get("number")
    if not isinstance(number, str) or not (number.strip() or allow_empty):
        raise RegionError(f"regions file: {where}.number must be the number as text, e.g. \"112\"")
    source = table.get("source")
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise RegionError(f"regions file: {where}.source must name a REGIONS.md source id like \"US4\"")
    verified = table.get("verified")
    if not isinstance(verified, date):
        raise RegionError(f"regions file: {where}.verified must be a date like 2026-11-29 (no quotes)")
    live = table.get("verified_live")
    if not isinstance(live, bool):
        raise RegionError(f"regions file: {where}.verified_live must be true or false")
    return Line(kind=kind, source=source, verified=verified, verified_live=live)


def _table(entry: dict[str, Any], key: str, code: str) -> dict[str, Any] | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, dict):
        raise RegionError(f"regions file: {code}.{key} must be a table ([{code}.{key}])")
    return value


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RegionError(f"regions file: {where} has unknown keys {', '.join(unknown)}; allowed: "
                          f"{', '.join(sorted(allowed))}")


def _optional_str(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegionError(f"regions file: {where}.{key} must be non-empty text")
    return value


def _choice(kind: type[_E], table: dict[str, Any], key: str, where: str) -> _E:
    value = table.get(key)
    try:
        return kind(str(value))
    except ValueError:
        raise RegionError(
            f"regions file: {where}.{key} must be one of {', '.join(k.value for k in kind)}; got {value!r}"
        ) from None


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegionError(f"cannot read regions file {path}: {exc}") from exc
    return {str(k).upper(): v for k, v in data.items() if isinstance(v, dict)}
