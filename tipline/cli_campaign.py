"""``tipline campaign``: the awareness campaigns' commands (a poster's counts, links, stats).

The group is defined here; each command lives in its own module and registers itself on it.
"""

from __future__ import annotations

import click


@click.group("campaign")
def campaign_group() -> None:
    """Awareness campaigns: counts per campaign link (area and language)."""


def register(main: click.Group) -> None:
    from tipline import cli_campaign_stats

    cli_campaign_stats.register(campaign_group)
    main.add_command(campaign_group)
