"""The ``tipline`` command: init, upgrade, chat, serve, worker, tips, staff, keys, audit, outbox."""

from __future__ import annotations

import os
import secrets as pysecrets
import sys
import time
from typing import Any

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage import keys
from storage.crypto import CryptoError
from storage.db_errors import operator_line
from tipline.install import (
    DEMO_MARKER, InstallError, add_first_admin, add_missing_queues, check_install, check_layout, needs_first_admin,
    prepare,
)
from tipline.logs import configure_logging
from tipline.runtime import Runtime
from tipline.settings import Settings, SettingsError, load_settings
from tipline.settings_ops import exposed_secret_file


class OperatorError(click.ClickException):
    """An error the operator can fix; printed without a traceback."""


def _runtime(ctx: click.Context) -> Runtime:
    return ctx.ensure_object(dict)["runtime"]  # type: ignore[no-any-return]


def _servable_runtime(ctx: click.Context) -> Runtime:
    """The runtime of ``serve`` and ``worker``: settings fit to serve, an initialised install."""
    rt = _runtime(ctx)
    try:
        rt.settings.check_servable()
        rt.check_ready()
        # Region and languages checked here, before gunicorn forks: a worker that fails to boot
        # would print a traceback where the operator needs one line.
        rt.engine  # noqa: B018
    except (SettingsError, CryptoError) as exc:
        raise OperatorError(str(exc)) from None
    return rt


# Commands that open the line's data: they need an initialised install with its own secret
# ('campaign stats' checks for itself: a poster needs no database).
_DATA_COMMANDS = frozenset({"tips", "staff", "keys", "alerts", "audit", "outbox", "oncall"})


class _Main(click.Group):
    """The command group; a database that cannot be read ends the command with a message,
    not a traceback (the driver's text may quote values, so only its class is named)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_HELP_ASKED] = any(arg in ctx.help_option_names for arg in args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DBAPIError, PoolTimeout) as exc:
            if (refused := operator_line(exc)) is not None:  # PostgreSQL full, refusing the role, or down
                raise OperatorError(refused) from None
            raise OperatorError(
                f"the database could not be read ({type(getattr(exc, 'orig', exc)).__name__}). If this install was "
                "never set up, run 'tipline init'; check TIPLINE_DATABASE_URL; if tables are missing or damaged, "
                "restore the database from a backup."
            ) from None


def _help_asked(ctx: click.Context) -> bool:
    """``tipline chat --help`` before an install exists: the help, not a layout error (trial minor 10)."""
    return bool(ctx.meta.get(_HELP_ASKED))


_HELP_ASKED = "tipline.help_asked"


@click.group(cls=_Main)
@click.option("--log-level", default="WARNING", show_default=True, envvar="TIPLINE_LOG_LEVEL",
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Least severe level logged (env TIPLINE_LOG_LEVEL); logs go to stderr, redacted.")
@click.option("--log-format", default="text", show_default=True, envvar="TIPLINE_LOG_FORMAT",
              type=click.Choice(["text", "json"]), help="text lines, or one JSON object a line with the "
              "context fields (env TIPLINE_LOG_FORMAT).")
@click.pass_context
def main(ctx: click.Context, log_level: str, log_format: str) -> None:
    """tipline: an anonymous tip line for suspected human trafficking."""
    os.umask(0o077)  # database files, WAL, secrets and logs we create: owner only
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise OperatorError(str(exc)) from None
    configure_logging(log_level.upper(), secret_values=settings.secret_values, fmt=log_format)
    rt = Runtime(settings)
    ctx.ensure_object(dict)["runtime"] = rt
    if ctx.invoked_subcommand == "init" or _help_asked(ctx):
        return  # init checks the layout itself (--demo allows the demo layout); help needs no install
    try:
        check_layout(settings)
        if ctx.invoked_subcommand in _DATA_COMMANDS:
            check_install(rt)
    except (InstallError, SettingsError, CryptoError) as exc:
        raise OperatorError(str(exc)) from None


# -- init ------------------------------------------------------------------------------


@main.command(epilog="Without a keyboard (a container, a provisioning script) the first admin's passphrase "
               "comes from TIPLINE_ADMIN_PASSPHRASE_FILE (a file holding it; a trailing newline is dropped) or "
               "TIPLINE_ADMIN_PASSPHRASE (older name: TIPLINE_INTAKE_PASSPHRASE), or one line on a piped "
               "stdin. It is read before anything is created, so a missing one leaves no half-made install.")
@click.option("--admin", "admin_name", default="admin", show_default=True, help="First staff member (an admin).")
@click.option("--demo", is_flag=True, help="Generate the admin passphrase and show it once (for make run).")
@click.option("--new-chains", is_flag=True,
              help="Start key chains the line lost (conversations in progress start over).")
@click.pass_context
def init(ctx: click.Context, admin_name: str, demo: bool, new_chains: bool) -> None:
    """Create the data folder, server secrets, schema, queues and the first admin (idempotent)."""
    s = _runtime(ctx).settings
    try:
        check_layout(s, demo=demo)
        # Asked before anything is made: a prompt that fails must not leave tables and no admin.
        passphrase = _first_passphrase(s, demo) if needs_first_admin(s) else ""
        if passphrase:
            keys.check_passphrase(passphrase)  # a weak one is refused before anything is made
        rt, created = prepare(s, demo=demo, new_chains=new_chains)
    except (InstallError, keys.WeakPassphraseError) as exc:
        raise OperatorError(str(exc)) from None
    ctx.ensure_object(dict)["runtime"] = rt
    with rt.db.begin() as conn:
        staff = keys.list_staff(conn)
        added = add_missing_queues(rt, conn, [m.id for m in staff if m.is_admin], time.time()) if staff else []
    if staff:
        click.echo(f"Already initialised: data in {s.data_dir}, secrets in {s.secrets_dir}.")
        if added:
            click.echo(f"New queues from the routing file: {', '.join(added)} (granted to the admins).")
        return
    try:
        add_first_admin(rt, username=admin_name, passphrase=passphrase or _first_passphrase(s, demo))
    except keys.KeyManagementError as exc:
        raise OperatorError(str(exc)) from None
    click.echo(f"Initialised: data in {s.data_dir}, secrets in {s.secrets_dir}{' (new)' if created else ''}.")
    click.echo(f"Queues: {', '.join(q.name for q in rt.routing.queues)}; admin: {admin_name}.")
    if demo:
        click.echo("")
        click.echo(f"  Admin passphrase, shown once - write it down: {passphrase}")
        click.echo("  It opens tips ('tipline tips show CODE'). Without it no tip can be read.")
        click.echo("")


def _first_passphrase(s: Settings, demo: bool) -> str:
    if s.intake_passphrase:
        if (exposed := exposed_secret_file(os.environ)) is not None:
            click.echo(f"Warning: {exposed}", err=True)
        return s.intake_passphrase
    if demo:
        return "-".join(pysecrets.token_hex(3) for _ in range(5))
    if not sys.stdin.isatty():
        # Piped (echo ... | tipline init): one line, no confirmation to wait for.
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InstallError("no passphrase for the first admin on stdin: pipe one line, or set "
                               "TIPLINE_ADMIN_PASSPHRASE_FILE (see 'tipline init --help')")
        return line
    return str(click.prompt("Passphrase for the first admin (10+ characters)", hide_input=True,
                            confirmation_prompt=True))


# -- serve and worker --------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="gunicorn worker processes")
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-jobs", is_flag=True, help="Do not run the outbox sender and scheduled jobs in this process.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, threads: int, no_jobs: bool) -> None:
    """Run the public app (webhooks, GET /healthz and /readyz) under gunicorn."""
    from tipline.server import run_public

    rt = _servable_runtime(ctx)
    click.echo(f"tipline listens on http://{host}:{port} "
               "(health: /healthz, /readyz; webhooks: /webhooks/twilio/sms, /webhooks/telegram)")
    if (rt.settings.data_dir / DEMO_MARKER).exists():  # a demo on a laptop, not a line's server
        click.echo("Talk to it from another terminal: .venv/bin/tipline chat   (Ctrl-C stops the server)")
    rt.close()  # no connection of this process crosses gunicorn's fork: each worker opens its own pool
    run_public(rt.settings, host=host, port=port, workers=workers, threads=threads, jobs=not no_jobs,
               engine=rt.engine)  # checked and built above: each forked worker uses this one


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="A private address: never the internet.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
@click.pass_context
def console(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Run the staff console (log in, the queue, tips) under gunicorn, for a private network."""
    from tipline.console_server import run_console

    rt = _runtime(ctx)
    try:
        rt.settings.check_servable()  # staff passphrases are never served with the tests' cheap Argon2id
        rt.check_ready()
        rt.engine  # noqa: B018 - region and languages, checked before the fork (one line, no traceback)
    except (SettingsError, CryptoError) as exc:
        raise OperatorError(str(exc)) from None
    scheme = "http" if rt.settings.console_insecure_cookies else "https (behind your TLS proxy)"
    click.echo(f"Staff console on http://{host}:{port} ({scheme}); log in at /login with a staff passphrase.")
    rt.close()  # each gunicorn worker opens its own pool after the fork
    run_console(rt.settings, host=host, port=port, workers=workers)


@main.command()
@click.option("--once", is_flag=True, help="Run each job once and exit.")
@click.option("--interval", default=5.0, show_default=True, type=float)
@click.pass_context
def worker(ctx: click.Context, once: bool, interval: float) -> None:
    """Run the scheduled jobs: expiry, erasure, purges (and the outbox sender)."""
    from tipline.jobs import Jobs
    from tipline.shutdown import on_stop_signal

    rt = _servable_runtime(ctx)
    jobs = Jobs(rt)
    on_stop_signal(jobs.request_stop)  # SIGTERM: sends in flight finish, leased items go back at once
    try:
        if once:
            report = jobs.run_once()
            click.echo(", ".join(f"{k}: {v}" for k, v in report.items()))
            if jobs.steps.failing:  # each was logged with its reason; a cron job or script must notice
                click.echo(f"failed: {', '.join(sorted(jobs.steps.failing))}", err=True)
                ctx.exit(1)
            return
        jobs.run_forever(interval=interval)
    finally:
        jobs.stop()


# -- tips ------------------------------------------------------------------------------


@main.group("tips")
def tips_group() -> None:
    """List tips (metadata) and open one."""


from tipline import (  # noqa: E402
    cli_alerts, cli_chat, cli_audit, cli_campaign, cli_cases, cli_doctor, cli_keys, cli_oncall, cli_outbox, cli_staff,
    cli_telegram, cli_tips, cli_training, cli_upgrade,
)
cli_tips.register(tips_group)  # tips list, show, ask
cli_chat.register(main)
for _group in (cli_staff, cli_keys, cli_alerts, cli_audit, cli_outbox, cli_telegram, cli_cases, cli_oncall,
               cli_upgrade, cli_doctor, cli_training, cli_campaign):
    _group.register(main)
