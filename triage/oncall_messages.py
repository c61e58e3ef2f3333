"""What the on-call side says to staff, in each person's language (locales/, ``make catalogs``).

No alert names a tip, its content or its queue: a phone left on a desk shows only that
something urgent is waiting in the console.
"""

from __future__ import annotations

from bot.catalog import Catalogs

ALERT = "reply.oncall_alert"
ENROLLED = "reply.oncall_enrolled"
LINK_BAD = "reply.oncall_link_bad"
MSGIDS = (ALERT, ENROLLED, LINK_BAD)


def staff_text(catalogs: Catalogs, *, locale: str, default_locale: str, msgid: str) -> str:
    """The message in ``locale``, else in the line's default language."""
    return catalogs.text(locale, msgid, fallback=default_locale)
