"""'tipline upgrade': bring the database schema to this release's revision (README, "Upgrades").

Migrations run through Alembic on the line's own connection (there is no alembic.ini to point the
``alembic`` command at: ``storage/migrations/env.py`` takes the connection this command passes).
"""

from __future__ import annotations

import click

from storage import schema, secret_check
from storage.crypto import CryptoError
from storage.db import read_only
from tipline.cli_unlock import fail, runtime_of


@click.command("upgrade", epilog="Order with several processes: take a backup (README, 'Backup and restore'); "
               "stop every 'serve', 'console' and 'worker'; install the new release; run 'tipline upgrade' once, "
               "from one host; start the processes again. Old processes refuse a newer schema, so none writes "
               "while the schema changes.")
@click.option("--check", is_flag=True, help="Only say whether an upgrade is due (exit 1 if it is); change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask whether a backup was taken (for scripts that took one).")
@click.pass_context
def upgrade(ctx: click.Context, check: bool, yes: bool) -> None:
    """Migrate the database to this release's schema (take a backup first)."""
    rt = runtime_of(ctx)
    try:
        rt.secrets  # noqa: B018 - the secrets must be here: a migration may rewrite sealed metadata
    except CryptoError as exc:
        raise fail(str(exc)) from None
    current, head = schema.revisions(rt.db)
    if current is None:
        raise fail("this database has no schema yet: run 'tipline init' (it creates the install)")
    if current == head:
        click.echo(f"The schema is current ({head}).")
        return
    try:
        with read_only(rt.db) as conn:  # another line's secret must not migrate (and then open) this data
            secret_check.require_match(conn, secrets=rt.secrets, secrets_dir=rt.settings.secrets_dir)
    except CryptoError as exc:
        raise fail(str(exc)) from None
    click.echo(f"The schema is at {current}; this release needs {head}.")
    if check:
        raise fail("an upgrade is due: take a backup, stop the processes, run 'tipline upgrade'")
    if not yes:
        click.confirm("Has a backup of the database and the secrets folder been taken, and every process "
                      "stopped?", abort=True)
    schema.upgrade(rt.db)
    click.echo(f"Upgraded to {schema.revisions(rt.db)[1]}. Start the processes again.")


def register(main: click.Group) -> None:
    main.add_command(upgrade)
