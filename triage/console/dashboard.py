"""The dashboard: counts of a member's tips the task force can share without exposing a reporter.

Week, priority and categories are plaintext tip metadata (the queue needs them).  Area and
language are not metadata: they are read from the tips the member opens in their session, here,
and only their protected counts leave this module.  Opening is read-only work done outside any
write transaction; one audit entry records how many tips a view or an export opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Connection

from bot.options import options_for
from bot.render import Renderer
from storage import dashboard, sealing
from storage.db import read_only
from storage.keys import NotGrantedError, StaffKeys
from triage.console.auth import Auth
from triage.console.charts import Chart, bar_chart
from triage.console.config import ConsoleConfig
from triage.console.dashboard_tables import CountTable, TipFacts, build_tables, window, week_of
from triage.console.tipview import language_name

DEFAULT_WEEKS = 12
MAX_WEEKS = 53
AREA_STEP = "W1"  # the "where" question, whose options are the region's areas


@dataclass(frozen=True)
class DashboardPage:
    weeks: int
    tables: tuple[CountTable, ...]
    charts: tuple[Chart, ...]
    counted: int  # tips opened and counted
    unopened: int  # tips of the member's queues whose envelopes did not open

    @property
    def counted_text(self) -> str:
        """The number of tips counted as the grand total is published: a small one is "<5"."""
        return self.tables[0].totals[-1].text


def area_of(answers: dict[str, Any], areas: tuple[str, ...]) -> str:
    """The area the tip was routed with (triage.routing): the reporter's answer, else the
    campaign link's area; "other" when they said other, "" when neither was given."""
    said, campaign = answers.get(AREA_STEP), answers.get("campaign")
    if isinstance(said, str) and said in areas:
        return said
    if isinstance(campaign, str) and campaign in areas:
        return campaign
    return "other" if said == "other" else ""


def campaign_of(answers: dict[str, Any], areas: tuple[str, ...]) -> str:
    """The area a Telegram deep link named (bot.engine keeps it as the "campaign" answer), else ""."""
    campaign = answers.get("campaign")
    return campaign if isinstance(campaign, str) and campaign in areas else ""


class Dashboard:
    def __init__(self, cfg: ConsoleConfig, auth: Auth) -> None:
        self.cfg = cfg
        self.auth = auth

    def page(self, member: StaffKeys, *, weeks: int, locale: str, action: str) -> DashboardPage:
        """The protected counts of the last ``weeks`` weeks; ``action`` names the audit entry."""
        since, until, labels = window(self.cfg.clock(), weeks)
        with read_only(self.cfg.db) as conn:
            found = dashboard.member_tips(conn, staff_id=member.staff_id, since=since, until=until)
            facts = [f for f in (self._facts(conn, member, tip) for tip in found) if f is not None]
        with self.cfg.db.begin() as conn:
            self.auth.audit(conn, member.username, action, f"{len(facts)} tips, {weeks} weeks")
        tables = build_tables(facts, labels, area_label=self._area_label(locale),
                              language_label=lambda code: language_name(code, in_locale=locale))
        by_week = bar_chart("week", "Tips by week", tables[0].weeks[:-1], tables[0].week_totals)
        charts = (by_week,) + tuple(bar_chart(t.key, t.chart_title, t.columns[:-1], t.totals[:-1]) for t in tables)
        return DashboardPage(weeks=weeks, tables=tables, charts=charts, counted=len(facts),
                             unopened=len(found) - len(facts))

    def _facts(self, conn: Connection, member: StaffKeys, tip: dashboard.MemberTip) -> TipFacts | None:
        """The counted fields of one tip, from its newest snapshot the member can open."""
        for env in tip.envelopes:
            try:
                payload = json.loads(sealing.open_envelope(
                    conn, keys=member, tip_id=tip.tip_id, version=env.version, queue=env.queue,
                    key_id=env.key_id, sealed=env.sealed))
            except (NotGrantedError, sealing.SealingError, ValueError):
                continue  # counted as not opened unless an older snapshot opens
            if payload.get("kind", "snapshot") != "snapshot":
                continue  # an addendum: the reporter's later words, no language or answers
            answers = payload.get("answers") or {}
            return TipFacts(week=week_of(tip.created_at), priority=tip.priority, categories=tip.categories,
                            area=area_of(answers, self.cfg.region.areas), language=str(payload.get("locale", "und")),
                            campaign=campaign_of(answers, self.cfg.region.areas))
        return None

    def _area_label(self, locale: str) -> Callable[[str], str]:
        """An area key's words in ``locale`` (the "where" question's options); the key if it has none."""
        step = self.cfg.flow.step(AREA_STEP)
        renderer = Renderer(catalogs=self.cfg.catalogs, default_locale=self.cfg.default_locale)
        labels = {o.key: renderer.label(locale, o) for o in options_for(step, self.cfg.region)} if step else {}
        return lambda key: labels.get(key, key)
