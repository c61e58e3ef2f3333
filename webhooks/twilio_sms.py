"""POST /webhooks/twilio/sms (SMS and WhatsApp) and POST /webhooks/twilio/status.

The hot path is: the X-Twilio-Signature check against the public URL (built from
TIPLINE_PUBLIC_BASE_URL and the raw query string, so it holds behind a reverse
proxy), one call to the intake service (its transaction also queues the inbound
message's deletion from Twilio's log), and TwiML.  Replies ride back inline; each
<Message> carries a status-callback ``action`` so the reply's SID can be deleted
from Twilio's log once it reaches a final state.  The action names the inbound message
the replies answer (``?r=`` the hex of its keyed id, inside the signed URL): the first
final status of a reply proves Twilio has the TwiML, so it will not redeliver that
message, and the replies kept for a redelivery (a closing one carries the reference code)
are dropped at once.  Nothing is logged per message above DEBUG, and never a number, a SID
or a text.
When the database does not answer,
the message is kept in the local spool and acknowledged with one fixed reply
(``webhooks.spooling``; its replies come later through the outbox), or answered 503 if it
cannot be kept.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict
from werkzeug.wsgi import get_content_length

from bot.types import SMS, WHATSAPP, Hints, InboundMessage
from storage import inbound, lookups, opt_outs, provider_copies
from storage.crypto import ServerSecrets
from triage.intake import IntakeService
from webhooks.twilio_channel import OPTED_OUT
from webhooks import plain_route, probe, reply_window
from webhooks.rejections import RejectionLog
from webhooks.responses import database_unavailable, no_content, plain
from webhooks.spooling import Keep
from webhooks.twilio_body import decode_possible_base64

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
MAX_BODY = 64 * 1024
MAX_FIELDS = 200
FORM = "application/x-www-form-urlencoded"
# Statuses after which Twilio no longer changes the message: its log copy can go.
FINAL_STATUSES = frozenset({"sent", "delivered", "undelivered", "failed", "read", "canceled", "received"})
_SID = re.compile(r"^(SM|MM|SS|MG)[0-9a-fA-F]{32}$")
_HANDLE = re.compile(r"^[0-9a-f]{64}$")  # storage.inbound's keyed id, as hex
REPLY_PARAM = "r"
_SLOT = "0" * 64  # stands for the handle in a cached routine TwiML (hex: no escaping needed)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
_XML = "application/xml"


def channel_of(address: str) -> str:
    return WHATSAPP if address.startswith("whatsapp:") else SMS


def is_sid(value: str | None) -> bool:
    return bool(value) and _SID.match(value or "") is not None


def parse_form(body: str) -> list[tuple[str, str]]:
    """``parse_qsl(body, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)``, the same
    pairs at half the cost: every webhook parses about twenty fields, and most need no unquoting."""
    if body and body.count("&") >= MAX_FIELDS:
        raise ValueError("Max number of fields exceeded")
    pairs = []
    for field in body.split("&") if body else ():
        if not field:
            continue
        name, _, value = field.partition("=")
        pairs.append((_unquote(name), _unquote(value)))
    return pairs


def _unquote(part: str) -> str:
    if "+" in part:
        part = part.replace("+", " ")
    return unquote(part, errors="strict") if "%" in part else part


class TwilioEdge:
    """Everything the two endpoints need, built once per app."""

    def __init__(self, *, intake: IntakeService, auth_token: str, public_base_url: str, db: Engine,
                 secrets: ServerSecrets, spool: Keep | None = None, spooled_reply: str = "") -> None:
        self.validator = RequestValidator(auth_token)
        self.token = auth_token.encode("utf-8")
        self.base = public_base_url.rstrip("/")
        self.status_url = self.base + STATUS_PATH
        self.intake = intake
        self.db = db
        self.secrets = secrets
        self.copies_box = provider_copies.box(intake.epochs, secrets)
        self.rejections = RejectionLog(
            "Twilio request signature",
            f"the URL Twilio signed is not {self.base or '(TIPLINE_PUBLIC_BASE_URL unset)'}{SMS_PATH}: set "
            "TIPLINE_PUBLIC_BASE_URL to the https:// address the Messaging Service posts to (as Twilio shows it), "
            "and check TIPLINE_TWILIO_AUTH_TOKEN is the account's current token",
        )
        self.spool = spool  # keeps a message while the database is away (webhooks.spooling)
        self.spooled_reply = spooled_reply

    # -- shared checks -------------------------------------------------------------

    def authenticate(self, path: str, environ: WSGIEnvironment) -> MultiDict[str, str] | Response:
        """The signed form, or the 4xx to answer with; nothing is stored before this passes."""
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE")
        if not signature:
            return plain(403, "forbidden")
        length = get_content_length(environ)
        if length is not None and length > MAX_BODY:
            return plain(413, "too large")
        if plain_route.mimetype(environ) != FORM:
            return plain(415, "form body expected")
        try:
            pairs = parse_form(plain_route.body(environ, MAX_BODY).decode("utf-8"))
        except plain_route.TooLarge:
            return plain(413, "too large")
        except (UnicodeDecodeError, ValueError):
            return plain(400, "malformed body")
        url = self.base + path
        query = environ.get("QUERY_STRING")
        if query:
            url += "?" + query
        if not self._valid(url, pairs, signature):
            self.rejections.rejected()
            return plain(403, "forbidden")
        return MultiDict(pairs)

    def _valid(self, url: str, pairs: list[tuple[str, str]], signature: str) -> bool:
        """One HMAC for the URL as configured; twilio's validator (with and without the
        port) only when that does not match.

        Twilio signs the URL followed by each name and value, names sorted and each
        name's distinct values sorted: exactly the sorted set of (name, value) pairs.
        """
        data = url + "".join(name + value for name, value in sorted(set(pairs)))
        mac = hmac.new(self.token, data.encode("utf-8"), hashlib.sha1).digest()
        if hmac.compare_digest(base64.b64encode(mac), signature.encode("utf-8", "replace")):
            return True
        return bool(self.validator.validate(url, MultiDict(pairs), signature))

    # -- POST /webhooks/twilio/sms ------------------------------------------------------

    def inbound(self, environ: WSGIEnvironment) -> Response:
        params = self.authenticate(SMS_PATH, environ)
        if isinstance(params, Response):
            return params
        if probe.FIELD in params and "MessageSid" not in params:  # tipline doctor's signed round trip
            return probe.answer(params[probe.FIELD])
        sid = params.get("MessageSid")
        sender = params.get("From")
        if not is_sid(sid) or not sender or len(sender) > 64:
            return plain(400, "missing fields")
        assert sid is not None
        channel = channel_of(sender)
        try:
            media = int(params.get("NumMedia") or 0) > 0
        except ValueError:
            media = "MediaUrl0" in params
        country = params.get("FromCountry") or None
        msg = InboundMessage(
            channel=channel, address=sender, text=decode_possible_base64(params.get("Body", "")), provider_id=sid,
            has_media=media, hints=Hints(country=country[:2] if country else None),
        )

        ref = provider_copies.seal(self.copies_box, sid)  # sealed here: the transaction's lock is for writes

        def also(conn: Connection, conversation_id: str, now: float) -> None:
            provider_copies.queue_sealed(conn, channel=channel, ref=ref, now=now)
            reply_window.inbound(conn, channel=channel, conversation_id=conversation_id, now=now)

        if self.spool is not None and self.spool.holds(msg):
            return self._spooled(msg)  # behind the sender's messages kept during an outage, in order
        try:
            handled = self.intake.handle(msg, inline=True, also=also)
        except DBAPIError:
            return self._spooled(msg)
        if not handled.send or not handled.replies:
            return Response(EMPTY_TWIML, mimetype=_XML)
        texts, handle = tuple(r.text for r in handled.replies), handled.reply_handle
        if handled.routine and handle is not None:
            return Response(self._routine_twiml(texts).replace(_SLOT, handle), mimetype=_XML)
        return Response(self.twiml(texts, handle), mimetype=_XML)

    def _spooled(self, msg: InboundMessage) -> Response:
        """The database did not answer: keep the message and acknowledge it, or 503 if it cannot be kept."""
        if self.spool is None or not self.spool(msg):
            return database_unavailable("twilio webhook")
        # Emergency words bring the emergency number at once (INTAKE decision 12), outage or not.
        notice = self.intake.emergency_notice(msg.text or "")
        texts = tuple(t for t in (notice, self.spooled_reply) if t)
        return Response(self.twiml(texts) if texts else EMPTY_TWIML, mimetype=_XML)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one edge per app
    def _routine_twiml(self, texts: tuple[str, ...]) -> str:
        # Routine replies are the flow's questions, the same for every reporter at a step, and
        # building the XML is a visible share of the webhook's time.  Only these are cached
        # (with a slot for the handle): a reply with a reference code never is (not routine).
        return self.twiml(texts, _SLOT)

    def twiml(self, texts: tuple[str, ...], handle: str | None = None) -> str:
        """TwiML for these replies, each with a status callback so its SID can be deleted later
        (and, with ``handle``, the replies kept for a redelivery)."""
        action = self.status_url if handle is None else f"{self.status_url}?{REPLY_PARAM}={handle}"
        twiml = MessagingResponse()
        for text in texts:
            twiml.message(text, action=action, method="POST")
        return str(twiml.to_xml(xml_declaration=True))

    # -- POST /webhooks/twilio/status ---------------------------------------------------

    def status(self) -> Response:
        params = self.authenticate(STATUS_PATH, request.environ)
        if isinstance(params, Response):
            return params
        sid = params.get("MessageSid") or params.get("SmsSid")
        state = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not is_sid(sid):
            return plain(400, "missing fields")
        assert sid is not None
        recipient = params.get("To") or ""
        opted_out = params.get("ErrorCode") == str(OPTED_OUT) and bool(recipient)
        if state not in FINAL_STATUSES and not opted_out:
            return no_content()
        handle = request.args.get(REPLY_PARAM, "")
        try:
            with self.db.begin() as conn:
                now = time.time()
                if state in FINAL_STATUSES:
                    provider_copies.queue(conn, box=self.copies_box, channel=channel_of(recipient), sid=sid, now=now)
                    if _HANDLE.match(handle):  # Twilio has the TwiML: no redelivery will need the replies
                        inbound.forget_response(conn, key=bytes.fromhex(handle))
                if opted_out:  # send the number nothing more, from now on
                    lookup = lookups.address(self.intake.epochs, channel_of(recipient), recipient)
                    opt_outs.stop_running(conn, lookup=lookup, now=now)
        except DBAPIError:
            return database_unavailable("twilio status callback")
        return no_content()


def register(app: Flask, *, intake: IntakeService, auth_token: str, public_base_url: str, db: Engine,
             secrets: ServerSecrets, spool: Keep | None = None, spooled_reply: str = "") -> None:
    """The two Twilio endpoints, checked against ``auth_token`` and the public address Twilio calls.

    The SMS webhook, every reporter's every message, is a plain WSGI route in front of the app
    (``webhooks.plain_route``: Flask's request machinery is a tenth of a message's CPU); the status
    callbacks, one per reply, are a Flask route.
    """
    edge = TwilioEdge(intake=intake, auth_token=auth_token, public_base_url=public_base_url, db=db, secrets=secrets,
                      spool=spool, spooled_reply=spooled_reply)
    bp = Blueprint("twilio", __name__)
    bp.add_url_rule(STATUS_PATH, "status", edge.status, methods=["POST"])
    app.register_blueprint(bp)
    plain_route.mount(app, SMS_PATH, edge.inbound)
