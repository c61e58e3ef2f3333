"""What the drill recovered, by category and window, against what the README's threat table allows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from bench.theft_attack import Findings
from bench.theft_scenario import CODE, CURRENT, OLD, Planted

MARKER = re.compile(r"MARKER-\d+-[a-z]+")

# The README's row "a thief with the database and the server secrets": what it may see of the
# current window (nothing older, ever).  A code only in a closing reply still waiting for Twilio's delivery report.
ALLOWED = {
    "answers (markers)": (True, "answers of interviews in progress (the idle window)"),
    "addresses (numbers, chat ids)": (True, "addresses in undestroyed period keys; guessed numbers"),
    "links (address -> tip)": (True, "with a number they know: whether it made a tip (7 days)"),
    "reference codes": (True, "a closing reply not yet confirmed delivered (minutes)"),
    "stored replies": (True, "replies not yet delivered"),
}


@dataclass
class Row:
    category: str
    current: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return ALLOWED[self.category][0]


def rows(findings: Findings, planted: Planted) -> list[Row]:
    texts = "\n".join(findings.texts())
    out = [Row(category) for category in ALLOWED]
    answers, addresses, links, codes, replies = out

    def put(row: Row, phase: str, what: str) -> None:
        (row.current if phase == CURRENT else row.older).append(what)

    for marker in sorted(set(MARKER.findall(texts))):
        put(answers, planted.markers.get(marker, OLD), marker)
    for (channel, address), phase in planted.addresses.items():
        if (channel, address) in findings.addresses or (channel != "terminal" and address in texts):
            put(addresses, phase, f"{channel}:{address}")
    hows: dict[tuple[str, str, str], list[str]] = {}
    for channel, address, tip, how in sorted(findings.links):
        hows.setdefault((channel, address, tip), []).append(how)
    for (channel, address, tip), methods in hows.items():
        put(links, planted.addresses.get((channel, address), OLD),
            f"{channel}:{address} -> tip {tip[:8]} ({', '.join(methods)})")
    for code in sorted(set(CODE.findall(texts)) | {c for c in planted.codes if c in texts}):
        put(codes, planted.codes.get(code, OLD), code)
    for channel, pid, _ in findings.replies:
        put(replies, planted.provider_ids.get((channel, pid), OLD), f"{channel}:{pid}")
    return out


def met(table: list[Row]) -> bool:
    """Issue 9's target: nothing older than the current window; within it, only what is allowed."""
    return all(not r.older and (r.allowed or not r.current) for r in table)


def render(table: list[Row], findings: Findings, planted: Planted, *, title: str) -> str:
    planted_counts = {
        "answers (markers)": _count(planted.markers),
        "addresses (numbers, chat ids)": _count({k: v for k, v in planted.addresses.items() if k[0] != "terminal"}),
        "reference codes": _count(planted.codes),
    }
    lines = [f"### {title}", "",
             "| category | recovered within the current window | recovered older than the window | "
             "what the README's threat table allows (current window; older: nothing) |",
             "|---|---|---|---|"]
    for r in table:
        cur, old = planted_counts.get(r.category, ("", ""))
        lines.append(f"| {r.category} | {len(r.current)}{_of(cur)} | {len(r.older)}{_of(old)} | "
                     f"{ALLOWED[r.category][1]} |")
    lines += ["", f"Target (issue 9): {'MET' if met(table) else 'MISSED'}", ""]
    for t in findings.timings:
        lines.append(f"- brute force, {t.what}: {t.candidates:,} candidates in {t.seconds:.1f} s "
                     f"({t.candidates / max(t.seconds, 1e-9):,.0f} candidates/s, each under every key, "
                     f"on {t.cores} cores), "
                     f"{t.matched} matched")
    periods = len({o.key for o in findings.opened if o.key.startswith("period")})
    lines.append(f"- keys tried: every Purpose of the server secret, {periods} period keys read back from the copy, "
                 f"{findings.ratchet_epochs} ratchet epochs the copied folder derives")
    by_key: dict[str, int] = {}
    for o in findings.opened:
        by_key[o.key] = by_key.get(o.key, 0) + 1
    lines.append("- blobs opened, by key: " + (", ".join(f"{k} {n}" for k, n in sorted(by_key.items())) or "none"))
    return "\n".join(lines)


def details(table: list[Row]) -> str:
    out = []
    for r in table:
        for phase, items in ((CURRENT, r.current), (OLD, r.older)):
            if items:
                out.append(f"  {r.category}, {phase}: " + ", ".join(items[:12]) + (" ..." if len(items) > 12 else ""))
    return "\n".join(out)


def _count(values: Mapping[Any, str]) -> tuple[int, int]:
    phases = list(values.values())
    return phases.count(CURRENT), phases.count(OLD)


def _of(n: object) -> str:
    return f" of {n}" if n != "" else ""
