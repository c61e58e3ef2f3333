"""Operator commands that touch keys: tips show, staff, keys, audit, outbox."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Iterator

import click
from sqlalchemy import Connection

from storage import audit, keys, outbox, questions, refcodes, sealing, tips
from storage.db import deferred, read_only
from storage.keys import KeyManagementError, StaffKeys
from storage.sealing import SealingError
from storage.purposes import Purpose
from tipline.runtime import Runtime
from tipline.safe_text import json_shown, shown


def _rt(ctx: click.Context) -> Runtime:
    return ctx.ensure_object(dict)["runtime"]  # type: ignore[no-any-return]


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def _unlock(rt: Runtime, username: str, prompt: str = "Passphrase") -> StaffKeys:
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
            raise _fail(f"No staff member called {username!r} ('tipline staff list' shows them).") from None
        except keys.WrongPassphraseError:
            pass
    with rt.db.begin() as conn:
        _audit(rt, conn, username, "login" if member else "login_failed", "")
    if member is None:
        raise _fail(f"Wrong passphrase for {username}. Nothing was opened.")
    return member


@contextmanager
def _as_admin(rt: Runtime, admin_name: str) -> Iterator[tuple[Connection, StaffKeys]]:
    """An admin's unlocked keys and a transaction; key errors become operator errors, and the
    keys are forgotten at the end whatever happens."""
    admin = _unlock(rt, admin_name)
    try:
        with rt.db.begin() as conn:
            yield conn, admin
    except KeyManagementError as exc:
        raise _fail(str(exc)) from None
    finally:
        admin.forget()


def _audit(rt: Runtime, conn: Connection, actor: str, action: str, subject: str) -> None:
    audit.append(conn, secrets=rt.secrets, actor=actor, action=action, subject=subject, now=time.time())


def _find_tip(rt: Runtime, conn: Connection, ref: str) -> tips.TipMeta:
    """A reference code (what a reporter holds) or a tip id / id prefix (what staff see)."""
    status = refcodes.check(ref)
    if status.is_valid:
        meta = tips.find_by_code_hash(
            conn, refcodes.code_hash(ref, secrets=rt.secrets, kdf=rt.settings.code_kdf)
        )
        if meta is None:
            raise _fail("No tip has that reference code.")
        return meta
    if status.is_typo:
        raise _fail("That reference code has a typo: its last character does not match. Check it and retry.")
    matches = [t for t in tips.list_tips(conn) if t.id.startswith(ref.lower())] if len(ref) >= 6 else []
    if len(matches) != 1:
        raise _fail("Give a reference code (like 7KQ2-M9XD-4TRW5) or at least 6 characters of a tip id.")
    return matches[0]


def register(main: click.Group, tips_group: click.Group) -> None:  # noqa: C901 - a list of commands
    @tips_group.command("show")
    @click.argument("ref")
    @click.option("--user", "username", default="admin", show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def tips_show(ctx: click.Context, ref: str, username: str, as_json: bool) -> None:
        """Open a tip with a staff member's passphrase (written to the audit log)."""
        rt = _rt(ctx)
        with read_only(rt.db) as conn:
            meta = _find_tip(rt, conn, ref)
        member = _unlock(rt, username)
        with rt.db.begin() as conn:
            opened: list[dict[str, Any]] = []
            for version in sealing.tip_versions(conn, meta.id):
                try:
                    tip = sealing.open_tip(conn, tip_id=meta.id, keys=member, version=version)
                except keys.NotGrantedError:
                    continue
                except SealingError as exc:
                    raise _fail(f"Tip {meta.id[:8]} version {version}: {exc}") from None
                opened.append(json.loads(tip.payload))
            member.forget()
            if not opened:
                raise _fail(f"{username} holds no key for the queues of this tip ({', '.join(meta.queues)}).")
            audit.append(conn, secrets=rt.secrets, actor=username, action="open_tip", subject=meta.id, now=time.time())
        if as_json:
            click.echo(json_shown(json.dumps(opened, indent=2, ensure_ascii=False)))
            return
        click.echo(_render_tip(meta, opened))

    @tips_group.command("ask")
    @click.argument("ref")
    @click.argument("question")
    @click.option("--user", "username", default="admin", show_default=True)
    @click.pass_context
    def tips_ask(ctx: click.Context, ref: str, question: str, username: str) -> None:
        """Leave a question for the reporter: they read it when they send their reference code."""
        rt = _rt(ctx)
        question = question.strip()
        if not question or len(question) > 300:
            raise _fail("A question is 1 to 300 characters: it is sent by SMS.")
        with read_only(rt.db) as conn:
            meta = _find_tip(rt, conn, ref)
        member = _unlock(rt, username)
        with rt.db.begin() as conn:
            held = {keys.queue_of_key(conn, k) for k in member.held_key_ids(conn)}
            member.forget()
            if not held & set(meta.queues):
                raise _fail(f"{username} holds no key for the queues of this tip ({', '.join(meta.queues)}).")
            questions.add(conn, box=rt.secrets.box(Purpose.STAFF_QUESTIONS), tip_id=meta.id, text=question,
                          now=time.time())
            audit.append(conn, secrets=rt.secrets, actor=username, action="ask", subject=meta.id, now=time.time())
        click.echo("Question saved. The reporter reads it when they send their reference code to the line.")

    @main.group("staff")
    def staff_group() -> None:
        """Add staff, grant queues, change passphrases."""

    @staff_group.command("add")
    @click.argument("username")
    @click.option("--admin", "is_admin", is_flag=True)
    @click.option("--by", "admin_name", default="admin", show_default=True, help="The admin who adds them.")
    @click.pass_context
    def staff_add(ctx: click.Context, username: str, is_admin: bool, admin_name: str) -> None:
        """Create a member; they choose their passphrase now, then an admin confirms with theirs."""
        rt = _rt(ctx)
        passphrase = click.prompt(f"New passphrase for {username} (10+ characters)", hide_input=True,
                                  confirmation_prompt=True, err=True)  # typed before any lock is taken
        # Only an admin adds staff (above all admins): whoever runs the CLI is not enough.
        with _as_admin(rt, admin_name) as (conn, admin):
            if not admin.is_admin:
                raise _fail(f"{admin_name} is not an admin; only an admin can add staff.")
            keys.add_staff(conn, username=username, passphrase=passphrase, is_admin=is_admin,
                           secrets=rt.secrets, kdf=rt.settings.staff_kdf, now=time.time())
            _audit(rt, conn, admin_name, "staff_add_admin" if is_admin else "staff_add", username)
        click.echo(f"Added {username}{' (admin)' if is_admin else ''}. "
                   f"Grant queues with 'tipline staff grant {username} QUEUE'.")

    @staff_group.command("grant")
    @click.argument("username")
    @click.argument("queues", nargs=-1, required=True)
    @click.option("--by", "admin_name", default="admin", show_default=True, help="An admin who holds the queues.")
    @click.pass_context
    def staff_grant(ctx: click.Context, username: str, queues: tuple[str, ...], admin_name: str) -> None:
        """Give a member the keys of queues (asks the granting admin's passphrase)."""
        rt = _rt(ctx)
        with _as_admin(rt, admin_name) as (conn, admin):
            for queue in queues:
                keys.grant(conn, admin=admin, member=username, queue=queue, now=time.time())
                _audit(rt, conn, admin_name, "grant", f"{username}:{queue}")
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
        rt = _rt(ctx)
        if lose_queue is not None and lose_queue != queue:
            raise _fail(f"--lose-queue names {lose_queue!r}, not {queue!r}: nothing was revoked.")
        with _as_admin(rt, admin_name) as (conn, admin):
            try:
                removed = keys.revoke(conn, admin=admin, member=username, queue=queue,
                                      allow_last_holder=lose_queue == queue)
            except keys.LastHolderError as exc:
                raise _fail(f"{exc}. Grant {queue} to another member first ('tipline staff grant'), or, to lose "
                            f"those tips on purpose, add --lose-queue {queue}. Nothing was revoked.") from None
            _audit(rt, conn, admin_name, "revoke_last" if lose_queue else "revoke", f"{username}:{queue}")
        click.echo(f"Removed {removed} key(s) of {queue} from {username}. Now run 'tipline keys rotate {queue}':"
                   " they may have copied keys they held.")

    @staff_group.command("passwd")
    @click.argument("username")
    @click.pass_context
    def staff_passwd(ctx: click.Context, username: str) -> None:
        """Change a passphrase (the member types the old and the new one)."""
        rt = _rt(ctx)
        old = click.prompt(f"Current passphrase for {username}", hide_input=True, err=True)
        new = click.prompt("New passphrase (10+ characters)", hide_input=True, confirmation_prompt=True, err=True)
        with rt.db.begin() as conn:
            try:
                keys.change_passphrase(conn, username=username, old=old, new=new, secrets=rt.secrets,
                                       kdf=rt.settings.staff_kdf)
            except keys.WrongPassphraseError:
                raise _fail(f"Wrong passphrase for {username}; nothing changed.") from None
            except KeyManagementError as exc:
                raise _fail(str(exc)) from None
            audit.append(conn, secrets=rt.secrets, actor=username, action="passwd", subject=username, now=time.time())
        click.echo("Passphrase changed.")

    @staff_group.command("reset")
    @click.argument("username")
    @click.option("--by", "admin_name", default="admin", show_default=True)
    @click.pass_context
    def staff_reset(ctx: click.Context, username: str, admin_name: str) -> None:
        """A forgotten passphrase: new keys for the member, re-granted by an admin."""
        rt = _rt(ctx)
        new = click.prompt(f"New passphrase for {username} (10+ characters)", hide_input=True,
                           confirmation_prompt=True, err=True)  # typed before any lock is taken
        with _as_admin(rt, admin_name) as (conn, admin):
            regranted = keys.reset_member(conn, admin=admin, username=username, new_passphrase=new,
                                          secrets=rt.secrets, kdf=rt.settings.staff_kdf, now=time.time())
            _audit(rt, conn, admin_name, "reset", username)
        click.echo(f"{username} has new keys; re-granted: {', '.join(regranted) if regranted else 'none'}.")

    @staff_group.command("list")
    @click.pass_context
    def staff_list(ctx: click.Context) -> None:
        rt = _rt(ctx)
        with read_only(rt.db) as conn:
            for member in keys.list_staff(conn):
                queues = keys.member_queues(conn, member.id)
                role = "admin" if member.is_admin else "member"
                click.echo(shown(f"{member.username:<20} {role:<7} {', '.join(queues)}"))

    @main.group("keys")
    def keys_group() -> None:
        """Queue key rotation."""

    @keys_group.command("rotate")
    @click.argument("queue")
    @click.option("--by", "admin_name", default="admin", show_default=True)
    @click.pass_context
    def keys_rotate(ctx: click.Context, queue: str, admin_name: str) -> None:
        """New tips are sealed to a new key; old tips still open for every holder."""
        rt = _rt(ctx)
        with _as_admin(rt, admin_name) as (conn, admin):
            key_id = keys.rotate(conn, admin=admin, queue=queue, now=time.time())
            _audit(rt, conn, admin_name, "rotate", queue)
        click.echo(f"Queue {queue} now seals to key {key_id}.")

    @main.group("alerts")
    def alerts_group() -> None:
        """On-call alerts raised by urgent tips (danger now, a possible minor)."""

    @alerts_group.command("list")
    @click.pass_context
    def alerts_list(ctx: click.Context) -> None:
        """Open alerts, oldest first: tip id, priority, why, and how often danger came back since."""
        rt = _rt(ctx)
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
        rt = _rt(ctx)
        member = _unlock(rt, username)
        member.forget()
        with rt.db.begin() as conn:
            if not tips.acknowledge_alert(conn, alert_id=alert_id, now=time.time()):
                raise _fail(f"No open alert #{alert_id} ('tipline alerts list' shows them).")
            _audit(rt, conn, username, "alert_ack", str(alert_id))
        click.echo(f"Alert #{alert_id} acknowledged.")

    @main.group("audit")
    def audit_group() -> None:
        """The tamper-evident audit log."""

    @audit_group.command("head")
    @click.pass_context
    def audit_head(ctx: click.Context) -> None:
        """Print the log's head; keep it outside the database (it proves later truncation)."""
        rt = _rt(ctx)
        with read_only(rt.db) as conn:
            click.echo(audit.head(conn, secrets=rt.secrets))

    @audit_group.command("verify")
    @click.option("--head", "head", default=None, help="A head printed earlier by 'tipline audit head'.")
    @click.pass_context
    def audit_verify(ctx: click.Context, head: str | None) -> None:
        rt = _rt(ctx)
        with read_only(rt.db) as conn:
            report = audit.verify(conn, secrets=rt.secrets, head=head)
        if not report.ok:
            raise _fail(f"Audit log check FAILED: {report.problem}")
        click.echo(f"Audit log intact: {report.entries} entries.")

    @main.group("outbox")
    def outbox_group() -> None:
        """Replies waiting to leave, and dead letters."""

    @outbox_group.command("list")
    @click.option("--status", type=click.Choice([status.value for status in outbox.ItemStatus]), default=None)
    @click.pass_context
    def outbox_list(ctx: click.Context, status: str | None) -> None:
        rt = _rt(ctx)
        with read_only(rt.db) as conn:
            items = outbox.list_items(conn, status=status)
        if not items:
            click.echo("Outbox empty.")
        for item in items:
            click.echo(shown(
                f"#{item.id:<6} {item.channel:<9} {item.status:<8} attempts={item.attempts:<2} "
                f"conversation={item.conversation_id[:8]} error={item.last_error or '-'}"
            ))


# The rules version from which a venue alone makes a category "possible" (issue 8).
POSSIBLE_RULES = "2026-12-01.1"


def _render_tip(meta: tips.TipMeta, versions: list[dict[str, Any]]) -> str:
    snapshots = [v for v in versions if v.get("kind", "snapshot") == "snapshot"]
    addenda = [v for v in versions if v.get("kind") == "addendum"]
    latest = snapshots[-1] if snapshots else versions[-1]
    lines = [
        f"Tip {meta.id}  {meta.priority}  {meta.status} ({meta.reason})  queues: {', '.join(meta.queues)}",
        f"Categories: {', '.join(meta.categories) or '-'}   rules {meta.rules_version}   "
        f"version {latest.get('version')}",
    ]
    assessment = latest.get("assessment", {})
    possible = [r.split(" ", 2)[1] for r in assessment.get("reasons", []) if r.startswith("possible ")]
    if possible:
        lines.append(f"Possible (venue only, not routed): {', '.join(possible)}")
    version = str(assessment.get("rules_version") or meta.rules_version)
    if version >= POSSIBLE_RULES:
        lines.append(f"  rules {version}: a category needs an answer that says it; what only the venue "
                     "suggests is shown as possible and never routes the tip.")
    for reason in assessment.get("reasons", []):
        lines.append(f"  why: {reason}")
    for reason in assessment.get("routing", []):
        lines.append(f"  route: {reason}")
    lines.append("Answers:")
    for step, value in latest.get("answers", {}).items():
        answer = ", ".join(value) if isinstance(value, list) else ("(skipped)" if value is None else str(value))
        lines.append(f"  {step}: {answer}")
    for add in addenda:
        lines.append(f"Added later (version {add.get('version')}):")
        for text in add.get("texts", []):
            lines.append(f"  {text}")
    # Each line is escaped on its own: a line break inside an answer is shown as "\\n"
    # and cannot start a line that looks like one of ours.
    return "\n".join(shown(line) for line in lines)
