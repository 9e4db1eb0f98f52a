"""A generated, internally consistent import directory of any size (for the streaming test
and for measuring import speed).

``write_portfolio(folder, scale)`` writes all fifteen entity files; ``scale=1`` gives about
114,000 rows. Ids are deterministic, so two calls write identical files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_portfolio"]


def _csv(path: Path, header: str, rows: Iterable[str]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for row in rows:
            out.write(row + "\n")
            count += 1
    return count


def _jsonl(path: Path, rows: Iterable[dict[str, object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_portfolio(folder: Path, scale: float = 1.0) -> dict[str, int]:
    """Write the files into ``folder``; return the rows written per entity type."""
    folder.mkdir(parents=True, exist_ok=True)
    n_persons = int(12_000 * scale)
    n_companies = int(3_000 * scale)
    n_loans = int(12_000 * scale)
    n_accounts = int(6_000 * scale)

    def party(i: int) -> str:
        return f"P{i % n_persons:07d}" if i % 4 else f"C{i % n_companies:06d}"

    rows: dict[str, int] = {}
    rows["persons"] = _csv(folder / "persons.csv",
        "id,name,national_id,birth_date,gender,city,province,occupation,monthly_income",
        (f"P{i:07d},Person {i},3301{i:014d},19{50 + i % 50}-0{1 + i % 9}-1{i % 10},"
         f"{'FM'[i % 2]},Hangzhou,Zhejiang,clerk,{5000 + i % 20000}.50"
         for i in range(n_persons)))
    rows["companies"] = _jsonl(folder / "companies.jsonl", (
        {"id": f"C{i:06d}", "name": f"Company {i} Ltd.", "sector": "trade",
         "size": ("micro", "small", "medium", "large")[i % 4], "city": "Ningbo",
         "founded_on": f"20{i % 20:02d}-05-01", "registered_capital": 1_000_000 + i}
        for i in range(n_companies)))
    rows["loans"] = _csv(folder / "loans.csv",
        "id,borrower_id,product,principal,currency,annual_rate,term_months,disbursed_on,"
        "maturity_on,repayment_method,status",
        (f"L{i:07d},{party(i)},consumer,{10000 + i * 7 % 90000}.00,CNY,0.0{4 + i % 5},12,"
         f"2024-0{1 + i % 9}-15,2025-0{1 + i % 9}-15,annuity,active"
         for i in range(n_loans)))
    rows["installments"] = _csv(folder / "installments.csv",
        "loan_id,seq,due_on,principal_due,interest_due",
        (f"L{i // 3:07d},{i % 3 + 1},2024-1{i % 3}-15,{800 + i % 100}.25,{60 + i % 40}.10"
         for i in range(n_loans * 3)))
    rows["repayments"] = _jsonl(folder / "repayments.jsonl", (
        {"id": f"R{i:08d}", "loan_id": f"L{i % n_loans:07d}", "paid_on": "2024-11-15",
         "amount": f"{860 + i % 100}.35", "channel": "app"}
        for i in range(n_loans)))
    rows["accounts"] = _csv(folder / "accounts.csv", "id,holder_id,bank,kind,opened_on",
        (f"A{i:07d},{party(i)},Bank {i % 12},current,2015-03-0{1 + i % 9}"
         for i in range(n_accounts)))
    rows["transactions"] = _jsonl(folder / "transactions.jsonl", (
        {"source_account": f"A{i:07d}", "target_account": f"A{(i * 7 + 1) % n_accounts:07d}",
         "month": f"2024-{1 + i % 12:02d}", "amount": 1000 + i % 5000, "count": 1 + i % 9}
        for i in range(n_accounts)))
    rows["guarantees"] = _csv(folder / "guarantees.csv",
        "guarantor_id,loan_id,amount,share,kind,signed_on",
        (f"{party(i * 13 + 5)},L{i * 3 % n_loans:07d},{5000 + i % 1000}.00,0.5,single,2024-01-02"
         for i in range(int(4_000 * scale))))
    rows["ownerships"] = _jsonl(folder / "ownerships.jsonl", (
        {"owner_id": f"P{i:07d}", "company_id": f"C{i % n_companies:06d}", "pct": 0.25}
        for i in range(int(2_000 * scale))))
    rows["directorships"] = _csv(folder / "directorships.csv", "person_id,company_id,role",
        (f"P{i * 5 % n_persons:07d},C{i % n_companies:06d},director"
         for i in range(int(2_000 * scale))))
    rows["identifiers"] = _csv(folder / "identifiers.csv", "party_id,kind,value",
        (f"P{i % n_persons:07d},phone,+86 138 {i // 2:08d}" for i in range(int(8_000 * scale))))
    rows["collateral"] = _jsonl(folder / "collateral.jsonl", (
        {"id": f"COL{i:07d}", "loan_id": f"L{i % n_loans:07d}", "kind": "vehicle",
         "value": 50_000 + i, "valued_on": "2024-01-05"}
        for i in range(int(2_000 * scale))))
    rows["bureau"] = _csv(folder / "bureau.csv",
        "id,party_id,as_of,score,open_loans,total_debt,overdue_accounts,inquiries_6m",
        (f"B{i:08d},{party(i)},2024-06-01,{300 + i % 600},{i % 5},{i % 90000}.00,{i % 3},{i % 7}"
         for i in range(int(6_000 * scale))))
    rows["events"] = _jsonl(folder / "events.jsonl", (
        {"id": f"E{i:07d}", "kind": "news", "occurred_on": "2024-10-01",
         "title": f"Headline {i}", "party_ids": [party(i), party(i + 1)], "severity": 1 + i % 5}
        for i in range(int(1_000 * scale))))
    rows["relations"] = _csv(folder / "relations.csv", "party_id,other_id,kind",
        (f"P{i % n_persons:07d},P{(i + 1) % n_persons:07d},family"
         for i in range(int(2_000 * scale))))
    return rows
