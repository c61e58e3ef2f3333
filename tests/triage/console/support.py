"""A console app on an initialised tip line, a staff member with a known second factor, tips to read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient

from bot import load_catalogs, load_flow
from storage import keys
from tests.factories import ADMIN, ADMIN_PASSPHRASE, FakeClock, Reporter, service_with_clock
from tipline.runtime import Runtime
from triage.console import create_console_app
from triage.console.totp import code_at

# A reporter who gives a labour tip in English, words with a terminal escape and a bidi override.
LABOUR_TIP = ["hi", "2", "1", "A man takes the workers passports \x1b[2J \u202eevil", "1", "2", "1 2", "1",
              "behind the mill on Route 9", "2", "1", "2"]
# A reporter in danger now: the tip is P1.
DANGER_TIP = ["hi", "1"]


def console_app(rt: Runtime, clock: FakeClock, **overrides: object) -> Flask:
    s = rt.settings
    values: dict[str, object] = dict(
        db=rt.db, secrets=rt.secrets, staff_kdf=s.staff_kdf, flow=load_flow(),
        catalogs=load_catalogs(s.locales_dir, ("en", "es")), region=rt.region, locales=("en", "es"),
        default_locale="en", secure_cookies=False, clock=clock, routing=rt.routing, epochs=rt.epochs_on(clock),
    )
    values.update(overrides)
    app = create_console_app(**values)  # type: ignore[arg-type]
    app.testing = True
    return app


def give_tips(rt: Runtime, clock: FakeClock, *scripts: list[str]) -> None:
    service = service_with_clock(rt, clock)
    for n, script in enumerate(scripts):
        reporter = Reporter(service, f"+1555010{n:02d}")
        for line in script:
            reporter.send(line)
        clock.advance(60)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


@dataclass
class Browser:
    """A staff member's browser on the console: logs in, enrols, keeps the TOTP secret it saw."""

    client: FlaskClient
    clock: FakeClock
    username: str = ADMIN
    passphrase: str = ADMIN_PASSPHRASE
    secret: str | None = field(default=None, repr=False)

    def login(self, code: str | None = None, passphrase: str | None = None) -> tuple[int, str]:
        page = self.client.get("/login").get_data(as_text=True)
        if code is None and self.secret is not None:
            code = code_at(self.secret, self.clock())
        response = self.client.post("/login", data={
            "csrf": form_token(page), "username": self.username, "passphrase": passphrase or self.passphrase,
            "code": code or "", "locale": "en",
        })
        return response.status_code, response.headers.get("Location", "")

    def enrol(self) -> None:
        status, where = self.login()
        assert where.endswith("/enrol"), (status, where)
        page = self.client.get("/enrol").get_data(as_text=True)
        found = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
        assert found
        self.secret = found.group(1)
        response = self.client.post("/enrol", data={"csrf": form_token(page), "code": code_at(self.secret,
                                                                                              self.clock())})
        assert response.headers["Location"].endswith("/"), response.status_code
        self.clock.advance(30)  # the next login needs the next code: a code is accepted once

    def token(self, path: str = "/") -> str:
        return form_token(self.client.get(path).get_data(as_text=True))


def add_member(rt: Runtime, username: str, queue: str) -> None:
    with rt.db.begin() as conn:
        admin = keys.unlock(conn, username=ADMIN, passphrase=ADMIN_PASSPHRASE, secrets=rt.secrets,
                            kdf=rt.settings.staff_kdf)
        keys.add_staff(conn, username=username, passphrase=ADMIN_PASSPHRASE, is_admin=False, secrets=rt.secrets,
                       kdf=rt.settings.staff_kdf, now=0.0)
        keys.grant(conn, admin=admin, member=username, queue=queue, now=0.0)


class WallClock(FakeClock):
    """Real time (the second-factor codes a browser test types are real), plus what the test adds."""

    def __call__(self) -> float:
        import time

        return time.time() + self.now
