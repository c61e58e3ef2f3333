"""The 'outbox' commands: replies waiting to leave, and dead letters."""

from __future__ import annotations

import click

from storage import outbox
from storage.db import read_only
from tipline.cli_unlock import runtime_of
from tipline.safe_text import shown


@click.group("outbox")
def outbox_group() -> None:
    """Replies waiting to leave, and dead letters."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice([status.value for status in outbox.ItemStatus]), default=None)
@click.pass_context
def outbox_list(ctx: click.Context, status: str | None) -> None:
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        items = outbox.list_items(conn, status=status)
    if not items:
        click.echo("Outbox empty.")
    for item in items:
        click.echo(shown(
            f"#{item.id:<6} {item.channel:<9} {item.status:<8} attempts={item.attempts:<2} "
            f"conversation={item.conversation_id[:8]} error={item.last_error or '-'}"
        ))


def register(main: click.Group) -> None:
    main.add_command(outbox_group)
