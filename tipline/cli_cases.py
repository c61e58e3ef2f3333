"""The 'interpreters' and 'cases' commands: who translates which languages, which tips are on legal hold."""

from __future__ import annotations

import click
from babel import Locale, UnknownLocaleError

from storage import cases, interpreters, keys
from storage.db import read_only
from tipline.cli_unlock import as_admin, audit_entry, fail, runtime_of


@click.group("interpreters")
def interpreters_group() -> None:
    """Members who translate tips' free text (they need a language, not a queue)."""


def _language(code: str) -> str:
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise fail(f"{code!r} is not a language code (use ISO 639-1 like 'es', 'ar', 'uk').") from None


@interpreters_group.command("set")
@click.argument("username")
@click.argument("languages", nargs=-1)
@click.option("--by", "admin_name", default="admin", show_default=True, help="The admin who sets them.")
@click.pass_context
def interpreters_set(ctx: click.Context, username: str, languages: tuple[str, ...], admin_name: str) -> None:
    """Set the languages USERNAME translates from (none: no longer an interpreter)."""
    rt = runtime_of(ctx)
    codes = [_language(code) for code in languages]
    with as_admin(rt, admin_name) as (conn, admin):
        if not admin.is_admin:
            raise fail(f"{admin_name} is not an admin; only an admin sets interpreters.")
        interpreters.set_languages(conn, staff_id=keys.staff_id_of(conn, username), languages=codes)
        audit_entry(rt, conn, admin_name, "interpreter_set", username)
    click.echo(f"{username} translates: {', '.join(codes) or 'nothing (no longer an interpreter)'}.")


@interpreters_group.command("list")
@click.pass_context
def interpreters_list(ctx: click.Context) -> None:
    """Interpreters and their languages."""
    with read_only(runtime_of(ctx).db) as conn:
        rows = interpreters.interpreters(conn)
    click.echo("username\tlanguage")
    for username, language in rows:
        click.echo(f"{username}\t{language}")


@click.group("cases")
def cases_group() -> None:
    """Casework the console records (statuses, holds)."""


@cases_group.command("held")
@click.pass_context
def cases_held(ctx: click.Context) -> None:
    """Tips on legal hold: retention must keep them."""
    with read_only(runtime_of(ctx).db) as conn:
        for tip_id in cases.held_tips(conn):
            click.echo(tip_id)


def register(main: click.Group) -> None:
    main.add_command(interpreters_group)
    main.add_command(cases_group)
