"""POST /webhooks/twilio/sms and /status: signatures, dedup, TwiML, opt-out, MMS, WhatsApp, deletion."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from tests.fakes.twilio import FakeTwilio
from tests.webhooks.helpers import (
    BASE_URL, INTERVIEW, LINE, SAMPLES, SMS_PATH, STATUS_PATH, post_sms, sign, sms_params, stored_rows,
    new_sender, outbox_items, table_count, twiml_messages,
)
from storage.conversation_state import StateBoxes
from storage import lookups, conversations, outbox, periods
from storage.purposes import Purpose
from tipline.runtime import Runtime
from webhooks.sender import OutboxSender

VECTORS = json.loads((SAMPLES / "twilio_signature_vectors.json").read_text())


def _nothing_stored(rt: Runtime) -> None:
    assert all(v == 0 for v in stored_rows(rt).values()), stored_rows(rt)


# -- signatures -------------------------------------------------------------------------------

def test_upstream_vectors_hold_for_the_validator_we_use() -> None:
    for v in VECTORS["upstream"]:
        validator = RequestValidator(v["auth_token"])
        if "raw_body" in v:
            assert validator.validate(v["url"], v["raw_body"], v["expected_signature"])
            continue
        params = v["params"] if isinstance(v.get("params"), dict) else VECTORS["upstream"][0]["params"]
        if "params_multidict" in v:
            params = MultiDict(v["params_multidict"])
        assert validator.validate(v["url"], params, v["expected_signature"]), v["note"]


@pytest.mark.parametrize("vector", VECTORS["computed"], ids=lambda v: v["file"])
def test_computed_sample_vectors_through_the_endpoint(client: FlaskClient, rt: Runtime, vector: dict[str, Any]) -> None:
    assert vector["url"] == BASE_URL + SMS_PATH and rt.settings.twilio_auth_token == vector["auth_token"]
    body = (SAMPLES / vector["file"]).read_text().strip()
    response = client.post(SMS_PATH, data=body, content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": vector["expected_signature"],
                                    "Host": "app.internal:8000", "X-Forwarded-Proto": "http"})
    if "status" in vector["file"]:
        assert response.status_code == 400  # signed, but a status callback is not an inbound message
        _nothing_stored(rt)
        return
    messages = twiml_messages(response)
    assert messages and all(messages)
    if "media" in vector["file"]:
        assert any("Pictures and files are not kept" in m for m in messages)
    # The same body with one blank value dropped no longer matches: blanks are signed.
    pairs = parse_qsl(body, keep_blank_values=True)
    if all(v for _, v in pairs):
        return
    stripped = urlencode([(k, v) for k, v in pairs if v])
    again = client.post(SMS_PATH, data=stripped, content_type="application/x-www-form-urlencoded",
                        headers={"X-Twilio-Signature": vector["expected_signature"]})
    assert again.status_code == 403


@pytest.mark.parametrize("case", ["missing", "wrong", "other-token", "other-host", "http", "empty"])
def test_bad_signatures_get_403_and_store_nothing(client: FlaskClient, rt: Runtime, case: str) -> None:
    params = sms_params("hi")
    signature = {
        "missing": "",
        "wrong": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        "other-token": sign(params, token="another_token_000000000000000000"),
        "other-host": sign(params, base="https://evil.example.org"),
        "http": sign(params, base="http://bot.example.org"),
        "empty": "",
    }[case]
    if case == "empty":
        response = client.post(SMS_PATH, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": ""})
    else:
        response = post_sms(client, params, signature=signature)
    assert response.status_code == 403
    _nothing_stored(rt)


def test_signature_covers_the_raw_query_string(client: FlaskClient, rt: Runtime) -> None:
    query = "tag=o%27brien&city=caf%C3%A9&b=2&a=1"
    params = sms_params("hi")
    assert twiml_messages(post_sms(client, params, query=query))
    # Signed over the decoded query (what request.url would give): refused.
    decoded = "tag=o'brien&city=café&b=2&a=1"
    bad = sign(sms_params("hi", sid=None), query=decoded)
    assert post_sms(client, sms_params("hi"), query=query, signature=bad).status_code == 403


def test_malformed_and_oversized_bodies_get_4xx_and_store_nothing(client: FlaskClient, rt: Runtime) -> None:
    params = sms_params("hi")
    sig = sign(params)
    # Wrong content type.
    r = client.post(SMS_PATH, data=json.dumps(params), content_type="application/json",
                    headers={"X-Twilio-Signature": sig})
    assert r.status_code == 415
    # Not UTF-8 once percent-decoded.
    r = client.post(SMS_PATH, data="Body=%ff%fe&From=%2B1", content_type="application/x-www-form-urlencoded",
                    headers={"X-Twilio-Signature": sig})
    assert r.status_code == 400
    # Raw bytes that are not UTF-8.
    r = client.post(SMS_PATH, data=b"Body=\xff", content_type="application/x-www-form-urlencoded",
                    headers={"X-Twilio-Signature": sig})
    assert r.status_code == 400
    # Oversized.
    big = dict(params, Body="x" * 70000)
    r = post_sms(client, big)
    assert r.status_code == 413
    # Too many fields.
    many = dict(params, **{f"F{i}": "1" for i in range(300)})
    assert post_sms(client, many).status_code == 400
    # Signed but without the fields of an inbound message.
    for missing in ("MessageSid", "From"):
        p = {k: v for k, v in params.items() if k != missing}
        assert post_sms(client, p).status_code == 400
    assert post_sms(client, dict(params, MessageSid="not-a-sid")).status_code == 400
    # GET is not a webhook.
    assert client.get(SMS_PATH).status_code == 405
    _nothing_stored(rt)


# -- a complete interview, redelivery -----------------------------------------------------------

def test_complete_interview_over_sms_and_provider_copies_deleted(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_twilio: FakeTwilio
) -> None:
    reporter = "+14155550111"
    sids = []
    last: list[str] = []
    for text in INTERVIEW:
        params = sms_params(text, sender=reporter)
        sids.append(params["MessageSid"])
        response = post_sms(client, params)
        last = twiml_messages(response)
        assert last and all(last), text
        # Each reply's status callback names the inbound message it answers (its stored replies).
        assert b'action="https://bot.example.org/webhooks/twilio/status?r=' in response.data
    assert "reference code" in " ".join(last)
    assert table_count(rt, "providerdeletion") == len(INTERVIEW)  # one per inbound, same transaction
    # The status callbacks of the inline replies queue their SIDs when final.
    reply_sid = "SM" + "ab" * 16
    status = {"MessageSid": reply_sid, "MessageStatus": "delivered", "To": reporter, "From": LINE,
              "AccountSid": "AC" + "1" * 32}
    r = post_sms(client, status, path=STATUS_PATH)
    assert r.status_code == 204
    r = post_sms(client, dict(status, MessageStatus="sending"), path=STATUS_PATH)
    assert r.status_code == 204
    assert table_count(rt, "providerdeletion") == len(INTERVIEW) + 1
    # Unsigned status callbacks are refused.
    assert post_sms(client, status, path=STATUS_PATH, signature="bogus").status_code == 403
    later = new_sender(rt, clock=lambda: time.time() + 60)
    try:
        later.run_once()
    finally:
        later.close()
    assert sorted(fake_twilio.deleted) == sorted(sids + [reply_sid])
    assert table_count(rt, "providerdeletion") == 0
    assert fake_twilio.created == []  # replies rode back inline


def test_redelivery_five_times_gets_the_same_replies(client: FlaskClient, rt: Runtime) -> None:
    post_sms(client, sms_params("hi", sender="+14155550112"))
    params = sms_params("2", sender="+14155550112")
    bodies = [post_sms(client, params).data for _ in range(5)]
    assert len(set(bodies)) == 1 and twiml_messages(post_sms(client, params))
    assert table_count(rt, "inbound") == 2
    assert table_count(rt, "providerdeletion") == 2


def test_parallel_redelivery_against_a_real_server(live: str, rt: Runtime) -> None:
    reporter = "+14155550113"
    with httpx.Client() as http:
        first = sms_params("hi", sender=reporter)
        http.post(live + SMS_PATH, content=urlencode(first), headers={
            "X-Twilio-Signature": sign(first), "Content-Type": "application/x-www-form-urlencoded"})
    params = sms_params("2", sender=reporter)
    body = urlencode(params)
    headers = {"X-Twilio-Signature": sign(params), "Content-Type": "application/x-www-form-urlencoded"}

    def deliver(_: int) -> tuple[int, bytes]:
        with httpx.Client(timeout=30) as http:
            r = http.post(live + SMS_PATH, content=body, headers=headers)
            return r.status_code, r.content

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(deliver, range(5)))
    assert {status for status, _ in results} == {200}
    assert len({content for _, content in results}) == 1
    assert b"<Message" in results[0][1]
    assert table_count(rt, "inbound") == 2


# -- carrier words, media, WhatsApp ------------------------------------------------------------

def _queue_followup(rt: Runtime, channel: str, address: str, text: str) -> str:
    """Queue a pushed message (as a staff follow-up would) for the conversation of ``address``."""
    now = time.time()
    lookup = lookups.address(rt.epochs, channel, address)
    with rt.db.begin() as conn:
        conv, _ = conversations.open_conversation(conn, boxes=StateBoxes(rt.epochs), lookup=lookup,
                                                  channel=channel, now=now, idle_seconds=3600, retain_seconds=86400)
        dest, period = periods.seal_address(rt.epochs, address=address, channel=channel)
        outbox.enqueue(conn, box=rt.secrets.box(Purpose.OUTBOX), conversation_id=conv.id, channel=channel,
                       destination=dest, address_period=period, messages=[{"text": text, "buttons": []}], now=now)
    return conv.id


def test_opt_out_then_nothing_is_sent(
    client: FlaskClient, rt: Runtime, sender: OutboxSender, fake_twilio: FakeTwilio
) -> None:
    reporter = "+14155550114"
    assert twiml_messages(post_sms(client, sms_params("hi", sender=reporter)))
    assert twiml_messages(post_sms(client, sms_params("STOP", sender=reporter))) == []
    assert twiml_messages(post_sms(client, sms_params("2", sender=reporter))) == []
    assert table_count(rt, "optout") == 1
    _queue_followup(rt, "sms", reporter, "a pushed follow-up")
    sender.run_once()
    assert fake_twilio.created == []
    assert outbox_items(rt) == []
    # START lifts it (the carrier answers START itself; the line stays quiet on it).
    assert twiml_messages(post_sms(client, sms_params("START", sender=reporter))) == []
    assert table_count(rt, "optout") == 0


def test_carrier_refusal_21610_records_the_opt_out(rt: Runtime, sender: OutboxSender, fake_twilio: FakeTwilio) -> None:
    reporter = "+14155550115"
    fake_twilio.opted_out.add(reporter)
    _queue_followup(rt, "sms", reporter, "first")
    _queue_followup(rt, "sms", reporter, "second")
    sender.run_once()
    assert fake_twilio.created == []
    assert table_count(rt, "optout") == 1 and table_count(rt, "outbox") == 0


def test_sms_followup_is_sent_through_twilio_and_its_copy_deleted(rt: Runtime, fake_twilio: FakeTwilio) -> None:
    reporter = "+14155550116"
    _queue_followup(rt, "sms", reporter, "one")
    _queue_followup(rt, "sms", reporter, "two")
    fake_twilio.rate_limited(count=1)
    fake_twilio.server_error(count=1)
    fake_twilio.busy_after_create = 2  # DELETE finds the message non-final twice
    clock = [time.time()]
    s = new_sender(rt, clock=lambda: clock[0])
    try:
        for _ in range(30):
            s.run_once()
            clock[0] += 120
            if len(fake_twilio.deleted) == 2:
                break
    finally:
        s.close()
    assert fake_twilio.bodies_to(reporter) == ["one", "two"]
    assert {c.from_ for c in fake_twilio.created} == {LINE}
    assert sorted(fake_twilio.deleted) == sorted(c.sid for c in fake_twilio.created)
    assert all(fake_twilio.delete_attempts[c.sid] == 3 for c in fake_twilio.created)


def test_mms_media_is_not_fetched_and_the_reporter_is_told(client: FlaskClient, rt: Runtime) -> None:
    params = sms_params("look", NumMedia="1", MediaUrl0="http://127.0.0.1:9/never-fetched.jpg",
                        MediaContentType0="image/jpeg")
    messages = twiml_messages(post_sms(client, params))
    assert any("Pictures and files are not kept" in m for m in messages)


def test_whatsapp_replies_inline_and_followups_wait_for_the_window(
    client: FlaskClient, rt: Runtime, fake_twilio: FakeTwilio
) -> None:
    reporter = "whatsapp:+447700900123"
    params = sms_params("hi", sender=reporter, To="whatsapp:" + LINE)
    assert twiml_messages(post_sms(client, params))
    assert table_count(rt, "channel_window") == 1
    _queue_followup(rt, "whatsapp", reporter, "a follow-up")
    late = [time.time() + 25 * 3600]
    s = new_sender(rt, clock=lambda: late[0])
    try:
        s.run_once()
        assert fake_twilio.created == []  # more than 24 h after the reporter wrote: held
        items = outbox_items(rt)
        assert [i.status for i in items] == ["pending"] and items[0].attempts == 0
        # The reporter writes again: the window opens and the held reply goes.
        assert twiml_messages(post_sms(client, sms_params("2", sender=reporter, To="whatsapp:" + LINE)))
        late[0] = time.time()
        s.run_once()
    finally:
        s.close()
    assert fake_twilio.bodies_to(reporter) == ["a follow-up"]
    assert fake_twilio.created[0].from_ == "whatsapp:" + LINE


# -- fuzz ---------------------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=400)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_text, sender=st.sampled_from(["+14155550199", "whatsapp:+14155550198", "+447700900999"]),
       extra=st.dictionaries(st.sampled_from(["NumMedia", "FromCountry", "MediaUrl0", "OptOutType", "Foo"]),
                             _text, max_size=3))
def test_signed_fuzz_never_gets_a_5xx(client: FlaskClient, body: str, sender: str, extra: dict[str, str]) -> None:
    params = sms_params(body, sender=sender, **extra)
    response = post_sms(client, params)
    assert response.status_code < 500
    if response.status_code == 200:
        twiml_messages(response)


def test_database_failure_keeps_the_message_in_the_spool_and_answers(client: FlaskClient, rt: Runtime) -> None:
    from sqlalchemy import text

    twiml_messages(post_sms(client, sms_params("hi", sender="+14155550777")))
    with rt.db.begin() as conn:
        conn.execute(text("DROP TABLE inbound"))
    r = post_sms(client, sms_params("2", sender="+14155550777"))
    # Twilio gives up after ~15 s: the message waits in the local spool, sealed (a full spool: 503)
    assert r.status_code == 200 and "received" in " ".join(twiml_messages(r))
    assert len(list((rt.settings.data_dir / "spool").rglob("*.msg"))) == 1
