"""``tipline tips list`` filters and ``tips show`` in the member's language, through click's CliRunner."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from storage.tips import list_tips
from tests.factories import ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock
from tests.triage.console.casework_support import member, post
from tests.triage.console.support import DANGER_TIP, LABOUR_TIP, console_app, give_tips
from tipline.cli import main
from tipline.runtime import Runtime
from tipline.settings import Settings

DAY = 86400.0


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "TIPLINE_DATA_DIR": str(tmp_path / "var"),
        "TIPLINE_SECRETS_DIR": str(settings.secrets_dir),
        "TIPLINE_DATABASE_URL": settings.database_url,
        "TIPLINE_STAFF_KDF_TIME": "1", "TIPLINE_STAFF_KDF_MEMORY_KIB": "1024",
        "TIPLINE_CODE_KDF_TIME": "1", "TIPLINE_CODE_KDF_MEMORY_KIB": "1024",
        "TIPLINE_TEST_ONLY_CHEAP_KDF": "1", "TIPLINE_LOCALES": "en,es",
    }


@pytest.fixture(autouse=True)
def _keep_logging_and_umask() -> Iterator[None]:
    # The command sets a umask and replaces the root handlers; other tests must not inherit them.
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    os.umask(umask)


@pytest.fixture
def two_tips(rt: Runtime) -> dict[str, str]:
    """A labour tip from ten days ago and a P1 from an hour ago: "labour" and "P1" -> tip id."""
    give_tips(rt, FakeClock(start=time.time() - 10 * DAY), LABOUR_TIP)
    danger = Reporter(service_with_clock(rt, FakeClock(start=time.time() - 3600)), "+15550199")
    for line in DANGER_TIP:
        danger.send(line)
    with rt.db.connect() as conn:
        return {("P1" if t.priority == "P1" else "labour"): t.id for t in list_tips(conn)}


def tipline(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    obj: dict[str, Runtime] = {}
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, obj=obj)
    runtime = obj.get("runtime")
    if runtime is not None and "db" in runtime.__dict__:
        runtime.db.dispose()
    return result


def _ids(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [line.split()[0] for line in result.output.splitlines()[1:]]


def test_the_list_has_a_header_row_and_the_updated_time(cli_env: dict[str, str], two_tips: dict[str, str]) -> None:
    result = tipline(cli_env, "tips", "list")
    header, *rows = result.output.splitlines()
    assert header.split() == ["ID", "PRIO", "STATUS", "CATEGORIES", "QUEUES", "CREATED", "UPDATED"]
    assert [r.split()[0] for r in rows] == [two_tips["P1"][:8], two_tips["labour"][:8]]
    assert rows[0].split()[1] == "P1"  # most urgent first
    updated = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3600))
    assert rows[0].count(updated) >= 1 and len(rows[0].split()) == 9  # two date-and-time columns


def test_filters_by_priority_queue_status_and_since(cli_env: dict[str, str], two_tips: dict[str, str]) -> None:
    p1 = two_tips["P1"][:8]
    others = [t[:8] for p, t in two_tips.items() if p != "P1"]
    assert _ids(tipline(cli_env, "tips", "list", "--priority", "p1")) == [p1]
    assert _ids(tipline(cli_env, "tips", "list", "--since", "24h")) == [p1]
    assert sorted(_ids(tipline(cli_env, "tips", "list", "--since", "30d"))) == sorted([p1, *others])
    long_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 20 * DAY))
    assert len(_ids(tipline(cli_env, "tips", "list", "--since", long_ago))) == 2
    assert _ids(tipline(cli_env, "tips", "list", "--queue", "labour")) == others
    assert p1 not in _ids(tipline(cli_env, "tips", "list", "--queue", "labour"))
    statuses = {line.split()[2] for line in tipline(cli_env, "tips", "list").output.splitlines()[1:]}
    for status in statuses:
        listed = tipline(cli_env, "tips", "list", "--status", status).output.splitlines()[1:]
        assert listed and all(line.split()[2] == status for line in listed)
    assert "No tips match these filters." in tipline(cli_env, "tips", "list", "--priority", "P4").output


def test_bad_filters_say_what_to_fix(cli_env: dict[str, str], two_tips: dict[str, str]) -> None:
    bad = tipline(cli_env, "tips", "list", "--since", "last tuesday")
    assert bad.exit_code == 2 and "neither a date" in bad.output and "24h" in bad.output
    unknown = tipline(cli_env, "tips", "list", "--queue", "nope")
    assert unknown.exit_code == 1 and "There is no queue 'nope'" in unknown.output and "labour" in unknown.output
    assert tipline(cli_env, "tips", "list", "--priority", "P9").exit_code == 2


def test_show_renders_questions_and_options_in_the_members_language(
    cli_env: dict[str, str], two_tips: dict[str, str]
) -> None:
    english = tipline(cli_env, "tips", "show", two_tips["labour"], stdin=ADMIN_PASSPHRASE + "\n")
    assert english.exit_code == 0, english.output
    assert "Is anyone in danger right now?" in english.output
    assert "the reporter wrote in English" in english.output
    assert "passports \\x1b[2J" in english.output  # the reporter's words, escaped
    assert "\n  L3: " not in english.output and "\n  N1: " not in english.output  # no internal codes
    spanish = tipline(cli_env, "tips", "show", two_tips["labour"], "--locale", "es", stdin=ADMIN_PASSPHRASE + "\n")
    assert spanish.exit_code == 0, spanish.output
    assert "Is anyone in danger right now?" not in spanish.output and "peligro" in spanish.output
    assert "the reporter wrote in inglés" in spanish.output
    wrong = tipline(cli_env, "tips", "show", two_tips["labour"], "--locale", "xx", stdin=ADMIN_PASSPHRASE + "\n")
    assert wrong.exit_code == 1 and "not enabled" in wrong.output


def test_a_referred_tip_lists_under_the_queue_it_was_referred_to(
    rt: Runtime, cli_env: dict[str, str], two_tips: dict[str, str]
) -> None:
    labour = two_tips["labour"]
    assert labour[:8] not in _ids(tipline(cli_env, "tips", "list", "--queue", "police"))
    clock = FakeClock()
    ngo = member(rt, console_app(rt, clock), clock, "ngo1", "ngo")
    assert post(ngo, labour, "refer", queue="police", reason="Passports held")[0] == 303
    assert _ids(tipline(cli_env, "tips", "list", "--queue", "police")) == [two_tips["P1"][:8], labour[:8]]
    row = next(line for line in tipline(cli_env, "tips", "list").output.splitlines() if line.split()[0] == labour[:8])
    assert row.split()[4] == "labour,ngo,triage,police"  # QUEUES: routed, then where it was referred
    listed = json.loads(tipline(cli_env, "tips", "list", "--queue", "police", "--json").output)
    assert [(t["queues"], t["readable_in"]) for t in listed if t["id"] == labour] == \
        [(["labour", "ngo", "triage"], ["labour", "ngo", "triage", "police"])]
