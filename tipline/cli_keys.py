"""The 'keys' commands: rotating a queue's key."""

from __future__ import annotations

import time

import click

from storage import keys
from tipline.cli_unlock import as_admin, audit_entry, runtime_of


@click.group("keys")
def keys_group() -> None:
    """Queue key rotation."""


@keys_group.command("rotate")
@click.argument("queue")
@click.option("--by", "admin_name", default="admin", show_default=True)
@click.pass_context
def keys_rotate(ctx: click.Context, queue: str, admin_name: str) -> None:
    """New tips are sealed to a new key; old tips still open for every holder."""
    rt = runtime_of(ctx)
    with as_admin(rt, admin_name) as (conn, admin):
        key_id = keys.rotate(conn, admin=admin, queue=queue, now=time.time())
        audit_entry(rt, conn, admin_name, "rotate", queue)
    click.echo(f"Queue {queue} now seals to key {key_id}.")


def register(main: click.Group) -> None:
    main.add_command(keys_group)
