"""Test helpers for the engine: a fake context and a chat that keeps state between messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot import Engine, load_region
from bot.regions import GENERIC, region_codes
from bot.types import Context, ConversationState, InboundMessage, Outcome, Region

REPO = Path(__file__).resolve().parents[2]
LOCALES = REPO / "locales"
CODE = "7KQ2-M9XD-4TRW5"
ALL_PARTNERS = ("police", "ngo", "child_protection", "labour")
# The generic region takes the deployment's own number; the longest one allowed, for budgets.
CONFIGURED_EMERGENCY = "101112"


def every_region() -> list[Region]:
    """Every region of bot/regions.toml, the generic one with a configured emergency number."""
    return [load_region(c, emergency=CONFIGURED_EMERGENCY if c == GENERIC else None) for c in region_codes()]


@dataclass
class FakeCodes:
    """Hands out fixed-format codes and counts how many were asked for."""

    issued: list[str] = field(default_factory=list)

    def __call__(self) -> str:
        code = CODE if not self.issued else f"7KQ2-M9XD-4TR{len(self.issued):02d}"
        self.issued.append(code)
        return code


def make_context(region: Region, partners: tuple[str, ...] = ALL_PARTNERS) -> Context:
    return Context(region=region, new_code=FakeCodes(), partners=partners)


@dataclass
class Chat:
    """One reporter talking to the engine, keeping the state between messages."""

    engine: Engine
    ctx: Context
    channel: str = "sms"
    state: ConversationState | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    def say(
        self, text: str = "", *, button: str | None = None, media: bool = False, shared: str | None = None
    ) -> Outcome:
        msg = InboundMessage(channel=self.channel, address="+15550001111", text=text, button=button, has_media=media,
                             shared=shared)
        outcome = self.engine.handle(self.state, msg, self.ctx)
        self.state = outcome.state
        self.outcomes.append(outcome)
        return outcome

    def walk(self, *texts: str) -> Outcome:
        outcome = None
        for text in texts:
            outcome = self.say(text)
        assert outcome is not None
        return outcome

    @property
    def step(self) -> str | None:
        return self.state.step if self.state else None

    @property
    def last_text(self) -> str:
        return "\n".join(r.text for r in self.outcomes[-1].replies)

    @property
    def events(self) -> list[tuple[str, str]]:
        return [(e.kind.value, e.reason) for o in self.outcomes for e in o.events]

    @property
    def reply_count(self) -> int:
        return sum(len(o.replies) for o in self.outcomes)
