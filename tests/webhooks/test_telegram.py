"""POST /webhooks/telegram and the outbox sender against a fake Bot API over real HTTP."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from tests.fakes.telegram import FakeTelegram

from tests.webhooks.helpers import (
    SAMPLES, TG_PATH, TG_SECRET, new_sender, outbox_items, post_tg, stored_rows, table_count, tg_callback,
    tg_message,
)
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender


def _nothing_stored(rt: Runtime) -> None:
    assert all(v == 0 for v in stored_rows(rt).values()), stored_rows(rt)


def _sample(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return sample


def _drain(rt: Runtime, sender: OutboxSender, fake: FakeTelegram, clock: list[float] | None = None,
           rounds: int = 40) -> None:
    for _ in range(rounds):
        sender.run_once()
        if clock is not None:
            clock[0] += 700
        if not [i for i in outbox_items(rt) if i.status == "pending"]:
            return


# -- authentication and bad updates -------------------------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "wrong", TG_SECRET + "x", TG_SECRET[:-1]])
def test_missing_or_wrong_secret_gets_403_and_stores_nothing(
    client: FlaskClient, rt: Runtime, secret: str | None
) -> None:
    r = post_tg(client, tg_message("hi"), secret=secret)
    assert r.status_code == 403
    _nothing_stored(rt)


@pytest.mark.parametrize("raw", [b"not json", b"[1,2]", b'"x"', b"{}", b'{"update_id": "x"}', b"\xff\xfe",
                                 b'{"update_id": 5, "message": {"text": 1}}'])
def test_malformed_updates_get_200_and_store_nothing(client: FlaskClient, rt: Runtime, raw: bytes) -> None:
    r = post_tg(client, None, raw=raw)
    assert r.status_code == 200
    _nothing_stored(rt)


def test_oversized_update_gets_200_not_a_retry_loop(client: FlaskClient, rt: Runtime) -> None:
    r = post_tg(client, None, raw=b'{"update_id": 1, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert r.status_code == 200
    _nothing_stored(rt)
    assert post_tg(client, None, secret=None, raw=b"x" * (2 * 1024 * 1024)).status_code == 403


def test_real_samples(client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram) -> None:
    # A private text message in Russian (PTB parses it): a conversation opens, replies go out.
    assert post_tg(client, _sample("tg_litegram_message_ru.json")).status_code == 200
    # A button press with a keyboard and a 64-bit bot id: answered in the response body.
    r = post_tg(client, _sample("tg_litegram_callback_query.json"))
    assert r.status_code == 200
    assert r.json == {"method": "answerCallbackQuery", "callback_query_id": "1874464818486990916"}
    # Telegram's own guide examples and an old voice fixture fail PTB: 200, one short reply where a
    # private chat is named.  An edit is not read, but gets one short reply.
    for name in ("tg_official_guide_message_text.json", "tg_official_guide_callback_query.json",
                 "tg_aiogram_update_voice.json", "tg_rasa_edited_message.json", "tg_aiogram_update_message.json"):
        assert post_tg(client, _sample(name)).status_code == 200, name
    sender.run_once()
    chats = {s.chat_id for s in fake_telegram.sent}
    assert chats == {436432850, 1111111, 12345678, 1760450482}
    assert all(s.protect_content for s in fake_telegram.sent)
    # The unparseable callback sample names no chat: nothing was sent for it, and nothing crashed.


def test_group_chats_stickers_and_other_updates(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    group = tg_message("hello bot", chat_id=-100123)
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "g"}
    assert post_tg(client, group).status_code == 200
    assert post_tg(client, {"update_id": 77, "my_chat_member": {}}).status_code == 200
    assert post_tg(client, {"update_id": 78, "inline_query": {"id": "1", "from": {"id": 1, "is_bot": False,
                                                                               "first_name": "a"},
                                                            "query": "x", "offset": ""}}).status_code == 200
    sender.run_once()
    assert fake_telegram.sent == []
    sticker = tg_message(None, chat_id=555, sticker={
        "file_id": "f", "file_unique_id": "u", "type": "regular", "width": 512, "height": 512,
        "is_animated": False, "is_video": False})
    assert post_tg(client, sticker).status_code == 200
    sender.run_once()
    texts = fake_telegram.texts(555)
    assert texts and "Pictures and files are not kept" in texts[0]


# -- a complete interview -------------------------------------------------------------------------

def test_complete_interview_with_buttons_and_exit_deletes_history(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 9001
    msg_ids = iter(range(1, 1000))
    reporter_ids: list[int] = []

    def say(text: str) -> None:
        mid = next(msg_ids)
        reporter_ids.append(mid)
        assert post_tg(client, tg_message(text, chat_id=chat, message_id=mid)).status_code == 200
        sender.run_once()

    def press(data: str) -> None:
        keyboard = fake_telegram.messages(chat)[-1].message_id  # the message the button is on
        r = post_tg(client, tg_callback(data, chat_id=chat, message_id=keyboard))
        assert r.status_code == 200 and r.json["method"] == "answerCallbackQuery"
        sender.run_once()

    def last_buttons() -> list[str]:
        return [b["callback_data"] for row in fake_telegram.messages(chat)[-1].buttons for b in row]

    say("/start en")
    assert "A2:no" in last_buttons()
    press("A2:no")
    assert "A4:other" in last_buttons()
    press("A4:other")
    say("Workers at the farm never leave and a man holds their papers")
    assert "B2:done" in last_buttons()
    before = len(fake_telegram.messages(chat))
    press("B2:t:work")
    press("B2:t:home")
    press("B2:t:home")  # untick
    # Ticks edit the question's keyboard in place: no new message per tap.
    assert len(fake_telegram.messages(chat)) == before
    assert len(fake_telegram.edits) == 3
    labels = [b["text"] for row in fake_telegram.messages(chat)[-1].buttons for b in row]
    assert labels[0].startswith("✓ ")  # the farm option is marked
    assert not labels[1].startswith("✓")  # the private-home option, ticked twice, is not
    press("B2:done")
    press("Z9:forged")  # stale or forged: the engine shows where we are, nothing is recorded
    say("2")  # typed answers still work (B3: No)
    press("C:t:leave")
    press("C:t:docs")
    press("C:done")
    press("W1:northeast")
    say("0")  # W2, the place in words (core since issue 8)
    say("1")  # T1
    press("F1:no")
    press("MORE:no")
    assert "reference code" in fake_telegram.texts(chat)[-1]
    sent_ids = [s.message_id for s in fake_telegram.messages(chat)]
    say("EXIT")
    exit_reply = fake_telegram.messages(chat)[-1]
    assert "delete" in exit_reply.text
    deleted = [i for c, ids in fake_telegram.deleted if c == chat for i in ids]
    assert set(deleted) == set(reporter_ids) | set(sent_ids)  # all but the EXIT reply itself
    assert exit_reply.message_id not in deleted
    assert all(len(ids) <= 100 for _, ids in fake_telegram.deleted)
    assert table_count(rt, "chatmessage") == 0 and table_count(rt, "outbox") == 0
    assert all(s.protect_content for s in fake_telegram.sent)


# -- duplicates ------------------------------------------------------------------------------------

def test_same_update_five_times_yields_one_set_of_replies(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    update = tg_message("hello", chat_id=321)
    for _ in range(5):
        assert post_tg(client, update).status_code == 200
    sender.run_once()
    first = fake_telegram.texts(321)
    assert first
    press = tg_callback("A2:no", chat_id=321)
    for _ in range(5):
        assert post_tg(client, press).json["callback_query_id"] == press["callback_query"]["id"]
    sender.run_once()
    assert len(fake_telegram.texts(321)) == 2 * len(first)


def test_parallel_duplicates_against_a_real_server(
    live: str, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    updates = [tg_message(f"message {i}", chat_id=1000 + i) for i in range(4)]

    def deliver(update: dict[str, Any]) -> int:
        with httpx.Client(timeout=30) as http:
            return http.post(live + TG_PATH, json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(deliver, [u for u in updates for _ in range(5)]))
    assert set(statuses) == {200}
    sender.run_once()
    for i in range(4):
        assert len(fake_telegram.texts(1000 + i)) == 1
    assert table_count(rt, "inbound") == 4


# -- a flaky provider ------------------------------------------------------------------------------

def test_flaky_provider_still_receives_every_reply_in_order(
    client: FlaskClient, rt: Runtime, fake_telegram: FakeTelegram
) -> None:
    chats = [2000 + i for i in range(5)]
    clock = [time.time()]
    sender = new_sender(rt, clock=lambda: clock[0])
    try:
        # Each chat goes through several replies; the fake fails often and slowly.
        fake_telegram.server_error("sendMessage", count=3)
        fake_telegram.retry_after("sendMessage", 3, count=2)
        fake_telegram.fail("sendMessage", kind="slow", delay=0.3, count=2)
        fake_telegram.fail("sendMessage", kind="drop", count=1)
        for text in ("hi", "2", "1"):
            for chat in chats:
                post_tg(client, tg_message(text, chat_id=chat))
            _drain(rt, sender, fake_telegram, clock)
        _drain(rt, sender, fake_telegram, clock)
    finally:
        sender.close()
    for chat in chats:
        texts = fake_telegram.texts(chat)
        assert texts[0].startswith("Hi, thanks") and "In a few words" in texts[-1], texts
        # In order, no reply lost; a dropped connection may repeat one (at least once).
        deduped = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
        assert len(deduped) == 3
    assert [i for i in outbox_items(rt)] == []


def test_retry_after_is_honoured(client: FlaskClient, rt: Runtime, fake_telegram: FakeTelegram) -> None:
    clock = [time.time()]
    sender = new_sender(rt, clock=lambda: clock[0])
    try:
        fake_telegram.retry_after("sendMessage", 30)
        post_tg(client, tg_message("hi", chat_id=77))
        clock[0] = time.time()  # the reply is due: the first attempt meets the flood control
        sender.run_once()
        assert fake_telegram.texts(77) == []
        clock[0] += 20
        sender.run_once()
        assert fake_telegram.texts(77) == []  # still inside retry_after
        clock[0] += 15
        sender.run_once()
        assert len(fake_telegram.texts(77)) == 1
    finally:
        sender.close()


def test_a_reply_that_keeps_failing_is_dead_lettered(
    client: FlaskClient, rt: Runtime, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail("sendMessage", status=400, count=1,
                       body={"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    post_tg(client, tg_message("hi", chat_id=88))
    sender = new_sender(rt)
    try:
        sender.run_once()
    finally:
        sender.close()
    items = outbox_items(rt)
    assert [i.status for i in items] == ["dead"] and items[0].last_error == "telegram bad request"


def test_fast_lane_delivers_without_waiting_for_the_jobs_interval(
    client: FlaskClient, rt: Runtime, fake_telegram: FakeTelegram
) -> None:
    sender = rt.sender  # the process's own, which the webhook wakes
    assert sender is not None
    try:
        post_tg(client, tg_message("hi", chat_id=99))
        assert fake_telegram.wait_for(lambda: len(fake_telegram.sent) == 1, timeout=10)
    finally:
        sender.close()


def test_database_failure_keeps_the_update_in_the_spool(client: FlaskClient, rt: Runtime) -> None:
    from sqlalchemy import text

    assert post_tg(client, tg_message("hi", chat_id=5151)).status_code == 200
    with rt.db.begin() as conn:  # the database breaks under the running app
        conn.execute(text("DROP TABLE inbound"))
    r = post_tg(client, tg_message("2", chat_id=5151))
    assert r.status_code == 200  # kept in the local spool for the worker (a full spool: 503, Telegram retries)
    assert len(list((rt.settings.data_dir / "spool").rglob("*.msg"))) == 1


def test_a_tap_on_an_old_keyboard_is_answered_with_the_current_question(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 9002
    for text in ["/start en", "2", "1", "Workers at the farm never leave"]:
        assert post_tg(client, tg_message(text, chat_id=chat)).status_code == 200
        sender.run_once()
    b2 = fake_telegram.messages(chat)[-1]
    assert any(b["callback_data"] == "B2:done" for row in b2.buttons for b in row)
    assert post_tg(client, tg_message("1", chat_id=chat)).status_code == 200  # B2 answered by typing
    sender.run_once()
    b3 = fake_telegram.messages(chat)[-1]
    old_markup = b2.reply_markup
    # The reporter taps a tick on the B2 keyboard, which is no longer the question.
    post_tg(client, tg_callback("B2:t:home", chat_id=chat, message_id=b2.message_id))
    sender.run_once()
    assert b2.reply_markup == old_markup and fake_telegram.edits == []  # the old message is untouched
    assert fake_telegram.messages(chat)[-1].text == b3.text  # the current question again, as a new message


def test_a_tick_whose_message_is_gone_sends_the_question_afresh(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_telegram: FakeTelegram
) -> None:
    chat = 9003
    for text in ["/start en", "2", "1", "Workers at the farm never leave"]:
        post_tg(client, tg_message(text, chat_id=chat))
        sender.run_once()
    before = len(fake_telegram.messages(chat))
    # The keyboard's message was deleted by hand: Telegram refuses the edit.
    post_tg(client, tg_callback("B2:t:work", chat_id=chat, message_id=424242))
    sender.run_once()
    assert len(fake_telegram.messages(chat)) == before + 1
    fresh = fake_telegram.messages(chat)[-1]
    assert any(b["text"].startswith("✓") for row in fresh.buttons for b in row)
    assert table_count(rt, "outbox") == 0  # delivered, not dead
