"""The sandbox's synthetic tips: scripted reporters run through the real intake service, as the
webhooks run them (one ``handle`` per message), so the tips are sealed, scored and routed exactly
as live ones are.  Every word here is made up; the addresses are the 555-01xx fiction range.

Each scenario teaches one rule the report checks (``tipline.training_report``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.types import InboundMessage
from storage import tips
from tipline.runtime import Runtime

_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")


@dataclass(frozen=True)
class Scenario:
    key: str
    channel: str
    address: str
    say: tuple[str, ...]


# A witness at a farm: a labour tip, finished, with a reference code (the follow-up uses it).
FARM = Scenario("farm", "sms", "+15550100101", (
    "hi", "2", "1",
    "Workers at the berry farm on County Road 12 sleep in a locked barn and the foreman keeps their passports",
    "1", "2", "1 2", "1", "the barn behind the packing shed", "2", "1", "2",
))
# A child in a motel, in danger now (P1).  The reporter skipped the age question: only their own
# words say she may be a child, so child protection gets it only if the trainee refers it.
MOTEL = Scenario("motel", "sms", "+15550100102", (
    "hi", "yes", "1",
    "At the Starlite Motel men bring a girl who looks about 14 to room 12 every night",
    "5", "SKIP", "1 8", "1", "room 12, the back of the motel", "DONE",
))
# An adult reporting about herself who says no to police (INTAKE decision 8).
SELF = Scenario("self", "sms", "+15550100103", (
    "hi", "2", "2", "yes", "2 4", "2", "2 3",
    "I clean houses, the agency keeps my passport and says I owe 3000 dollars", "no",
))
# A false alarm: nothing in it points at trafficking.
FALSE_ALARM = Scenario("false_alarm", "sms", "+15550100104", (
    "hi", "2", "1", "My neighbour has many cars in the driveway at weekends, probably a family party", "DONE",
))
SCENARIOS = (FARM, MOTEL, SELF, FALSE_ALARM)
# The farm witness writes again from another phone with their code: the trainee should read it.
FOLLOW_UP_ADDRESS = "+15550100105"
FOLLOW_UP_WORDS = "The van comes back every Friday at 5 am to take the workers to the fields"


class ScriptError(Exception):
    """A script did not make the tip it should (the flow changed): the message names it."""


def _say(rt: Runtime, channel: str, address: str, text: str) -> list[str]:
    handled = rt.intake.handle(InboundMessage(channel=channel, address=address, text=text))
    return [r.text for r in handled.replies]


def _run(rt: Runtime, scenario: Scenario) -> tuple[str, list[str]]:
    with rt.db.begin() as conn:
        before = {t.id for t in tips.list_tips(conn)}
    replies = [r for text in scenario.say for r in _say(rt, scenario.channel, scenario.address, text)]
    with rt.db.begin() as conn:
        made = [t.id for t in tips.list_tips(conn) if t.id not in before and t.version > 0]
    if len(made) != 1:
        raise ScriptError(f"the {scenario.key} reporter made {len(made)} sealed tips, not one")
    return made[0], replies


class _NoLiveAlertLine(logging.Filter):
    """Drops the live line's "on-call alert raised" WARNING while the sandbox's tips are made: log
    shipping on the host would page on that exact text, and no alert is sent from a sandbox."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "on-call alert raised" not in str(record.msg)


def make_tips(rt: Runtime) -> dict[str, str]:
    """Run every scenario and the follow-up; scenario key -> tip id."""
    intake_log, quiet = logging.getLogger("triage.intake"), _NoLiveAlertLine()
    intake_log.addFilter(quiet)
    try:
        made = _make_tips(rt)
    finally:
        intake_log.removeFilter(quiet)
    logging.getLogger(__name__).info("training sandbox: the P1 tip is made; no on-call alert is sent from a sandbox")
    return made


def _make_tips(rt: Runtime) -> dict[str, str]:
    made: dict[str, str] = {}
    code = ""
    for scenario in SCENARIOS:
        made[scenario.key], replies = _run(rt, scenario)
        if scenario is FARM:
            found = [m.group(0) for r in replies for m in [_CODE.search(r)] if m]
            if not found:
                raise ScriptError("the farm reporter got no reference code")
            code = found[-1]
    for text in (f"my code is {code}", FOLLOW_UP_WORDS, "DONE"):
        _say(rt, "sms", FOLLOW_UP_ADDRESS, text)
    with rt.db.begin() as conn:
        farm = tips.get_tip(conn, made["farm"])
    if farm is None or farm.version < 2:
        raise ScriptError("the follow-up by code added nothing to the farm tip")
    return made
