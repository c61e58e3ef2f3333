"""``tipline oncall`` as an operator uses it, in real subprocesses: the rota, links, the loop's refusal."""

from __future__ import annotations

from pathlib import Path

from tests.tipline.test_cli import env, init, run

__all__ = ["env"]  # the fixture, shared with the other CLI tests


def test_the_rota_from_the_command_line(env: dict[str, str]) -> None:
    passphrase = init(env)
    run(env, "oncall", "add", "Day desk", "--channel", "sms", stdin=f"+1 555 777 1234\n{passphrase}\n")
    run(env, "oncall", "add", "Maria", "--channel", "telegram", stdin=f"{passphrase}\n")
    listed = run(env, "oncall", "list").stdout  # no provider is configured: nobody can be alerted
    assert "unreachable: SMS provider not configured" in listed and "ready" not in listed
    assert "unreachable: Telegram bot not configured" in listed
    providers = dict(env, TIPLINE_TWILIO_ACCOUNT_SID="AC" + "0" * 32, TIPLINE_TWILIO_AUTH_TOKEN="f" * 32,
                     TIPLINE_TWILIO_FROM="+15550001111", TIPLINE_TELEGRAM_BOT_TOKEN="123456:" + "A" * 35)
    listed = run(providers, "oncall", "list").stdout
    assert "Day desk" in listed and "ready" in listed and "waiting for Telegram enrolment" in listed
    assert "5557771234" not in listed
    link = run(env, "oncall", "link", "2", stdin=f"{passphrase}\n").stdout
    assert "/start oc_" in link
    named = dict(env, TIPLINE_TELEGRAM_BOT_USERNAME="@tipline_bot")
    assert "https://t.me/tipline_bot?start=oc_" in run(named, "oncall", "link", "2", stdin=f"{passphrase}\n").stdout
    run(env, "oncall", "move", "2", "up", stdin=f"{passphrase}\n")
    first = run(env, "oncall", "list").stdout.splitlines()[0]
    assert "Maria" in first
    run(env, "oncall", "remove", "1", stdin=f"{passphrase}\n")
    assert "Maria" not in run(env, "oncall", "list").stdout


def test_bad_input_says_what_to_fix(env: dict[str, str]) -> None:
    passphrase = init(env)
    bad = run(env, "oncall", "add", "Desk", "--channel", "sms", stdin=f"555-1234\n{passphrase}\n", check=False)
    assert bad.returncode != 0 and "international form" in bad.stderr
    missing = run(env, "oncall", "link", "4", stdin=f"{passphrase}\n", check=False)
    assert missing.returncode != 0 and "no one at position 4" in missing.stderr


def test_the_loop_refuses_to_run_without_the_console_secrets(env: dict[str, str], tmp_path: Path) -> None:
    init(env)
    public_host = dict(env, TIPLINE_CONSOLE_SECRETS_DIR=str(tmp_path / "not-here"))
    refused = run(public_host, "oncall", "run", check=False)
    assert refused.returncode != 0 and "no rota key" in refused.stderr
