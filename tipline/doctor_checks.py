"""``tipline doctor``'s checks of this host: database, migrations, secrets folder, region, on-call rota.

Each check returns a ``Check``: OK, PROBLEM (with what to fix) or SKIPPED (with why).  The provider
checks (Twilio, Telegram) are in ``tipline.doctor_providers``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.regions import verification_warnings
from storage.crypto import CryptoError
from storage.db import ping, read_only
from storage.db_errors import operator_line
from storage.oncall import list_members
from storage.oncall_secret import RotaKeyMissing, check_rota_opener, load_rota_opener
from storage.schema import is_current
from tipline.runtime import Runtime
from tipline.settings import SettingsError
from tipline.settings_ops import exposed_secret_file
from triage.routing_file import RoutingError, revealing

OK, PROBLEM, SKIPPED, WARNING = "OK", "PROBLEM", "SKIPPED", "WARNING"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK, PROBLEM or SKIPPED
    detail: str


def database(rt: Runtime) -> list[Check]:
    """Reachable, then at this release's schema (the second is skipped when the first fails)."""
    kind = "PostgreSQL" if not rt.settings.is_sqlite else "SQLite"
    try:
        ping(rt.db)
    except SQLAlchemyError as exc:
        fix = operator_line(exc) or f"the database could not be read ({type(getattr(exc, 'orig', exc)).__name__}): " \
            "check TIPLINE_DATABASE_URL"
        return [Check("database", PROBLEM, fix), Check("migrations", SKIPPED, "the database is not reachable")]
    try:
        current = is_current(rt.db)
    except SQLAlchemyError as exc:
        return [Check("database", OK, f"{kind} answers"),
                Check("migrations", PROBLEM, f"the schema cannot be read ({type(exc).__name__}): run 'tipline init'")]
    migrations = Check("migrations", OK, "current") if current else \
        Check("migrations", PROBLEM, "the schema is older than this release: take a backup, run 'tipline upgrade'")
    return [Check("database", OK, f"{kind} answers"), migrations]


def install(rt: Runtime) -> Check:
    """What serve, console and worker check at start: the secret and key chains are this database's,
    every queue of the routing file has keys."""
    try:
        rt.check_ready()
    except (SettingsError, CryptoError) as exc:
        return Check("server keys", PROBLEM, str(exc))
    return Check("server keys", OK, "the secret and key chains are this database's; every queue has keys")


def _loose(path: Path, want: int) -> bool:
    """Its mode is not exactly ``want`` (0700 for a folder, 0600 for a file: the owner's alone)."""
    return stat.S_IMODE(path.lstat().st_mode) != want


def folder(name: str, path: Path, *, required: bool = True) -> Check:
    """A secrets folder: present, owned by this user, folders 0700 and files 0600 all the way down."""
    if not path.is_dir():
        if not required:
            return Check(name, SKIPPED, f"{path} does not exist on this host")
        return Check(name, PROBLEM, f"{path} does not exist: run 'tipline init', or copy the folder from the "
                                    "first host and point TIPLINE_SECRETS_DIR at it")
    if path.stat().st_uid != os.getuid():
        return Check(name, PROBLEM, f"{path} is not owned by the user running the line: chown -R it to that user")
    wrong = [p for p in [path, *sorted(path.rglob("*"))]
             if not p.is_symlink() and _loose(p, 0o700 if p.is_dir() else 0o600)]
    if wrong:
        shown = ", ".join(str(p.relative_to(path.parent)) for p in wrong[:3])
        return Check(name, PROBLEM, f"{len(wrong)} entries with the wrong mode ({shown}): "
                                    f"chmod -R u=rwX,go= {path} (folders 0700, files 0600)")
    return Check(name, OK, f"{path}: folders 0700, files 0600")


def secrets(rt: Runtime) -> list[Check]:
    s = rt.settings
    return [folder("secrets folder", s.secrets_dir),
            # The rota key lives only on the staff host: its absence here is normal on the public one.
            folder("console secrets folder", s.oncall_key_dir, required=False)]


def passphrase_file() -> list[Check]:
    """The first admin's passphrase in a file (TIPLINE_ADMIN_PASSPHRASE_FILE), when one is set: its owner's alone."""
    if not os.environ.get("TIPLINE_ADMIN_PASSPHRASE_FILE"):
        return []
    problem = exposed_secret_file(os.environ)
    if problem is not None:
        return [Check("admin passphrase file", PROBLEM, problem)]
    return [Check("admin passphrase file", OK, "readable by its owner alone")]


def region(rt: Runtime) -> Check:
    s = rt.settings
    try:
        loaded = rt.region
    except SettingsError as exc:
        return Check("region", PROBLEM, str(exc))
    if s.region_verified is None:
        return Check("region", PROBLEM, f"{s.region}: nobody called its emergency and hotline numbers for this line: "
                                        "call them, then set TIPLINE_REGION_VERIFIED=YYYY-MM-DD")
    stale = verification_warnings(loaded, s.region_verified)
    if stale:
        return Check("region", PROBLEM, f"{s.region}: {len(stale)} number(s) changed after TIPLINE_REGION_VERIFIED="
                                        f"{s.region_verified}: call them again, then set the day")
    return Check("region", OK, f"{s.region}, numbers called on {s.region_verified}")


def oncall(rt: Runtime) -> Check:
    try:
        with read_only(rt.db) as conn:
            members = list_members(conn)
    except SQLAlchemyError:
        return Check("on-call rota", SKIPPED, "the database is not readable")
    if not members:
        return Check("on-call rota", PROBLEM, "empty: urgent tips alert nobody; add people with 'tipline oncall add' "
                                              "or the console's /oncall page")
    enrolled = sum(1 for m in members if m.enrolled)
    if not enrolled:
        return Check("on-call rota", PROBLEM, f"{len(members)} people, none with an address yet: finish their "
                                              "enrolment (console /oncall)")
    return Check("on-call rota", OK, f"{len(members)} people, {enrolled} reachable")


def rota_key(rt: Runtime) -> Check:
    """The console's rota key must open this database's rota: another install's key turns alerts off."""
    folder = rt.settings.oncall_key_dir
    if not folder.is_dir():
        return Check("rota key", SKIPPED, f"no console secrets folder here ({folder}): check it on the staff host")
    try:
        opener = load_rota_opener(folder)
        with read_only(rt.db) as conn:
            check_rota_opener(conn, opener, folder)
    except RotaKeyMissing as exc:
        return Check("rota key", PROBLEM, f"{exc}; until then the console sends no on-call alert")
    except SQLAlchemyError:
        return Check("rota key", SKIPPED, "the database is not readable")
    return Check("rota key", OK, "opens this database's on-call rota")


def routing(rt: Runtime) -> list[Check]:
    """A queue filtered by area or language puts them in the clear, beside each tip (WARNING, not PROBLEM:
    the operator may accept it, knowing)."""
    try:
        found = revealing(rt.routing)
    except RoutingError as exc:
        return [Check("routing", PROBLEM, str(exc))]
    if not found:
        return [Check("routing", OK, "no queue filters by area or language: a database copy shows neither")]
    return [Check("routing", WARNING, line) for line in found]


def local(rt: Runtime) -> list[Check]:
    """Every check of this host, in the order an operator fixes them."""
    found = database(rt)
    current = found[1].status == OK
    found += secrets(rt) + passphrase_file()
    found.append(install(rt) if current else Check("server keys", SKIPPED, "the schema is not current"))
    found.append(region(rt))
    found += routing(rt)
    reachable = found[0].status == OK
    found.append(oncall(rt) if reachable else Check("on-call rota", SKIPPED, "the database is not reachable"))
    found.append(rota_key(rt) if current else Check("rota key", SKIPPED, "the schema is not current"))
    return found
