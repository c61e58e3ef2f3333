"""The training sandbox: a trainee's work scored by the report; the live line untouched by a run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from storage import outbox, secret_check
from storage.crypto import SECRET_FILE
from storage.db import read_only
from tests.tipline.training_support import make_sandbox, work_carelessly, work_the_tips
from tests.triage.console.support import Browser, WallClock, console_app
from tipline import training
from tipline.console_server import build_console_app
from tipline.runtime import Runtime
from tipline.settings import Settings
from tipline.training_report import debrief, score
from triage.console import totp

BANNER = "Training sandbox: nothing here is real"


@pytest.fixture
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Beside the live data folder (the settings fixture's tmp_path), never inside it."""
    return tmp_path_factory.mktemp("sandbox") / "training"


def _scores(rt: Runtime, made: dict[str, str]) -> dict[str, bool]:
    with read_only(rt.db) as conn:
        checks = score(conn, routing=rt.routing, tip_ids=made)
    return {c.key: c.passed for c in checks}


@pytest.mark.parametrize("refer_child", [True, False], ids=["everything right", "child referral missed"])
def test_the_report_scores_what_the_trainee_did(rt: Runtime, folder: Path, refer_child: bool) -> None:
    sandbox, passphrase, made = make_sandbox(rt.settings, folder)
    assert _scores(sandbox, made) == dict.fromkeys(_scores(sandbox, made), False)  # nothing done yet
    clock = WallClock(start=0.0)
    trainee = Browser(console_app(sandbox, clock, training=True).test_client(), clock,
                      username=training.TRAINEE, passphrase=passphrase)
    trainee.enrol()
    work_the_tips(trainee, made, refer_child=refer_child)
    scores = _scores(sandbox, made)
    assert scores == {"child_referral": refer_child, "p1_claim": True, "no_police_self": True, "notes": True,
                      "false_alarm_closed": True, "follow_up_read": True}
    with read_only(sandbox.db) as conn:
        text = debrief(score(conn, routing=sandbox.routing, tip_ids=made))
    if refer_child:
        assert text.startswith("Training report: 6 of 6") and "missed" not in text
    else:
        assert text.startswith("Training report: 5 of 6")
        assert "[missed] The child in the motel reached child protection" in text and "Why it matters" in text
    sandbox.db.dispose()


def test_the_report_fails_a_careless_trainee_and_says_why(rt: Runtime, folder: Path) -> None:
    sandbox, passphrase, made = make_sandbox(rt.settings, folder)
    clock = WallClock(start=0.0)
    trainee = Browser(console_app(sandbox, clock, training=True).test_client(), clock,
                      username=training.TRAINEE, passphrase=passphrase)
    trainee.enrol()
    work_carelessly(trainee, made)
    scores = _scores(sandbox, made)
    assert scores == {"child_referral": False, "p1_claim": False, "no_police_self": False, "notes": False,
                      "false_alarm_closed": False, "follow_up_read": False}
    with read_only(sandbox.db) as conn:
        text = debrief(score(conn, routing=sandbox.routing, tip_ids=made))
    assert text.startswith("Training report: 0 of 6")
    # Each miss names what the trainee did, in the console's words, not the report's keys.
    assert "you tried to send her tip to police 3 time(s) (referral or PDF export); the console stopped you" in text
    assert 'you closed this P1 as "Not enough information to act"' in text
    assert 'closed: "Acted on (partner took action)", a reason that does not fit a false alarm' in text
    assert f"no note on: farm (tip {made['farm'][:8]})" in text
    assert f"after you had claimed tip {made['self'][:8]}" in text
    assert "actioned" not in text
    sandbox.db.dispose()


def test_the_sandbox_does_not_look_like_live(rt: Runtime, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        sandbox, passphrase, _ = make_sandbox(rt.settings, folder)
    # The live alert's exact words would page through log shipping: a sandbox logs its own line.
    assert not [r for r in caplog.records if "on-call alert raised" in r.getMessage()]
    assert [r for r in caplog.records if "no on-call alert is sent from a sandbox" in r.getMessage()]
    clock = WallClock(start=0.0)
    trainee = Browser(console_app(sandbox, clock, training=True).test_client(), clock,
                      username=training.TRAINEE, passphrase=passphrase)
    trainee.enrol()
    queue = trainee.client.get("/").get_data(as_text=True)
    assert "<title>[TRAINING] " in queue
    css = (Path(totp.__file__).parent / "static" / "console.css").read_text(encoding="utf-8")
    assert "position: sticky" in css.split(".training-banner", 1)[1].split("}", 1)[0]  # above the forms far down
    assert 'id="rota-training"' in queue and 'id="rota-empty"' not in queue  # no red box trainees learn to ignore
    csv = trainee.client.get("/dashboard.csv?weeks=12")
    assert csv.headers["Content-Disposition"] == 'attachment; filename="training-tipline-dashboard-12w.csv"'
    assert "TRAINING" in totp.provisioning_uri("A" * 32, "trainee", training=True)
    assert "TRAINING" not in totp.provisioning_uri("A" * 32, "trainee")
    sandbox.db.dispose()


def test_a_reset_waits_for_the_console_serving_the_sandbox(rt: Runtime, folder: Path) -> None:
    make_sandbox(rt.settings, folder)[0].db.dispose()
    with training.console_lock(folder):
        with pytest.raises(training.TrainingError, match="is serving this sandbox: stop it"):
            training.reset(rt.settings, folder)
        assert training.is_sandbox(training.sandbox_settings(rt.settings, folder))
    training.reset(rt.settings, folder)  # the console stopped: the reset goes ahead
    assert not folder.exists()


def test_the_sandbox_console_has_the_banner_and_the_live_one_has_not(rt: Runtime, folder: Path) -> None:
    sandbox, _, _ = make_sandbox(rt.settings, folder)
    for runtime, shown in ((sandbox, True), (rt, False)):
        page = build_console_app(runtime.settings, runtime).test_client().get("/login").get_data(as_text=True)
        assert (BANNER in page) is shown, runtime.settings.data_dir
    sandbox.db.dispose()


def test_the_sandbox_has_no_provider_credentials_and_sends_nothing(rt: Runtime, folder: Path) -> None:
    live = rt.settings.with_(twilio_account_sid="AC" + "1" * 32, twilio_auth_token="t" * 32,
                             telegram_bot_token="1:abc", telegram_webhook_secret="s" * 32,
                             telegram_bot_username="live_bot", metrics_token="m" * 32)
    sandbox, _, _ = make_sandbox(live, folder)
    s = sandbox.settings
    assert not (s.sms_enabled or s.telegram_enabled or s.telegram_bot_username or s.metrics_token)
    assert s.secret_values == ()
    with read_only(sandbox.db) as conn:
        assert outbox.list_items(conn) == []  # the scripted reporters' replies rode back inline
    sandbox.db.dispose()


@pytest.mark.parametrize("where", ["data", "secrets", "inside data", "holding data"])
def test_a_sandbox_is_refused_on_the_live_folders(settings: Settings, tmp_path: Path, where: str) -> None:
    folder = {"data": settings.data_dir, "secrets": settings.secrets_dir, "inside data": settings.data_dir / "tr",
              "holding data": settings.data_dir.parent}[where]
    with pytest.raises(training.TrainingError, match="overlaps the live line"):
        training.create(settings, folder)


def test_a_folder_that_is_not_a_sandbox_is_not_replaced(settings: Settings, folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(training.TrainingError, match="not a training sandbox"):
        training.reset(settings, folder)
    assert (folder / "notes.txt").exists()



def test_the_sandbox_shares_no_secret_with_the_live_line(rt: Runtime, folder: Path) -> None:
    sandbox, _, _ = make_sandbox(rt.settings, folder)
    assert (folder / "secrets" / SECRET_FILE).read_bytes() != (rt.settings.secrets_dir / SECRET_FILE).read_bytes()
    with read_only(sandbox.db) as conn:
        assert secret_check.compare(conn, secrets=rt.secrets) is secret_check.SecretCheck.DIFFERS
    with read_only(rt.db) as conn:
        assert secret_check.compare(conn, secrets=sandbox.secrets) is secret_check.SecretCheck.DIFFERS
    sandbox.db.dispose()


def test_a_report_needs_a_sandbox(settings: Settings, folder: Path) -> None:
    with pytest.raises(training.TrainingError, match="no training sandbox"):
        training.load(settings, folder)
