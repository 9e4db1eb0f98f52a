"""How the portfolio becomes an exposure network: buffers, link loss rules, LGD, currency.

:class:`StressConfig` holds every assumption of a portfolio stress test, each a named
default that a caller may override (the CLI passes plain values; nothing here reads
settings):

**Loss-absorbing buffer** (the ``capital`` of DebtRank: the loss that takes a party to
distress 1), in minor units of the run's currency: the party's capacity as
:func:`risk.contagion.capacity.party_capacity` defines it for the ``guarantor_overextended``
rule too, in the run's currency, else a floor; that is the first of:

1. the party's own ``<override_property>_minor`` (default ``loss_buffer_minor``, with
   ``loss_buffer_currency``) when the graph holds one above 0 — a column a bank imports
   when it knows better (equity from financial statements, an assessed capacity);
2. a company's ``registered_capital_minor``;
3. a person's ``monthly_income_minor`` × ``income_months`` (36 by default, the same
   multiple as the ``guarantor_overextended`` rule's capacity);
4. ``floor_minor`` (100,000.00 by default) for a party with none of these, or whose
   amounts are in another currency than the run's (no exchange rates are held).

**Loss rule of each link** (the ``amount`` of an exposure; the creditor is the party that
loses when the debtor defaults):

* guarantee: the guarantor of a loan loses up to the guaranteed ``amount_minor`` of its
  ``GUARANTEES`` edge (the loan's principal when the edge names no amount) when the
  borrower defaults (a loan with several borrowers links the guarantor to each of them
  with the whole amount, so if all of them default it is counted once per borrower);
* ownership: an owner loses up to its stake, ``pct`` × the owned company's buffer, when
  the company defaults;
* supply: a payee loses ``supply_share`` (a quarter by default: about three months of
  business) of what the payer paid it over the last ``supply_months`` (12) months of
  ``TRANSFERS`` when the payer defaults — a supplier loses a customer, an employee an
  employer. The window ends at the latest month the graph holds. Transfers between the
  accounts of one party are left out.

**Loss given default** (``lgd``, 0.45 by default, the Basel foundation-IRB figure for a
senior unsecured claim) turns the distress of a borrower into an expected loss on its
loans: ``distress × principal × lgd``.

**Materiality** (``min_distress``, 0.01 by default): the distress from which a party is
reported as hit, its loans counted in the exposure at risk (the propagation itself is
exact and uses every distress, however small).

**Economic weight** ``v`` of a party (what DebtRank's additional stress is weighed by): the
principal it borrows in the run's currency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from risk.contagion.capacity import DEFAULT_CAPACITY_INCOME_MONTHS, LOSS_BUFFER_PROPERTY
from risk.errors import ContagionInputError

__all__ = [
    "DEFAULT_FLOOR_MINOR",
    "DEFAULT_INCOME_MONTHS",
    "DEFAULT_LGD",
    "DEFAULT_MIN_DISTRESS",
    "DEFAULT_OVERRIDE_PROPERTY",
    "DEFAULT_SUPPLY_MONTHS",
    "DEFAULT_SUPPLY_SHARE",
    "StressConfig",
]

#: A person's buffer in months of income (the guarantor-capacity rule's multiple).
DEFAULT_INCOME_MONTHS: Final[float] = DEFAULT_CAPACITY_INCOME_MONTHS
#: The buffer of a party with no known capital or income, in minor units (100,000.00).
DEFAULT_FLOOR_MINOR: Final[int] = 10_000_000
#: Loss given default: Basel foundation IRB, senior unsecured claims.
DEFAULT_LGD: Final[float] = 0.45
#: Distress from which a party is reported as hit (1 % of its buffer lost).
DEFAULT_MIN_DISTRESS: Final[float] = 0.01
#: Share of the trailing flows a payee loses when its payer defaults.
DEFAULT_SUPPLY_SHARE: Final[float] = 0.25
#: Months of ``TRANSFERS`` a supply exposure is measured over.
DEFAULT_SUPPLY_MONTHS: Final[int] = 12
#: The party property that overrides the computed buffer (``<name>_minor``, ``<name>_currency``).
DEFAULT_OVERRIDE_PROPERTY: Final[str] = LOSS_BUFFER_PROPERTY


@dataclass(frozen=True, slots=True)
class StressConfig:
    """The assumptions of a portfolio stress test; see the module docstring.

    ``currency`` is the run's currency; ``None`` takes the portfolio's only loan currency
    (a portfolio with several must name one). Raises
    :class:`~risk.errors.ContagionInputError` on a value out of range, naming it.
    """

    income_months: float = DEFAULT_INCOME_MONTHS
    floor_minor: int = DEFAULT_FLOOR_MINOR
    lgd: float = DEFAULT_LGD
    supply_share: float = DEFAULT_SUPPLY_SHARE
    supply_months: int = DEFAULT_SUPPLY_MONTHS
    override_property: str = DEFAULT_OVERRIDE_PROPERTY
    currency: str | None = None
    min_distress: float = DEFAULT_MIN_DISTRESS

    def __post_init__(self) -> None:
        if not (math.isfinite(self.income_months) and self.income_months > 0):
            raise ContagionInputError(f"income_months must be above 0, got {self.income_months}")
        if self.floor_minor < 1:
            raise ContagionInputError(f"floor_minor must be at least 1, got {self.floor_minor}")
        for name in ("lgd", "supply_share", "min_distress"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ContagionInputError(f"{name} {value!r} is outside [0, 1]")
        if self.supply_months < 1:
            raise ContagionInputError(
                f"supply_months must be at least 1, got {self.supply_months}")
        if not self.override_property:
            raise ContagionInputError("override_property must name a party property")
