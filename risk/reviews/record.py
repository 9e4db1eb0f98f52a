"""A stored review as the services return it: plain values, exact money."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from portfolio.money import minor_to_decimal
from portfolio.reviews import ReviewRecord

__all__ = ["Review"]

_COLUMNS: Final = ("loan_id", "as_of", "kind", "trigger", "borrower_id", "status", "tier",
                   "stage", "pd", "currency", "exposure_minor", "ecl_minor", "route", "inputs",
                   "outputs", "models", "next_review", "proposed_by", "created_at",
                   "decided_tier", "decided_by", "decided_at", "decision_reason")


@dataclass(frozen=True, slots=True)
class Review:
    """One review (see :class:`portfolio.reviews.ReviewRecord`); ``written`` says whether
    this call wrote it (``False``: it was stored already and is returned as stored)."""

    id: int
    loan_id: str
    as_of: date
    kind: str
    trigger: dict[str, Any] | None
    borrower_id: str
    status: str
    tier: str | None
    stage: int | None
    pd: float | None
    currency: str
    exposure: Decimal
    ecl: Decimal
    route: list[dict[str, Any]]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    models: dict[str, Any]
    next_review: date | None
    proposed_by: str
    created_at: datetime
    decided_tier: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    written: bool = False

    @classmethod
    def of(cls, row: ReviewRecord, *, written: bool = False) -> Review:
        assert row.id is not None
        return cls.from_values(row.id, {name: getattr(row, name) for name in _COLUMNS},
                               written=written)

    @classmethod
    def from_values(cls, review_id: int, values: Mapping[str, Any], *,
                    written: bool = False) -> Review:
        """The review of the column values of its record (as written, with its id)."""
        currency = values["currency"]
        return cls(
            id=review_id, loan_id=values["loan_id"], as_of=values["as_of"],
            kind=values["kind"], trigger=values["trigger"], borrower_id=values["borrower_id"],
            status=values["status"], tier=values["tier"], stage=values["stage"],
            pd=values["pd"], currency=currency,
            exposure=minor_to_decimal(values["exposure_minor"], currency),
            ecl=minor_to_decimal(values["ecl_minor"], currency), route=list(values["route"]),
            inputs=values["inputs"], outputs=values["outputs"], models=values["models"],
            next_review=values["next_review"], proposed_by=values["proposed_by"],
            created_at=values["created_at"], decided_tier=values["decided_tier"],
            decided_by=values["decided_by"], decided_at=values["decided_at"],
            decision_reason=values["decision_reason"], written=written)

    @property
    def key(self) -> tuple[str, date, str]:
        """The natural key: one review per loan, date and kind."""
        return (self.loan_id, self.as_of, self.kind)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "loan": self.loan_id, "as_of": self.as_of.isoformat(),
                "kind": self.kind, "trigger": self.trigger, "borrower": self.borrower_id,
                "status": self.status, "tier": self.tier, "stage": self.stage, "pd": self.pd,
                "currency": self.currency, "exposure": str(self.exposure),
                "ecl": str(self.ecl), "route": self.route, "inputs": self.inputs,
                "outputs": self.outputs, "models": self.models,
                "next_review": None if self.next_review is None
                else self.next_review.isoformat(),
                "proposed_by": self.proposed_by, "created_at": self.created_at.isoformat(),
                "decided_tier": self.decided_tier, "decided_by": self.decided_by,
                "decided_at": None if self.decided_at is None else self.decided_at.isoformat(),
                "decision_reason": self.decision_reason, "written": self.written}
