"""``tipline doctor``'s checks against the providers and the line's own public URL.

Twilio (through twilio's client): the webhook the number or its Messaging Service holds, whether
the number is in a Messaging Service (Advanced Opt-Out needs one; its keyword lists are not in
Twilio's API, so a person checks them), and a signed round trip to the public URL.  Telegram
(through python-telegram-bot's Bot): getWebhookInfo, and a round trip with the secret token.
Nothing here changes a provider's configuration.
"""

from __future__ import annotations

import asyncio
import secrets as pysecrets
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from tipline.doctor_checks import OK, PROBLEM, SKIPPED, Check
from tipline.logs import install_library_guards, redact
from tipline.settings import Settings
from webhooks import probe

SMS_PATH, STATUS_PATH, TELEGRAM_PATH = "/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/telegram"
ALLOWED = ("message", "edited_message", "callback_query")  # what the line reads (tipline telegram set-webhook)
RECENT_ERROR = timedelta(hours=1)
TIMEOUT = 10.0


def _bare(url: str | None) -> str:
    """A webhook URL without Twilio's connection-override fragment (#ct=...&rt=...)."""
    return (url or "").split("#", 1)[0]


def _client(s: Settings) -> Any:
    # Imported here: every ``tipline`` command loads this module, and the provider SDKs' clients
    # (requests, twilio.rest) would add to ``tipline serve``'s start-up (issue 11), which needs none.
    from webhooks.clients import twilio_client

    client = twilio_client(account_sid=s.twilio_account_sid, auth_token=s.twilio_auth_token,
                           api_base=s.twilio_api_base)
    if s.twilio_api_base:  # the fake serves both API hosts; Twilio's are api. and messaging.twilio.com
        client.messaging.base_url = s.twilio_api_base.rstrip("/")
    return client


def _service_of(client: Any, number_sid: str) -> Any | None:
    for service in client.messaging.v1.services.list():
        if any(n.sid == number_sid for n in client.messaging.v1.services(service.sid).phone_numbers.list()):
            return service
    return None


def twilio(s: Settings) -> list[Check]:
    """The inbound webhook and status callback Twilio holds, and Advanced Opt-Out's prerequisite."""
    if not s.sms_enabled:
        return [Check("twilio webhook", SKIPPED, "SMS is off (TIPLINE_TWILIO_ACCOUNT_SID, _AUTH_TOKEN unset)")]
    if not s.twilio_from or s.twilio_from.startswith("whatsapp:"):
        return [Check("twilio webhook", SKIPPED, "TIPLINE_TWILIO_FROM is not a phone number: check the WhatsApp "
                                                 "sender's webhook in the Twilio Console")]
    from twilio.base.exceptions import TwilioException

    install_library_guards()
    try:
        client = _client(s)
        numbers = client.api.v2010.accounts(s.twilio_account_sid).incoming_phone_numbers.list(
            phone_number=s.twilio_from)
        if not numbers:
            return [Check("twilio webhook", PROBLEM, "TIPLINE_TWILIO_FROM is not a number of this Twilio account")]
        service = _service_of(client, numbers[0].sid)
    except (TwilioException, OSError) as exc:
        return [Check("twilio webhook", PROBLEM, f"Twilio's API refused or did not answer ({type(exc).__name__}): "
                                                 "check TIPLINE_TWILIO_ACCOUNT_SID and TIPLINE_TWILIO_AUTH_TOKEN")]
    return [_webhook(s, numbers[0], service), _status_callback(s, numbers[0], service), _opt_out(service)]


def _webhook(s: Settings, number: Any, service: Any | None) -> Check:
    expected = s.public_base_url + SMS_PATH
    if service is not None and not service.use_inbound_webhook_on_number:
        where, url, method = f"Messaging Service {service.friendly_name!r}", service.inbound_request_url, \
            service.inbound_method
    else:
        where, url, method = "the number", number.sms_url, number.sms_method
    if _bare(url) != expected:
        return Check("twilio webhook", PROBLEM, f"{where} posts to {_bare(url) or '(nothing)'}, not {expected}: "
                                                "set it (README, \"Connecting Twilio\")")
    if (method or "POST").upper() != "POST":
        return Check("twilio webhook", PROBLEM, f"{where} calls {expected} with {method}: set HTTP POST")
    return Check("twilio webhook", OK, f"{where} posts to {expected}")


def _status_callback(s: Settings, number: Any, service: Any | None) -> Check:
    """The line sets its own callback on every reply; one set on the number or service must be ours or none."""
    expected = s.public_base_url + STATUS_PATH
    held = [_bare(x) for x in (number.status_callback, service.status_callback if service else None) if x]
    other = [u for u in held if u != expected]
    if other:
        return Check("twilio status callback", PROBLEM, f"set to {other[0]}: clear it or set {expected} (the line "
                                                        "names its own callback on each reply)")
    return Check("twilio status callback", OK, expected if held else "none held; each reply names the line's own")


_KEYWORDS = "twilio opt-in/opt-out/HELP"
_DOWN = "{url} did not answer ({error}): are the proxy and 'tipline serve' up?"


def _opt_out(service: Any | None) -> Check:
    if service is None:
        return Check(_KEYWORDS, PROBLEM, "the number is in no Messaging Service: Twilio's default keywords make YES "
                     "an opt-in word; put it in one and use Advanced Opt-Out (README, \"YES and HELP\")")
    return Check(_KEYWORDS, SKIPPED, f"the number is in Messaging Service {service.friendly_name!r}; Twilio's API "
                 "does not show its keywords: in the Console check YES is not an opt-in keyword and the HELP reply "
                 "gives the emergency number")


def _post(url: str, **kw: Any) -> httpx.Response:
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as http:
        return http.post(url, **kw)


def twilio_round_trip(s: Settings) -> Check:
    """A request signed for TIPLINE_PUBLIC_BASE_URL, posted there: the app must answer the probe, and refuse
    the same request with a wrong signature."""
    name = "twilio signed round trip"
    if not (s.sms_enabled and s.public_base_url):
        return Check(name, SKIPPED, "SMS is off, or TIPLINE_PUBLIC_BASE_URL is unset")
    url, nonce = s.public_base_url + SMS_PATH, pysecrets.token_urlsafe(24)
    form = {probe.FIELD: nonce}
    signature = RequestValidator(s.twilio_auth_token).compute_signature(url, form)
    try:
        good = _post(url, data=form, headers={"X-Twilio-Signature": signature})
        other = RequestValidator(s.twilio_auth_token + "-not").compute_signature(url, form)
        forged = _post(url, data=form, headers={"X-Twilio-Signature": other})
    except httpx.HTTPError as exc:
        return Check(name, PROBLEM, _DOWN.format(url=url, error=type(exc).__name__))
    return _judge(name, url, good, forged, nonce, "TIPLINE_PUBLIC_BASE_URL (as Twilio calls it) and "
                  "TIPLINE_TWILIO_AUTH_TOKEN must be the same for 'tipline serve' and here")


def _judge(name: str, url: str, good: httpx.Response, forged: httpx.Response, nonce: str, fix: str) -> Check:
    if good.status_code == 403:
        return Check(name, PROBLEM, f"{url} refused the signed probe (403): {fix}")
    if good.status_code != 200 or good.headers.get(probe.HEADER) != nonce:
        return Check(name, PROBLEM, f"{url} answered {good.status_code} without the probe's echo: the URL does not "
                     "reach 'tipline serve' (proxy route, path prefix) or the app is older than this command")
    if forged.status_code != 403:
        return Check(name, PROBLEM, f"{url} accepted a forged request ({forged.status_code}): the check is off")
    return Check(name, OK, f"{url} answered the probe and refused a forged one")


async def _webhook_info(s: Settings) -> Any:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    bot = Bot(s.telegram_bot_token, base_url=s.telegram_api_base, request=HTTPXRequest(read_timeout=TIMEOUT),
              get_updates_request=HTTPXRequest(connection_pool_size=1))
    async with bot:
        return await bot.get_webhook_info()


def telegram(s: Settings, now: datetime | None = None) -> Check:
    """getWebhookInfo: our URL, the update types the line reads, the backlog and the last delivery error."""
    name = "telegram webhook"
    if not s.telegram_enabled:
        return Check(name, SKIPPED, "Telegram is off (TIPLINE_TELEGRAM_BOT_TOKEN, _WEBHOOK_SECRET unset)")
    from telegram.error import TelegramError

    install_library_guards()
    try:
        info = asyncio.run(_webhook_info(s))
    except TelegramError as exc:
        return Check(name, PROBLEM, f"the Bot API refused ({type(exc).__name__}: {redact(str(exc))}): "
                                    "check TIPLINE_TELEGRAM_BOT_TOKEN")
    expected = s.public_base_url + TELEGRAM_PATH
    if info.url != expected:
        return Check(name, PROBLEM, f"Telegram posts to {info.url or '(nothing)'}, not {expected}: "
                                    "run 'tipline telegram set-webhook'")
    missing = [u for u in ALLOWED if info.allowed_updates and u not in info.allowed_updates]
    if missing or not info.allowed_updates:
        return Check(name, PROBLEM, f"allowed updates lack {', '.join(missing or ALLOWED)}: run 'tipline telegram "
                                    "set-webhook' (it sends the secret token and the list)")
    when = info.last_error_date
    seen = f"{info.pending_update_count} pending update(s)"
    if when is not None and (now or datetime.now(timezone.utc)) - when < RECENT_ERROR:
        return Check(name, PROBLEM, f"{seen}; last error {when:%H:%M} UTC: {redact(info.last_error_message or '')} "
                                    "(a 403 means the secret token differs: run 'tipline telegram set-webhook')")
    return Check(name, OK, f"{expected}, {seen}, allowed updates {', '.join(info.allowed_updates)}")


def telegram_round_trip(s: Settings) -> Check:
    """An update with the secret token, posted to the public URL: the app must answer the probe, and refuse it
    with a wrong token.  (getWebhookInfo never shows the token Telegram holds: a 403 in its last error does.)"""
    name = "telegram secret round trip"
    if not (s.telegram_enabled and s.public_base_url):
        return Check(name, SKIPPED, "Telegram is off, or TIPLINE_PUBLIC_BASE_URL is unset")
    url, nonce = s.public_base_url + TELEGRAM_PATH, pysecrets.token_urlsafe(24)
    try:
        good = _post(url, json={}, headers={"X-Telegram-Bot-Api-Secret-Token": s.telegram_webhook_secret,
                                            probe.HEADER: nonce})
        forged = _post(url, json={}, headers={"X-Telegram-Bot-Api-Secret-Token": "x" + s.telegram_webhook_secret,
                                              probe.HEADER: nonce})
    except httpx.HTTPError as exc:
        return Check(name, PROBLEM, _DOWN.format(url=url, error=type(exc).__name__))
    return _judge(name, url, good, forged, nonce, "TIPLINE_TELEGRAM_WEBHOOK_SECRET must be the same for "
                  "'tipline serve' and here")


def providers(s: Settings) -> list[Check]:
    return [*twilio(s), twilio_round_trip(s), telegram(s), telegram_round_trip(s)]
