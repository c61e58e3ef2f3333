"""The numbered options of a step as the reporter sees them, in numbering order."""

from __future__ import annotations

from bot.flow import YN_KEYS, Option, Step
from bot.types import Region

# Message ids of the yes / no / not sure labels, shared by every yn and ynu step.
YN_TEXTS = {"yes": "opt.yes", "no": "opt.no", "unsure": "opt.unsure"}


def area_msgid(region: Region, key: str) -> str:
    return f"area.{region.code}.{key}"


def options_for(step: Step, region: Region) -> tuple[Option, ...]:
    """Options numbered 1..n: listed or regional options, then "other", then "none"."""
    if step.type in YN_KEYS:
        return tuple(Option(k, step.option_texts.get(k, YN_TEXTS[k])) for k in YN_KEYS[step.type])
    if step.options_from == "region.areas":
        listed = tuple(Option(a, area_msgid(region, a)) for a in region.areas)
    else:
        listed = step.options
    extras = tuple(o for o in (step.other_option, step.none_option) if o is not None)
    return listed + extras
