"""The theft drill's spool: messages kept on disk during a database outage (``storage.spool``).

An outage in the old phase spools a few SMS (one is drained, as the worker does once the
database is back; one is left behind, as a drainer that never ran would); after the windows
pass the worker's ``advance`` destroys the spool's old epochs; an outage in the current window
leaves one more file.  The copy takes the spool folder with the database, and the attack tries
every file under every key the copied secrets folder still derives (``spool_records``).
"""

from __future__ import annotations

from pathlib import Path

from bench.theft_carve import Record
from bench.theft_scenario import Line, sms_number
from bot.types import SMS, InboundMessage
from storage.epochs import EpochKeys, schedules
from storage.spool import SPOOL_AAD, SUFFIX, Spool
from webhooks.spooling import SpoolDrainer, SpoolKeeper


class LineSpool:
    """The line's spool on the drill's fake clock, and the keys it is sealed under."""

    def __init__(self, line: Line) -> None:
        s = line.rt.settings
        self.line = line
        self.keys = EpochKeys(s.secrets_dir,
                              schedules(idle_minutes=s.conversation_idle_minutes, followup_days=s.followup_days),
                              clock=line.clock)
        self.keys.create_missing(start=line.clock())
        self.spool = Spool(s.data_dir / "spool", self.keys,
                           clock_ns=lambda: int(line.clock() * 1e9))
        self.keeper = SpoolKeeper(self.spool, clock=line.clock)

    def outage(self, n: int, word: str) -> None:
        """SMS ``n`` writes twice while the database is away: both messages kept, sealed."""
        sender = sms_number(n)
        for k in range(2):
            self.line.clock.advance(7.0)
            sid = "SM%032x" % (0x5F001 << 96 | n * 10 + k)
            text = self.line.planted.marker(word)
            assert self.keeper(InboundMessage(channel=SMS, address=sender, text=text, provider_id=sid))
            self.line.planted.addresses[("sms", sender)] = self.line.planted.phase
            self.line.planted.provider_ids[("sms", sid)] = self.line.planted.phase

    def drain(self, limit: int) -> int:
        """What the worker does once the database is back (``limit`` files, the rest left behind)."""
        drainer = SpoolDrainer(self.spool, intake=self.line.rt.intake, secrets=self.line.rt.secrets)
        fed = drainer.run_once(limit=limit).fed
        self.line.deliver()
        return fed

    def advance(self) -> dict[str, int]:
        """The worker's ``advance``: every epoch past its window destroyed on this host."""
        return self.keys.advance()


def spool_records(folder: Path) -> list[Record]:
    """Every spool file in the copy, as a record the attack tries to open (the AAD is no secret)."""
    return [Record((path.read_bytes(), SPOOL_AAD.decode()), f"spool {path.relative_to(folder)}")
            for path in sorted(folder.rglob(f"*{SUFFIX}"))]
