"""Rota addresses are sealed at rest, and only the staff side can open them: the public app's
process, built without the console secrets folder, enrols a chat but holds nothing that opens one."""

from __future__ import annotations

import json
import pickle
import stat
import subprocess
import time
import sys
from pathlib import Path

import pytest

from storage import oncall
from storage.crypto import SECRET_FILE, DecryptionFailed, new_keypair, open_sealed
from storage.oncall_secret import ROTA_KEY_FILE, RotaKeyMissing, load_rota_opener
from tests.oncall.support import add_people, rota
from tests.test_no_plaintext import _database_bytes
from tests.webhooks.helpers import TG_PATH, TG_SECRET, tg_message
from tipline.oncall_loop import build_alert_loop
from tipline.runtime import Runtime

PHONE = "+15557771234"
CHAT = 918273645577
ROOT = Path(__file__).resolve().parents[2]


def _needles(*values: str) -> list[bytes]:
    out = []
    for value in values:
        for form in (value, value.lstrip("+")):
            out += [form.encode(), form.encode("utf-16-le"), form.encode().hex().encode()]
    return out


def _enrol_in_a_public_process(rt: Runtime, tmp_path: Path, token: str) -> dict[str, object]:
    """Build the public app in a fresh interpreter whose settings name no console secrets folder
    that exists (the public host's), post the /start, and report what it could do."""
    public = rt.settings.with_(console_secrets_dir=tmp_path / "not-on-this-host")
    pickled = tmp_path / "public.pickle"
    pickled.write_bytes(pickle.dumps(public))
    update = json.dumps(tg_message(f"/start {token}", chat_id=CHAT))
    script = (
        "import json, pickle, pathlib, sys\n"
        f"settings = pickle.loads(pathlib.Path({str(pickled)!r}).read_bytes())\n"
        "from tipline.app import create_public_app\n"
        "client = create_public_app(settings).test_client()\n"
        f"r = client.post({TG_PATH!r}, data={update!r}, content_type='application/json', "
        f"headers={{'X-Telegram-Bot-Api-Secret-Token': {TG_SECRET!r}}})\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('storage', 'triage', 'tipline')))\n"
        "print(json.dumps({'answer': r.get_json(), 'loaded': loaded}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_rota_addresses_are_not_in_the_database_in_plaintext(rt: Runtime, tmp_path: Path) -> None:


    sms_id, tg_id = add_people(rt, ("desk", "sms", PHONE), ("night", "telegram", None))
    with rt.db.begin() as conn:
        token = oncall.new_enrolment(conn, member_id=tg_id, now=time.time())
    _enrol_in_a_public_process(rt, tmp_path, token)
    stored = _database_bytes(rt)
    for needle in _needles(PHONE, str(CHAT)) + [token.encode()]:
        assert needle not in stored, f"found a planted address in the database: {needle[:8]!r}..."
    opener = load_rota_opener(rt.settings.oncall_key_dir)
    by_id = {e.id: e for e in rota(rt)}
    assert opener.address(member_id=sms_id, sealed=by_id[sms_id].sealed_address or b"") == PHONE
    assert opener.address(member_id=tg_id, sealed=by_id[tg_id].sealed_address or b"") == str(CHAT)


def test_the_public_process_enrols_but_cannot_open(rt: Runtime, tmp_path: Path) -> None:


    (tg_id,) = add_people(rt, ("night", "telegram", None))
    with rt.db.begin() as conn:
        token = oncall.new_enrolment(conn, member_id=tg_id, now=time.time())
    result = _enrol_in_a_public_process(rt, tmp_path, token)
    answer = result["answer"]
    assert isinstance(answer, dict) and answer["method"] == "sendMessage"
    (entry,) = rota(rt)
    assert entry.enrolled, "the public process sealed the chat id with the public half alone"
    loaded = result["loaded"]
    assert isinstance(loaded, list) and "storage.oncall_secret" not in loaded, "the public app loaded the opener"
    # What the public host holds (the server secrets folder) has no rota key, and its secret opens nothing.
    assert sorted(p.name for p in rt.settings.secrets_dir.iterdir()) == ["ratchet", SECRET_FILE]
    assert all(p.suffix == ".json" for p in (rt.settings.secrets_dir / "ratchet").iterdir())  # key chains only
    server_secret = (rt.settings.secrets_dir / SECRET_FILE).read_bytes()
    try:
        open_sealed(entry.sealed_address or b"", recipient_private=server_secret,
                    context=oncall.address_context(tg_id))
        opened = True
    except DecryptionFailed:
        opened = False
    assert not opened


def test_the_rota_key_lives_in_the_console_secrets_folder_only(rt: Runtime) -> None:
    folder = rt.settings.oncall_key_dir
    assert folder != rt.settings.secrets_dir
    key = folder / ROTA_KEY_FILE
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not (rt.settings.secrets_dir / ROTA_KEY_FILE).exists()


def test_the_alert_loop_refuses_a_missing_or_foreign_rota_key(rt: Runtime, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / ROTA_KEY_FILE).write_bytes(new_keypair()[0])
    for folder, says in ((tmp_path / "absent", "TIPLINE_CONSOLE_SECRETS_DIR"), (foreign, "not this database's")):
        other = Runtime(rt.settings.with_(console_secrets_dir=folder))
        try:
            with pytest.raises(RotaKeyMissing, match=says):
                build_alert_loop(other)
        finally:
            other.close()
    build_alert_loop(rt).close()
