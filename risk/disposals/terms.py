"""What a proposal asks for: its kind, its date, and the terms of that kind, checked before
anything is read or stored.

* ``term_extension``: ``extend_by`` more installments (at least 1); the balance not yet
  due is amortized again over the installments left plus those.
* ``payment_holiday``: ``holiday`` installments (at least 1) not paid; their interest is
  capitalised and the term grows by as many installments.
* ``reduced_installments``: ``reduced`` installments (at least 1) of ``payment`` each, then
  the annuity over the rest of the term (``extend_by`` may lengthen it).
* ``write_off``: ``amount`` written off (default: everything owed on the date).
* ``recovery``: ``amount`` recovered on a written-off loan.
* ``collateral_disposal``: ``collateral_id`` (a ``Collateral`` the loan is ``SECURED_BY``
  in the graph) sold on the date for ``proceeds``, with ``costs``; the net is applied to
  the loan (a repayment while it is active, a recovery once it is written off).

Amounts are :class:`~decimal.Decimal` in the loan's currency (major units, at most its
decimals); they become integer minor units once the loan's currency is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from portfolio.disposals import DisposalKind
from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.money import MAX_MINOR_UNITS, exponent_of
from risk.disposals.amortization import MAX_PERIODS
from risk.disposals.errors import InvalidTerms

__all__ = ["MAX_REASON_LENGTH", "RESTRUCTURINGS", "Terms", "terms_of", "to_minor"]

#: The kinds that change the schedule.
RESTRUCTURINGS: Final = frozenset({DisposalKind.TERM_EXTENSION, DisposalKind.PAYMENT_HOLIDAY,
                                   DisposalKind.REDUCED_INSTALLMENTS})
#: The longest reason kept (characters).
MAX_REASON_LENGTH: Final = 2_000
_COUNTS: Final = ("extend_by", "holiday", "reduced")
_AMOUNTS: Final = ("payment", "amount", "proceeds", "costs")
#: The fields each kind takes (others must be left out).
_FIELDS: Final[dict[DisposalKind, frozenset[str]]] = {
    DisposalKind.TERM_EXTENSION: frozenset({"extend_by"}),
    DisposalKind.PAYMENT_HOLIDAY: frozenset({"holiday"}),
    DisposalKind.REDUCED_INSTALLMENTS: frozenset({"reduced", "payment", "extend_by"}),
    DisposalKind.WRITE_OFF: frozenset({"amount"}),
    DisposalKind.RECOVERY: frozenset({"amount"}),
    DisposalKind.COLLATERAL_DISPOSAL: frozenset({"collateral_id", "proceeds", "costs"}),
}
_REQUIRED: Final[dict[DisposalKind, frozenset[str]]] = {
    DisposalKind.TERM_EXTENSION: frozenset({"extend_by"}),
    DisposalKind.PAYMENT_HOLIDAY: frozenset({"holiday"}),
    DisposalKind.REDUCED_INSTALLMENTS: frozenset({"reduced", "payment"}),
    DisposalKind.WRITE_OFF: frozenset(),
    DisposalKind.RECOVERY: frozenset({"amount"}),
    DisposalKind.COLLATERAL_DISPOSAL: frozenset({"collateral_id", "proceeds"}),
}


def to_minor(amount: Decimal, currency: str, field: str) -> int:
    """``amount`` of ``currency`` in minor units.

    Raises:
        InvalidTerms: more decimals than the currency has, or too large.
    """
    exponent = exponent_of(currency)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidTerms([(field, f"{amount} has more than the {exponent} decimal(s) of "
                                    f"{currency}")])
    minor = int(scaled)
    if abs(minor) > MAX_MINOR_UNITS:
        raise InvalidTerms([(field, f"{amount} {currency} is too large")])
    return minor


@dataclass(frozen=True, slots=True)
class Terms:
    """A proposal's kind, date and terms (see the module for each kind's fields)."""

    kind: DisposalKind
    effective_on: date
    extend_by: int | None = None
    holiday: int | None = None
    reduced: int | None = None
    payment: Decimal | None = None
    amount: Decimal | None = None
    collateral_id: str | None = None
    proceeds: Decimal | None = None
    costs: Decimal | None = None
    #: Whether the concession is to a debtor in financial difficulty (a restructured asset).
    financial_difficulty: bool = True

    def given(self) -> dict[str, Any]:
        """The kind's fields that were given, as JSON (amounts as decimal text)."""
        found: dict[str, Any] = {}
        for name in (*_COUNTS, *_AMOUNTS, "collateral_id"):
            value = getattr(self, name)
            if value is not None:
                found[name] = str(value) if isinstance(value, Decimal) else value
        if self.kind in RESTRUCTURINGS:
            found["financial_difficulty"] = self.financial_difficulty
        return found

    def check(self) -> None:
        """Refuse terms that break a rule of their kind, naming every field at fault.

        Raises:
            InvalidTerms: a field the kind does not take, a missing one, a count out of
                range, a negative or non-finite amount, an empty collateral id.
        """
        problems: list[tuple[str, str]] = []
        given = {n for n in (*_COUNTS, *_AMOUNTS, "collateral_id")
                 if getattr(self, n) is not None}
        for name in sorted(given - _FIELDS[self.kind]):
            problems.append((name, f"a {self.kind.value} does not take {name}"))
        for name in sorted(_REQUIRED[self.kind] - given):
            problems.append((name, f"a {self.kind.value} needs {name}"))
        for name in _COUNTS:
            value = getattr(self, name)
            low = 0 if name == "extend_by" and self.kind is not DisposalKind.TERM_EXTENSION \
                else 1
            if value is not None and not low <= value <= MAX_PERIODS:
                problems.append((name, f"must be {low} to {MAX_PERIODS} installments, got "
                                       f"{value}"))
        for name in _AMOUNTS:
            value = getattr(self, name)
            if value is None:
                continue
            if not value.is_finite() or value < 0:
                problems.append((name, f"must be a finite amount of 0 or more, got {value}"))
            elif value == 0 and name in ("amount", "proceeds"):
                problems.append((name, "must be more than 0"))
        if self.collateral_id is not None and not 0 < len(self.collateral_id.strip()) \
                <= EXTERNAL_ID_LENGTH:
            problems.append(("collateral_id", f"must be an id of 1 to {EXTERNAL_ID_LENGTH} "
                                              "characters"))
        if problems:
            raise InvalidTerms(problems)


def terms_of(kind: str, effective_on: date, given: dict[str, Any]) -> Terms:
    """The :class:`Terms` a proposal stored (the inverse of :meth:`Terms.given`)."""
    values: dict[str, Any] = {}
    for name, value in given.items():
        values[name] = Decimal(value) if name in _AMOUNTS else value
    return Terms(kind=DisposalKind(kind), effective_on=effective_on, **values)
