"""The 'alerts' commands: the on-call alerts urgent tips raise."""

from __future__ import annotations

import time

import click

from storage import tips
from storage.db import read_only
from tipline.cli_unlock import audit_entry, fail, runtime_of, unlock
from tipline.safe_text import shown


@click.group("alerts")
def alerts_group() -> None:
    """On-call alerts raised by urgent tips (danger now, a possible minor)."""


@alerts_group.command("list")
@click.pass_context
def alerts_list(ctx: click.Context) -> None:
    """Open alerts, oldest first: tip id, priority, why, and how often danger came back since."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        open_ = tips.open_alert_list(conn)
    if not open_:
        click.echo("No open alerts.")
    for a in open_:
        raised = time.strftime("%Y-%m-%d %H:%M", time.gmtime(a.created_at))
        again = f"  repeated {a.repeats}x" if a.repeats else ""
        click.echo(shown(f"#{a.id:<5} {a.priority}  {a.reason:<8} tip {a.tip_id[:8]}  raised {raised} UTC{again}"))


@alerts_group.command("ack")
@click.argument("alert_id", type=int)
@click.option("--user", "username", default="admin", show_default=True)
@click.pass_context
def alerts_ack(ctx: click.Context, alert_id: int, username: str) -> None:
    """Mark an alert as seen (asks the member's passphrase; written to the audit log)."""
    rt = runtime_of(ctx)
    member = unlock(rt, username)
    member.forget()
    with rt.db.begin() as conn:
        if not tips.acknowledge_alert(conn, alert_id=alert_id, now=time.time()):
            raise fail(f"No open alert #{alert_id} ('tipline alerts list' shows them).")
        audit_entry(rt, conn, username, "alert_ack", str(alert_id))
    click.echo(f"Alert #{alert_id} acknowledged.")


def register(main: click.Group) -> None:
    main.add_command(alerts_group)
