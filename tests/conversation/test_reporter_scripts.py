"""Reporter scripts (tests/conversation/scripts.toml) run over the intake service, as `tipline chat` does.

The runner is pluggable: ``run_script`` takes a ``send(text) -> replies`` callable and a
``read_tip() -> TipView | None`` callable, so the same table can run over the webhooks.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any, Callable

import pytest

from storage import keys, sealing, tips
from tests.factories import ADMIN, ADMIN_PASSPHRASE, Reporter
from tipline.runtime import Runtime
from triage.console.tipview import merged_answers

SCRIPTS = tomllib.loads((Path(__file__).with_name("scripts.toml")).read_text(encoding="utf-8"))["script"]
_addresses = count(1)


@dataclass
class TipView:
    """What staff would see of the one tip a script made."""

    priority: str
    categories: tuple[str, ...]
    queues: tuple[str, ...]
    alerts: int
    answers: dict[str, Any] = field(default_factory=dict)
    addenda: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return json.dumps(self.answers, ensure_ascii=False) + " " + " ".join(self.addenda)


Send = Callable[[str], list[str]]


def expand(text: str) -> str:
    if text.startswith("LONG:"):
        size = int(text[5:])
        # Real English (a repeated word alone reads as Polish to any detector), marked "wordy".
        sentence = "wordy: the men at the farm keep the workers passports and lock the gate at night. "
        return (sentence * (size // len(sentence) + 1))[:size]
    return text


def run_script(script: dict[str, Any], send: Send, read_tip: Callable[[], list[TipView]]) -> None:
    replies = [send(expand(text)) for text in script["say"]]
    for index, wanted in script.get("expect", {}).items():
        said = "\n".join(replies[int(index)]).casefold()
        for part in wanted:
            assert part.casefold() in said, (script["name"], index, part, said)
    for index, unwanted in script.get("reply_lacks", {}).items():
        said = "\n".join(replies[int(index)]).casefold()
        for part in unwanted:
            assert part.casefold() not in said, (script["name"], index, part, said)
    want = script.get("tip", {})
    for index in want.get("silent", []):
        assert replies[index] == [], (script["name"], index)
    found = read_tip()
    if want.get("tip") is False:
        assert found == [], (script["name"], "expected no tip")
        return
    if not want:
        return
    assert len(found) == 1, (script["name"], len(found))
    check_tip(script["name"], want, found[0])


def check_tip(name: str, want: dict[str, Any], tip: TipView) -> None:
    if "priority" in want:
        assert tip.priority == want["priority"], (name, tip.priority)
    if "not_priority" in want:
        assert tip.priority != want["not_priority"], (name, tip.priority)
    if "alerts" in want:
        assert tip.alerts == want["alerts"], (name, tip.alerts)
    if "categories_has" in want:
        assert want["categories_has"] in tip.categories, (name, tip.categories)
    if "categories_lacks" in want:
        assert want["categories_lacks"] not in tip.categories, (name, tip.categories)
    if "not_queues" in want:
        assert not any(want["not_queues"] in q for q in tip.queues), (name, tip.queues)
    for words in want.get("words", []) + want.get("addendum", []):
        assert words in tip.text, (name, words)
    for key, value in want.get("answer", {}).items():
        assert tip.answers.get(key) == value, (name, key, tip.answers.get(key))
    if "no_answer" in want:
        assert want["no_answer"] not in tip.answers, name


def read_tips(rt: Runtime) -> list[TipView]:
    views = []
    with rt.db.begin() as conn:
        member = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                             kdf=rt.settings.staff_kdf)
        alerts = tips.open_alerts(conn)
        for meta in tips.list_tips(conn):
            opened = [json.loads(sealing.open_tip(conn, tip_id=meta.id, keys=member, version=version).payload)
                      for version in sealing.tip_versions(conn, meta.id)]
            answers = merged_answers(opened)  # as staff read it: every version's answers
            addenda = [str(text) for payload in opened for text in payload.get("texts", [])]
            views.append(TipView(meta.priority, tuple(meta.categories), tuple(meta.queues),
                                 sum(1 for a in alerts if a[1] == meta.id), answers, addenda))
    return views


@pytest.mark.parametrize("script", SCRIPTS, ids=[s["name"] for s in SCRIPTS])
def test_reporter_script_over_the_intake_service(rt: Runtime, script: dict[str, Any]) -> None:
    reporter = Reporter(rt.intake, f"+1555{next(_addresses):07d}", channel=script.get("channel", "sms"))

    def send(text: str) -> list[str]:
        return [r.text for r in reporter.send(text).replies]

    run_script(script, send, lambda: read_tips(rt))


def test_there_are_at_least_60_scripts() -> None:
    assert len(SCRIPTS) >= 60
