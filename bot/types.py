"""Plain values that cross the engine's boundary.

The engine (``bot.engine``) takes an ``InboundMessage`` and a ``ConversationState``
and returns an ``Outcome``: replies, the new state and events.  Nothing here does
I/O.  Fields that may hold what a reporter wrote, or where they wrote from, are
``repr=False`` so that a value printed into a log or a traceback shows none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Callable

# Channels the engine knows.  SMS and WhatsApp share carrier-keyword rules.
SMS = "sms"
WHATSAPP = "whatsapp"
TELEGRAM = "telegram"
TERMINAL = "terminal"
CHANNELS = (SMS, WHATSAPP, TELEGRAM, TERMINAL)


class Status(StrEnum):
    """Where a conversation stands (``ConversationState.status``)."""

    NEW = "new"  # nothing answered yet
    ACTIVE = "active"  # an interview in progress
    FINISHED = "finished"  # the close was reached and a reference code given
    ENDED = "ended"  # DONE, EXIT or expiry: the next message starts over
    OPTED_OUT = "opted_out"  # a carrier opt-out word: the line sends nothing


@dataclass(frozen=True)
class Hints:
    """Evidence used in memory only, never stored (DESIGN.md, "Language")."""

    language_code: str | None = None  # Telegram app language: a prior, not the message language
    country: str | None = None  # the sender's calling-code country: a prior only


@dataclass(frozen=True)
class InboundMessage:
    """One message from a reporter, already authenticated and normalised by its edge."""

    channel: str
    address: str = field(repr=False)
    text: str = field(repr=False)
    provider_id: str | None = field(default=None, repr=False)
    # Telegram inline-button press: the button's callback data (checked against state).
    button: str | None = field(default=None, repr=False)
    # Telegram /start deep-link payload (language or campaign region), already split off ``text``.
    start_payload: str | None = field(default=None, repr=False)
    has_media: bool = False
    # What a channel shared besides text ("location", "venue", "contact"): only its kind, never
    # its content (it may be the reporter's own position or a third party's number).
    shared: str | None = None
    # The chat's own message id (Telegram), so EXIT can delete the message later.
    message_ref: str | None = field(default=None, repr=False)
    hints: Hints = field(default_factory=Hints, repr=False)


@dataclass(frozen=True)
class Button:
    label: str = field(repr=False)
    data: str = field(repr=False)  # compact, at most 64 bytes (Telegram callback_data)
    selected: bool = False


@dataclass(frozen=True)
class Reply:
    """One outgoing message.  ``buttons`` are rows of inline buttons (Telegram only)."""

    text: str = field(repr=False)
    buttons: tuple[tuple[Button, ...], ...] = ()
    # Telegram only: ``text`` is Telegram HTML (bold headings of the signs summary), escaped.
    html: bool = False


class OutboxAction(StrEnum):
    SEND = "send"  # send ``text`` (and its buttons), or edit the keyboard of message ``edit``
    DELETE_HISTORY = "delete_history"  # EXIT on Telegram: delete the chat's messages the API allows


@dataclass(frozen=True)
class OutboxMessage:
    """One queued delivery: what the outbox stores (sealed) and the sender delivers."""

    text: str = field(default="", repr=False)
    buttons: tuple[tuple[Button, ...], ...] = ()
    # Telegram: a checklist tick edits the keyboard of this (the question's) message in place.
    edit: str | None = field(default=None, repr=False)
    action: OutboxAction = OutboxAction.SEND
    html: bool = False  # Telegram: send with parse_mode HTML

    @classmethod
    def of(cls, reply: Reply) -> "OutboxMessage":
        return cls(text=reply.text, buttons=reply.buttons, html=reply.html)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [[{"label": b.label, "data": b.data, "selected": b.selected} for b in row]
                               for row in self.buttons]
        if self.edit is not None:
            data["edit"] = self.edit
        if self.action is not OutboxAction.SEND:
            data["action"] = self.action.value
        if self.html:
            data["html"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "OutboxMessage":
        rows = tuple(tuple(Button(**b) for b in row) for row in data.get("buttons") or ())
        return cls(text=str(data.get("text") or ""), buttons=rows, edit=data.get("edit"),
                   action=OutboxAction(data.get("action") or OutboxAction.SEND), html=data.get("html") is True)


class EventKind(StrEnum):
    URGENT = "urgent"  # a danger answer or a possible minor: seal and route now
    COMPLETE = "complete"  # the reporter reached the close
    INCOMPLETE = "incomplete"  # DONE, EXIT, expiry, or an unsafe self-report: seal what was given
    UPDATED = "updated"  # a reporter who came back added information
    OPTED_OUT = "opted_out"  # carrier opt-out keyword: send nothing more to this address
    OPTED_IN = "opted_in"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    reason: str  # e.g. "danger", "minor", "done", "exit", "expiry", "close", "more"
    # A reference code shown to the reporter with this event; storage keeps only its slow hash.
    code: str | None = field(default=None, repr=False)


@dataclass
class ConversationState:
    """Everything the engine needs to resume; stored encrypted, never in plaintext.

    ``answers`` maps a flow step id to its answer: "yes" / "no" / "unsure" for
    yes-no-unsure steps, an option key for a choice, a list of option keys for a
    checklist, a string for free text.  A skipped step maps to ``None``.
    """

    locale: str
    step: str | None = None
    status: str = Status.NEW
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    misses: int = 0
    tip_open: bool = False  # a tip exists for this conversation (sealed at least once)
    code_given: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # engine-private bookkeeping

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: called once per message on the hot path, and the result is
        # serialised at once (dataclasses.asdict deep-copies, several times slower).
        return {
            "locale": self.locale, "step": self.step, "status": self.status, "answers": self.answers,
            "history": self.history, "misses": self.misses, "tip_open": self.tip_open,
            "code_given": self.code_given, "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConversationState":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class Texting(StrEnum):
    """Whether a reporter can text the region's emergency number (REGIONS.md)."""

    YES = "yes"
    REGISTRATION = "registration"  # only after registering: replies must not promise it
    PARTIAL = "partial"  # only where the local centre accepts texts
    NO = "no"  # no SMS access found


class Operator(StrEnum):
    """Who runs a hotline: replies say so when it is the police (a reporter may not want them)."""

    NGO = "ngo"
    GOVERNMENT = "government"
    POLICE = "police"


@dataclass(frozen=True)
class Line:
    """Where one of a region's numbers comes from (REGIONS.md source id) and how it was checked."""

    kind: str  # "emergency" or "hotline"
    source: str  # a REGIONS.md Sources id, e.g. "US4"
    verified: date  # when it was read (from stored copies of public pages)
    verified_live: bool  # False: nobody called it for this deployment


@dataclass(frozen=True)
class Region:
    """What a deployment region supplies to replies; never derived from a phone number."""

    code: str
    emergency: str
    hotline: str | None  # the national trafficking hotline; None where there is none
    areas: tuple[str, ...]  # option keys for "where"; their words live in the catalogs
    texting: Texting = Texting.NO  # the safe default: never promise texting works
    text_number: str | None = None  # where texting = YES goes to another number (France: 114)
    hotline_sms: str | None = None
    hotline_operator: Operator = Operator.NGO
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Context:
    """What the engine may know about the world for one step."""

    region: Region
    new_code: Callable[[], str]  # makes a fresh reference code when one is shown
    partners: tuple[str, ...] = ()  # partner kinds named in the notice


@dataclass
class Outcome:
    replies: list[Reply]
    state: ConversationState
    events: list[Event] = field(default_factory=list)
    # False when the channel must send nothing at all (carrier opt-out keywords).
    send: bool = True
    # Set by the engine's last line of defence: the type name of what it caught (never its
    # message, which may quote the reporter), so the service can log that it happened.
    failed: str | None = None
