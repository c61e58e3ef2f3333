"""The staff's 'tips' commands: list (metadata, checked), show (opens a tip) and ask."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import click
from sqlalchemy import Connection

from storage import audit, keys, questions, refcodes, sealing, tip_mac, tips
from storage.db import read_only
from storage.purposes import Purpose
from storage.sealing import SealingError
from tipline import tip_marks
from tipline.cli_unlock import fail, runtime_of, unlock
from tipline.runtime import Runtime
from tipline.safe_text import json_shown, shown


def _find_tip(rt: Runtime, conn: Connection, ref: str) -> tips.TipMeta:
    """A reference code (what a reporter holds) or a tip id / id prefix (what staff see)."""
    status = refcodes.check(ref)
    if status.is_valid:
        meta = tips.find_by_code_hash(
            conn, refcodes.code_hash(ref, secrets=rt.secrets, kdf=rt.settings.code_kdf)
        )
        if meta is None:
            raise fail("No tip has that reference code.")
        return meta
    if status.is_typo:
        raise fail("That reference code has a typo: its last character does not match. Check it and retry.")
    matches = [t for t in tips.list_tips(conn) if t.id.startswith(ref.lower())] if len(ref) >= 6 else []
    if len(matches) != 1:
        raise fail("Give a reference code (like 7KQ2-M9XD-4TRW5) or at least 6 characters of a tip id.")
    return matches[0]


def _ts(value: float) -> str:
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@click.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tips_list(ctx: click.Context, as_json: bool) -> None:
    """Metadata only: no content, no codes, no addresses.  "!" marks a tip whose metadata fails its MAC."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        rows = tips.list_tips(conn)
        checked = tip_marks.statuses(conn, rt.secrets, (t.id for t in rows))
    if as_json:
        click.echo(json_shown(json.dumps([
            {
                "id": t.id, "status": t.status, "reason": t.reason, "priority": t.priority,
                "categories": list(t.categories), "queues": list(t.queues), "version": t.version,
                "rules_version": t.rules_version, "created_at": t.created_at, "updated_at": t.updated_at,
                "has_code": t.has_code, "metadata": str(checked.get(t.id, tip_mac.MacStatus.TAMPERED)),
            }
            for t in rows
        ], indent=2)))
        return
    if not rows:
        click.echo("No tips yet.")
        return
    for t in rows:
        click.echo(shown(
            f"{tip_marks.mark(checked, t.id)} {t.id[:8]}  {t.priority}  {t.status:<10}  "
            f"{','.join(t.categories) or '-':<24}  {','.join(t.queues):<30}  {_ts(t.created_at)}"
        ))
    for line in tip_marks.footer(checked):
        click.echo(line)


@click.command("show")
@click.argument("ref")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tips_show(ctx: click.Context, ref: str, username: str, as_json: bool) -> None:
    """Open a tip with a staff member's passphrase (written to the audit log)."""
    rt = runtime_of(ctx)
    with read_only(rt.db) as conn:
        meta = _find_tip(rt, conn, ref)
    member = unlock(rt, username)
    with rt.db.begin() as conn:
        # Checked in the transaction that opens it, and said before anything of the tip is shown.
        warning = tip_marks.warning(tip_mac.check(conn, secrets=rt.secrets, tip_id=meta.id), meta.id)
        if warning is not None:  # also when an envelope then fails to open; JSON keeps stdout clean
            click.echo(warning, err=as_json)
        opened: list[dict[str, Any]] = []
        for version in sealing.tip_versions(conn, meta.id):
            try:
                tip = sealing.open_tip(conn, tip_id=meta.id, keys=member, version=version)
            except keys.NotGrantedError:
                continue
            except SealingError as exc:
                raise fail(f"Tip {meta.id[:8]} version {version}: {exc}") from None
            opened.append(json.loads(tip.payload))
        member.forget()
        if not opened:
            raise fail(f"{username} holds no key for the queues of this tip ({', '.join(meta.queues)}).")
        audit.append(conn, secrets=rt.secrets, actor=username, action="open_tip", subject=meta.id, now=time.time())
    if as_json:
        click.echo(json_shown(json.dumps(opened, indent=2, ensure_ascii=False)))
        return
    click.echo(_render_tip(meta, opened))


@click.command("ask")
@click.argument("ref")
@click.argument("question")
@click.option("--user", "username", default="admin", show_default=True)
@click.pass_context
def tips_ask(ctx: click.Context, ref: str, question: str, username: str) -> None:
    """Leave a question for the reporter: they read it when they send their reference code."""
    rt = runtime_of(ctx)
    question = question.strip()
    if not question or len(question) > 300:
        raise fail("A question is 1 to 300 characters: it is sent by SMS.")
    with read_only(rt.db) as conn:
        meta = _find_tip(rt, conn, ref)
    member = unlock(rt, username)
    with rt.db.begin() as conn:
        held = {keys.queue_of_key(conn, k) for k in member.held_key_ids(conn)}
        member.forget()
        if not held & set(meta.queues):
            raise fail(f"{username} holds no key for the queues of this tip ({', '.join(meta.queues)}).")
        questions.add(conn, box=rt.secrets.box(Purpose.STAFF_QUESTIONS), tip_id=meta.id, text=question,
                      now=time.time())
        audit.append(conn, secrets=rt.secrets, actor=username, action="ask", subject=meta.id, now=time.time())
    click.echo("Question saved. The reporter reads it when they send their reference code to the line.")


def register(tips_group: click.Group) -> None:
    tips_group.add_command(tips_list)
    tips_group.add_command(tips_show)
    tips_group.add_command(tips_ask)


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
