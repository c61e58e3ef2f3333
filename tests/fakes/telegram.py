"""A fake Telegram Bot API: form (or JSON) bodies in, ``{"ok": true, "result": ...}`` out."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

from .base import FakeServer, Routed

BOT_ID = 7000000001


class BadRequestError(Exception):
    """Answered as Telegram answers a refused call: 400 with a description."""


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    protect_content: bool
    at: float = field(default_factory=time.monotonic)
    parse_mode: str | None = None

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        rows: list[list[dict[str, Any]]] = (self.reply_markup or {}).get("inline_keyboard", [])
        return rows


class FakeTelegram(FakeServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[Sent] = []
        self.deleted: list[tuple[int, list[int]]] = []
        self.edits: list[tuple[int, int]] = []
        self.webhook: dict[str, Any] = {"url": "", "pending_update_count": 0}
        self._next_id = 1000

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    def method_name(self, verb: str, path: str) -> str:
        return path.rsplit("/", 1)[-1]

    def route(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Routed:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, None
        method = path[len(prefix):]
        params = _params(headers, body)
        with self.lock:
            self.calls.append((method, params))
            handler = getattr(self, "m_" + method, None)
            if handler is None:
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {method}"}, None
            try:
                return 200, {"ok": True, "result": handler(params)}, None
            except BadRequestError as exc:
                return 400, {"ok": False, "error_code": 400, "description": str(exc)}, None

    # -- methods -----------------------------------------------------------------------

    def m_getMe(self, p: dict[str, Any]) -> Any:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Tipline", "username": "tipline_test_bot",
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def m_sendMessage(self, p: dict[str, Any]) -> Any:
        self._next_id += 1
        chat_id = int(p["chat_id"])
        markup = p.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        protect = p.get("protect_content") in (True, "true", "True")
        if p.get("parse_mode") == "HTML":
            _check_html(str(p["text"]))
        self.sent.append(Sent(chat_id, self._next_id, p["text"], markup, protect, parse_mode=p.get("parse_mode")))
        return {"message_id": self._next_id, "date": int(time.time()), "text": p["text"],
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tipline"}}

    def m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        markup = p.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for sent in self.sent:
            if (sent.chat_id, sent.message_id) == (chat_id, message_id):
                if sent.reply_markup == markup:
                    raise BadRequestError("Bad Request: message is not modified")
                sent.reply_markup = markup
                self.edits.append((chat_id, message_id))
                return {"message_id": message_id, "date": int(time.time()), "text": sent.text,
                        "chat": {"id": chat_id, "type": "private"}}
        raise BadRequestError("Bad Request: message to edit not found")

    def m_deleteMessages(self, p: dict[str, Any]) -> Any:
        ids = p["message_ids"]
        if isinstance(ids, str):
            ids = json.loads(ids)
        self.deleted.append((int(p["chat_id"]), [int(i) for i in ids]))
        return True

    def m_deleteMessage(self, p: dict[str, Any]) -> Any:
        self.deleted.append((int(p["chat_id"]), [int(p["message_id"])]))
        return True

    def m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    def m_setWebhook(self, p: dict[str, Any]) -> Any:
        allowed = p.get("allowed_updates")
        self.webhook = {
            "url": p.get("url", ""), "pending_update_count": 0,
            "allowed_updates": json.loads(allowed) if isinstance(allowed, str) else allowed,
            "max_connections": int(p.get("max_connections", 40)),
            "secret_token": p.get("secret_token"),
            "drop_pending_updates": p.get("drop_pending_updates") in (True, "true"),
        }
        return True

    def m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": "", "pending_update_count": 0}
        return True

    def m_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": self.webhook.get("pending_update_count", 0)}
        for key in ("allowed_updates", "max_connections", "last_error_date", "last_error_message"):
            if self.webhook.get(key) is not None:
                info[key] = self.webhook[key]
        return info

    # -- helpers -----------------------------------------------------------------------

    def texts(self, chat_id: int) -> list[str]:
        with self.lock:
            return [s.text for s in self.sent if s.chat_id == chat_id]

    def messages(self, chat_id: int) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if s.chat_id == chat_id]

    def retry_after(self, method: str, seconds: int, count: int = 1) -> None:
        self.fail(method, status=429, count=count, body={
            "ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {seconds}",
            "parameters": {"retry_after": seconds},
        })

    def server_error(self, method: str, count: int = 1) -> None:
        self.fail(method, status=500, count=count,
                  body={"ok": False, "error_code": 500, "description": "Internal Server Error"})


def _params(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if ctype.startswith("application/json"):
        return dict(json.loads(body or b"{}"))
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


# The tags Telegram's HTML parse mode accepts (Bot API, "HTML style").
_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
                   "pre", "blockquote", "tg-emoji"})


class _Entities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise BadRequestError(f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise BadRequestError(f"Bad Request: can't parse entities: unmatched end tag \"{tag}\"")


def _check_html(text: str) -> None:
    """Refuse what Telegram refuses: unknown or unbalanced tags, a bare "<", ">" or "&"."""
    stripped = _TAG.sub("", text)
    if "<" in stripped or ">" in stripped or _BARE_AMP.search(stripped):
        raise BadRequestError("Bad Request: can't parse entities")
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise BadRequestError("Bad Request: can't parse entities: unclosed tag")


_TAG = re.compile(r"</?(?:" + "|".join(sorted(_TAGS)) + r")(?:\s[^>]*)?>")
_BARE_AMP = re.compile(r"&(?!lt;|gt;|amp;|quot;|#\d+;|#x[0-9a-fA-F]+;)")
