"""The interview as data: load ``bot/flow.toml`` into frozen values and check its shape.

Everything that can be checked without the catalogs or the region happens here, so a
broken flow file stops start-up with a message naming the step and the problem
instead of surfacing as a confused reporter.  Catalog and region checks live in
``bot.validation``.
"""

from __future__ import annotations

import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

DEFAULT_FLOW = Path(__file__).resolve().parent / "flow.toml"

STEP_TYPES = frozenset({"ynu", "yn", "choice", "checklist", "text", "notice"})
YN_KEYS: dict[str, tuple[str, ...]] = {"yn": ("yes", "no"), "ynu": ("yes", "no", "unsure")}

# Special next targets (see the comment at the top of flow.toml).
MORE = "@more"
CLOSE = "@close"
BLOCKS = "@blocks"
UNSAFE = "@unsafe"
SPECIALS = frozenset({MORE, CLOSE, BLOCKS, UNSAFE})
DEFAULT = "*"


class FlowError(ValueError):
    """The flow file (or a catalog it needs) is unusable; the message names the problem."""


@dataclass(frozen=True)
class Option:
    key: str
    text: str  # message id


@dataclass(frozen=True)
class Step:
    id: str
    type: str
    text: str
    next: Mapping[str, str]
    urgent: Mapping[str, str] = field(default_factory=dict)
    core: bool = False
    options: tuple[Option, ...] = ()
    options_from: str | None = None
    other_option: Option | None = None
    none_option: Option | None = None
    max_chars: int | None = None
    inform_if: Mapping[str, str] = field(default_factory=dict)
    inform_text: str | None = None
    # Per-answer label overrides for yn/ynu steps, e.g. MORE's "No, finish now".
    option_texts: Mapping[str, str] = field(default_factory=dict)

    @property
    def asks(self) -> bool:
        """True when the step waits for an answer (everything but a notice)."""
        return self.type != "notice"


@dataclass(frozen=True)
class Block:
    name: str
    first: str
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Flow:
    version: int
    start: str
    more_offer: str
    close: str  # id of the close text ("q.<close>"), not a step
    steps: Mapping[str, Step]
    blocks: tuple[Block, ...]
    # "step.answer" -> close id: a close of its own for a path (the victim's, A4 = self).
    close_when: Mapping[str, str] = field(default_factory=dict)
    # The bland "is it safe to text now?" (a yn step) asked first when a reporter comes back
    # after "write again when it is safe" or EXIT; None: they start a new interview.
    safety_check: str | None = None

    def close_for(self, answers: Mapping[str, Any]) -> str:
        for condition, close in self.close_when.items():
            step_id, _, value = condition.partition(".")
            if answers.get(step_id) == value:
                return close
        return self.close

    def step(self, step_id: str | None) -> Step | None:
        return self.steps.get(step_id) if step_id is not None else None


def static_answer_keys(step: Step) -> tuple[str, ...] | None:
    """Answer keys a step accepts, or None when they come from the region at run time."""
    if step.type in YN_KEYS:
        return YN_KEYS[step.type]
    if step.type in ("choice", "checklist"):
        if step.options_from is not None:
            return None
        keys = [o.key for o in step.options]
        for extra in (step.other_option, step.none_option):
            if extra is not None:
                keys.append(extra.key)
        return tuple(keys)
    return ()


def load_flow(path: Path | None = None) -> Flow:
    """Read and check a flow file (default ``bot/flow.toml``); raises FlowError."""
    source = path or DEFAULT_FLOW
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FlowError(f"cannot read flow file {source}: {exc}") from exc
    flow = _build(raw)
    check_structure(flow)
    return flow


def _build(raw: Mapping[str, Any]) -> Flow:
    steps: dict[str, Step] = {}
    for index, item in enumerate(raw.get("step", [])):
        step = _step(item, index)
        if step.id in steps:
            raise FlowError(f"duplicate step id {step.id!r}")
        steps[step.id] = step
    blocks = tuple(_block(item) for item in raw.get("block", []))
    names = [b.name for b in blocks]
    for name in names:
        if names.count(name) > 1:
            raise FlowError(f"duplicate block name {name!r}")
    try:
        return Flow(
            version=int(raw.get("version", 1)),
            start=str(raw["start"]),
            more_offer=str(raw["more_offer"]),
            close=str(raw["close"]),
            steps=steps,
            blocks=blocks,
            close_when=_str_map(raw.get("close_when"), "close_when"),
            safety_check=str(raw["safety_check"]) if "safety_check" in raw else None,
        )
    except KeyError as exc:
        raise FlowError(f"flow file lacks the top-level key {exc.args[0]!r}") from exc


def _option(item: Any, where: str) -> Option:
    if not isinstance(item, dict) or not item.get("key"):
        raise FlowError(f"{where}: an option has no key")
    if not item.get("text"):
        raise FlowError(f"{where}: option {item['key']!r} has no text key")
    return Option(key=str(item["key"]), text=str(item["text"]))


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FlowError(f"{where} must be a table")
    return {str(k): str(v) for k, v in value.items()}


def _step(item: Mapping[str, Any], index: int) -> Step:
    step_id = str(item.get("id") or "")
    if not step_id:
        raise FlowError(f"step number {index + 1} has no id")
    kind = str(item.get("type", ""))
    if kind not in STEP_TYPES:
        raise FlowError(f"step {step_id}: unknown type {kind!r} (known: {', '.join(sorted(STEP_TYPES))})")
    if not item.get("text"):
        raise FlowError(f"step {step_id}: no text key")
    where = f"step {step_id}"
    extras = {
        name: _option(item[name], where) if name in item else None
        for name in ("other_option", "none_option")
    }
    max_chars = item.get("max_chars")
    return Step(
        id=step_id,
        type=kind,
        text=str(item["text"]),
        next=_str_map(item.get("next"), f"{where}: next"),
        urgent=_str_map(item.get("urgent"), f"{where}: urgent"),
        core=bool(item.get("core", False)),
        options=tuple(_option(o, where) for o in item.get("options", [])),
        options_from=str(item["options_from"]) if "options_from" in item else None,
        other_option=extras["other_option"],
        none_option=extras["none_option"],
        max_chars=int(max_chars) if max_chars is not None else None,
        inform_if=_str_map(item.get("inform_if"), f"{where}: inform_if"),
        inform_text=str(item["inform_text"]) if "inform_text" in item else None,
        option_texts=_str_map(item.get("option_texts"), f"{where}: option_texts"),
    )


def _block(item: Mapping[str, Any]) -> Block:
    name = str(item.get("name") or "")
    if not name or not item.get("first"):
        raise FlowError(f"block {name or '?'}: needs a name and a first step")
    when = {str(k): tuple(str(x) for x in (v if isinstance(v, list) else [v])) for k, v in item.get("when", {}).items()}
    return Block(name=name, first=str(item["first"]), when=when)


def check_structure(flow: Flow) -> None:
    """Check what needs no catalog: targets, answer keys, options, reachability."""
    for top in ("start", "more_offer"):
        target = getattr(flow, top)
        if target not in flow.steps:
            raise FlowError(f"{top} names a step that does not exist: {target!r}")
    for step in flow.steps.values():
        _check_step(flow, step)
    for block in flow.blocks:
        if block.first not in flow.steps:
            raise FlowError(f"block {block.name}: first step {block.first!r} does not exist")
        for step_id, values in block.when.items():
            _check_condition(flow, f"block {block.name}", step_id, values)
    for condition in flow.close_when:
        step_id, _, value = condition.partition(".")
        _check_condition(flow, "close_when", step_id, (value,))
    if flow.safety_check is not None:
        _check_condition(flow, "safety_check", flow.safety_check, ("yes", "no"))
    unreachable = sorted(set(flow.steps) - reachable(flow))
    if unreachable:
        raise FlowError(f"steps unreachable from {flow.start}: {', '.join(unreachable)}")


def _check_step(flow: Flow, step: Step) -> None:
    where = f"step {step.id}"
    if step.type in ("choice", "checklist") and not step.options and step.options_from is None:
        raise FlowError(f"{where}: a {step.type} needs options or options_from")
    if step.options_from not in (None, "region.areas"):
        raise FlowError(f"{where}: unknown options_from {step.options_from!r}")
    if step.type == "text" and (step.max_chars is None or step.max_chars < 1):
        raise FlowError(f"{where}: a text step needs max_chars")
    keys = static_answer_keys(step)
    if keys is not None and len(set(keys)) != len(keys):
        raise FlowError(f"{where}: duplicate option keys")
    if DEFAULT not in step.next:
        raise FlowError(f"{where}: next has no default \"*\"")
    for table in ("next", "urgent", "option_texts"):
        for key in getattr(step, table):
            if key == DEFAULT and table == "next":
                continue
            if keys is None or key not in keys:
                raise FlowError(f"{where}: {table} key {key!r} is not a valid answer for this step")
    for target in step.next.values():
        if target not in flow.steps and target not in SPECIALS:
            raise FlowError(f"{where}: next target {target!r} does not exist")
    if step.inform_if and not step.inform_text:
        raise FlowError(f"{where}: inform_if needs inform_text")
    for step_id, value in step.inform_if.items():
        _check_condition(flow, f"{where}: inform_if", step_id, (value,))


def _check_condition(flow: Flow, where: str, step_id: str, values: tuple[str, ...]) -> None:
    other = flow.steps.get(step_id)
    if other is None:
        raise FlowError(f"{where}: condition on unknown step {step_id!r}")
    keys = static_answer_keys(other)
    for value in values:
        if keys is not None and value not in keys:
            raise FlowError(f"{where}: {value!r} is not a valid answer of step {step_id}")


def reachable(flow: Flow) -> set[str]:
    """Step ids reachable from start through next targets, the MORE offer and blocks."""
    seen: set[str] = set()
    queue: deque[str] = deque([flow.start])
    while queue:
        step_id = queue.popleft()
        if step_id in seen or step_id not in flow.steps:
            continue
        seen.add(step_id)
        for target in flow.steps[step_id].next.values():
            if target == MORE:
                queue.append(flow.more_offer)
            elif target == BLOCKS:
                queue.extend(b.first for b in flow.blocks)
            elif target not in SPECIALS:
                queue.append(target)
    return seen
