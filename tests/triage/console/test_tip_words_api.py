"""The API's tip reads as the console's: question text and the reporter's words, no internal keys."""

from __future__ import annotations

from tests.tipline.test_tip_words import self_report
from tests.triage.console.api_support import api_login, call, fresh
from tests.triage.console.support import Browser
from tipline.runtime import Runtime


def test_the_api_gives_the_same_words(rt: Runtime, admin: Browser) -> None:
    tip_id = self_report(rt)
    status, body = api_login(admin)
    client, token = fresh(admin), body["token"]
    status, tip = call(client, "GET", f"/api/v1/tips/{tip_id}", token)
    assert status == 200
    own = [a for a in tip["answers"] if a["question"].endswith("(in their own words)")]
    assert [a["words"] for a in own] == ["they locked the door, I am inside", "he is hurting me, call 911"]
    assert own[0]["question"].startswith("What would help most?")
    assert not any(a["step"] in ("emergency", "addenda") for a in tip["answers"])
    everything = repr(tip)
    for key in ("{hotline_note}", "V4.docs", "recency not given", "score 0 x1"):
        assert key not in everything, key
