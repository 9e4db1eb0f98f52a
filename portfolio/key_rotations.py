"""The record of a pass that re-seals personal data under the newest keys.

``loanwatch keys rotate`` (and the encryption of a store written before encryption at rest,
by ``loanwatch migrate``) walks every personal node and every sealed SQL row (rejected rows,
contact notes, signing keys), one page per transaction. A :class:`KeyRotation` row says
which key versions the pass moves the data to, where it stands (the phase: a label,
``rejected_row``, ``contact_note`` or ``signing_key``; and the last id done), and how much
it has done: a pass that stops (Ctrl-C, a crash, a deploy) is resumed from there by the next
run with the same target versions, and ``loanwatch keys status`` shows the progress from
any other process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.types import UtcDateTime

__all__ = ["KeyRotation"]


class KeyRotation(SQLModel, table=True):
    """One re-sealing pass: its target key versions, its position and its counts."""

    __tablename__ = "key_rotation"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    data_key_version: int = Field(sa_type=Integer)
    hash_key_version: int = Field(sa_type=Integer)
    #: What is being re-sealed now: a node label (``Person``), ``rejected_row``,
    #: ``contact_note``, ``signing_key``, or ``done``.
    phase: str = Field(sa_type=String(32))
    #: The last id of the phase already done ("" before its first page).
    position: str = Field(default="", sa_type=Text)
    #: Rows and nodes looked at, and re-sealed, so far (all phases).
    examined: int = Field(default=0, sa_type=Integer)
    resealed: int = Field(default=0, sa_type=Integer)
    #: Rows and nodes to look at, counted when the pass started.
    total: int = Field(default=0, sa_type=Integer)
    started_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
