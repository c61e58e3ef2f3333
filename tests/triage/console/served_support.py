"""The staff console as an operator runs it, ``tipline console --workers 2`` (gunicorn) in a subprocess,
on a line initialised at the lowest Argon2id costs it agrees to serve; the public app beside it in
this process, reached with signed Twilio webhooks; which worker process served a request.

Which worker served a request is read from outside, as an operator could (no header, no log line):
the test opens its own TCP connection, and while gunicorn keeps it alive after the answer, the
server side of that connection is found in ``/proc/net/tcp`` and its socket in one worker's
``/proc/<pid>/fd``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from tests.factories import ADMIN_PASSPHRASE
from tests.webhooks.helpers import post_sms, sms_params, twiml_messages
from tipline.settings import CODE_KDF_FLOOR, KDF_FLOOR, Settings
from triage.console.totp import code_at

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def servable(settings: Settings) -> Settings:
    """The test's settings at the Argon2id floors: 'tipline console' refuses the tests' cheap costs."""
    return settings.with_(test_only_cheap_kdf=False, staff_kdf=KDF_FLOOR, code_kdf=CODE_KDF_FLOOR)


def console_env(settings: Settings) -> dict[str, str]:
    """What an operator sets for this line (plain http on localhost: insecure cookies), nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPLINE_")}
    env.update({
        # The tests keep the secrets folder inside their tmp folder; a served line refuses that layout.
        "TIPLINE_DATA_DIR": str(settings.data_dir / "console-data"), "TIPLINE_SECRETS_DIR": str(settings.secrets_dir),
        "TIPLINE_DATABASE_URL": settings.database_url, "TIPLINE_LOCALES": ",".join(settings.locales),
        "TIPLINE_STAFF_KDF_TIME": str(KDF_FLOOR.time_cost),
        "TIPLINE_STAFF_KDF_MEMORY_KIB": str(KDF_FLOOR.memory_cost_kib),
        "TIPLINE_CODE_KDF_TIME": str(CODE_KDF_FLOOR.time_cost),
        "TIPLINE_CODE_KDF_MEMORY_KIB": str(CODE_KDF_FLOOR.memory_cost_kib),
        "TIPLINE_CONSOLE_INSECURE_COOKIES": "1",
    })
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServedConsole:
    """``tipline console --workers 2`` running; ``stop`` ends it (SIGTERM to the gunicorn master)."""

    process: subprocess.Popen[bytes] = field(repr=False)
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def workers(self) -> set[int]:
        """The gunicorn worker processes: children of the master."""
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.add(int(entry.name))
        return found


def start_console(settings: Settings, folder: Path, *, workers: int = 2) -> ServedConsole:
    port = free_port()
    log = folder / "console.log"
    tipline = Path(sys.executable).parent / "tipline"
    with log.open("wb") as out:
        process = subprocess.Popen([str(tipline), "console", "--workers", str(workers), "--port", str(port)],
                                   env=console_env(settings), stdout=out, stderr=subprocess.STDOUT)
    served = ServedConsole(process, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tipline console exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{served.base}/readyz", timeout=2) as answer:
                if answer.status == 200 and len(served.workers()) == workers:
                    return served
        except OSError:
            pass
        time.sleep(0.3)
    served.stop()
    raise AssertionError(f"tipline console never became ready: {log.read_text()[-2000:]}")


def _server_socket_inode(port: int, client_port: int) -> int | None:
    """The inode of the server side of 127.0.0.1:client_port -> 127.0.0.1:port, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local, remote, inode = cols[1], cols[2], int(cols[9])
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port and inode:
            return inode
    return None


def _holder(pids: set[int], inode: int) -> int | None:
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                    return pid
            except OSError:
                continue
    return None


def get_served_by(served: ServedConsole, path: str, cookie: str) -> tuple[int, str, int | None]:
    """GET ``path`` on a new connection with the browser's cookies: (status, page, the worker that answered)."""
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=20)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        answer = conn.getresponse()
        body = answer.read().decode()
        assert conn.sock is not None
        inode = _server_socket_inode(served.port, int(conn.sock.getsockname()[1]))  # kept alive: still there
        return answer.status, body, None if inode is None else _holder(served.workers(), inode)
    finally:
        conn.close()


def cookie_header(context: Any) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())


def enrolled_page(browser: Any, base: str, username: str) -> tuple[Any, str]:
    """A member's own browser context, logged in by enrolling the second factor; (page, TOTP secret)."""
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Passphrase").fill(ADMIN_PASSPHRASE)
    page.get_by_role("button", name="Log in").click()
    secret = str(page.locator("code.secret").inner_text())
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Confirm").click()
    return page, secret


def log_in_again(page: Any, base: str, username: str, secret: str) -> None:
    """Log out, then in with passphrase and the next code (the enrolment spent this step's)."""
    page.get_by_role("button", name="Log out", exact=True).click()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Passphrase").fill(ADMIN_PASSPHRASE)
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, time.time() + 30))
    page.get_by_role("button", name="Log in").click()


@dataclass
class TextingReporter:
    """A reporter texting the public app: real signed Twilio webhooks through its Flask test client."""

    client: FlaskClient
    phone: str

    def send(self, text: str) -> str:
        return "\n".join(twiml_messages(post_sms(self.client, sms_params(text, sender=self.phone))))


def expect() -> Any:
    from playwright.sync_api import expect as found

    return found


def pull_and_read(page: Any) -> str:
    """Pull the next tip and read it; returns its URL."""
    page.get_by_role("button", name="Pull the next tip").click()
    expect()(page.locator("dl.answers")).to_contain_text("Is anyone in danger right now?")
    expect()(page.locator("blockquote.words").first).to_contain_text("passports")
    return str(page.url)


def note_and_ask(page: Any, note: str, question: str) -> None:
    page.get_by_label("New note (sealed to the tip's queues)").fill(note)
    page.get_by_role("button", name="Add note").click()
    expect()(page.locator("ol.notes")).to_contain_text(note)
    page.get_by_label(re.compile("^Ask the reporter")).fill(question)
    page.get_by_role("button", name="Ask the reporter").click()
    expect()(page.locator("ol.notes")).to_contain_text(f"Asked the reporter: {question}")


def refer(page: Any, queue: str, why: str) -> None:
    page.get_by_label("Refer to queue").select_option(queue)
    page.get_by_label("Why (sealed as a note, the other queue reads it)").fill(why)
    page.get_by_role("button", name="Refer").click()
    expect()(page.locator("dd.case-status")).to_contain_text("referred")


def close(page: Any) -> None:
    page.get_by_label("Why it closes").select_option("actioned")
    page.get_by_role("button", name="Close the case").click()
    expect()(page.locator("dd.case-status")).to_contain_text("closed: Acted on")


def api_status(base: str, username: str, secret: str, path: str) -> int:
    """Log in through the JSON API with the next code, then GET ``path`` with the bearer token."""
    body = json.dumps({"username": username, "passphrase": ADMIN_PASSPHRASE,
                       "code": code_at(secret, time.time() + 30)}).encode()
    login = urllib.request.Request(f"{base}/api/v1/login", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(login, timeout=20) as answer:
        token = json.loads(answer.read())["token"]
    try:
        with urllib.request.urlopen(urllib.request.Request(
                base + path, headers={"Authorization": f"Bearer {token}"}), timeout=20) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def page_loads(served: ServedConsole, cookie: str, paths: tuple[str, ...], *, at_least: int, at_most: int
               ) -> list[tuple[int, str, int | None]]:
    """GET ``paths`` in turn, each on a new connection, ``at_least`` times and on until two workers
    have answered (which worker accepts a connection is the kernel's choice), ``at_most`` in all."""
    answered: list[tuple[int, str, int | None]] = []
    while len(answered) < at_least or (len({pid for _, _, pid in answered}) < 2 and len(answered) < at_most):
        answered.append(get_served_by(served, paths[len(answered) % len(paths)], cookie))
    return answered
