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

Evaluated on arrays: the ``HOLDS`` and ``TRANSFERS`` edges are streamed once, joined on the
account, summed per (party, currency, month) in numpy, and only the parties whose drop a
float pre-filter cannot rule out are judged exactly (``Decimal``, as the figures show).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.inputs import integers, text_array, texts
from risk.rules.schema import InflowDrop

__all__ = ["evaluate_inflow_drop", "judged_month", "months_before"]

#: Slack of the float pre-filter; the exact test is in Decimal on the few that pass it.
_FLOAT_SLACK: Final = 1e-9


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
    holds = ctx.inputs.edges(RelType.HOLDS, target_props=("opened_on",))
    transfers = ctx.inputs.edges(RelType.TRANSFERS, props=("amount_minor", "amount_currency"))
    if not len(holds) or not len(transfers):
        return []
    current = judged_month(ctx.as_of)
    trailing = months_before(current, rule.trailing_months)
    window = [*trailing, current]  # month m of the window is window[m]; current is last
    opened = texts(holds.props["opened_on"])
    open_now = (opened == "") | (opened <= ctx.as_of.isoformat())
    minor, has_amount = integers(transfers.props["amount_minor"])
    months = text_array(window)
    month = np.searchsorted(months, transfers.key)
    month = np.minimum(month, len(window) - 1)
    in_window = has_amount & (months[month] == transfers.key)
    rows = np.flatnonzero(in_window)
    if not len(rows):
        return []

    # One index space for accounts; held pairs as sorted keys party * n + account.
    accounts, account_of = np.unique(np.concatenate(
        (holds.target[open_now], transfers.source[rows], transfers.target[rows])),
        return_inverse=True)
    n_open = int(np.count_nonzero(open_now))
    held_account = account_of[:n_open]
    source_account = account_of[n_open:n_open + len(rows)]
    target_account = account_of[n_open + len(rows):]
    parties, held_party = np.unique(holds.source[open_now], return_inverse=True)
    n_accounts = len(accounts)
    held_key = np.unique(held_party.astype(np.int64) * n_accounts + held_account)
    by_account = held_key % n_accounts
    order = np.argsort(by_account, kind="stable")
    holders = (held_key // n_accounts)[order]
    starts = np.searchsorted(by_account[order], target_account, side="left")
    ends = np.searchsorted(by_account[order], target_account, side="right")
    # Each transfer once per holder of the account it paid into.
    count = ends - starts
    transfer = np.repeat(np.arange(len(rows)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    party = holders[np.repeat(starts, count) + offset]
    # Money between one's own accounts is not income.
    own = np.isin(party * n_accounts + source_account[transfer], held_key)
    transfer, party = transfer[~own], party[~own]
    edge = rows[transfer]
    codes, code_of = np.unique(texts(transfers.props["amount_currency"])[edge],
                               return_inverse=True)
    slot = (party * len(codes) + code_of) * len(window) + month[edge]
    sums = np.zeros(len(parties) * len(codes) * len(window), dtype=np.int64)
    np.add.at(sums, slot, minor[edge])
    sums = sums.reshape(len(parties), len(codes), len(window))
    before = sums[:, :, :-1].sum(axis=2)
    now = sums[:, :, -1]
    # drop = 1 - now / (before / T) >= fraction  <=>  now * T <= before * (1 - fraction)
    possible = (before > 0) & (now.astype(float) * len(trailing)
                               <= before.astype(float) * (1 - rule.drop_fraction)
                               * (1 + _FLOAT_SLACK) + _FLOAT_SLACK)
    fraction = Decimal(str(rule.drop_fraction))
    found: dict[int, list[dict[str, Any]]] = {}
    for p, c in zip(*np.nonzero(possible), strict=True):
        average = Decimal(int(before[p, c])) / len(trailing)
        drop = 1 - Decimal(int(now[p, c])) / average
        if drop >= fraction:
            found.setdefault(int(p), []).append({
                "signal": rule.signal, "currency": str(codes[c]), "month": current,
                "inflow_minor": int(now[p, c]),
                "trailing_average_minor": str(average.quantize(Decimal("0.01"))),
                "trailing_months": trailing, "drop": str(drop.quantize(Decimal("0.0001"))),
                "drop_fraction": rule.drop_fraction})
    if not found:
        return []
    alerted = np.array(sorted(found), dtype=np.int64)
    party_ids = parties[alerted].tolist()
    labels = ctx.labels(party_ids)
    # The evidence: each alerted party's accounts, and the transfers it counted in the
    # currencies judged.
    held_party_of_key = held_key // n_accounts
    mine = np.isin(held_party_of_key, alerted)
    accounts_of: dict[int, list[str]] = {}
    for p, a in zip(held_party_of_key[mine].tolist(), accounts[by_account[mine]].tolist(),
                    strict=True):
        accounts_of.setdefault(p, []).append(a)
    counted = np.flatnonzero(np.isin(party, alerted))
    carried: dict[int, list[int]] = {}
    for i in counted.tolist():
        carried.setdefault(int(party[i]), []).append(i)
    drafts = []
    for p, party_id in zip(alerted.tolist(), party_ids, strict=True):
        signals = found[p]
        judged = {signal["currency"] for signal in signals}
        evidence = Evidence().node(party_id, labels[party_id])
        for account_id in sorted(accounts_of.get(p, [])):
            evidence.node(account_id, "Account").edge(RelType.HOLDS.value, party_id, account_id)
        for i in carried.get(p, []):
            if codes[code_of[i]] not in judged:
                continue
            e = int(edge[i])
            source, target = str(transfers.source[e]), str(transfers.target[e])
            evidence.node(source, "Account").edge(
                RelType.TRANSFERS.value, source, target, str(transfers.key[e]),
                amount_minor=int(minor[e]), currency=transfers.props["amount_currency"][e])
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, signals, evidence))
    return drafts
