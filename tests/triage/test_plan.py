"""The plan of one message, shared by the fast and the locked path: pure values, no database."""

from __future__ import annotations

import copy


from bot.types import ConversationState, InboundMessage, Outcome, Reply, Status
from storage.conversations import ConversationRow, RowStatus
from triage.plan import at_rest, plan, read, row_status
from triage.tiplink import TIP_LINK

NOW = 1_795_000_000.0


def over(status: str) -> ConversationState:
    """An interview that is over and sealed (the engine cleared its 'unsealed' mark)."""
    return ConversationState(locale="en", status=status, answers={"B1": "the farm"}, history=["A2", "B1"],
                             extra={"unsealed": False})


def test_at_rest_keeps_an_interview_in_progress_as_it_is() -> None:
    state = ConversationState(locale="en", status=Status.ACTIVE, step="B1", answers={"A2": "no"},
                              extra={"unsealed": True})
    stored = at_rest(state, tip_id="tip-1", link=lambda tip: f"sealed:{tip}")
    assert stored.state == state.to_dict() and not stored.clears_tip


def test_at_rest_of_a_finished_interview_drops_answers_and_seals_the_link_without_touching_the_state() -> None:
    state = over(Status.FINISHED)
    before = copy.deepcopy(state)
    stored = at_rest(state, tip_id="tip-1", link=lambda tip: f"sealed:{tip}")
    assert stored.clears_tip
    assert stored.state["answers"] == {} and stored.state["history"] == []
    assert stored.state["extra"][TIP_LINK] == "sealed:tip-1"
    assert state == before  # pure: the caller's state (and its extra) are left alone


def test_at_rest_of_an_opted_out_interview_keeps_no_link() -> None:
    state = over(Status.OPTED_OUT)
    state.extra[TIP_LINK] = "an old link"
    stored = at_rest(state, tip_id="tip-1", link=lambda tip: f"sealed:{tip}")
    assert stored.clears_tip and TIP_LINK not in stored.state["extra"]
    assert state.extra[TIP_LINK] == "an old link"


def test_at_rest_of_an_interview_ended_by_exit_keeps_the_link_to_come_back_to() -> None:
    # Issue 8: "write again when it is safe" - coming back from the same phone adds to the same tip.
    stored = at_rest(over(Status.ENDED), tip_id="tip-1", link=lambda tip: f"sealed:{tip}")
    assert stored.clears_tip and stored.state["answers"] == {}
    assert stored.state["extra"][TIP_LINK] == "sealed:tip-1"


def test_plan_keeps_nothing_to_send_when_the_channel_must_stay_silent() -> None:
    outcome = Outcome(replies=[Reply("You are unsubscribed")], state=ConversationState(locale="en",
                      status=Status.OPTED_OUT))
    silent = plan(outcome, send=False, tip_id="tip-1", link=str)
    assert silent.replies == [] and silent.payload == [] and silent.status is RowStatus.OPTED_OUT
    spoken = plan(outcome, send=True, tip_id="tip-1", link=str)
    assert [r.text for r in spoken.replies] == ["You are unsubscribed"]
    assert spoken.payload == [{"text": "You are unsubscribed"}]


def test_plan_of_a_finished_interview_forgets_the_tip_id_on_the_row() -> None:
    done = plan(Outcome(replies=[], state=over(Status.FINISHED)), send=True, tip_id="tip-1", link=str)
    assert done.tip_id is None and done.status is RowStatus.FINISHED


def test_row_status_maps_every_engine_status_and_reads_unknown_ones_as_active() -> None:
    for status in Status:
        assert row_status(ConversationState(locale="en", status=status)).value == status.value
    assert row_status(ConversationState(locale="en", status="from-an-older-release")) is RowStatus.ACTIVE


def row(status: str, *, expires_at: float, state: ConversationState | None) -> ConversationRow:
    return ConversationRow(id="c1", channel="sms", status=status, tip_id=None, expires_at=expires_at, revision=3,
                           state=state.to_dict() if state else None)


def message(text: str) -> InboundMessage:
    return InboundMessage(channel="sms", address="+15550001", text=text)


def test_read_sends_only_a_plain_answer_mid_interview_down_the_fast_path() -> None:
    mid = ConversationState(locale="en", status=Status.ACTIVE, step="B1")
    assert read(row("active", expires_at=NOW + 60, state=mid), message("at the farm"), NOW).fast
    # Expired, a code, a new conversation or a finished one with its link: the locked path.
    assert not read(row("active", expires_at=NOW - 1, state=mid), message("at the farm"), NOW).fast
    assert read(row("active", expires_at=NOW - 1, state=mid), message("x"), NOW).expired
    assert not read(row("active", expires_at=NOW + 60, state=mid), message("7KQ2-M9XD-4TRW5"), NOW).fast
    assert not read(row("new", expires_at=NOW + 60, state=None), message("hi"), NOW).fast
    linked = ConversationState(locale="en", status=Status.FINISHED, extra={TIP_LINK: "blob"})
    assert not read(row("finished", expires_at=NOW - 1, state=linked), message("more"), NOW).fast
    # A finished row never expires (only open conversations have an idle timer).
    assert not read(row("finished", expires_at=NOW - 1, state=linked), message("more"), NOW).expired
