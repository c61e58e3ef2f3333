"""During a database outage, emergency words still bring the emergency number at once (INTAKE decision 12).

The spool keeps the message for later, and its answer is all the reporter gets until the
database is back: so that answer carries the fixed emergency reply, read without the database.
"""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from storage.spool import Spool
from tests.webhooks.helpers import build_runtime, post_sms, post_tg, sms_params, tg_message, twiml_messages
from tests.webhooks.test_spool import epoch_keys, outage_app, unreachable
from tipline.runtime import Runtime
from tipline.settings import Settings
from tipline.spooling import DEFAULT_SPOOL_REPLY


def outage(rt: Runtime, tmp_path: Path) -> tuple[FlaskClient, Spool]:
    spool = Spool(rt.settings.data_dir / "spool", epoch_keys(rt))
    return outage_app(rt, unreachable(rt, tmp_path), spool), spool


def test_an_sms_with_emergency_words_gets_the_emergency_reply_and_the_spool_reply(
    rt: Runtime, tmp_path: Path,
) -> None:
    client, spool = outage(rt, tmp_path)
    [notice, kept] = twiml_messages(post_sms(client, sms_params("help they locked us in the van")))
    assert rt.region.emergency in notice and "call" in notice
    assert kept == DEFAULT_SPOOL_REPLY
    assert twiml_messages(post_sms(client, sms_params("I saw something at the farm", sender="+14155550124"))) == [
        DEFAULT_SPOOL_REPLY]
    assert spool.usage().files == 2  # both kept for the intake once the database is back


def test_a_telegram_message_with_emergency_words_is_answered_with_the_number_in_the_response(
    rt: Runtime, tmp_path: Path,
) -> None:
    client, spool = outage(rt, tmp_path)
    answer = post_tg(client, tg_message("sos someone is in danger", chat_id=6161))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["method"] == "sendMessage" and body["chat_id"] == 6161
    assert rt.region.emergency in body["text"]
    quiet = post_tg(client, tg_message("I saw something at the farm", chat_id=6162))
    assert quiet.status_code == 200 and quiet.data == b""  # nothing to say yet: the replies follow the drain
    assert spool.usage().files == 2


def test_emergency_words_of_any_enabled_locale_bring_the_reply_in_that_language(
    settings: Settings, tmp_path: Path,
) -> None:
    rt = build_runtime(settings, locales=("en", "es"))
    try:
        client, _ = outage(rt, tmp_path)
        [notice, kept] = twiml_messages(post_sms(client, sms_params("socorro, estamos en peligro")))
        assert rt.region.emergency in notice and "call" not in notice  # the Spanish reply, not the English one
        assert kept == DEFAULT_SPOOL_REPLY
        body = post_tg(client, tg_message("auxilio", chat_id=6163, lang="es")).get_json()
        assert rt.region.emergency in body["text"] and body["text"] == notice
    finally:
        rt.db.dispose()
