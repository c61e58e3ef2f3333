"""``tipline chat``: a reporter on this terminal, through the same intake service as the webhooks."""

from __future__ import annotations

import secrets as pysecrets
import sys
from typing import Any

import click

from bot.catalog import po_path
from bot.types import CHANNELS, InboundMessage
from storage.crypto import CryptoError
from tipline.cli import OperatorError, _runtime
from tipline.runtime import Runtime
from tipline.settings import SettingsError


@click.command()
@click.option("--channel", type=click.Choice(CHANNELS), default="terminal", show_default=True)
@click.option("--from", "address", default=None,
              help="The reporter's address; another address is another reporter.  [default: terminal-reporter; "
                   "with --lang, a new one each run]")
@click.option("--lang", default=None, metavar="XX",
              help="Speak this locale (a folder under locales/), enabled for this chat even if "
                   "TIPLINE_LOCALES leaves it out: a translator's way to read their messages live.")
@click.pass_context
def chat(ctx: click.Context, channel: str, address: str | None, lang: str | None) -> None:
    """Talk to the tip line in this terminal (one message a line; end with Ctrl-D)."""
    rt = _runtime(ctx)
    if lang is not None:
        rt = _pinned(rt, lang)
        # A new conversation each run: an earlier one keeps the language it had.
        address = address or f"terminal-{lang}-{pysecrets.token_hex(4)}"
    address = address or "terminal-reporter"
    try:
        rt.check_ready()
        service = rt.intake
    except (SettingsError, CryptoError) as exc:
        raise OperatorError(str(exc)) from None
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Type a message and press Enter. Ctrl-D ends the session.\n")
    while True:
        if interactive:
            click.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.rstrip("\r\n")
        # The language rides as an explicit choice, as a Telegram deep link's does.
        handled = service.handle(InboundMessage(channel=channel, address=address, text=text, start_payload=lang))
        for reply in handled.replies:
            click.echo(_render_reply(reply.text, reply.buttons))
            click.echo("")
    if interactive:
        click.echo("\nBye.")


def _pinned(rt: Runtime, lang: str) -> Runtime:
    """A runtime that offers ``lang`` too; start-up checks its catalog like any enabled one's."""
    s = rt.settings
    if lang in s.locales:
        return rt
    if not po_path(s.locales_dir, lang).is_file():
        raise OperatorError(f"--lang {lang}: no catalog at {po_path(s.locales_dir, lang)} (locales: see README, "
                            "\"Translating\")")
    return Runtime(s.with_(locales=(*s.locales, lang)))


def _render_reply(text: str, buttons: Any) -> str:
    out = text
    for row in buttons:
        out += "\n" + "  ".join(("[x] " if b.selected else "[ ] ") + b.label for b in row)
    return out


def register(main: click.Group) -> None:
    main.add_command(chat)
