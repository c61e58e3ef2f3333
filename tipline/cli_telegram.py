"""``tipline telegram set-webhook`` and ``tipline telegram info`` (operator commands).

Wired into the CLI with ``cli_telegram.register(main)``.  They talk to the Bot API
(or TIPLINE_TELEGRAM_API_BASE) with one short-lived Bot; the token never appears
in output or logs.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import click

from tipline.logs import install_library_guards
from tipline.runtime import Runtime

WEBHOOK_PATH = "/webhooks/telegram"
# The update types webhooks/telegram.py reads (set-webhook asks Telegram for these only).
DEFAULT_ALLOWED = ("message", "edited_message", "callback_query")
SUPPORTED_PORTS = (443, 80, 88, 8443)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _rt(ctx: click.Context) -> Runtime:
    return ctx.ensure_object(dict)["runtime"]  # type: ignore[no-any-return]


def _bot(rt: Runtime) -> Any:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    install_library_guards()
    s = rt.settings
    if not s.telegram_bot_token:
        raise click.ClickException("Set TIPLINE_TELEGRAM_BOT_TOKEN (from @BotFather) first.")
    request = HTTPXRequest(connect_timeout=10.0, read_timeout=20.0, write_timeout=20.0)
    return Bot(s.telegram_bot_token, base_url=s.telegram_api_base, request=request,
               get_updates_request=HTTPXRequest(connection_pool_size=1))


def _run(coro: Any) -> Any:
    from telegram.error import TelegramError

    try:
        return asyncio.run(coro)
    except TelegramError as exc:
        raise click.ClickException(f"Telegram refused: {type(exc).__name__}: {_scrub(str(exc))}") from None


def _scrub(text: str) -> str:
    from tipline.logs import redact

    return redact(text)


def check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise click.ClickException(f"Telegram calls webhooks over HTTPS only; got {parts.scheme or 'no'} scheme.")
    port = parts.port or 443
    if port not in SUPPORTED_PORTS:
        ports = ", ".join(map(str, SUPPORTED_PORTS))
        raise click.ClickException(f"Telegram accepts webhook ports {ports} only; got {port}.")


@click.group("telegram")
def telegram_group() -> None:
    """Connect the Telegram bot to this line and look at its webhook."""


def register(main: click.Group) -> None:
    main.add_command(telegram_group)


def _check_secret(secret: str) -> None:
    if not secret or not _SECRET.match(secret):
        raise click.ClickException(
            "Set TIPLINE_TELEGRAM_WEBHOOK_SECRET to 1-256 characters from A-Z a-z 0-9 _ - "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def _webhook_url(public_base_url: str, url: str | None) -> str:
    """--url, or this line's own webhook path under TIPLINE_PUBLIC_BASE_URL; checked either way."""
    if url is None:
        if not public_base_url:
            raise click.ClickException("Set TIPLINE_PUBLIC_BASE_URL (https://your.host) or pass --url.")
        url = public_base_url.rstrip("/") + WEBHOOK_PATH
    check_webhook_url(url)
    return url


async def _delete_webhook(bot: Any, drop_pending_updates: bool) -> Any:
    async with bot:
        return await bot.delete_webhook(drop_pending_updates=drop_pending_updates)


async def _set_webhook(bot: Any, **options: Any) -> Any:
    async with bot:
        await bot.set_webhook(**options)
        return await bot.get_webhook_info()


async def _bot_and_webhook(bot: Any) -> tuple[Any, Any]:
    async with bot:  # calls getMe
        return bot.bot, await bot.get_webhook_info()


@telegram_group.command("set-webhook")
@click.option("--url", default=None, help=f"Default: TIPLINE_PUBLIC_BASE_URL + {WEBHOOK_PATH}.")
@click.option("--drop-pending-updates", is_flag=True,
              help="Discard updates Telegram queued while the line was unreachable (a stale backlog).")
@click.option("--allowed-updates", default=",".join(DEFAULT_ALLOWED), show_default=True,
              help="Update types to receive (comma-separated). Always sent: the previous value would persist.")
@click.option("--max-connections", default=40, show_default=True, type=click.IntRange(1, 100))
@click.option("--delete", "remove", is_flag=True, help="Remove the webhook instead.")
@click.pass_context
def set_webhook(ctx: click.Context, url: str | None, drop_pending_updates: bool, allowed_updates: str,
                max_connections: int, remove: bool) -> None:
    """Point Telegram at this line's webhook, with the secret token and allowed updates."""
    rt = _rt(ctx)
    s = rt.settings
    bot = _bot(rt)
    if remove:
        _run(_delete_webhook(bot, drop_pending_updates))
        click.echo("Webhook removed." + (" Pending updates dropped." if drop_pending_updates else ""))
        return
    _check_secret(s.telegram_webhook_secret)
    url = _webhook_url(s.public_base_url, url)
    allowed = [u.strip() for u in allowed_updates.split(",") if u.strip()]
    hook = _run(_set_webhook(
        bot, url=url, secret_token=s.telegram_webhook_secret, allowed_updates=allowed,
        drop_pending_updates=drop_pending_updates, max_connections=max_connections,
    ))
    click.echo(f"Webhook set: {hook.url}")
    click.echo(f"Allowed updates: {', '.join(hook.allowed_updates or allowed)}; "
               f"max connections: {hook.max_connections or max_connections}; "
               f"pending updates: {hook.pending_update_count}"
               + (" (backlog dropped)" if drop_pending_updates else ""))


@telegram_group.command("info")
@click.pass_context
def info(ctx: click.Context) -> None:
    """The bot's name and the webhook's state as Telegram sees it (pending updates, last error)."""
    rt = _rt(ctx)
    s = rt.settings
    me, hook = _run(_bot_and_webhook(_bot(rt)))
    click.echo(f"Bot: @{me.username} (id {me.id})")
    click.echo(f"Webhook URL: {hook.url or '(none: the bot receives nothing)'}")
    expected = s.public_base_url.rstrip("/") + WEBHOOK_PATH if s.public_base_url else None
    if expected and hook.url and hook.url != expected:
        click.echo(f"  Note: this line expects {expected}; run 'tipline telegram set-webhook'.")
    click.echo(f"Pending updates: {hook.pending_update_count}")
    click.echo(f"Max connections: {hook.max_connections if hook.max_connections is not None else '-'}")
    allowed = ", ".join(hook.allowed_updates) if hook.allowed_updates else "(Telegram default)"
    click.echo(f"Allowed updates: {allowed}")
    if hook.ip_address:
        click.echo(f"IP address: {hook.ip_address}")
    click.echo(_last_error(hook))


def _last_error(hook: Any) -> str:
    if not hook.last_error_date:
        return "Last error: none"
    when = hook.last_error_date
    if isinstance(when, datetime):
        when = when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Last error: {when}: {_scrub(hook.last_error_message or '')}"
