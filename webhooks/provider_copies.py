"""Deleting the provider's copies of messages (Twilio's message log): the provider side.

The queue lives in ``storage.provider_copies``.  No transaction is open during the
API calls: due rows are leased in one short transaction, deleted at Twilio, and the
outcomes recorded in a second.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from sqlalchemy import Engine
from twilio.base.exceptions import TwilioRestException

from storage import provider_copies
from storage.epoch_blobs import Sealer

log = logging.getLogger(__name__)


def delete_due(db: Engine, *, box: Sealer, client: Any, clock: Callable[[], float]) -> int:
    """Delete the due copies from Twilio's message log; returns how many are gone.

    A copy Twilio still holds in a non-final state (or an error) is retried later with
    back-off; a 404 means it is gone already.
    """
    with db.begin() as conn:
        due = provider_copies.take(conn, box=box, now=clock())
    if not due:
        return 0
    gone = [_delete(client, d.sid) for d in due]
    with db.begin() as conn:
        now = clock()
        for d, ok in zip(due, gone, strict=True):
            if ok:
                provider_copies.done(conn, item_id=d.id)
            else:
                provider_copies.retry(conn, item_id=d.id, attempts=d.attempts, now=now)
    return sum(gone)


def _delete(client: Any, sid: str) -> bool:
    try:
        client.messages(sid).delete()
        return True
    except TwilioRestException as exc:
        return bool(exc.status == 404)  # already gone
    except Exception:  # connection errors and timeouts: retried
        return False
