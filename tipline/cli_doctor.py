"""``tipline doctor``: check a live configuration before launch, one line per check (issue 13).

Wired into the CLI with ``cli_doctor.register(main)``.  Reads, never changes: the providers'
settings are fixed in their consoles or with ``tipline telegram set-webhook``.
"""

from __future__ import annotations

import click

from tipline.doctor_checks import PROBLEM, SKIPPED, WARNING, Check, local
from tipline.doctor_providers import providers
from tipline.runtime import Runtime

_COLOUR = {PROBLEM: "red", SKIPPED: "yellow", WARNING: "magenta"}


def _line(check: Check) -> str:
    status = click.style(f"{check.status:<8}", fg=_COLOUR.get(check.status, "green"))
    return f"{status} {check.name}: {check.detail}"


@click.command("doctor")
@click.option("--local-only", is_flag=True, help="Skip the providers and the public URL (this host's checks only).")
@click.pass_context
def doctor(ctx: click.Context, local_only: bool) -> None:
    """Check this line before launch: database, migrations, secrets folder, region, on-call rota, the
    webhooks Twilio and Telegram hold, and signed round trips through the public URL. Exit 1 on a PROBLEM."""
    rt: Runtime = ctx.ensure_object(dict)["runtime"]
    checks = local(rt)
    if not local_only:
        checks += providers(rt.settings)
    for check in checks:
        click.echo(_line(check))
    problems = sum(1 for c in checks if c.status == PROBLEM)
    click.echo(f"{problems} problem(s); also check by hand what the README's \"Before launch\" lists.")
    rt.close()
    if problems:
        ctx.exit(1)


def register(main: click.Group) -> None:
    main.add_command(doctor)
