"""What the event flow did about one serious alert for one loan: the follow-up record.

When an event recorded through the API re-scores a neighbourhood of the graph and a serious
alert stands (:mod:`risk.flow`), the flow opens a triggered review of each loan the alert
concerns and, where the flow policy says so, a collection case. An
:class:`AlertFollowUp` keeps what it did, once per ``(alert_id, loan_id)`` (a unique
constraint): the event that started it, the review, the case, and the graph path that raised
the alert (the alert's evidence as it stood then, ``{"nodes": [...], "edges": [...]}``), so
a collector reads on the case why it was opened. A second delivery of the same event finds
the row and does nothing again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from portfolio.alerts import RULE_ID_LENGTH
from portfolio.collections import CASE_ID_LENGTH
from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["EVENT_ID_LENGTH", "FOLLOW_UP_KEY", "AlertFollowUp"]

#: The name of the unique constraint that makes a follow-up happen once.
FOLLOW_UP_KEY: Final = "uq_alert_follow_up_alert_loan"
EVENT_ID_LENGTH: Final = 255


class AlertFollowUp(SQLModel, table=True):
    """The flow's follow-up of alert ``alert_id`` on loan ``loan_id`` (module docstring)."""

    __tablename__ = "alert_follow_up"
    __table_args__ = (
        UniqueConstraint("alert_id", "loan_id", name=FOLLOW_UP_KEY),
        Index("ix_alert_follow_up_case_id", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    alert_id: int = Field(sa_column=Column(Integer, ForeignKey("alert.id"), nullable=False))
    loan_id: str = Field(sa_type=String(EXTERNAL_ID_LENGTH))
    event_id: str = Field(sa_type=String(EVENT_ID_LENGTH))
    rule_id: str = Field(sa_type=String(RULE_ID_LENGTH))
    severity: str = Field(sa_type=String(16))
    review_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("review.id"), nullable=True))
    case_id: str | None = Field(default=None, sa_column=Column(
        String(CASE_ID_LENGTH), ForeignKey("collection_case.id"), nullable=True))
    path: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)
