"""``tipline campaign``: material and counts for awareness campaigns (posters, links, stats).

The group is defined here; each command lives in its own module and registers itself on it.
"""

from __future__ import annotations

import click


@click.group("campaign")
def campaign_group() -> None:
    """Campaign material and counts: posters with the number and a Telegram link per area and language,
    the links, and counts per campaign link."""


def register(main: click.Group) -> None:
    from tipline import cli_campaign_poster, cli_campaign_stats  # their commands join the group

    cli_campaign_poster.register(campaign_group)
    cli_campaign_stats.register(campaign_group)
    main.add_command(campaign_group)
