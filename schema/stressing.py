"""The ``stress`` query: its arguments checked and turned into the stress service's, the
service run off the event loop, and its errors turned into the client's.

The service is :func:`risk.contagion.portfolio.stress_stored_portfolio`, the one
``loanwatch stress`` calls, so the API and the command line give the same figures. It reads
the whole portfolio: the field declares :data:`schema.cost.WHOLE_PORTFOLIO_COST`, so it
passes the heavy-query gate like any heavy query; here it runs in a worker thread, so the
event loop keeps serving the light ones.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Final

from risk.contagion.buffers import (
    DEFAULT_INCOME_MONTHS,
    DEFAULT_LGD,
    DEFAULT_MIN_DISTRESS,
    DEFAULT_SUPPLY_SHARE,
    StressConfig,
)
from risk.contagion.portfolio import SelectionNames, ShockSelection, stress_stored_portfolio
from risk.errors import ContagionInputError, ShockError
from schema.arguments import check_range
from schema.context import Context
from schema.errors import InvalidArgument
from schema.types.stress import StressMethod, StressResult, stress_result

__all__ = ["DEFAULT_STRESS_ROWS", "GRAPHQL_NAMES", "MAX_STRESS_ROWS", "StressArguments",
           "run_stress"]

#: Parties and loans hit listed when ``first`` is omitted, and the most it may ask for.
DEFAULT_STRESS_ROWS: Final = 100
MAX_STRESS_ROWS: Final = 1_000
#: The query's argument names, so that an error names the argument as the client wrote it.
GRAPHQL_NAMES: Final = SelectionNames("parties", "sector", "region", "group", "shock")


@dataclass(frozen=True, slots=True)
class StressArguments:
    """The ``stress`` query's arguments, as given (checked by :func:`run_stress`)."""

    selection: ShockSelection
    shock: float = 1.0
    method: StressMethod = StressMethod.DEBTRANK
    first: int = DEFAULT_STRESS_ROWS
    currency: str | None = None
    lgd: float = DEFAULT_LGD
    min_distress: float = DEFAULT_MIN_DISTRESS
    income_months: float = DEFAULT_INCOME_MONTHS
    supply_share: float = DEFAULT_SUPPLY_SHARE


def _config(arguments: StressArguments) -> StressConfig:
    for name, value in (("lgd", arguments.lgd), ("minDistress", arguments.min_distress),
                        ("supplyShare", arguments.supply_share)):
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise InvalidArgument(f"{name} must be between 0 and 1, got {value:g}")
    if not (math.isfinite(arguments.income_months) and arguments.income_months > 0):
        raise InvalidArgument(f"incomeMonths must be above 0, got {arguments.income_months:g}")
    return StressConfig(lgd=arguments.lgd, min_distress=arguments.min_distress,
                        income_months=arguments.income_months,
                        supply_share=arguments.supply_share, currency=arguments.currency)


async def run_stress(context: Context, arguments: StressArguments) -> StressResult:
    """Run the stress test the arguments ask for on the request's graph.

    Raises:
        InvalidArgument: an argument is out of range or selects nothing (an unknown party
            id, a fraction outside [0, 1], no selection or several, a currency the loans
            are not in); the message names the argument.
    """
    check_range("first", arguments.first, 1, MAX_STRESS_ROWS)
    try:
        config = _config(arguments)
        pn, run = await asyncio.to_thread(
            stress_stored_portfolio, context.graph, arguments.selection, arguments.shock,
            config=config, method=arguments.method.value, names=GRAPHQL_NAMES)
    except (ShockError, ContagionInputError) as error:
        raise InvalidArgument(str(error), suggestion=error.suggestion) from error
    return stress_result(pn, run, arguments.first)
