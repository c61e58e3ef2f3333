"""The training sandbox (``tipline training start``): a practice line apart from the live one.

Its own folder holds its own SQLite database, server secret, key chains and rota key; it is built
from the live settings with every provider credential, metrics token and bot name taken out, so
nothing it does can reach a reporter, an on-call phone or the live queues.  Its tips are made by
scripted reporters (``tipline.training_scripts``) through the same intake service the webhooks use.
"""

from __future__ import annotations

import json
import os
import secrets as pysecrets
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from storage import keys
from tipline.install import add_first_admin, prepare
from tipline.runtime import Runtime
from tipline.settings import Settings

MARKER = "training-sandbox"  # in the sandbox's data folder: the console shows the banner
STATE = "training.json"  # beside it: which synthetic tip is which, when the run started
TRAINEE = "trainee"
TRAINER = "trainer"  # the sandbox's admin: holds every queue key, its passphrase is thrown away
BANNER = "Training sandbox: nothing here is real"
CONSOLE_PID = "console.pid"  # in the sandbox folder while its console runs: a reset waits for it


class TrainingError(Exception):
    """The sandbox cannot be made or read as asked; the message says why."""


def sandbox_settings(live: Settings, folder: Path) -> Settings:
    """The live settings (region, languages, routing, costs) pointed at the sandbox folder, with no
    credential of any provider, no bot name, no metrics access and no first-admin passphrase."""
    folder = folder.resolve()
    data = folder / "data"
    # The scripted reporters write English: a line that does not offer it offers it in its sandbox.
    locales = live.locales if "en" in live.locales else (*live.locales, "en")
    return live.with_(
        locales=locales,
        data_dir=data, secrets_dir=folder / "secrets", console_secrets_dir=folder / "console-secrets",
        database_url=f"sqlite:///{data / 'db' / 'tipline.sqlite3'}",
        twilio_account_sid="", twilio_auth_token="", twilio_from="", twilio_api_base="",
        telegram_bot_token="", telegram_webhook_secret="", telegram_bot_username="",
        telegram_api_base="http://127.0.0.1:9/no-provider-in-training/", public_base_url="",
        intake_passphrase="", metrics_token="", metrics_networks=(), console_insecure_cookies=True,
        rate_per_minute=0,  # the scripted reporters type faster than people; no one else writes here
    )


def _live_paths(live: Settings) -> list[Path]:
    paths = [live.data_dir, live.secrets_dir, live.oncall_key_dir]
    if live.is_sqlite:
        paths.append(Path(live.database_url.split(":///", 1)[1]).resolve().parent)
    return [p.resolve() for p in paths]


def check_apart(live: Settings, folder: Path) -> None:
    """Refuse a sandbox folder that is, holds or lies inside the live data, database or secrets."""
    folder = folder.resolve()
    for path in _live_paths(live):
        if folder == path or path in folder.parents or folder in path.parents:
            raise TrainingError(
                f"--dir {folder} overlaps the live line's {path}: a sandbox never shares a folder with the "
                "live data, database or secrets. Pick a folder of its own (default: ./training).")


def is_sandbox(settings: Settings) -> bool:
    return (settings.data_dir / MARKER).exists()


def _refuse_foreign(folder: Path) -> None:
    """A folder that holds something other than a sandbox is not ours to replace."""
    if folder.exists() and any(folder.iterdir()) and not (folder / "data" / MARKER).exists():
        raise TrainingError(f"{folder} is not empty and is not a training sandbox: pick another --dir.")


def console_running(folder: Path) -> int | None:
    """The pid of a console serving the sandbox in ``folder``, if one is alive."""
    try:
        pid = int((folder / CONSOLE_PID).read_text(encoding="utf-8").strip())
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except (OSError, ValueError):
        return None
    return pid


@contextmanager
def console_lock(folder: Path) -> Iterator[None]:
    """Held while a console serves the sandbox, so that a reset cannot delete the database under it
    (the console would go on serving the unlinked file and refuse the new passphrase)."""
    running = console_running(folder)
    if running is not None and running != os.getpid():
        raise TrainingError(f"a training console (pid {running}) already serves {folder.resolve()}.")
    path = folder / CONSOLE_PID
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield
    finally:
        if console_running(folder) == os.getpid():
            path.unlink(missing_ok=True)


def reset(live: Settings, folder: Path) -> None:
    """Remove an earlier sandbox in ``folder`` (only one: a folder with the sandbox marker)."""
    check_apart(live, folder)
    _refuse_foreign(folder)
    running = console_running(folder)
    if running is not None:
        raise TrainingError(
            f"a training console (pid {running}) is serving this sandbox: stop it (Ctrl-C in its terminal) "
            "before 'training start --reset', then start it again for the new sandbox.")
    if (folder / "data" / MARKER).exists():
        shutil.rmtree(folder)


def create(live: Settings, folder: Path) -> tuple[Runtime, str]:
    """A new sandbox install: secrets, schema, the live routing's queues, the trainer and the
    trainee (granted every queue but child protection's: referring there is part of the work)."""
    check_apart(live, folder)
    _refuse_foreign(folder)
    if (folder / "data" / MARKER).exists():
        raise TrainingError(f"a sandbox already exists in {folder}: 'tipline training start --reset' starts over.")
    settings = sandbox_settings(live, folder)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (settings.data_dir / MARKER).write_text(BANNER + "\n", encoding="utf-8")
    rt, _ = prepare(settings)
    trainer_passphrase = pysecrets.token_urlsafe(24)
    add_first_admin(rt, username=TRAINER, passphrase=trainer_passphrase)
    trainee_passphrase = "-".join(pysecrets.token_hex(3) for _ in range(4))
    now = time.time()
    with rt.db.begin() as conn:
        trainer = keys.unlock(conn, username=TRAINER, passphrase=trainer_passphrase, secrets=rt.secrets,
                              kdf=settings.staff_kdf)
        keys.add_staff(conn, username=TRAINEE, passphrase=trainee_passphrase, is_admin=False,
                       secrets=rt.secrets, kdf=settings.staff_kdf, now=now)
        for queue in rt.routing.queues:
            if queue.kind != "child_protection":
                keys.grant(conn, admin=trainer, member=TRAINEE, queue=queue.name, now=now)
    return rt, trainee_passphrase


def save_state(folder: Path, tips: dict[str, str], started_at: float) -> None:
    path = folder / "data" / STATE
    path.write_text(json.dumps({"started_at": started_at, "tips": tips}, indent=2), encoding="utf-8")


def load(live: Settings, folder: Path) -> tuple[Settings, dict[str, str], float]:
    """An existing sandbox's settings, its scenario -> tip id map and when it started."""
    check_apart(live, folder)
    settings = sandbox_settings(live, folder)
    state = settings.data_dir / STATE
    if not is_sandbox(settings) or not state.exists():
        raise TrainingError(f"no training sandbox in {folder.resolve()}: run 'tipline training start' first.")
    data = json.loads(state.read_text(encoding="utf-8"))
    return settings, {str(k): str(v) for k, v in data["tips"].items()}, float(data["started_at"])
