"""The engine's last line of defence answers, and says that it had to (the type name only)."""

from __future__ import annotations

from bot import Engine
from bot.types import Context, ConversationState, InboundMessage, Status


def test_an_unreadable_state_gets_the_error_reply_and_names_the_failure(bot_engine: Engine, ctx: Context) -> None:
    broken = ConversationState(locale="en", status=Status.ACTIVE, step="B1", answers=None)  # type: ignore[arg-type]
    outcome = bot_engine.handle(broken, InboundMessage(channel="sms", address="+15550001", text="at the farm"), ctx)
    assert outcome.failed == "TypeError"
    assert outcome.replies and ctx.region.emergency in outcome.replies[0].text


def test_an_ordinary_answer_reports_no_failure(bot_engine: Engine, ctx: Context) -> None:
    outcome = bot_engine.handle(None, InboundMessage(channel="sms", address="+15550001", text="hi"), ctx)
    assert outcome.failed is None and outcome.replies
