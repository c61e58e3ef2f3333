"""The 'audit' commands: the tamper-evident audit log's head, its entries (who opened what), and
the check of the log and of every tip's metadata MAC."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from storage import audit, tip_mac, tips
from storage.db import read_only
from tipline.cli_unlock import fail, runtime_of


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("head")
@click.pass_context
def audit_head(ctx: click.Context) -> None:
    """Print the log's head; keep it outside the database (it proves later truncation)."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        click.echo(audit.head(conn, secrets=rt.secrets))


@audit_group.command("verify")
@click.option("--head", "head", default=None, help="A head printed earlier by 'tipline audit head'.")
@click.pass_context
def audit_verify(ctx: click.Context, head: str | None) -> None:
    """Check the audit log's chain and every tip's metadata MAC; exits 1 if anything fails."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        report = audit.verify(conn, secrets=rt.secrets, head=head)
        bad = tip_mac.failing(conn, secrets=rt.secrets)
        tips_total = tips.count_tips(conn)
        missing = tip_mac.missing_tips(conn)
    problems = _tip_problems(bad, missing)
    if report.ok:
        click.echo(f"Audit log intact: {report.entries} entries.")
    if not problems:
        click.echo(f"Tip metadata intact: {tips_total} tips.")
    for line in problems:
        click.echo(line)
    if not report.ok:
        raise fail(f"Audit log check FAILED: {report.problem}")
    if problems:
        raise fail("Tip metadata check FAILED (see above).")


@audit_group.command("list")
@click.option("--actor", default=None, help="Only this staff member's entries (a username; 'cli' for commands).")
@click.option("--action", default=None, help="Only this action (open_tip, ask, passwd, init, queue_add, ...).")
@click.option("--tip", "subject", default=None, help="Only entries about this tip id (or queue name, member).")
@click.option("--since", default=None, type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              help="Only entries from this day or time (UTC), YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many of the newest matching entries.")
@click.pass_context
def audit_list(ctx: click.Context, actor: str | None, action: str | None, subject: str | None,
               since: datetime | None, limit: int) -> None:
    """Who did what, when: a header, then one line per entry (time UTC, who, action, subject), oldest first."""
    rt = runtime_of(ctx)
    after = None if since is None else since.replace(tzinfo=timezone.utc).timestamp()
    with read_only(rt.db) as conn:
        found = audit.entries(conn, actor=actor, action=action, subject=subject, since=after, limit=limit)
    if not found:
        click.echo("No audit entries match.")
        return
    click.echo(f"{'SEQ':>6}  {'TIME (UTC)':<19}  {'WHO':<16} {'ACTION':<16} SUBJECT")
    for e in found:
        when = datetime.fromtimestamp(e.at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{e.seq:>6}  {when}  {e.actor:<16} {e.action:<16} {e.subject}")


def _tip_problems(bad: dict[str, tip_mac.MacStatus], missing: list[str]) -> list[str]:
    tampered = [t for t, s in bad.items() if s is tip_mac.MacStatus.TAMPERED]
    unsealed = [t for t, s in bad.items() if s is tip_mac.MacStatus.UNAUTHENTICATED]
    lines = []
    if tampered:
        lines.append(f"Tip metadata FAILED for {len(tampered)} tip(s) (changed in the database outside the line: "
                     f"priority, categories, queues, status, envelopes or alerts): {', '.join(tampered)}")
    if unsealed:
        lines.append(f"{len(unsealed)} tip(s) not yet authenticated (run 'tipline init'): {', '.join(unsealed)}")
    if missing:
        lines.append(f"{len(missing)} tip(s) deleted although their envelopes, alerts or audit entries remain: "
                     f"{', '.join(missing)}")
    return lines


def register(main: click.Group) -> None:
    main.add_command(audit_group)
