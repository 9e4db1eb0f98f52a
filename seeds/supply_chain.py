"""Supply-chain links, employment, bank accounts and monthly account transactions.

Each company buys from about one supplier in the portfolio, larger firms being likelier
suppliers; 5 % of persons work for a company in the portfolio. Every company holds a
settlement account (medium and large ones also a current account); employees and some
other persons hold a savings account.

Transactions are monthly aggregates for the last ``transaction_months`` months: each
customer pays each of its suppliers, and each employer pays each employee's salary. Flows
shrink as the latent risk of either side rises and stop once the payer has defaulted, so a
falling inflow is an early (and noisy) sign of trouble.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.parties import Parties, party_ids
from seeds.randomness import stage_rng
from seeds.timeline import Timeline
from seeds.writer import PortfolioWriter

__all__ = ["Accounts", "SupplyChain", "build_accounts", "build_supply_chain",
           "write_accounts", "write_transactions"]

_SUPPLIER_WEIGHT = np.array([1.0, 2.0, 4.0, 8.0])
_ACCOUNT_KINDS = ("current", "savings", "settlement")


@dataclass(slots=True)
class SupplyChain:
    """``supplier[i]`` sells to ``customer[i]`` for about ``volume[i]`` cents a month;
    ``employee[j]`` (a person) works for ``employer[j]`` (a company). Global indices."""

    supplier: np.ndarray
    customer: np.ndarray
    volume: np.ndarray
    employee: np.ndarray
    employer: np.ndarray


@dataclass(slots=True)
class Accounts:
    """Accounts in holder order; ``primary[party]`` is the party's first account or -1."""

    holder: np.ndarray
    kind: np.ndarray
    bank: np.ndarray
    opened_day: np.ndarray
    primary: np.ndarray


def build_supply_chain(config: PortfolioConfig, parties: Parties,
                       excluded_persons: np.ndarray) -> SupplyChain:
    """Draw supply links and employment.

    Parameters:
        config: the portfolio settings.
        parties: the parties (sizes and revenues are used).
        excluded_persons: persons who are not employees (ring members).

    Complexity: O(borrowers log borrowers), vectorised.
    """
    rng = stage_rng(config.seed, "supply-chain")
    n_p, n_c = parties.n_persons, parties.n_companies
    counts = np.minimum(rng.poisson(0.7, n_c), 4)
    customer = np.repeat(np.arange(n_c), counts)
    weight = _SUPPLIER_WEIGHT[parties.size]
    cdf = np.cumsum(weight / weight.sum())
    supplier = np.minimum(np.searchsorted(cdf, rng.random(len(customer))), n_c - 1)
    keep = supplier != customer
    key = np.unique(supplier[keep] * n_c + customer[keep])
    supplier, customer = key // n_c, key % n_c
    smaller = np.minimum(parties.revenue[supplier], parties.revenue[customer])
    volume = (smaller / 12 * rng.uniform(0.02, 0.15, len(key))).astype(np.int64) // 100 * 100
    allowed = np.ones(n_p, dtype=bool)
    allowed[excluded_persons] = False
    employee = np.flatnonzero(allowed & (rng.random(n_p) < 0.03))
    emp_weight = _SUPPLIER_WEIGHT[parties.size] ** 1.5
    emp_cdf = np.cumsum(emp_weight / emp_weight.sum())
    employer = np.minimum(np.searchsorted(emp_cdf, rng.random(len(employee))), n_c - 1)
    return SupplyChain(supplier=n_p + supplier, customer=n_p + customer,
                       volume=np.maximum(volume, 100_000), employee=employee,
                       employer=n_p + employer)


def build_accounts(config: PortfolioConfig, parties: Parties, supply: SupplyChain) -> Accounts:
    """Draw accounts for companies, employees and a share of other persons. O(borrowers)."""
    rng = stage_rng(config.seed, "accounts")
    n_p, n = parties.n_persons, parties.n
    per_party = np.zeros(n, dtype=np.int64)
    per_party[:n_p] = rng.random(n_p) < 0.15
    per_party[supply.employee] = 1
    per_party[n_p:] = 1 + (parties.size >= 2)
    holder = np.repeat(np.arange(n), per_party)
    first = np.concatenate([[0], np.cumsum(per_party)[:-1]])
    rank = np.arange(len(holder)) - first[holder]
    is_company = holder >= n_p
    kind = np.where(is_company, np.where(rank == 0, 2, 0), 1).astype(np.int8)
    bank = rng.integers(0, len(cat.BANKS), len(holder)).astype(np.int8)
    as_of = Timeline(config.as_of, config.months).as_of_day
    born = np.where(is_company, parties.founded_day[np.maximum(holder - n_p, 0)],
                    parties.birth_day[np.minimum(holder, max(n_p - 1, 0))] + 18 * 365)
    earliest = np.maximum(born, as_of - 20 * 365)
    opened = earliest + (rng.random(len(holder)) * (as_of - 30 - earliest)).astype(np.int64)
    primary = np.where(per_party > 0, first, -1)
    return Accounts(holder=holder, kind=kind, bank=bank, opened_day=opened, primary=primary)


def account_ids(idx: np.ndarray) -> list[str]:
    """External ids of account indices. O(n)."""
    return [f"A{i + 1:09d}" for i in np.asarray(idx).tolist()]


def write_accounts(accounts: Accounts, parties: Parties, writer: PortfolioWriter,
                   chunk: int = 500_000) -> None:
    """Write the ``accounts`` rows. O(accounts)."""
    banks = np.array(cat.BANKS)
    kinds = np.array(_ACCOUNT_KINDS)
    for start in range(0, len(accounts.holder), chunk):
        idx = np.arange(start, min(start + chunk, len(accounts.holder)))
        writer.write("accounts", {
            "id": account_ids(idx),
            "holder_id": party_ids(accounts.holder[idx], parties.n_persons),
            "bank": banks[accounts.bank[idx]], "kind": kinds[accounts.kind[idx]],
            "opened_on": accounts.opened_day[idx],
        })


def write_transactions(config: PortfolioConfig, supply: SupplyChain, accounts: Accounts,
                       parties: Parties, latent: np.ndarray, baseline: np.ndarray,
                       default_day: np.ndarray, writer: PortfolioWriter) -> None:
    """Write monthly aggregates of supplier payments and salaries.

    Parameters:
        latent: latent risk per party and history month (``float32``).
        baseline: each party's baseline latent risk.
        default_day: each party's default day, or a day after ``as_of``.

    Complexity: O((links + employees) × transaction_months).
    """
    timeline = Timeline(config.as_of, config.months)
    first_days = timeline.month_first_days()
    abs_months = np.arange(config.months) + timeline.start_month
    flows = (
        (supply.customer, supply.supplier, supply.volume.astype(np.float64), 3.0),
        (supply.employer, supply.employee,
         parties.income[np.minimum(supply.employee, max(parties.n_persons - 1, 0))]
         .astype(np.float64), 0.0),
    )
    for m in range(config.months - config.transaction_months, config.months):
        rng = stage_rng(config.seed, "transactions", m)
        for payer, payee, base, extra_count in flows:
            alive = default_day[payer] > first_days[m]
            stress = (np.maximum(latent[payer, m] - baseline[payer], 0)
                      + np.maximum(latent[payee, m] - baseline[payee], 0))
            factor = np.exp(-0.6 * stress) * rng.lognormal(0.0, 0.2, len(payer))
            amount = (base * factor).astype(np.int64) // 100 * 100
            src, dst = accounts.primary[payer], accounts.primary[payee]
            ok = alive & (src >= 0) & (dst >= 0) & (amount > 0)
            counts = 1 + rng.poisson(extra_count, len(payer))
            writer.write("transactions", {
                "source_account": account_ids(src[ok]), "target_account": account_ids(dst[ok]),
                "month": np.full(int(ok.sum()), abs_months[m]), "amount": amount[ok],
                "count": counts[ok], "currency": [cat.CURRENCY] * int(ok.sum()),
            })
