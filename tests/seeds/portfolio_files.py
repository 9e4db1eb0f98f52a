"""Reading a generated portfolio back from its files, as an importer would see it."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from seeds.generate import PortfolioSummary

__all__ = ["PortfolioFiles", "cents", "normalise_identifier"]


def cents(text: str) -> int:
    """A decimal amount as integer cents (exact)."""
    return int(Decimal(text) * 100)


def normalise_identifier(kind: str, value: str) -> str:
    """Identifier normalisation as docs/import-format.md defines it."""
    if kind == "phone":
        digits = "".join(ch for ch in value if ch.isdigit())
        return ("+" if value.strip().startswith("+") else "") + digits
    return " ".join(value.lower().split())


class PortfolioFiles:
    """Lazy access to the CSV tables and the ground truth of one generated portfolio."""

    def __init__(self, out: Path, summary: PortfolioSummary) -> None:
        self.out = out
        self.summary = summary
        self._tables: dict[str, list[dict[str, str]]] = {}

    def table(self, entity: str) -> list[dict[str, str]]:
        if entity not in self._tables:
            with (self.out / f"{entity}.csv").open(encoding="utf-8", newline="") as handle:
                self._tables[entity] = list(csv.DictReader(handle))
        return self._tables[entity]

    def header(self, entity: str) -> list[str]:
        with (self.out / f"{entity}.csv").open(encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle))

    @cached_property
    def truth(self) -> dict[str, Any]:
        return orjson.loads((self.out / "ground_truth" / "ground_truth.json").read_bytes())

    @cached_property
    def as_of(self) -> date:
        return date.fromisoformat(self.truth["as_of"])

    @cached_property
    def loans(self) -> dict[str, dict[str, str]]:
        return {row["id"]: row for row in self.table("loans")}

    @cached_property
    def party_ids(self) -> set[str]:
        return {r["id"] for r in self.table("persons")} | {r["id"] for r in self.table("companies")}

    @cached_property
    def schedules(self) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self.table("installments"):
            out[row["loan_id"]].append(row)
        return out

    @cached_property
    def payments(self) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self.table("repayments"):
            out[row["loan_id"]].append(row)
        return out

    def days_past_due(self, loan_id: str) -> int:
        """Days past due at as-of: repayments allocated oldest installment first."""
        paid = sum(cents(r["amount"]) for r in self.payments.get(loan_id, [])
                   if date.fromisoformat(r["paid_on"]) <= self.as_of)
        for inst in sorted(self.schedules[loan_id], key=lambda r: int(r["seq"])):
            due = cents(inst["principal_due"]) + cents(inst["interest_due"])
            if paid >= due:
                paid -= due
                continue
            due_on = date.fromisoformat(inst["due_on"])
            return max((self.as_of - due_on).days, 0)
        return 0

    @cached_property
    def defaulted(self) -> dict[str, str]:
        d = self.truth["defaults"]
        return dict(zip(d["party_id"], d["default_on"], strict=True))

    @cached_property
    def guarantee_edges(self) -> set[tuple[str, str]]:
        """(guarantor, borrower) pairs of the guarantees file."""
        return {(g["guarantor_id"], self.loans[g["loan_id"]]["borrower_id"])
                for g in self.table("guarantees")}
