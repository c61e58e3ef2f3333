"""The 'staff' commands: add members, grant and revoke queues, change or reset passphrases."""

from __future__ import annotations

import time

import click

from storage import audit, keys
from storage.db import read_only
from storage.keys import KeyManagementError
from tipline.cli_unlock import as_admin, audit_entry, fail, runtime_of
from tipline.safe_text import shown


@click.group("staff")
def staff_group() -> None:
    """Add staff, grant queues, change passphrases."""


@staff_group.command("add")
@click.argument("username")
@click.option("--admin", "is_admin", is_flag=True)
@click.option("--by", "admin_name", default="admin", show_default=True, help="The admin who adds them.")
@click.pass_context
def staff_add(ctx: click.Context, username: str, is_admin: bool, admin_name: str) -> None:
    """Create a member; they choose their passphrase now, then an admin confirms with theirs."""
    rt = runtime_of(ctx)
    passphrase = click.prompt(f"New passphrase for {username} (10+ characters)", hide_input=True,
                              confirmation_prompt=True, err=True)  # typed before any lock is taken
    # Only an admin adds staff (above all admins): whoever runs the CLI is not enough.
    with as_admin(rt, admin_name) as (conn, admin):
        if not admin.is_admin:
            raise fail(f"{admin_name} is not an admin; only an admin can add staff.")
        keys.add_staff(conn, username=username, passphrase=passphrase, is_admin=is_admin,
                       secrets=rt.secrets, kdf=rt.settings.staff_kdf, now=time.time())
        audit_entry(rt, conn, admin_name, "staff_add_admin" if is_admin else "staff_add", username)
    click.echo(f"Added {username}{' (admin)' if is_admin else ''}. "
               f"Grant queues with 'tipline staff grant {username} QUEUE'.")


@staff_group.command("grant")
@click.argument("username")
@click.argument("queues", nargs=-1, required=True)
@click.option("--by", "admin_name", default="admin", show_default=True, help="An admin who holds the queues.")
@click.pass_context
def staff_grant(ctx: click.Context, username: str, queues: tuple[str, ...], admin_name: str) -> None:
    """Give a member the keys of queues (asks the granting admin's passphrase)."""
    rt = runtime_of(ctx)
    with as_admin(rt, admin_name) as (conn, admin):
        for queue in queues:
            keys.grant(conn, admin=admin, member=username, queue=queue, now=time.time())
            audit_entry(rt, conn, admin_name, "grant", f"{username}:{queue}")
    click.echo(f"{username} can now open tips of: {', '.join(queues)}.")


@staff_group.command("revoke")
@click.argument("username")
@click.argument("queue")
@click.option("--by", "admin_name", default="admin", show_default=True)
@click.option("--lose-queue", "lose_queue", default=None, metavar="QUEUE",
              help="Revoke even from the last holder: every tip of QUEUE sealed to keys only they hold "
                   "becomes unreadable for good. Repeat the queue's name to confirm.")


@click.pass_context
def staff_revoke(ctx: click.Context, username: str, queue: str, admin_name: str, lose_queue: str | None) -> None:
    """Take a queue's keys from a member; rotate the queue so tips sealed later stay closed to them."""
    rt = runtime_of(ctx)
    if lose_queue is not None and lose_queue != queue:
        raise fail(f"--lose-queue names {lose_queue!r}, not {queue!r}: nothing was revoked.")
    with as_admin(rt, admin_name) as (conn, admin):
        try:
            removed = keys.revoke(conn, admin=admin, member=username, queue=queue,
                                  allow_last_holder=lose_queue == queue)
        except keys.LastHolderError as exc:
            raise fail(f"{exc}. Grant {queue} to another member first ('tipline staff grant'), or, to lose "
                        f"those tips on purpose, add --lose-queue {queue}. Nothing was revoked.") from None
        audit_entry(rt, conn, admin_name, "revoke_last" if lose_queue else "revoke", f"{username}:{queue}")
    click.echo(f"Removed {removed} key(s) of {queue} from {username}. Now run 'tipline keys rotate {queue}':"
               " they may have copied keys they held.")


@staff_group.command("passwd")
@click.argument("username")
@click.pass_context
def staff_passwd(ctx: click.Context, username: str) -> None:
    """Change a passphrase (the member types the old and the new one)."""
    rt = runtime_of(ctx)
    old = click.prompt(f"Current passphrase for {username}", hide_input=True, err=True)
    new = click.prompt("New passphrase (10+ characters)", hide_input=True, confirmation_prompt=True, err=True)
    with rt.db.begin() as conn:
        try:
            keys.change_passphrase(conn, username=username, old=old, new=new, secrets=rt.secrets,
                                   kdf=rt.settings.staff_kdf)
        except keys.WrongPassphraseError:
            raise fail(f"Wrong passphrase for {username}; nothing changed.") from None
        except KeyManagementError as exc:
            raise fail(str(exc)) from None
        audit.append(conn, secrets=rt.secrets, actor=username, action="passwd", subject=username, now=time.time())
    click.echo("Passphrase changed.")


@staff_group.command("reset")
@click.argument("username")
@click.option("--by", "admin_name", default="admin", show_default=True)
@click.pass_context
def staff_reset(ctx: click.Context, username: str, admin_name: str) -> None:
    """A forgotten passphrase: new keys for the member, re-granted by an admin."""
    rt = runtime_of(ctx)
    new = click.prompt(f"New passphrase for {username} (10+ characters)", hide_input=True,
                       confirmation_prompt=True, err=True)  # typed before any lock is taken
    with as_admin(rt, admin_name) as (conn, admin):
        regranted = keys.reset_member(conn, admin=admin, username=username, new_passphrase=new,
                                      secrets=rt.secrets, kdf=rt.settings.staff_kdf, now=time.time())
        audit_entry(rt, conn, admin_name, "reset", username)
    click.echo(f"{username} has new keys; re-granted: {', '.join(regranted) if regranted else 'none'}.")


@staff_group.command("list")
@click.pass_context
def staff_list(ctx: click.Context) -> None:
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        for member in keys.list_staff(conn):
            queues = keys.member_queues(conn, member.id)
            role = "admin" if member.is_admin else "member"
            click.echo(shown(f"{member.username:<20} {role:<7} {', '.join(queues)}"))


def register(main: click.Group) -> None:
    main.add_command(staff_group)
