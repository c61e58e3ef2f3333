"""The signs of trafficking on request (issue 14) through the public app, at every question of the flow.

Over a signed Twilio webhook (the reply is the TwiML: the summary, then the same question) and a
Telegram update (the reply reaches the fake Bot API in HTML, with a button back to the question).
Asking creates no tip and changes none; the answer typed next goes to the question that was
pending.
"""

from __future__ import annotations

from itertools import count

from flask.testing import FlaskClient

from bot import signs as sg
from storage import tips
from tests.bot.paths import english_engine, paths_to_steps
from tests.conversation.test_reporter_scripts import read_tips
from tests.fakes.telegram import FakeTelegram
from tests.webhooks.helpers import post_sms, post_tg, sms_params, tg_callback, tg_message, twiml_messages
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender

STEPS = sorted(paths_to_steps())
TITLE = "Signs of trafficking"
_numbers = count(1)
_chats = count(770000)


def tip_rows(rt: Runtime) -> list[tips.TipMeta]:
    with rt.db.connect() as conn:
        found = tips.list_tips(conn)
        conn.rollback()
    return found


def sms(client: FlaskClient, number: str, text: str) -> str:
    """What a reporter at ``number`` reads back: the TwiML messages of a signed webhook."""
    return "\n".join(twiml_messages(post_sms(client, sms_params(text, sender=number))))


def telegram(client: FlaskClient, sender: OutboxSender, chat: int, message_id: int, text: str) -> None:
    assert post_tg(client, tg_message(text, chat_id=chat, message_id=message_id)).status_code == 200
    sender.run_once()


def question_text(step: str) -> str:
    """The question's own words (its first line), as English renders it."""
    text = english_engine().render.text("en", english_engine().flow.steps[step].text)
    return text.split("\n")[0].split("{")[0][:40]


# One runtime for every question (a new reporter for each): a runtime per question would cost
# minutes of set-up on a shared machine for no more coverage.
def test_over_twilio_at_every_question(client: FlaskClient, rt: Runtime) -> None:
    assert len(STEPS) > 30
    for step in STEPS:
        number = f"+1202666{next(_numbers):04d}"
        for text in paths_to_steps()[step]:
            sms(client, number, text)
        before = tip_rows(rt)
        replies = sms(client, number, "what are the signs?")
        assert TITLE in replies and "Under 18:" in replies, step
        asked = question_text(step)
        assert asked in replies and replies.index(TITLE) < replies.rindex(asked), step
        assert tip_rows(rt) == before, f"{step}: asking creates or changes no tip"


def test_over_telegram_at_every_question(client: FlaskClient, rt: Runtime, sender: OutboxSender,
                                         fake_telegram: FakeTelegram) -> None:
    for step in STEPS:
        chat, message_ids = next(_chats), count(1)
        for text in paths_to_steps()[step]:
            telegram(client, sender, chat, next(message_ids), text)
        asked = fake_telegram.messages(chat)[-1]
        before = tip_rows(rt)
        telegram(client, sender, chat, next(message_ids), "/signs")
        summary = fake_telegram.messages(chat)[-1]
        assert summary.parse_mode == "HTML" and f"<b>{TITLE}" in summary.text, step
        assert "<b>Under 18:</b>" in summary.text and "can't" in summary.text, step
        assert [[b["callback_data"] for b in row] for row in summary.buttons] == [[sg.BACK_DATA]], step
        assert tip_rows(rt) == before, f"{step}: asking creates or changes no tip"
        post_tg(client, tg_callback(sg.BACK_DATA, chat_id=chat, message_id=summary.message_id))
        sender.run_once()
        back = fake_telegram.messages(chat)[-1]
        assert question_text(step) in back.text and back.buttons == asked.buttons, step
        assert back.parse_mode is None, step


def test_the_pending_answer_goes_to_the_pending_question_over_twilio(client: FlaskClient, rt: Runtime) -> None:
    number = "+12026669999"
    for text in ("hi", "2", "3"):  # at "what did you see"
        sms(client, number, text)
    sms(client, number, "is this trafficking?")
    assert tip_rows(rt) == []
    sms(client, number, "the boss keeps the workers passports")
    sms(client, number, "DONE")
    [tip] = read_tips(rt)
    assert tip.answers["B1"] == "the boss keeps the workers passports"
    assert "is this trafficking" not in tip.text  # asking alone is not kept


def open_alerts(rt: Runtime) -> int:
    with rt.db.connect() as conn:
        found = tips.open_alert_list(conn)
        conn.rollback()
    return len(found)


def test_a_yes_sent_with_the_question_brings_the_number_the_tip_and_the_alert(client: FlaskClient, rt: Runtime) -> None:
    # The reporter trial's S1: "1 but what are the signs" at the danger question was thrown away.
    number = "+12026668888"
    sms(client, number, "hi")
    replies = sms(client, number, "1 but what are the signs")
    assert "call 911 now" in replies and TITLE in replies
    assert replies.index("call 911 now") < replies.index(TITLE) < replies.rindex(question_text("A4"))
    [tip] = tip_rows(rt)
    assert tip.priority == "P1" and open_alerts(rt) == 1


def test_the_doubting_words_of_the_question_raise_nothing(client: FlaskClient, rt: Runtime) -> None:
    # The reporter trial's S2: "i dont know if ..." was read as "Not sure" and moved on.
    number = "+12026667777"
    sms(client, number, "hi")
    replies = sms(client, number, "i dont know if this is trafficking, what are the signs?")
    assert TITLE in replies and replies.rstrip().endswith("3 Not sure") and "call 911" not in replies
    assert tip_rows(rt) == [] and open_alerts(rt) == 0
