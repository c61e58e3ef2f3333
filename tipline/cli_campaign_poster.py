"""'campaign poster' and 'campaign links': printable posters and the deep links they carry.

The number printed is ``TIPLINE_TWILIO_FROM`` (or ``--sms-number`` when that is a messaging
service), the link names ``TIPLINE_TELEGRAM_BOT_USERNAME``; the emergency number is the
region's (``TIPLINE_REGION``).  Nothing is read from or written to the line's data.

fpdf2 takes seconds to import: the poster modules are imported by the commands that use them,
so every other command (``serve`` among them) starts as fast as before.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from bot.catalog import load_catalogs
from bot.render import Renderer
from bot.types import Region
from tipline.cli_unlock import runtime_of
from tipline.locales import missing_messages, present_locales
from tipline.settings import Settings, SettingsError

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{3,}$")


def _bot_username(settings: Settings) -> str:
    if not settings.telegram_bot_username:
        raise click.ClickException("TIPLINE_TELEGRAM_BOT_USERNAME is not set: the Telegram link names the bot "
                                   "(the @name BotFather gave it)")
    return settings.telegram_bot_username


def _sms_number(settings: Settings, given: str | None) -> str:
    number = (given or settings.twilio_from).strip()
    if not number:
        raise click.ClickException("no number to text: set TIPLINE_TWILIO_FROM or pass --sms-number")
    if not _PHONE.match(number):
        raise click.ClickException(f"{'--sms-number' if given else 'TIPLINE_TWILIO_FROM'} is not a phone number "
                                   "(a messaging service?): pass the number people text as --sms-number")
    return number


def _region(ctx: click.Context) -> Region:
    try:
        return runtime_of(ctx).region
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _poster_langs(settings: Settings, langs: tuple[str, ...]) -> tuple[str, ...]:
    """The languages asked for, each with a catalog holding the poster's words."""
    from triage.poster import MSGIDS

    present = present_locales(settings.locales_dir)
    for lang in langs:
        if lang not in present:
            raise click.ClickException(f"no catalog for {lang!r}; languages: {', '.join(present)}")
        missing = missing_messages(settings.locales_dir, lang, MSGIDS)
        if missing:
            raise click.ClickException(f"the {lang} catalog lacks the poster's words: {', '.join(missing)}")
    return tuple(dict.fromkeys(langs))


@click.command("poster")
@click.option("--lang", "langs", multiple=True, required=True, help="A language of the poster (repeat: the "
              "first one is the Telegram link's).")
@click.option("--area", required=True, help="The campaign area (an area of TIPLINE_REGION, see 'campaign links').")
@click.option("--format", "fmt", type=click.Choice(["pdf", "png"]), default="pdf", show_default=True)
@click.option("--size", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (default poster-<area>-<langs>.<format> here).")
@click.option("--sms-number", help="The number people text, when TIPLINE_TWILIO_FROM is a messaging service.")
@click.pass_context
def poster_command(ctx: click.Context, langs: tuple[str, ...], area: str, fmt: str, size: str, out: Path | None,
                   sms_number: str | None) -> None:
    """A printable poster: the number, the Telegram link and its QR code, a few lines per language."""
    from triage import poster
    from triage.fonts import FontMissing

    settings = runtime_of(ctx).settings
    region = _region(ctx)
    chosen = _poster_langs(settings, langs)
    try:
        poster.check(chosen, area, areas=region.areas, locales=chosen)
    except poster.PosterError as exc:
        raise click.ClickException(str(exc)) from None
    made = poster.Poster(langs=chosen, area=area, sms_number=_sms_number(settings, sms_number),
                         bot_username=_bot_username(settings), emergency=region.emergency, size=size)
    words = Renderer(catalogs=load_catalogs(settings.locales_dir, chosen), default_locale=chosen[0])
    try:
        data = poster.render_png(made, words) if fmt == "png" else poster.render_pdf(made, words)
    except (FontMissing, poster.PosterError) as exc:
        raise click.ClickException(str(exc)) from None
    target = out or Path(f"poster-{area}-{'-'.join(chosen)}.{fmt}")
    target.write_bytes(data)
    click.echo(f"Wrote {target} ({fmt}, {size}): link {poster.deep_link(made.bot_username, chosen[0], area)}")


@click.command("links")
@click.option("--area", "areas", multiple=True, help="Only these areas (repeat); default every area of the region.")
@click.pass_context
def links_command(ctx: click.Context, areas: tuple[str, ...]) -> None:
    """The Telegram deep links per area and enabled language (area, language, link; tab-separated)."""
    from triage.poster import deep_link

    settings = runtime_of(ctx).settings
    region = _region(ctx)
    unknown = [a for a in areas if a not in region.areas]
    if unknown:
        raise click.ClickException(f"unknown area {unknown[0]!r}; this region's areas: {', '.join(region.areas)}")
    bot = _bot_username(settings)
    for area in areas or region.areas:
        for lang in settings.locales:
            click.echo(f"{area}\t{lang}\t{deep_link(bot, lang, area)}")


def register(group: click.Group) -> None:
    group.add_command(poster_command)
    group.add_command(links_command)
