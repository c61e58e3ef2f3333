"""Start-up checks that need the catalogs and the region as well as the flow."""

from __future__ import annotations

from typing import Mapping

from bot import messages
from bot.catalog import Catalogs
from bot.commands import CARRIER_WORDS, COMMAND_MSGIDS, normalize
from bot.flow import Flow, FlowError, check_structure
from bot.options import options_for
from bot.region_words import region_msgids
from bot.types import Region
from bot.words import Vocabulary


def needed_msgids(flow: Flow, region: Region) -> list[str]:
    """Every message id a conversation in this region can show, in a stable order."""
    needed: list[str] = list(messages.SYSTEM)
    needed.extend(f"q.{close}" for close in (flow.close, *flow.close_when.values()))
    for step in flow.steps.values():
        needed.append(step.text)
        if step.inform_text:
            needed.append(step.inform_text)
        needed.extend(o.text for o in options_for(step, region))
    needed.extend(region_msgids(region))
    return list(dict.fromkeys(needed))


def validate(
    flow: Flow, catalogs: Catalogs, region: Region, vocabularies: Mapping[str, Vocabulary] | None = None
) -> None:
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
    for locale, vocab in (vocabularies or {}).items():
        _check_vocabulary(locale, vocab)


def _check_words(catalogs: Catalogs, locale: str) -> None:
    # A command or emergency word that a carrier reserves would never reach the engine
    # on SMS, or would reach it with the carrier's meaning (INTAKE decision 4).
    reserved = {w.casefold() for table in CARRIER_WORDS.values() for w in table}
    for msgid in COMMAND_MSGIDS.values():
        clash = sorted(w for w in catalogs.words(locale, msgid) if normalize(w) in reserved)
        if clash:
            raise FlowError(f"catalog {locale!r}: {msgid} uses carrier-reserved words: {', '.join(clash)}")


def _check_vocabulary(locale: str, vocab: Vocabulary) -> None:
    # A whole-message answer or emergency word that a carrier reserves would never reach
    # the engine on SMS with our meaning ("help" may only count inside longer messages).
    reserved = {w.casefold() for table in CARRIER_WORDS.values() for w in table}
    lists = {"emergency.danger": vocab.danger, "emergency.numbers": vocab.numbers,
             **{f"answers.{k}": v for k, v in vocab.answers.items()}}
    for name, words in lists.items():
        clash = sorted(w for w in words if w in reserved)
        if clash:
            raise FlowError(f"words file {locale!r}: {name} uses carrier-reserved words: {', '.join(clash)}")
