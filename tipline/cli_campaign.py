"""The 'campaign' command group: material for awareness campaigns (posters, links).

Each command lives in its own module and registers itself here (``cli_campaign_poster``).
"""

from __future__ import annotations

import click


@click.group("campaign")
def campaign_group() -> None:
    """Campaign material: posters with the number and a Telegram link per area and language."""


def register(main: click.Group) -> None:
    from tipline import cli_campaign_poster  # its commands join the group

    cli_campaign_poster.register(campaign_group)
    main.add_command(campaign_group)
