"""Channel test helpers: constants, request builders for both providers, row counters."""

from __future__ import annotations

import json
import time
from typing import Any, Callable
from urllib.parse import urlencode

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from tests.factories import SHARED, initialised_runtime
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tipline.runtime import Runtime
from tipline.settings import Settings
from webhooks.sender import OutboxSender

SAMPLES = SHARED / "data" / "samples"

BASE_URL = "https://bot.example.org"
TG_TOKEN = "123456789:AAH-test-token-for-the-fake-api-only_x"
TG_SECRET = "test_webhook_secret-0123456789"
TW_SID = "AC" + "1" * 32
TW_TOKEN = "test_auth_token_0123456789abcdef"  # the token of the computed sample vectors
LINE = "+12025550100"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
TG_PATH = "/webhooks/telegram"

# A complete interview, answered by numbers (SMS) - the same answers work typed on Telegram.
INTERVIEW = ["hi", "2", "1", "Workers at the farm never leave and a man holds their papers", "1", "2", "1 2",
             "1", "0", "1", "2", "2"]


def build_runtime(settings: Settings, **changes: Any) -> Runtime:
    """An initialised install (as tests.factories), with these settings changed."""
    return initialised_runtime(settings.with_(**changes))


def channel_settings(settings: Settings, tg: FakeTelegram | None, tw: FakeTwilio | None) -> dict[str, Any]:
    return dict(
        public_base_url=BASE_URL,
        twilio_account_sid=TW_SID, twilio_auth_token=TW_TOKEN, twilio_from=LINE,
        twilio_api_base=tw.url if tw else "http://127.0.0.1:9",
        telegram_bot_token=TG_TOKEN, telegram_webhook_secret=TG_SECRET,
        telegram_api_base=tg.base_url if tg else "http://127.0.0.1:9/bot",
    )


def sign(params: Any, path: str = SMS_PATH, query: str = "", token: str = TW_TOKEN, base: str = BASE_URL) -> str:
    url = base + path + (("?" + query) if query else "")
    return str(RequestValidator(token).compute_signature(url, params))


_counter = iter(range(10**9))


def sms_params(text: str, sender: str = "+14155550123", sid: str | None = None, **extra: str) -> dict[str, str]:
    sid = sid or "SM%032x" % (next(_counter) + int(time.time() * 1000) * 1000)
    params = {
        "ToCountry": "US", "ToState": "DC", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
        "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
        "Body": text, "FromCountry": "US", "To": LINE, "ToZip": "", "NumSegments": "1",
        "MessageSid": sid, "AccountSid": TW_SID, "From": sender, "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def post_sms(client: FlaskClient, params: dict[str, str], path: str = SMS_PATH, query: str = "",
             signature: str | None = None, headers: dict[str, str] | None = None) -> Any:
    body = urlencode(params)
    sig = sign(params, path, query) if signature is None else signature
    h = {"X-Twilio-Signature": sig} if sig else {}
    h.update(headers or {})
    return client.post(path + (("?" + query) if query else ""), data=body,
                       content_type="application/x-www-form-urlencoded", headers=h)


def twiml_messages(response: Any) -> list[str]:
    import xml.etree.ElementTree as ET

    assert response.status_code == 200, response.status_code
    assert response.mimetype in ("application/xml", "text/xml")
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


# -- Telegram requests --------------------------------------------------------------------------

_update_ids = iter(range(500000000, 10**10))


def tg_message(text: str | None, chat_id: int = 4242, update_id: int | None = None, message_id: int | None = None,
               lang: str | None = "en", **extra: Any) -> dict[str, Any]:
    uid = update_id if update_id is not None else next(_update_ids)
    user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "R"}
    if lang:
        user["language_code"] = lang
    message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else uid % 100000,
        "from": user, "chat": {"id": chat_id, "type": "private", "first_name": "R"}, "date": int(time.time()),
    }
    if text is not None:
        message["text"] = text
    message.update(extra)
    return {"update_id": uid, "message": message}


def tg_callback(data: str, chat_id: int = 4242, update_id: int | None = None, message_id: int = 1) -> dict[str, Any]:
    uid = update_id if update_id is not None else next(_update_ids)
    return {"update_id": uid, "callback_query": {
        "id": f"cq{uid}", "from": {"id": chat_id, "is_bot": False, "first_name": "R", "language_code": "en"},
        "chat_instance": "-1234567890",
        "message": {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": "q",
                    "from": {"id": 7000000001, "is_bot": True, "first_name": "Tipline"}},
        "data": data,
    }}


def post_tg(client: FlaskClient, update: Any, secret: str | None = TG_SECRET, raw: bytes | None = None) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    body = raw if raw is not None else json.dumps(update).encode()
    return client.post(TG_PATH, data=body, content_type="application/json", headers=headers)


def table_count(rt: Runtime, table: str) -> int:
    from sqlalchemy import text

    with rt.db.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def stored_rows(rt: Runtime) -> dict[str, int]:
    """Rows in every table a webhook may write to."""
    return {t: table_count(rt, t) for t in
            ("inbound", "conversation", "outbox", "providerdeletion", "chatmessage", "optout", "channel_window")}


def outbox_items(rt: Runtime) -> list[Any]:
    from storage import outbox

    with rt.db.connect() as conn:
        items = outbox.list_items(conn)
        conn.rollback()
    return items


def new_sender(rt: Runtime, *, clock: Callable[[], float] = time.time, fast_lane: bool = False) -> OutboxSender:
    """A sender of the runtime's channels with its own clock (close it after use)."""
    sender = rt.build_sender(clock=clock, fast_lane=fast_lane)
    assert sender is not None
    return sender
