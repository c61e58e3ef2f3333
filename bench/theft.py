"""The theft drill (issue 9): a copy of the database files WITH the secrets folder, attacked.

Real interviews of every kind run over the Twilio and Telegram webhooks and the terminal, each
answer carrying a planted marker, from known numbers and chat ids; a fake clock passes the idle,
provider-retry and follow-up windows with a round of jobs after each; two interviews run in the
current window; then the database files (SQLite: the file and its WAL, no checkpoint) and the
secrets folder are copied and attacked (bench/theft_attack.py): every page and WAL frame carved,
every blob tried under every key the folder derives, candidate numbers, chat ids and update ids
brute-forced against every keyed hash.  Exit status 1 when issue 9's target is missed (0 with
``--expect-fail``, which inverts it: kept to show a regression drill can fail on purpose).

    .venv/bin/python bench/theft.py [--candidates 10000000] [--postgres URL] [--expect-fail] [--write-results]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import theft_report
from bench import theft_training
from bench.theft_attack import Findings, attack, key_ring
from bench.theft_brute import around
from bench.theft_carve import Record, carve, live_rows
from bench.theft_spool import LineSpool, spool_records
from bench.theft_scenario import (
    Line, copy_stolen, current_interviews, old_interviews, open_line, pass_the_windows,
)

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Theft drill"


def stolen_records(line: Line, copy: Path) -> tuple[list[Record], str]:
    """What the thief reads from the copy, and a note on what it could not reach."""
    if line.rt.settings.is_sqlite:
        db = copy / "stolen.sqlite3"
        wal = Path(f"{db}-wal")
        note = (f"SQLite: {db.stat().st_size:,} bytes of database file and "
                f"{wal.stat().st_size if wal.exists() else 0:,} bytes of WAL, copied without a checkpoint")
        spooled = spool_records(copy / "spool")
        return carve(db) + live_rows(db) + spooled, f"{note}; {len(spooled)} spool files"
    from bench.theft_postgres import records

    rows, note = records(line.rt.db)
    spooled = spool_records(copy / "spool")
    return rows + spooled, f"{note}; {len(spooled)} spool files"


def run_attack(line: Line, copy: Path, candidates: int,
               stolen: tuple[list[Record], str] | None = None) -> tuple[Findings, str]:
    records, note = stolen or stolen_records(line, copy)
    planted = line.planted
    sms = [int(a[5:]) for (c, a) in planted.addresses if c == "sms" and a.startswith("+1555")]
    chats = [int(a) for (c, a) in planted.addresses if c == "telegram"]
    uids = [int(p) for (c, p) in planted.provider_ids if c == "telegram"]
    findings = attack(records, copy / "secrets", now=line.clock(),
                      phones=around(sms, candidates, 0, 10_000_000), chat_ids=around(chats, candidates, 1),
                      update_ids=around(uids, candidates, 0))
    return findings, f"{note}; {len(records):,} records carved or read"


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", type=int, default=10_000_000,
                   help="numbers, chat ids and update ids each to brute-force")
    p.add_argument("--rounds", type=int, default=1, help="how many times every kind of interview runs")
    p.add_argument("--postgres", metavar="URL", help="run the line on this PostgreSQL instead of SQLite")
    p.add_argument("--expect-fail", action="store_true",
                   help="exit 0 when the target is missed (to see the drill fail on purpose)")
    p.add_argument("--write-results", action="store_true", help="replace the theft section of bench/RESULTS.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.postgres:
        from bench.theft_postgres import own_schema

        with own_schema(args.postgres) as url:
            return _drill(args, url)
    return _drill(args, None)


def _drill(args: argparse.Namespace, database_url: str | None) -> int:
    line = open_line(database_url)
    try:
        spool = LineSpool(line)
        old_interviews(line, rounds=args.rounds)
        spool.outage(950, "spooled")  # fed once the database is back
        spool.outage(951, "spooled")  # left behind: its epoch passes on disk
        spool.drain(limit=2)
        rounds = pass_the_windows(line)
        spool.advance()
        current_interviews(line)
        spool.outage(960, "spooled")
        sandbox, passphrase = theft_training.start_sandbox(line)  # issue 14: a sandbox on the live host
        copy = copy_stolen(line, Path(tempfile.mkdtemp(prefix="tipline-theft-")))
        stolen = stolen_records(line, copy)
        findings, note = run_attack(line, copy, args.candidates, stolen)
        trained = theft_training.attack_sandbox(line, theft_training.copy_sandbox(sandbox, copy), passphrase,
                                                stolen[0], key_ring(copy / "secrets", line.clock()))
    finally:
        line.close()
    table = theft_report.rows(findings, line.planted)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    text = "\n".join([
        theft_report.render(table, findings, line.planted, title=f"{backend}, {args.candidates:,} candidates each"),
        f"- the copy: {note}",
        "- job rounds after each window: " + "; ".join(
            ", ".join(f"{k} {v}" for k, v in r.items() if v) or "nothing" for r in rounds),
        "",
        theft_training.render(trained),
    ])
    print(text)
    print("\nWhat was recovered:\n" + (theft_report.details(table) or "  nothing"))
    if args.write_results:
        _write_results(text)
    ok = theft_report.met(table) and trained.met
    return 0 if ok != args.expect_fail else 1


def _write_results(text: str) -> None:
    body = RESULTS.read_text(encoding="utf-8")
    head, _, rest = body.partition(SECTION)
    tail = rest[rest.find("\n## "):] if "\n## " in rest else ""
    section = (f"{SECTION}\n\n`make bench` runs `bench/theft.py`: a copy of the database files and the secrets "
               "folder, attacked after every window has passed (issue 9); it exits 1 if the target is missed. "
               "Every epoch key the copied ratchet files still derive is on the thief's key ring.\n\n" + text + "\n")
    RESULTS.write_text(head.rstrip("\n") + "\n\n" + section + tail if head else body + "\n" + section, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
