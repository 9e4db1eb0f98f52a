"""Exact money: ISO 4217 currencies, their minor units, and amounts as integers of them.

Every amount Loanwatch stores is an integer count of its currency's minor unit (cents for
CNY and USD, yen for JPY, fils for KWD) beside the currency's code: ``1234.56 CNY`` is
``123456`` with exponent 2. Integers are exact in SQLite and PostgreSQL alike (a BIGINT),
in Neo4j and in JSON, where SQLite's ``NUMERIC`` is a REAL that loses cents above about
10^13. :data:`MAX_MINOR_UNITS` keeps every amount well inside a signed 64-bit integer.

This module is a leaf: ingest writes amounts with it, the API reads them with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

__all__ = [
    "CURRENCY_EXPONENTS",
    "DEFAULT_CURRENCY",
    "ISO_4217_CODES",
    "MAX_MINOR_UNITS",
    "exponent_of",
    "minor_to_decimal",
    "minor_to_float",
]

#: The currency of amounts whose row names none (persons, companies, bureau snapshots,
#: transactions) and of the amounts stored before currencies were recorded.
DEFAULT_CURRENCY: Final = "CNY"

#: Amounts are below 10^18 minor units: a signed 64-bit integer holds 9.2 * 10^18, so a
#: stored amount always fits, and so does the sum of nine of the largest ones. In CNY that
#: is ten quadrillion yuan, far above any single loan or balance.
MAX_MINOR_UNITS: Final = 10**18 - 1

_ACTIVE_CODES_TEXT: Final = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG
XAU XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG ZWL
"""
#: Codes whose minor unit is not 2, from ISO 4217's list one (the "Minor unit" column).
#: ISO 4217 gives none for the precious metals and the fund units (XAG ... XUA); they are
#: traded in fractions, so Loanwatch keeps four decimals for them.
_NOT_TWO_TEXT: Final = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW XAG XAU XPD XPT XDR XSU XUA",
}
_NOT_TWO: Final = {code: exponent for exponent, text in _NOT_TWO_TEXT.items()
                   for code in text.split()}
#: ISO 4217 alphabetic code -> exponent of its minor unit (``JPY`` 0, ``CNY`` 2, ``KWD`` 3).
CURRENCY_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {code: _NOT_TWO.get(code, 2) for code in _ACTIVE_CODES_TEXT.split()}
)
#: The currency codes accepted in imports and stored with amounts.
ISO_4217_CODES: Final = frozenset(CURRENCY_EXPONENTS)


def exponent_of(currency: str) -> int:
    """How many decimals ``currency`` has (its minor unit is 10^-exponent of the unit).

    Raises:
        KeyError: ``currency`` is not an ISO 4217 code.
    """
    return CURRENCY_EXPONENTS[currency]


def minor_to_decimal(minor: int, currency: str) -> Decimal:
    """The exact amount of ``minor`` units of ``currency``, with the currency's decimals
    (``minor_to_decimal(123450, "CNY") == Decimal("1234.50")``)."""
    return Decimal(minor).scaleb(-CURRENCY_EXPONENTS[currency])


def minor_to_float(minor: int, exponent: int) -> float:
    """The nearest float to ``minor`` * 10^-``exponent``, for analytics that want floats.

    Integer division is correctly rounded in Python, so this is the float the decimal text
    would parse to.
    """
    return minor / 10**exponent if exponent else float(minor)
