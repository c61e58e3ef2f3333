"""Log lines carry events and opaque ids: tokens, numbers and codes are cut, also from
exceptions and from the httpx, python-telegram-bot and twilio loggers."""

from __future__ import annotations

import io
import logging
from typing import Iterator

import pytest

from tipline.logs import configure_logging, redact

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
PHONE = "+15557770199"
CODE = "7KQ2-M9XD-4TRW5"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    configure_logging("DEBUG", stream=out)
    yield out
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_library_request_logs_with_the_bot_token_are_held_back(stream: io.StringIO) -> None:
    logging.getLogger("httpx").info('HTTP Request: POST https://api.telegram.org/bot%s/sendMessage "200 OK"', TOKEN)
    logging.getLogger("telegram.ext").debug("update body %s", {"chat": {"id": 918273645501}, "text": "hello"})
    logging.getLogger("httpx").warning("retrying https://api.telegram.org/bot%s/getMe", TOKEN)
    logged = stream.getvalue()
    assert "HTTP Request" not in logged and "update body" not in logged
    assert "retrying" in logged and TOKEN not in logged and "AAHdq" not in logged


def test_exceptions_are_redacted_in_message_and_traceback(stream: io.StringIO) -> None:
    log = logging.getLogger("tipline.test")
    try:
        raise ValueError(f"could not send to {PHONE} with code {CODE}")
    except ValueError:
        log.exception("send failed for whatsapp:%s", PHONE)
    logged = stream.getvalue()
    assert "send failed" in logged and "ValueError" in logged
    assert PHONE not in logged and PHONE[2:] not in logged and CODE not in logged


def test_redact_keeps_opaque_ids() -> None:
    opaque = "conversation 3f2a9c1e8b7d4e6fa0b1c2d3e4f5a6b7 sealed tip version 3"
    assert redact(opaque) == opaque
    assert "918273645501" not in redact("chat 918273645501 blocked")


def test_redact_leaves_digit_runs_inside_hex_ids_and_ip_addresses_alone() -> None:
    # A tip id the operator searches for, whole (the trial saw "93b12ec[redacted]d9acfb...").
    tip = "93b12ec4567890d9acfb40139c8408b2"
    assert redact(f'{{"tip": "{tip}"}}') == f'{{"tip": "{tip}"}}'
    assert redact("short id 4f5567890a") == "short id 4f5567890a"
    # The host in the signature-failure hint stays readable.
    hint = "the URL Twilio signed is not http://127.0.0.1:18003/webhooks/twilio/sms"
    assert redact(hint) == hint
    # Numbers still go however they stand: spaced, after an underscore, a colon or a URL escape.
    for spelled in ("+1 (555) 777-0505", "chat_987650004", "telegram:987650088", "From=%2B15557770505&x",
                    "whatsapp:+15557770505", "555.123.4567"):
        assert not any(run in redact(spelled) for run in ("7770505", "987650004", "987650088", "1234567")), spelled


@pytest.mark.parametrize("spelling", [
    "7KQ2-M9XD-4TRW5", "7kq2-m9xd-4trw5", "7KQ2 M9XD 4TRW5", "7KQ2.M9XD.4TRW5", "7KQ2M9XD4TRW5",
    "7kq2m9xd4trw5", "7KQ2 - M9XD - 4TRW5", "7KQ2_M9XD_4TRW5",
])
def test_every_spelling_of_a_reference_code_is_redacted(stream: io.StringIO, spelling: str) -> None:
    logging.getLogger("tipline.test").warning("follow-up failed for %s here", spelling)
    logged = stream.getvalue()
    assert "follow-up failed for" in logged and "here" in logged
    assert "4TRW5" not in logged.upper() and "M9XD" not in logged.upper()


def test_configured_secrets_are_redacted_by_value() -> None:
    # Given an auth token and a webhook secret with no recognisable shape
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    twilio_token, webhook_secret = "f00dfacecafe0123456789abcdefabcd", "s3cr3t_w3bh00k"
    configure_logging("DEBUG", stream=out, secret_values=(twilio_token, webhook_secret))
    try:
        # When a library logs them
        logging.getLogger("tipline.test").warning("auth %s header %s", twilio_token, webhook_secret)
        logging.getLogger("twilio").warning("retry with token=%s", twilio_token)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    # Then neither value reaches the log, and the lines are still there
    logged = out.getvalue()
    assert "auth" in logged and "retry with token=" in logged
    assert twilio_token not in logged and webhook_secret not in logged


def test_json_lines_keep_context_fields_and_redact_them() -> None:
    import json

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    configure_logging("INFO", stream=out, secret_values=(TOKEN,), fmt="json")
    try:
        logging.getLogger("tipline.jobs").info("purged %d rows", 12, extra={"job": "purge", "rows": 12,
                                                                             "note": f"from {PHONE} {TOKEN}"})
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    line = json.loads(out.getvalue().strip())
    assert line["message"] == "purged 12 rows" and line["level"] == "INFO" and line["logger"] == "tipline.jobs"
    assert line["job"] == "purge" and line["rows"] == 12  # context fields stay, numbers as numbers
    assert PHONE not in out.getvalue() and TOKEN not in out.getvalue()


def test_text_lines_keep_context_fields_and_json_keeps_their_structure() -> None:
    import json

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    text, js = io.StringIO(), io.StringIO()
    try:
        for out, fmt in ((text, "text"), (js, "json")):
            configure_logging("INFO", stream=out, fmt=fmt)
            logging.getLogger("tipline.jobs").info("jobs ran", extra={
                "report": {"spool_fed": 2, "expired": 0}, "queues": ["ngo", "police"], "who": f"from {PHONE}"})
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    line = text.getvalue().strip()
    assert line.endswith('jobs ran report={"spool_fed": 2, "expired": 0} queues=["ngo", "police"] '
                         'who="from [redacted]"'), line
    parsed = json.loads(js.getvalue().strip())
    assert parsed["report"] == {"spool_fed": 2, "expired": 0} and parsed["queues"] == ["ngo", "police"]
    assert PHONE not in text.getvalue() + js.getvalue()
