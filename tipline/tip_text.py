"""A tip as ``tipline tips show`` prints it: the console's view (``triage.console.tipview``) as text.

Questions and chosen options come in the staff member's language; what the reporter typed is
printed as written, each line escaped on its own (a line break inside an answer is shown as "\\n"
and cannot start a line that looks like one of ours).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tipline.safe_text import shown

if TYPE_CHECKING:  # the console package is loaded by 'tips show' only, never by 'serve'
    from triage.console.tipview import TipView

# The rules version from which a venue alone makes a category "possible" (issue 8).
POSSIBLE_RULES = "2026-12-01.1"


def _ts(value: float) -> str:
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _header(view: TipView) -> list[str]:
    meta = view.meta
    lines = [
        f"Tip {meta.id}  {meta.priority}  {meta.status} ({meta.reason})  queues: {', '.join(meta.queues)}",
        f"Categories: {', '.join(meta.categories) or '-'}   rules {meta.rules_version}   version {view.version}",
        f"Received {_ts(meta.created_at)}   updated {_ts(meta.updated_at)}   the reporter wrote in "
        f"{view.reporter_language}",
    ]
    possible = [r.split(" ", 2)[1] for r in view.reasons if r.startswith("possible ")]
    if possible:
        lines.append(f"Possible (venue only, not routed): {', '.join(possible)}")
    if meta.rules_version >= POSSIBLE_RULES:
        lines.append(f"  rules {meta.rules_version}: a category needs an answer that says it; what only the venue "
                     "suggests is shown as possible and never routes the tip.")
    lines += [f"  why: {reason}" for reason in view.reasons]
    lines += [f"  route: {reason}" for reason in view.routing]
    return lines


def render(view: TipView) -> str:
    lines = _header(view) + ["Answers:"]
    for answer in view.answers:
        lines.append(f"  {answer.question}")
        if answer.skipped:
            lines.append("    (skipped)")
        elif answer.words is not None:
            lines.append(f"    | {answer.words}")
        else:
            lines.append(f"    {', '.join(answer.choices)}")
    for version, texts in view.additions:
        lines.append(f"Added later (version {version}):")
        lines += [f"    | {text}" for text in texts]
    return "\n".join(shown(line) for line in lines)
