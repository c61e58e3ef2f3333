"""The region's words in replies: its numbers, and whole sentences that depend on them.

A sentence that is only true in some regions ("texting 911 works only in some areas",
"you can also contact the hotline") is its own catalog message, chosen here by the region's
facts and given to the messages as ``{texting_note}`` and ``{hotline_note}``.  So a region
without a hotline leaves the sentence out instead of naming a wrong number, and no region
is told that texting works where REGIONS.md says it needs registration.
"""

from __future__ import annotations

from bot.render import Renderer
from bot.types import Operator, Region, Texting

TEXTING_PREFIX = "region.texting."  # + Texting value: "region.texting.registration"
HOTLINE_PREFIX = "region.hotline."  # + Operator value: "region.hotline.police"
HOTLINE_SMS = "region.hotline_sms"  # "{number} (text {sms})"

ALL_MSGIDS = (
    *(TEXTING_PREFIX + t.value for t in Texting),
    *(HOTLINE_PREFIX + o.value for o in Operator),
    HOTLINE_SMS,
)


def region_msgids(region: Region) -> list[str]:
    """Message ids a conversation in this region can show through its notes."""
    ids = [TEXTING_PREFIX + region.texting.value]
    if region.hotline:
        ids.append(HOTLINE_PREFIX + region.hotline_operator.value)
        if region.hotline_sms:
            ids.append(HOTLINE_SMS)
    return ids


def region_params(render: Renderer, locale: str, region: Region) -> dict[str, str]:
    """Placeholder values: emergency, text_number, hotline (or ""), texting_note, hotline_note (or "")."""
    numbers = {"emergency": region.emergency, "text_number": region.text_number or region.emergency}
    hotline = region.hotline or ""
    if hotline and region.hotline_sms:
        hotline = render.text(locale, HOTLINE_SMS, number=hotline, sms=region.hotline_sms)
    texting_note = render.text(locale, TEXTING_PREFIX + region.texting.value, **numbers)
    hotline_note = ""
    if hotline:
        hotline_note = render.text(locale, HOTLINE_PREFIX + region.hotline_operator.value, hotline=hotline)
    return {**numbers, "hotline": hotline, "texting_note": texting_note, "hotline_note": hotline_note}
