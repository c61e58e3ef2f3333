"""Where the interview goes next: next tables, the MORE offer and the optional blocks.

Block order is derived from the step a reporter is in rather than from a "done" list,
so going BACK into or across a block and answering again lands in the same place.
"""

from __future__ import annotations

from typing import Any, Mapping

from bot.flow import BLOCKS, CLOSE, DEFAULT, MORE, SPECIALS, Block, Flow, Step


def next_target(step: Step, value: Any) -> str:
    """The next table's target for an answer; for a checklist the first listed key chosen wins."""
    chosen = value if isinstance(value, list) else [value]
    for key, target in step.next.items():
        if key != DEFAULT and key in chosen:
            return target
    return step.next[DEFAULT]


def block_of(flow: Flow) -> dict[str, int]:
    """Map each step inside a block's chain to the block's index in flow order."""
    member: dict[str, int] = {}
    for index, block in enumerate(flow.blocks):
        todo = [block.first]
        while todo:
            step_id = todo.pop()
            if step_id in member or step_id not in flow.steps:
                continue
            member[step_id] = index
            todo.extend(t for t in flow.steps[step_id].next.values() if t not in SPECIALS)
    return member


def holds(block: Block, answers: Mapping[str, Any]) -> bool:
    for step_id, values in block.when.items():
        answer = answers.get(step_id)
        chosen = answer if isinstance(answer, list) else [answer]
        if not any(c in values for c in chosen):
            return False
    return True


def next_block(flow: Flow, members: Mapping[str, int], from_step: str, answers: Mapping[str, Any]) -> str:
    """First step of the next block whose condition holds, after the one ``from_step`` is in."""
    start = members.get(from_step, -1) + 1
    for block in flow.blocks[start:]:
        if holds(block, answers):
            return block.first
    return CLOSE


def resolve_special(flow: Flow, target: str) -> str:
    return flow.more_offer if target == MORE else target


__all__ = ["BLOCKS", "block_of", "holds", "next_block", "next_target", "resolve_special"]
