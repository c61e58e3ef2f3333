"""The staff's 'tips' commands that open a tip or write to its reporter: show and ask (and list, beside)."""

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
from bot import load_catalogs, load_flow
from tipline import tip_marks, tip_text
from tipline.cli_tips_list import tips_list
from tipline.cli_unlock import fail, runtime_of, unlock
from tipline.runtime import Runtime
from tipline.safe_text import json_shown


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


@click.command("show")
@click.argument("ref")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--locale", default=None, help="Language of the questions and options (default: the line's).")
@click.pass_context
def tips_show(ctx: click.Context, ref: str, username: str, as_json: bool, locale: str | None) -> None:
    """Open a tip with a staff member's passphrase (written to the audit log)."""
    rt = runtime_of(ctx)
    if locale is not None and locale not in rt.settings.locales:
        raise fail(f"--locale {locale} is not enabled here; enabled: {', '.join(rt.settings.locales)}.")
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
    click.echo(tip_text.render(_view(rt, meta, opened, locale or rt.settings.default_locale)))


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
        questions.add(conn, box=rt.epochs.box(Purpose.STAFF_QUESTIONS), tip_id=meta.id, text=question,
                      now=time.time())
        audit.append(conn, secrets=rt.secrets, actor=username, action="ask", subject=meta.id, now=time.time())
    click.echo("Question saved. The reporter reads it when they send their reference code to the line.")


def _view(rt: Runtime, meta: tips.TipMeta, opened: list[dict[str, Any]], locale: str) -> Any:
    """The console's view of the tip: questions and options in ``locale``."""
    # Imported here: the console package is the staff app's, and 'tipline serve' must never load it.
    from triage.console import tipview

    default = rt.settings.default_locale
    catalogs = load_catalogs(rt.settings.locales_dir, tuple(dict.fromkeys((locale, default))))
    return tipview.build(meta, opened, flow=load_flow(), catalogs=catalogs, region=rt.region, locale=locale,
                         default_locale=default)


def register(tips_group: click.Group) -> None:
    tips_group.add_command(tips_list)
    tips_group.add_command(tips_show)
    tips_group.add_command(tips_ask)

