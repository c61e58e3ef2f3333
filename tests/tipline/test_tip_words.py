"""What staff read of a tip (a triage trial): question text, the reporter's words as written,
placeholders filled, options instead of step ids, no internal keys; on the CLI and the API."""

from __future__ import annotations

import time

from storage.tips import list_tips
from tests.factories import ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock
from tests.tipline.test_cli_tips import cli_env, tipline
from tipline.runtime import Runtime

__all__ = ["cli_env"]

# A self-report: not in danger at first, "You", safe to text, words typed at the help menu,
# then emergency help (the tip's alert), and danger said again in words.
SELF_REPORT = ["hi", "2", "2", "1", "they locked the door, I am inside", "1",
               "he is hurting me, call 911", "2", "2", "2", "2"]
INTERNAL = ("A4:words", "V1:words", "V2:words", "urgent_repeats", "emergency \"yes\"", "{hotline_note}",
            "V4.", "V6 no", "[\"", "recency not given", "x1")


def self_report(rt: Runtime) -> str:
    reporter = Reporter(service_with_clock(rt, FakeClock(start=time.time() - 3600)), "+15550177")
    for line in SELF_REPORT:
        reporter.send(line)
    with rt.db.connect() as conn:
        (tip,) = list_tips(conn)
    return tip.id


def test_tips_show_reads_as_questions_and_the_reporters_words(rt: Runtime, cli_env: dict[str, str]) -> None:
    shown = tipline(cli_env, "tips", "show", self_report(rt), stdin=ADMIN_PASSPHRASE + "\n")
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "What would help most? Reply all numbers that fit. (in their own words)\n" \
           "    | they locked the door, I am inside" in text
    assert "You can also contact 1-888-373-7888" in text  # the region's hotline note, filled
    assert "\u201cSomeone keeps my passport or ID\u201d" in text  # V4.docs as the reporter saw it
    assert "Danger said again after the alert\n    1 time" in text
    for key in INTERNAL:
        assert key not in text, key
