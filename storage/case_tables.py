"""Tables of casework on a tip (issue 12): case status, notes, links, referrals, reads, interpreters.

Plaintext here is metadata only (statuses, flags, ids, times, queue names, reason keys from a
fixed list).  Anything a member writes (notes, closing words, referral reasons, translations)
and any reporter text handed to an interpreter is sealed: notes to the tip's queue keys, an
interpreter's copy to that member's own public key.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def _blob() -> Column:  # type: ignore[type-arg]
    return Column(LargeBinary, nullable=False)


class TipCase(SQLModel, table=True):
    """The case status of a tip (no row: ``new``), its legal hold, and a recorded "no minor"."""

    __tablename__ = "tip_case"
    tip_id: str = Field(primary_key=True, max_length=32)
    status: str = Field(default="new", max_length=16, index=True)  # triage.casework.CaseStatus
    close_reason: str | None = Field(default=None, max_length=32)  # a key of triage.casework.CLOSE_REASONS
    duplicate_of: str | None = Field(default=None, max_length=32)
    legal_hold: bool = False
    no_minor_by: str | None = Field(default=None, max_length=32)  # staff id who recorded "no minor involved"
    no_minor_at: float | None = None
    updated_by: str = Field(default="", max_length=32)
    updated_at: float


class CaseNote(SQLModel, table=True):
    """A note on a tip: who wrote it, when, what kind; its words are in ``case_note_envelope``."""

    __tablename__ = "case_note"
    id: str = Field(primary_key=True, max_length=32)
    tip_id: str = Field(max_length=32, index=True)
    staff_id: str = Field(max_length=32)
    kind: str = Field(default="note", max_length=16)  # note | close | referral | no_minor | translation
    created_at: float


class CaseNoteEnvelope(SQLModel, table=True):
    """A note sealed to one queue key (context ``note:{note_id}:{queue}``)."""

    __tablename__ = "case_note_envelope"
    __table_args__ = (UniqueConstraint("note_id", "key_id"),)
    id: int | None = Field(default=None, primary_key=True)
    note_id: str = Field(max_length=32, index=True)
    queue: str = Field(max_length=64)
    key_id: str = Field(max_length=32)
    sealed: bytes = Field(sa_column=_blob(), repr=False)
    created_at: float


class TipLink(SQLModel, table=True):
    """Two related tips, stored once with the smaller id first; shown from both sides."""

    __tablename__ = "tip_link"
    tip_a: str = Field(primary_key=True, max_length=32)
    tip_b: str = Field(primary_key=True, max_length=32, index=True)
    staff_id: str = Field(max_length=32)
    created_at: float


class TipReferral(SQLModel, table=True):
    """Who shared what of a tip with which queue, and why (the why is a sealed note)."""

    __tablename__ = "tip_referral"
    id: int | None = Field(default=None, primary_key=True)
    tip_id: str = Field(max_length=32, index=True)
    to_queue: str = Field(max_length=64)
    staff_id: str = Field(max_length=32)
    versions: str = Field(max_length=256)  # the tip versions sealed anew, "3,5"
    notes: int = 0  # how many notes were sealed anew
    reason_note: str = Field(max_length=32)
    override: str | None = Field(default=None, max_length=16)  # decision 8 override ground: danger | child
    created_at: float


class TipSeen(SQLModel, table=True):
    """The tip version a member last opened: a newer one is "new information"."""

    __tablename__ = "tip_seen"
    staff_id: str = Field(primary_key=True, max_length=32)
    tip_id: str = Field(primary_key=True, max_length=32)
    version: int
    at: float


class StaffLanguage(SQLModel, table=True):
    """A language a member can translate from (an interpreter needs no queue)."""

    __tablename__ = "staff_language"
    staff_id: str = Field(primary_key=True, max_length=32)
    language: str = Field(primary_key=True, max_length=16)


class Interpretation(SQLModel, table=True):
    """A request to translate a tip's free text, sealed to the interpreter's own public key."""

    __tablename__ = "interpretation"
    id: str = Field(primary_key=True, max_length=32)
    tip_id: str = Field(max_length=32, index=True)
    requested_by: str = Field(max_length=32)
    interpreter: str = Field(max_length=32, index=True)
    language: str = Field(max_length=16)
    sealed: bytes = Field(sa_column=_blob(), repr=False)
    created_at: float
    done_at: float | None = None
    note_id: str | None = Field(default=None, max_length=32)  # the translation, a note on the tip
