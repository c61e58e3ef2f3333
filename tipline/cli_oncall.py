"""The 'oncall' commands: the rota (add, list, move, remove, Telegram links) and the alert loop."""

from __future__ import annotations

import time

import click

from storage import oncall
from storage.crypto import CryptoError
from storage.db import read_only
from storage.oncall import RotaError
from tipline.cli_unlock import as_admin, audit_entry, fail, runtime_of
from tipline.safe_text import shown
from tipline.oncall_reach import unreachable
from triage import oncall_rota

_ADMIN = click.option("--admin", "admin_name", default="admin", show_default=True,
                      help="An admin (asks the passphrase; the change is audited).")


@click.group("oncall")
def oncall_group() -> None:
    """The on-call rota that urgent tips are pushed to, and the loop that pushes them."""


@oncall_group.command("list")
@click.pass_context
def oncall_list(ctx: click.Context) -> None:
    """The rota in order (position 1 is alerted first); addresses are sealed and never shown."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        rota = oncall.list_members(conn)
    if not rota:
        click.echo("The rota is empty: add people with 'tipline oncall add'.")
    for m in rota:
        problem = unreachable(rt.settings, m.channel)
        state = (f"unreachable: {problem}" if problem else
                 "ready" if m.enrolled else "waiting for Telegram enrolment ('tipline oncall link')")
        click.echo(shown(f"{m.position:>3}  {m.name:<24} {m.channel:<9} {m.locale:<5} {state}"))


@oncall_group.command("add")
@click.argument("name")
@click.option("--channel", type=click.Choice(oncall.CHANNELS), required=True)
@click.option("--locale", default=None, help="Language of the alerts (default: the line's default).")
@_ADMIN
@click.pass_context
def oncall_add(ctx: click.Context, name: str, channel: str, locale: str | None, admin_name: str) -> None:
    """Append a person to the rota; an SMS number is asked for (kept out of shell history), sealed at once."""
    rt = runtime_of(ctx)
    s = rt.settings
    number = click.prompt("Phone number (+country code)", err=True) if channel == "sms" else None
    with as_admin(rt, admin_name) as (conn, _admin):
        try:
            member_id = oncall_rota.add_member(conn, name=name, channel=channel, address=number,
                                               locale=locale or s.default_locale, locales=s.locales, now=time.time())
        except RotaError as exc:
            raise fail(str(exc)) from None
        audit_entry(rt, conn, admin_name, "oncall_add", member_id)
    hint = " Send them the link from 'tipline oncall link' to enrol their chat." if channel == "telegram" else ""
    click.echo(f"Added {name} to the rota ({channel}).{hint}")


@oncall_group.command("link")
@click.argument("position", type=int)
@_ADMIN
@click.pass_context
def oncall_link(ctx: click.Context, position: int, admin_name: str) -> None:
    """A one-time Telegram enrolment link for the person at POSITION (valid 30 minutes, single use)."""
    rt = runtime_of(ctx)
    with as_admin(rt, admin_name) as (conn, _admin):
        try:
            entry = oncall_rota.member_by_position(conn, position)
            token = oncall.new_enrolment(conn, member_id=entry.id, now=time.time())
        except RotaError as exc:
            raise fail(str(exc)) from None
        audit_entry(rt, conn, admin_name, "oncall_link", entry.id)
    click.echo(oncall_rota.enrol_link(rt.settings.telegram_bot_username, token))


@oncall_group.command("move")
@click.argument("position", type=int)
@click.argument("direction", type=click.Choice(["up", "down"]))
@_ADMIN
@click.pass_context
def oncall_move(ctx: click.Context, position: int, direction: str, admin_name: str) -> None:
    """Move the person at POSITION up (alerted sooner) or down."""
    rt = runtime_of(ctx)
    with as_admin(rt, admin_name) as (conn, _admin):
        try:
            entry = oncall_rota.member_by_position(conn, position)
        except RotaError as exc:
            raise fail(str(exc)) from None
        if not oncall.move_member(conn, entry.id, delta=-1 if direction == "up" else 1):
            raise fail(f"position {position} is already at the {'top' if direction == 'up' else 'bottom'}")
        audit_entry(rt, conn, admin_name, "oncall_move", entry.id)
    click.echo(f"Moved {entry.name} {direction}.")


@oncall_group.command("remove")
@click.argument("position", type=int)
@_ADMIN
@click.pass_context
def oncall_remove(ctx: click.Context, position: int, admin_name: str) -> None:
    """Take the person at POSITION off the rota (their sealed address is deleted)."""
    rt = runtime_of(ctx)
    with as_admin(rt, admin_name) as (conn, _admin):
        try:
            entry = oncall_rota.member_by_position(conn, position)
        except RotaError as exc:
            raise fail(str(exc)) from None
        oncall.remove_member(conn, entry.id)
        audit_entry(rt, conn, admin_name, "oncall_remove", entry.id)
    click.echo(f"Removed {entry.name} from the rota.")


@oncall_group.command("run")
@click.pass_context
def oncall_run(ctx: click.Context) -> None:
    """Run the alert loop in this process (also run by each 'tipline console' worker)."""
    from tipline.oncall_loop import build_alert_loop
    from tipline.shutdown import on_stop_signal

    rt = runtime_of(ctx)
    try:
        loop = build_alert_loop(rt)
    except CryptoError as exc:
        raise fail(str(exc)) from None
    click.echo(f"On-call alert loop running (escalation after {rt.settings.oncall_escalate_minutes} min).")
    running = loop.start()
    on_stop_signal(running.request_stop)  # SIGTERM: the page being sent finishes, the rest go back
    try:
        while running.thread.is_alive():
            running.thread.join(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def register(main: click.Group) -> None:
    main.add_command(oncall_group)
