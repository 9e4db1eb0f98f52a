"""A party's loss-absorbing capacity: the one definition the stress test and the
guarantor-capacity rule share.

The capacity of a party is, the first that is known and above 0:

1. its imported ``loss_buffer`` (``loss_buffer_minor`` with ``loss_buffer_currency``) - what
   the bank knows better than the register: equity from audited statements, an assessed
   capacity of a person;
2. a company's ``registered_capital`` (registered capital: what the owners committed);
3. a person's ``monthly_income`` × ``income_months`` (36 by default: three years of income).

The stress test (:mod:`risk.contagion.portfolio`) runs in one currency and passes it as
``currency``: an amount in another currency is skipped (no exchange rates are held) and the
next one is taken. The ``guarantor_overextended`` rule passes no currency and takes the
first known amount in its own currency, then compares only guarantees in that currency.

A leaf of ``risk``: it imports nothing of the package, so that rule evaluation, however it
is rewritten, and the stress test call the same function.

>>> found = party_capacity({"registered_capital_minor": 500_000_00,
...                         "registered_capital_currency": "CNY"}, income_months=36)
>>> found.minor, found.currency, found.basis.value
(Decimal('50000000'), 'CNY', 'registered_capital')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

__all__ = [
    "CAPACITY_PROPERTIES",
    "DEFAULT_CAPACITY_INCOME_MONTHS",
    "LOSS_BUFFER_PROPERTY",
    "Capacity",
    "CapacityBasis",
    "capacity_properties",
    "party_capacity",
]

#: A person's capacity in months of income (the stress test's and the rule's default).
DEFAULT_CAPACITY_INCOME_MONTHS: Final[float] = 36.0
#: The imported amount that overrides the computed capacity (``docs/import-format.md``).
LOSS_BUFFER_PROPERTY: Final[str] = "loss_buffer"


class CapacityBasis(StrEnum):
    """Where a capacity came from (the values are those of the stress report's ``buffers``)."""

    OVERRIDE = "override"
    REGISTERED_CAPITAL = "registered_capital"
    INCOME = "income"


def capacity_properties(override_property: str = LOSS_BUFFER_PROPERTY) -> tuple[str, ...]:
    """The node properties :func:`party_capacity` reads, for a store read that fetches only
    what it needs."""
    return (f"{override_property}_minor", f"{override_property}_currency",
            "registered_capital_minor", "registered_capital_currency",
            "monthly_income_minor", "monthly_income_currency")


#: The node properties :func:`party_capacity` reads with the default override property.
CAPACITY_PROPERTIES: Final[tuple[str, ...]] = capacity_properties()


@dataclass(frozen=True, slots=True)
class Capacity:
    """A party's capacity in ``minor`` units of ``currency`` (exact; a person's income
    multiple may make it fractional), and its basis."""

    minor: Decimal
    currency: str
    basis: CapacityBasis


def _amount(props: Mapping[str, object], name: str) -> tuple[int, str] | None:
    minor, code = props.get(f"{name}_minor"), props.get(f"{name}_currency")
    if isinstance(minor, bool) or not isinstance(minor, int) or not isinstance(code, str):
        return None
    return (minor, code) if minor > 0 else None


def party_capacity(props: Mapping[str, object], *, income_months: float,
                   currency: str | None = None,
                   override_property: str = LOSS_BUFFER_PROPERTY) -> Capacity | None:
    """The capacity of a party from its node properties (see the module docstring), or
    ``None`` when none is known (in ``currency``, when given).

    Args:
        props: the party's node properties (at least :func:`capacity_properties`).
        income_months: a person's capacity in months of income; above 0.
        currency: only amounts in this currency count; ``None`` takes the first known one.
        override_property: the imported amount that comes first.

    Raises:
        ValueError: ``income_months`` is not above 0 (a caller's configuration bug:
            both callers validate their own setting first).
    """
    if not income_months > 0:
        raise ValueError(f"income_months must be above 0, got {income_months}")
    for name, basis in ((override_property, CapacityBasis.OVERRIDE),
                        ("registered_capital", CapacityBasis.REGISTERED_CAPITAL),
                        ("monthly_income", CapacityBasis.INCOME)):
        found = _amount(props, name)
        if found is None or (currency is not None and found[1] != currency):
            continue
        minor = Decimal(found[0])
        if basis is CapacityBasis.INCOME:
            minor *= Decimal(str(income_months))
        return Capacity(minor, found[1], basis)
    return None
