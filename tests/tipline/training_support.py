"""A training sandbox made from a test's live settings, and a trainee working it over the console."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.triage.console.support import Browser
from tipline import training
from tipline.runtime import Runtime
from tipline.settings import Settings
from tipline.training_scripts import make_tips


def make_sandbox(live: Settings, folder: Path) -> tuple[Runtime, str, dict[str, str]]:
    """What 'tipline training start --dir folder' does: (sandbox runtime, trainee passphrase, tips)."""
    rt, passphrase = training.create(live, folder)
    made = make_tips(rt)
    training.save_state(folder.resolve(), made, time.time())
    return rt, passphrase, made


def work_the_tips(trainee: Browser, made: dict[str, str], *, refer_child: bool) -> None:
    """A trainee logged in on the sandbox console does what the rules ask (all but the child
    referral when ``refer_child`` is false)."""
    client = trainee.client

    def post(path: str, **data: str) -> None:
        response = client.post(path, data={"csrf": trainee.token(), **data})
        assert response.status_code in (200, 302, 303), (path, response.status_code)

    pulled = client.post("/next", data={"csrf": trainee.token()})
    assert pulled.headers["Location"].endswith(f"/tips/{made['motel']}"), "the P1 is pulled first"
    for key in ("motel", "farm", "self"):
        page = client.get(f"/tips/{made[key]}").get_data(as_text=True)
        assert "Training sandbox: nothing here is real" in page
        post(f"/tips/{made[key]}/note", words=f"Training note on the {key} tip.")
    if refer_child:
        post(f"/tips/{made['motel']}/refer", queue="child", reason="She may be 14: child protection must have it.",
             override="")
    post(f"/tips/{made['false_alarm']}/close", reason="not_trafficking", words="A family party.")


def passphrase_of(output: str) -> str:
    found = re.search(r"passphrase, shown once: (\S+)", output)
    assert found, output
    return found.group(1)


def work_carelessly(trainee: Browser, made: dict[str, str]) -> None:
    """A careless trainee: opens the P1, claims the self-report first and the P1 only then, tries
    to send the adult who said no to police there (referral and PDF export, both refused), closes
    the false alarm with the first reason that comes to mind and the child's P1 as "Not enough
    information to act"; writes no note."""
    client = trainee.client

    def post(path: str, status: int, **data: str) -> None:
        response = client.post(path, data={"csrf": trainee.token(), **data})
        assert response.status_code == status, (path, response.status_code)

    client.get(f"/tips/{made['motel']}")
    post(f"/tips/{made['self']}/claim", 303)  # another tip claimed before the P1
    post(f"/tips/{made['self']}/release", 303)
    post(f"/tips/{made['motel']}/claim", 303)  # then the P1, well within its lease
    for override in ("", "danger"):
        post(f"/tips/{made['self']}/refer", 409, queue="police", reason="Police could help.", override=override)
    post(f"/tips/{made['self']}/export", 409, for_whom="Sgt. Smith, County Sheriff", partner="police")
    post(f"/tips/{made['false_alarm']}/close", 303, reason="actioned")
    post(f"/tips/{made['motel']}/close", 303, reason="insufficient")
