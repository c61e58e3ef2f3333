"""Telegram enrolment through the public app's webhook: a one-time link seals the chat id, answers
in the member's language, is never a reporter conversation, and then alerts reach that chat."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from bot import load_catalogs
from storage import oncall
from storage.oncall_secret import load_rota_opener
from tests.factories import FakeClock
from tests.fakes.telegram import FakeTelegram
from tests.oncall.support import add_people, alert_loop, rota, urgent_tip
from tests.webhooks.helpers import post_tg, table_count, tg_message
from tipline.runtime import Runtime
from triage.oncall_messages import ENROLLED, LINK_BAD

CHAT = 918273645599


def _link(rt: Runtime, member_id: str, *, now: float | None = None) -> str:
    with rt.db.begin() as conn:
        return oncall.new_enrolment(conn, member_id=member_id, now=time.time() if now is None else now)


def _text(rt: Runtime, msgid: str) -> str:
    return load_catalogs(rt.settings.locales_dir, ("en",)).text("en", msgid)


def test_start_with_the_link_enrols_the_chat_once(rt: Runtime, client: FlaskClient) -> None:
    (member_id,) = add_people(rt, ("night desk", "telegram", None))
    token = _link(rt, member_id)
    answer = post_tg(client, tg_message(f"/start {token}", chat_id=CHAT))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["method"] == "sendMessage" and body["chat_id"] == CHAT
    assert body["text"] == _text(rt, ENROLLED)
    (entry,) = rota(rt)
    assert entry.enrolled
    opener = load_rota_opener(rt.settings.oncall_key_dir)
    assert opener.address(member_id=member_id, sealed=entry.sealed_address or b"") == str(CHAT)
    # Never a reporter conversation: no state, no outbox, no reply to deliver.
    assert table_count(rt, "conversation") == 0 and table_count(rt, "outbox") == 0
    again = post_tg(client, tg_message(f"/start {token}", chat_id=CHAT + 1)).get_json()
    assert again["text"] == _text(rt, LINK_BAD), "a link works once"
    (entry,) = rota(rt)
    assert opener.address(member_id=member_id, sealed=entry.sealed_address or b"") == str(CHAT)


def test_an_expired_or_unknown_link_is_refused(rt: Runtime, client: FlaskClient) -> None:
    (member_id,) = add_people(rt, ("night desk", "telegram", None))
    stale = _link(rt, member_id, now=time.time() - oncall.ENROL_SECONDS - 1)
    for token in (stale, "oc_" + "x" * 43):
        body = post_tg(client, tg_message(f"/start {token}", chat_id=CHAT)).get_json()
        assert body["text"] == _text(rt, LINK_BAD)
    assert not rota(rt)[0].enrolled
    assert table_count(rt, "conversation") == 0


def test_a_new_link_replaces_the_old_one(rt: Runtime, client: FlaskClient) -> None:
    (member_id,) = add_people(rt, ("night desk", "telegram", None))
    first = _link(rt, member_id)
    second = _link(rt, member_id)
    assert post_tg(client, tg_message(f"/start {first}", chat_id=CHAT)).get_json()["text"] == _text(rt, LINK_BAD)
    assert post_tg(client, tg_message(f"/start {second}", chat_id=CHAT)).get_json()["text"] == _text(rt, ENROLLED)


def test_a_reporter_start_is_still_a_reporter_conversation(rt: Runtime, client: FlaskClient) -> None:
    answer = post_tg(client, tg_message("/start", chat_id=CHAT))
    assert answer.status_code == 200 and not (answer.get_json() or {}).get("text")
    assert table_count(rt, "conversation") == 1


def test_the_enrolled_chat_gets_the_alert(rt: Runtime, client: FlaskClient, fake_telegram: FakeTelegram) -> None:
    (member_id,) = add_people(rt, ("night desk", "telegram", None))
    post_tg(client, tg_message(f"/start {_link(rt, member_id)}", chat_id=CHAT))
    clock = FakeClock()
    loop = alert_loop(rt, telegram=fake_telegram, clock=clock)
    try:
        urgent_tip(rt, clock)
        assert loop.run_once() == 1
    finally:
        loop.close()
    (sent,) = fake_telegram.messages(CHAT)
    assert sent.text == load_catalogs(rt.settings.locales_dir, ("en",)).text("en", "reply.oncall_alert")
    assert sent.protect_content
