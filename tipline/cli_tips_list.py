"""``tipline tips list``: tip metadata with filters, a header row, created and updated times."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import click

from storage import keys, tip_mac
from storage.db import read_only
from storage.tip_listing import find_tips, readable_queues
from storage.tips import TipMeta, TipStatus
from tipline import tip_marks
from tipline.cli_unlock import fail, runtime_of
from tipline.safe_text import json_shown, shown

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_COLUMNS = ("ID", "PRIO", "STATUS", "CATEGORIES", "QUEUES", "CREATED", "UPDATED")


class Since(click.ParamType):  # type: ignore[type-arg]
    """A date (2026-11-30, UTC), a date and time (2026-11-30T08:00), or a duration back from now (24h, 7d)."""

    name = "since"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> float:
        text = value.strip().lower()
        found = _DURATION.match(text)
        if found:
            return time.time() - int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
        for layout in ("%Y-%m-%d", "%Y-%m-%dt%H:%M"):
            try:
                return datetime.strptime(text, layout).replace(tzinfo=timezone.utc).timestamp()
            except ValueError:
                continue
        self.fail(f"{value!r} is neither a date (2026-11-30, 2026-11-30T08:00, UTC) nor a duration "
                  "(30m, 24h, 7d, 2w)", param, ctx)


def _ts(value: float) -> str:
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _row(t: TipMeta, readable: tuple[str, ...]) -> tuple[str, ...]:
    return (t.id[:8], t.priority, t.status, ",".join(t.categories) or "-", ",".join(readable) or "-",
            _ts(t.created_at), _ts(t.updated_at))


def _json(t: TipMeta, metadata: tip_mac.MacStatus, readable: tuple[str, ...]) -> dict[str, object]:
    return {"id": t.id, "status": t.status, "reason": t.reason, "priority": t.priority,
            "categories": list(t.categories), "queues": list(t.queues), "readable_in": list(readable),
            "version": t.version,
            "rules_version": t.rules_version, "created_at": t.created_at, "updated_at": t.updated_at,
            "has_code": t.has_code, "metadata": str(metadata)}


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [_COLUMNS, *rows]]


@click.command("list")
@click.option("--queue", help="Only tips sealed to this queue (routed or referred there).")
@click.option("--priority", type=click.Choice(["P1", "P2", "P3", "P4"], case_sensitive=False))
@click.option("--status", type=click.Choice([s.value for s in TipStatus]), help="The interview's status.")
@click.option("--since", type=Since(), help="Created or updated since a date (UTC) or a duration ago: 24h, 7d.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tips_list(ctx: click.Context, queue: str | None, priority: str | None, status: str | None,
              since: float | None, as_json: bool) -> None:
    """Metadata only: no content, no codes, no addresses. Times are UTC.  QUEUES: where the tip is
    readable now (routed, then referred).  "!" marks a tip whose metadata fails its MAC (changed in
    the database outside the line)."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        if queue is not None and queue not in (known := keys.list_queues(conn)):
            raise fail(f"There is no queue {queue!r}. Queues: {', '.join(known)}.")
        rows = find_tips(conn, queue=queue, priority=priority.upper() if priority else None, status=status,
                         since=since)
        checked = tip_marks.statuses(conn, rt.secrets, (t.id for t in rows))
        readable = readable_queues(conn, rows)
    if as_json:
        click.echo(json_shown(json.dumps(
            [_json(t, checked.get(t.id, tip_mac.MacStatus.TAMPERED), readable[t.id]) for t in rows], indent=2)))
        return
    if not rows:
        filtered = any(v is not None for v in (queue, priority, status, since))
        click.echo("No tips match these filters." if filtered else "No tips yet.")
        return
    header, *lines = _table([_row(t, readable[t.id]) for t in rows])
    click.echo(shown("  " + header))
    for t, line in zip(rows, lines, strict=True):
        click.echo(shown(f"{tip_marks.mark(checked, t.id)} {line}"))
    for line in tip_marks.footer(checked):
        click.echo(line)
