"""``inflow_drop``: the money coming into a party's accounts fell against its trailing average.

Reads ``HOLDS`` (party → account) and the monthly ``TRANSFERS`` aggregates (account → account,
keyed by month ``YYYY-MM``, the exact amount in ``amount_minor`` and its ``amount_currency``).
A party's inflow of a month is the sum of transfers into the accounts it holds, except those
from its own accounts (moving money between one's accounts is not income).

The month judged is the last full month on the as-of date (the as-of month itself when the
date is its last day, else the month before); the trailing average is over the
``trailing_months`` before it, a month without transfers counting as zero. Months after the
judged one are never read. Each currency is judged on its own (no exchange rates): a party
whose inflow dropped in any of its currencies is alerted, with the figures of that currency.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import InflowDrop

__all__ = ["evaluate_inflow_drop", "judged_month", "months_before"]


def judged_month(as_of: date) -> str:
    """The last full month on ``as_of``, as ``YYYY-MM``."""
    month_end = (as_of + timedelta(days=1)).day == 1
    first = as_of.replace(day=1)
    return f"{as_of:%Y-%m}" if month_end else f"{first - timedelta(days=1):%Y-%m}"


def months_before(month: str, count: int) -> list[str]:
    """The ``count`` months before ``month``, oldest first."""
    year, number = (int(part) for part in month.split("-"))
    found = []
    for _ in range(count):
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
        found.append(f"{year:04d}-{number:02d}")
    return found[::-1]


def evaluate_inflow_drop(rule: InflowDrop, ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per party whose inflow dropped by at least ``rule.drop_fraction``."""
    holds = ctx.projection([RelType.HOLDS])
    transfers = ctx.projection([RelType.TRANSFERS])
    current = judged_month(ctx.as_of)
    trailing = months_before(current, rule.trailing_months)
    window = {current, *trailing}
    accounts_of: dict[str, set[str]] = defaultdict(set)
    for party_id, account_id in holds.edges():
        opened = holds.nodes[account_id].get("opened_on")
        if opened is None or str(opened) <= ctx.as_of.isoformat():
            accounts_of[party_id].add(account_id)
    drafts = []
    for party_id, accounts in sorted(accounts_of.items()):
        # (currency, month) -> minor units, and the edges that carried them.
        sums: dict[tuple[str, str], int] = defaultdict(int)
        carried: list[tuple[str, str, str, dict[str, Any]]] = []
        for account_id in sorted(accounts):
            if account_id not in transfers:
                continue
            for source, _, month, data in transfers.in_edges(account_id, keys=True, data=True):
                if month not in window or source in accounts or "amount_minor" not in data:
                    continue
                code = str(data.get("amount_currency", ""))
                sums[(code, month)] += int(data["amount_minor"])
                carried.append((source, account_id, month, data))
        signals = []
        for code in sorted({code for code, _ in sums}):
            average = Decimal(sum(sums[(code, m)] for m in trailing)) / len(trailing)
            now = sums[(code, current)]
            if average <= 0:
                continue
            drop = 1 - Decimal(now) / average
            if drop >= Decimal(str(rule.drop_fraction)):
                signals.append({
                    "signal": rule.signal, "currency": code, "month": current,
                    "inflow_minor": now, "trailing_average_minor": str(average.quantize(
                        Decimal("0.01"))), "trailing_months": trailing,
                    "drop": str(drop.quantize(Decimal("0.0001"))),
                    "drop_fraction": rule.drop_fraction})
        if not signals:
            continue
        judged = {signal["currency"] for signal in signals}
        evidence = Evidence().node(party_id, holds.nodes[party_id]["label"])
        for account_id in sorted(accounts):
            evidence.node(account_id, "Account").edge(RelType.HOLDS.value, party_id, account_id)
        for source, target, month, data in carried:
            if data.get("amount_currency", "") in judged:
                evidence.node(source, "Account").edge(
                    RelType.TRANSFERS.value, source, target, month,
                    amount_minor=int(data["amount_minor"]),
                    currency=data.get("amount_currency"))
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, signals, evidence))
    return drafts
