"""tipline telegram set-webhook / info against the fake Bot API."""

from __future__ import annotations

import click
from click.testing import CliRunner

from tests.fakes.telegram import FakeTelegram
from tests.webhooks.helpers import BASE_URL, TG_SECRET
from tipline import cli_telegram
from tipline.runtime import Runtime


def _cli(rt: Runtime) -> click.Group:
    @click.group()
    @click.pass_context
    def main(ctx: click.Context) -> None:
        ctx.ensure_object(dict)["runtime"] = rt

    cli_telegram.register(main)
    return main


def test_set_webhook_and_info(rt: Runtime, fake_telegram: FakeTelegram) -> None:
    runner = CliRunner()
    result = runner.invoke(_cli(rt), ["telegram", "set-webhook", "--drop-pending-updates"])
    assert result.exit_code == 0, result.output
    hook = fake_telegram.webhook
    assert hook["url"] == BASE_URL + "/webhooks/telegram"
    assert hook["secret_token"] == TG_SECRET
    assert hook["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert hook["drop_pending_updates"] is True
    assert rt.settings.telegram_bot_token not in result.output and TG_SECRET not in result.output
    result = runner.invoke(_cli(rt), ["telegram", "info"])
    assert result.exit_code == 0, result.output
    assert "@tipline_test_bot" in result.output and "Pending updates: 0" in result.output
    assert "Last error: none" in result.output
    assert rt.settings.telegram_bot_token not in result.output


def test_set_webhook_refuses_ports_telegram_does_not_call(rt: Runtime, fake_telegram: FakeTelegram) -> None:
    result = CliRunner().invoke(_cli(rt), ["telegram", "set-webhook", "--url", "https://bot.example.org:8000/x"])
    assert result.exit_code != 0 and "ports" in result.output
    result = CliRunner().invoke(_cli(rt), ["telegram", "set-webhook", "--url", "http://bot.example.org/x"])
    assert result.exit_code != 0 and "HTTPS" in result.output
    assert fake_telegram.webhook["url"] == ""


def test_delete_webhook(rt: Runtime, fake_telegram: FakeTelegram) -> None:
    runner = CliRunner()
    assert runner.invoke(_cli(rt), ["telegram", "set-webhook"]).exit_code == 0
    result = runner.invoke(_cli(rt), ["telegram", "set-webhook", "--delete"])
    assert result.exit_code == 0 and fake_telegram.webhook["url"] == ""
