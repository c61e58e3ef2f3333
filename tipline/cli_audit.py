"""The 'audit' commands: the tamper-evident audit log's head and its check."""

from __future__ import annotations

import click

from storage import audit
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
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        report = audit.verify(conn, secrets=rt.secrets, head=head)
    if not report.ok:
        raise fail(f"Audit log check FAILED: {report.problem}")
    click.echo(f"Audit log intact: {report.entries} entries.")


def register(main: click.Group) -> None:
    main.add_command(audit_group)
