"""Rendering a tip's page: the tip as opened, its casework panel, and what the last action did.

Shared by the queue's view (reading a tip) and the casework views (a refused action shows the
page again with the reason, so nothing the member typed travels in a URL).
"""

from __future__ import annotations

from flask import Response

from triage.console import case_panel
from triage.console.auth import Member
from triage.console.cases import Casework
from triage.console.web import page
from triage.console.work import Work
from triage.routing_file import Routing

INTERNAL_KINDS = ("triage",)  # the task force's own queues: not a partner without console access


def partner_queues(routing: Routing) -> list[tuple[str, str]]:
    """(name, kind) of the queues a PDF export may name: outside partners only (decision 8 is met)."""
    return [(q.name, q.kind) for q in routing.queues if q.kind not in INTERNAL_KINDS]


# What a successful action says (the redirect carries only the key).
DONE = {
    "claimed": "You hold this tip now: nobody else pulls it while your claim lasts.",
    "status": "The case status changed.", "closed": "The case is closed.", "duplicate": "Marked as a duplicate.",
    "noted": "Your note is sealed to the tip's queues.", "linked": "The tips are linked.",
    "referred": "Referred: the other queue can open it now.", "hold": "The tip is on legal hold.",
    "unhold": "The legal hold is lifted.", "no_minor": "Recorded that no minor is involved.",
    "asked": "The interpreter has the text now.",
    "question": "The question waits for the reporter: they read it when they send their reference code.",
}


def render(work: Work, casework: Casework, found: Member, tip_id: str, *, done: str = "", error: str = "",
           status: int = 200) -> Response:
    opened = work.open(found.keys, tip_id, locale=found.session.locale)
    if opened is None:
        # The same answer for a tip that does not exist and one the member holds no key for.
        return page("missing.html", 404)
    panel = case_panel.build(casework, found.keys, tip_id)
    return page("tip.html", status, tip=opened.view, claim=opened.claim, mine=opened.mine,
                locales=work.cfg.locales, locale=found.session.locale, case=panel, done=DONE.get(done, ""),
                error=error, metadata=opened.metadata, unopened=opened.unopened,
                partners=partner_queues(casework.routing))
