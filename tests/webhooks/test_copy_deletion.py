"""Deleting provider copies at Twilio: 404 counts as gone, other refusals and errors are retried."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from twilio.base.exceptions import TwilioRestException

from storage import provider_copies
from tests.factories import FakeClock, epochs_on
from tipline.runtime import Runtime
from webhooks.provider_copies import delete_due

SIDS = ["SM" + f"{i:032x}" for i in range(4)]


@dataclass
class FakeMessages:
    """The slice of twilio's Client the deletion uses: ``client.messages(sid).delete()``."""

    answers: dict[str, Exception] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    sid: str = ""

    def __call__(self, sid: str) -> "FakeMessages":
        self.sid = sid
        return self

    def delete(self) -> bool:
        if self.sid in self.answers:
            raise self.answers[self.sid]
        self.deleted.append(self.sid)
        return True


@dataclass
class FakeClient:
    messages: FakeMessages


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_due_copies_are_deleted_and_failures_retried(rt: Runtime, clock: FakeClock) -> None:
    box = provider_copies.box(epochs_on(rt, clock), rt.secrets)
    with rt.db.begin() as conn:
        for sid in SIDS:
            provider_copies.queue(conn, box=box, channel="sms", sid=sid, now=clock())
    busy = TwilioRestException(409, "uri", "message in progress", code=20009)
    messages = FakeMessages({SIDS[1]: TwilioRestException(404, "uri", "not found"), SIDS[2]: busy,
                             SIDS[3]: ConnectionError()})
    client = FakeClient(messages)
    assert delete_due(rt.db, box=box, client=client, clock=clock) == 0  # not due yet
    clock.advance(provider_copies.FIRST_DELAY)
    assert delete_due(rt.db, box=box, client=client, clock=clock) == 2  # one deleted, one gone already
    assert messages.deleted == [SIDS[0]]
    with rt.db.connect() as conn:
        assert provider_copies.pending(conn) == 2
    messages.answers.clear()
    clock.advance(provider_copies.MAX_DELAY)
    assert delete_due(rt.db, box=box, client=client, clock=clock) == 2
    assert sorted(messages.deleted) == sorted([SIDS[0], SIDS[2], SIDS[3]])
    with rt.db.connect() as conn:
        assert provider_copies.pending(conn) == 0
