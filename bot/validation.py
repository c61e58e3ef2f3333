"""Start-up checks that need the catalogs and the region as well as the flow."""

from __future__ import annotations

from bot import messages
from bot.catalog import Catalogs
from bot.commands import CARRIER_WORDS, COMMAND_MSGIDS, EMERGENCY_MSGID, normalize
from bot.flow import Flow, FlowError, check_structure
from bot.options import options_for
from bot.region_words import region_msgids
from bot.types import Region


def needed_msgids(flow: Flow, region: Region) -> list[str]:
    """Every message id a conversation in this region can show, in a stable order."""
    needed: list[str] = list(messages.SYSTEM)
    needed.append(f"q.{flow.close}")
    for step in flow.steps.values():
        needed.append(step.text)
        if step.inform_text:
            needed.append(step.inform_text)
        needed.extend(o.text for o in options_for(step, region))
    needed.extend(region_msgids(region))
    return list(dict.fromkeys(needed))


def validate(flow: Flow, catalogs: Catalogs, region: Region) -> None:
    """Check the flow against the catalogs and the region; raises FlowError naming the problem."""
    check_structure(flow)
    if not region.areas and any(s.options_from == "region.areas" for s in flow.steps.values()):
        raise FlowError(f"region {region.code} has no areas for the W1 menu")
    needed = needed_msgids(flow, region)
    for locale in catalogs.locales:
        missing = [m for m in needed if not catalogs.has(locale, m)]
        if missing:
            raise FlowError(f"catalog {locale!r} lacks message ids: {', '.join(missing)}")
        _check_words(catalogs, locale)


def _check_words(catalogs: Catalogs, locale: str) -> None:
    # A command or emergency word that a carrier reserves would never reach the engine
    # on SMS, or would reach it with the carrier's meaning (INTAKE decision 4).
    reserved = {w.casefold() for table in CARRIER_WORDS.values() for w in table}
    for msgid in (*COMMAND_MSGIDS.values(), EMERGENCY_MSGID):
        clash = sorted(w for w in catalogs.words(locale, msgid) if normalize(w) in reserved)
        if clash:
            raise FlowError(f"catalog {locale!r}: {msgid} uses carrier-reserved words: {', '.join(clash)}")
