"""``tipline campaign stats``: tips per campaign link (area and language) per week, as CSV.

The same counts as the dashboard's campaign table, protected the same way (small cells, the
complementary suppression shared with the week totals): the CSV rows are the dashboard CSV's
``campaign`` rows.  Area and language are read from the sealed tips, opened with the member's
keys in this process (README, "Counts per campaign"); opening is audited as on the dashboard.
"""

from __future__ import annotations

import click

from bot import load_catalogs, load_flow
from storage.crypto import CryptoError
from tipline.cli_unlock import runtime_of, unlock
from tipline.install import InstallError, check_install

CAMPAIGN_TABLE = "campaign"


@click.command("stats")
@click.option("--as", "username", required=True,
              help="The staff member whose queues are counted (asks the passphrase).")
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(1, 53),
              help="Weeks back, this one included.")
@click.option("--all-tables", is_flag=True, help="Print every table of the dashboard CSV, not only the campaign one.")
@click.pass_context
def stats(ctx: click.Context, username: str, weeks: int, all_tables: bool) -> None:
    """Tips per campaign area and language per week, with the dashboard's small-cell rules (CSV)."""
    # The staff side's modules, loaded only here (the public app never imports them).
    from triage.console.auth import Auth
    from triage.console.config import ConsoleConfig
    from triage.console.dashboard import Dashboard
    from triage.console.dashboard_tables import to_csv

    rt = runtime_of(ctx)
    try:
        check_install(rt)  # the counts open the line's data; a poster does not
    except (InstallError, CryptoError) as exc:
        raise click.ClickException(str(exc)) from None
    s = rt.settings
    member = unlock(rt, username)
    cfg = ConsoleConfig(db=rt.db, secrets=rt.secrets, staff_kdf=s.staff_kdf, flow=load_flow(),
                        catalogs=load_catalogs(s.locales_dir, s.locales), region=rt.region, locales=s.locales,
                        default_locale=s.default_locale, routing=rt.routing)
    page = Dashboard(cfg, Auth(cfg)).page(member, weeks=weeks, locale=s.default_locale, action="campaign_stats")
    tables = page.tables if all_tables else tuple(t for t in page.tables if t.key == CAMPAIGN_TABLE)
    click.echo(to_csv(tables), nl=False)
    if page.unopened:
        click.echo(f"{page.unopened} tips of your queues did not open with your keys and are not counted.", err=True)


def register(group: click.Group) -> None:
    group.add_command(stats)
