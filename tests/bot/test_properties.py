"""Property: whatever arrives, the engine answers, keeps a resumable state and fits the budget."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import Engine
from bot.segments import segments
from bot.types import ConversationState, InboundMessage, Region
from tests.bot.helpers import make_context

WORDS = ["1", "2", "3", "4", "10", "0", "1 3", "135", "1, 3 and 5", "none", "yes", "no", "y", "not sure",
         "SKIP", "BACK", "MENU", "?", "DONE", "LANG", "EXIT", "STOP", "START", "YES", "HELP", "INFO",
         "sos", "911", "in danger", "hi", "/start", "/skip", "someone is locked in the back room",
         # the words understood since issue 8
         "yeah", "nope nobody in danger", "not urgent", "idk", "me", "my cousin", "resturant", "a farm",
         "2 the boss has them", "1-3;5", "yes no", "maybe not", "what is this", "is this the police",
         "help they are locking a girl in the room", "please help", "999", "helo i want to tell about somthing",
         "x" * 5200,
         # digits of other scripts (issue 10) and short words after the close
         "٢", "١، ٣ و ٥", "۳", "३", "０", "๑ ๓", "٩١١", "the van was white", "7KQ2-M9XD-4TRW5"]
BUTTONS = ["A2:yes", "A4:other", "C:t:leave", "C:t:none", "C:done", "B2:t:work", "B2:done", "MORE:no",
           "lang:en", "x:y:z", ""]

message = st.tuples(
    st.one_of(st.text(max_size=80), st.sampled_from(WORDS), st.text(alphabet="0123456789 ,", max_size=8)),
    st.one_of(st.none(), st.sampled_from(BUTTONS)),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(["location", "venue", "contact"])),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(channel=st.sampled_from(["sms", "whatsapp", "telegram", "terminal"]),
       messages=st.lists(message, min_size=1, max_size=25),
       expire_at=st.integers(min_value=0, max_value=30))
def test_engine_never_fails_and_state_round_trips(
    bot_engine: Engine, us: Region, channel: str, messages: list[tuple[str, str | None, bool, str | None]],
    expire_at: int,
) -> None:
    ctx = make_context(us)
    error_text = bot_engine.render.text("en", "reply.error", emergency=us.emergency)
    state: ConversationState | None = None
    for index, (text, button, media, shared) in enumerate(messages):
        msg = InboundMessage(channel=channel, address="a", text=text, button=button, has_media=media and index % 3 == 0,
                             shared=shared if index % 4 == 0 else None)
        before = json.dumps(state.to_dict(), sort_keys=True) if state else None
        out = bot_engine.handle(state, msg, ctx)
        if state is not None:
            assert json.dumps(state.to_dict(), sort_keys=True) == before  # the input is never changed
        assert all(r.text != error_text for r in out.replies), "an internal error was swallowed"
        if out.send:
            assert out.replies, (text, button)
        else:
            assert out.replies == []
        for reply in out.replies:
            assert reply.text and segments(reply.text) <= 3
            assert "7KQ2" not in reply.text or any(e.code for e in out.events)
        assert out.state.step is None or out.state.step in bot_engine.flow.steps
        stored = json.loads(json.dumps(out.state.to_dict()))
        state = ConversationState.from_dict(stored)
        assert state == out.state
        if index == expire_at:
            expired = bot_engine.expire(state, ctx)
            assert expired.replies == []
            state = ConversationState.from_dict(json.loads(json.dumps(expired.state.to_dict())))
