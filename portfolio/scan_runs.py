"""Versioned scan runs and their results.

A :class:`ScanRun` is one pass of ``loanwatch scan`` over the portfolio as of a date: when it
ran, with which code and settings, how long each phase took and how much memory it used. Its
results are keyed by the run id: one :class:`ScanLoanResult` per loan (tier, stage, days past
due, exposure and expected credit loss in exact minor units, the reasons), one
:class:`ScanFinding` per finding (a guarantee circle, a corporate group, an identity ring)
with its members and evidence, one :class:`ScanFindingMember` per member (so a party's
findings are one indexed lookup), and one :class:`ScanAlert` per alert the run raised or
updated (a pointer into ``alert``; alerts keep their own lifecycle).

Readers never pick "the newest row": the run to read is the one the ``latest``
:class:`ScanPointer` names, flipped only when a run has stored everything (see
:mod:`risk.scan`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import JSON, BigInteger, Column, Date, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = [
    "LATEST_POINTER",
    "ScanAlert",
    "ScanFinding",
    "ScanFindingMember",
    "ScanLoanResult",
    "ScanPointer",
    "ScanRun",
    "ScanStatus",
]

#: The name of the pointer row that names the run readers see.
LATEST_POINTER: Final = "latest"
_CODE_VERSION_LENGTH: Final = 128


class ScanStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ScanRun(SQLModel, table=True):
    """One scan: ``settings`` (JSON) that shaped it, ``phases`` (JSON ``{name: {"seconds",
    "peak_mib"}}``), ``summary`` (JSON counts and totals) and, when it failed, ``error``."""

    __tablename__ = "scan_run"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    as_of: date = Field(sa_type=Date)
    started_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    status: str = Field(default=ScanStatus.RUNNING.value, sa_type=String(16))
    code_version: str = Field(sa_type=String(_CODE_VERSION_LENGTH))
    settings: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    phases: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    summary: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_type=Text)


class ScanPointer(SQLModel, table=True):
    """A named pointer to a run (``latest``: the run readers see)."""

    __tablename__ = "scan_pointer"

    name: str = Field(primary_key=True, sa_type=String(32))
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), nullable=False))


class ScanLoanResult(SQLModel, table=True):
    """One loan's classification and provision in one run; money in exact minor units."""

    __tablename__ = "scan_loan_result"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), primary_key=True))
    loan_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    borrower_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    tier: str = Field(sa_type=String(16))
    stage: int = Field(sa_type=Integer)
    dpd: int = Field(sa_type=Integer)
    currency: str = Field(sa_type=String(CURRENCY_LENGTH))
    exposure_minor: int = Field(sa_type=BigInteger)
    ecl_minor: int = Field(sa_type=BigInteger)
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    #: Flags for downgrade review from the graph (guarantor, controlling owner or circle
    #: partner non-performing), each with its path; see risk/classification/graph_flags.py.
    review_flags: list[dict[str, Any]] = Field(default_factory=list,
                                               sa_column=Column(JSON, nullable=False))


class ScanFinding(SQLModel, table=True):
    """One finding of a run: ``kind`` is ``circle``, ``mutual``, ``joint``, ``group`` or
    ``ring`` (phases may add kinds); ``members`` party ids; ``evidence`` what proves it."""

    __tablename__ = "scan_finding"
    __table_args__ = (Index("ix_scan_finding_run", "run_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), nullable=False))
    kind: str = Field(sa_type=String(16))
    members: list[str] = Field(sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class ScanFindingMember(SQLModel, table=True):
    """``party_id`` is a member of finding ``finding_id`` of run ``run_id``."""

    __tablename__ = "scan_finding_member"
    __table_args__ = (Index("ix_scan_finding_member_party", "run_id", "party_id"),)

    finding_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_finding.id"),
                                             primary_key=True))
    party_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), nullable=False))


class ScanAlert(SQLModel, table=True):
    """Alert ``alert_id`` was raised or touched by run ``run_id`` (``outcome`` says how)."""

    __tablename__ = "scan_alert"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), primary_key=True))
    alert_id: int = Field(sa_column=Column(Integer, ForeignKey("alert.id"), primary_key=True))
    outcome: str = Field(sa_type=String(16))
