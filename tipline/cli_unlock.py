"""What the staff commands share: the runtime, operator errors, and unlocking a member's keys
(every login or failed login written to the audit log)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

import click
from sqlalchemy import Connection

from storage import audit, keys
from storage.db import deferred
from storage.keys import KeyManagementError, StaffKeys
from tipline.runtime import Runtime


def runtime_of(ctx: click.Context) -> Runtime:
    return ctx.ensure_object(dict)["runtime"]  # type: ignore[no-any-return]


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def unlock(rt: Runtime, username: str, prompt: str = "Passphrase") -> StaffKeys:
    """Ask a member's passphrase and unlock their keys; the login or the failure is audited.

    Its own transaction, so a failed login stays in the audit log although the command stops.
    """
    passphrase = click.prompt(f"{prompt} for {username}", hide_input=True, err=True)
    member = None
    # The key derivation runs without SQLite's write lock (webhooks go on meanwhile);
    # the audit entry is a short write of its own.
    with deferred(rt.db) as conn:
        try:
            member = keys.unlock(conn, username=username, passphrase=passphrase, secrets=rt.secrets,
                                 kdf=rt.settings.staff_kdf)
        except keys.UnknownStaffError:
            raise fail(f"No staff member called {username!r} ('tipline staff list' shows them).") from None
        except keys.WrongPassphraseError:
            pass
    with rt.db.begin() as conn:
        audit_entry(rt, conn, username, "login" if member else "login_failed", "")
    if member is None:
        raise fail(f"Wrong passphrase for {username}. Nothing was opened.")
    return member


@contextmanager
def as_admin(rt: Runtime, admin_name: str) -> Iterator[tuple[Connection, StaffKeys]]:
    """An admin's unlocked keys and a transaction; key errors become operator errors, and the
    keys are forgotten at the end whatever happens."""
    admin = unlock(rt, admin_name)
    try:
        with rt.db.begin() as conn:
            yield conn, admin
    except KeyManagementError as exc:
        raise fail(str(exc)) from None
    finally:
        admin.forget()


def audit_entry(rt: Runtime, conn: Connection, actor: str, action: str, subject: str) -> None:
    audit.append(conn, secrets=rt.secrets, actor=actor, action=action, subject=subject, now=time.time())
