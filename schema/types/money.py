"""Money in the API: ``Money { amount: Decimal!, currency: String! }``.

``Decimal`` is Strawberry's scalar for :class:`decimal.Decimal`, serialised as a string
(``"12345678901234.56"``), so no client parses an amount through a binary float. Amounts are
read from the exact integer minor units and the currency stored beside each amount
(``principal_minor`` and ``principal_currency`` beside ``principal``, see
``docs/data-model.md``), never from the float kept for analytics.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import strawberry

from graph.model import PropertyValue
from portfolio.money import ISO_4217_CODES, minor_to_decimal

__all__ = ["Money", "money_prop"]


@strawberry.type(description="An exact amount of money in a currency.")
class Money:
    amount: Decimal = strawberry.field(
        description="The amount as a decimal string with the currency's decimals "
        "(\"1234.50\" CNY, \"1000\" JPY, \"1.250\" KWD)."
    )
    currency: str = strawberry.field(description="ISO 4217 code.")


def money_prop(props: Mapping[str, PropertyValue], key: str) -> Money | None:
    """The amount stored as ``{key}_minor`` minor units of ``{key}_currency``; ``None`` when
    either is missing (a graph imported before 0.2 and not yet upgraded by ``loanwatch
    migrate``)."""
    minor = props.get(f"{key}_minor")
    currency = props.get(f"{key}_currency")
    if type(minor) is not int or not isinstance(currency, str) or currency not in ISO_4217_CODES:
        return None
    return Money(amount=minor_to_decimal(minor, currency), currency=currency)
