"""Fixtures for the conversation engine: the real flow and English catalog, a fake context."""

from __future__ import annotations

from typing import Callable

import pytest

from bot import Engine, build_engine, load_region
from bot.types import Context, Region
from tests.bot.helpers import LOCALES, Chat, make_context


@pytest.fixture(scope="session")
def us() -> Region:
    return load_region("US")


@pytest.fixture(scope="session")
def bot_engine(us: Region) -> Engine:
    return build_engine(locales_dir=LOCALES, locales=("en",), default_locale="en", region=us)


@pytest.fixture
def ctx(us: Region) -> Context:
    return make_context(us)


@pytest.fixture
def chat(bot_engine: Engine, ctx: Context) -> Callable[..., Chat]:
    def make(channel: str = "sms") -> Chat:
        return Chat(engine=bot_engine, ctx=ctx, channel=channel)

    return make
