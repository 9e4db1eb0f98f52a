"""Every written row obeys docs/import-format.md: headers, ids, references, values."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise

from seeds.writer import SCHEMA
from tests.seeds.portfolio_files import PortfolioFiles, cents

AMOUNT = re.compile(r"^\d+\.\d{2}$")
RATIO = re.compile(r"^[01]\.\d{4}$")
ENUMS = {
    ("persons", "gender"): {"F", "M"},
    ("companies", "size"): {"micro", "small", "medium", "large"},
    ("loans", "repayment_method"): {"annuity", "equal_principal", "interest_only", "bullet"},
    ("loans", "status"): {"active", "closed", "written_off"},
    ("accounts", "kind"): {"current", "savings", "settlement"},
    ("guarantees", "kind"): {"single", "mutual", "joint"},
    ("identifiers", "kind"): {"phone", "address", "device"},
    ("events", "kind"): {"court_case", "news", "social"},
    ("relations", "kind"): {"family", "employee", "supplier", "customer", "partner"},
}
ID_TYPES = ("persons", "companies", "loans", "accounts", "collateral", "events")


def test_headers_follow_the_schema(portfolio: PortfolioFiles) -> None:
    for entity, fields in SCHEMA.items():
        assert portfolio.header(entity) == [name for name, _ in fields]
        assert portfolio.summary.rows[entity] == len(portfolio.table(entity))
        assert portfolio.summary.rows[entity] > 0, entity


def test_ids_are_unique_in_each_file_and_across_types(portfolio: PortfolioFiles) -> None:
    seen: Counter[str] = Counter()
    for entity in (*ID_TYPES, "repayments", "bureau"):
        ids = [row["id"] for row in portfolio.table(entity)]
        assert len(ids) == len(set(ids)), entity
        assert all(0 < len(i) <= 128 for i in ids)
        if entity in ID_TYPES:
            seen.update(ids)
    assert max(seen.values()) == 1


def test_every_reference_resolves(portfolio: PortfolioFiles) -> None:
    parties, loans = portfolio.party_ids, set(portfolio.loans)
    persons = {r["id"] for r in portfolio.table("persons")}
    companies = {r["id"] for r in portfolio.table("companies")}
    accounts = {r["id"] for r in portfolio.table("accounts")}
    assert {r["borrower_id"] for r in portfolio.table("loans")} == parties  # all borrow
    for entity in ("installments", "repayments", "collateral"):
        assert {r["loan_id"] for r in portfolio.table(entity)} <= loans, entity
    assert {r["holder_id"] for r in portfolio.table("accounts")} <= parties
    for row in portfolio.table("transactions"):
        assert row["source_account"] in accounts and row["target_account"] in accounts
    for row in portfolio.table("ownerships"):
        assert row["owner_id"] in parties and row["company_id"] in companies
    for row in portfolio.table("directorships"):
        assert row["person_id"] in persons and row["company_id"] in companies
    for entity in ("identifiers", "bureau"):
        assert {r["party_id"] for r in portfolio.table(entity)} <= parties
    for row in portfolio.table("relations"):
        assert row["party_id"] in parties and row["other_id"] in parties
        assert row["party_id"] != row["other_id"]
    for row in portfolio.table("events"):
        named = row["party_ids"].split(";")
        assert named and set(named) <= parties


def test_edge_files_name_each_edge_once(portfolio: PortfolioFiles) -> None:
    keys = {
        "directorships": ("person_id", "company_id"),
        "ownerships": ("owner_id", "company_id"),
        "guarantees": ("guarantor_id", "loan_id"),
        "relations": ("party_id", "other_id", "kind"),
        "identifiers": ("party_id", "kind", "value"),
        "transactions": ("source_account", "target_account", "month"),
        "installments": ("loan_id", "seq"),
    }
    for entity, fields in keys.items():
        rows = portfolio.table(entity)
        assert len({tuple(r[f] for f in fields) for r in rows}) == len(rows), entity


def test_guarantees_cover_real_loans_of_other_parties(portfolio: PortfolioFiles) -> None:
    keys = set()
    for row in portfolio.table("guarantees"):
        loan = portfolio.loans[row["loan_id"]]
        assert row["guarantor_id"] in portfolio.party_ids
        assert row["guarantor_id"] != loan["borrower_id"]
        keys.add((row["guarantor_id"], row["loan_id"]))
        assert 0 < cents(row["amount"]) <= cents(loan["principal"])
        assert 0 < float(row["share"]) <= 1
    assert len(keys) == len(portfolio.table("guarantees"))


def test_ownership_stakes_sum_to_at_most_one(portfolio: PortfolioFiles) -> None:
    total: defaultdict[str, int] = defaultdict(int)
    pairs = set()
    for row in portfolio.table("ownerships"):
        assert RATIO.match(row["pct"]) and 0 < float(row["pct"]) <= 1
        total[row["company_id"]] += int(row["pct"].replace(".", ""))
        pairs.add((row["owner_id"], row["company_id"]))
        assert row["owner_id"] != row["company_id"]
    assert max(total.values()) <= 10_000
    assert len(pairs) == len(portfolio.table("ownerships"))
    assert set(total) == {r["id"] for r in portfolio.table("companies")}  # all owned


def test_values_have_the_documented_types_and_ranges(portfolio: PortfolioFiles) -> None:
    as_of = portfolio.as_of
    for entity, fields in SCHEMA.items():
        for row in portfolio.table(entity):
            for name, kind in fields:
                value = row[name]
                if value == "":
                    # A restructuring has no pause end; only pauses name one. Buffers and
                    # PDs at origination are known for some parties and loans only, and
                    # e-mail addresses for some persons.
                    assert (entity, name) in {("persons", "monthly_income"),
                                              ("persons", "email"),
                                              ("modifications", "pause_until"),
                                              ("persons", "loss_buffer"),
                                              ("companies", "loss_buffer"),
                                              ("loans", "origination_pd")} or name in {
                        "valid_from", "valid_to"}
                    continue
                if kind == "money":
                    assert AMOUNT.match(value), (entity, name, value)
                elif kind == "ratio":
                    assert RATIO.match(value), (entity, name, value)
                elif kind == "date":
                    date.fromisoformat(value)
                elif kind == "int":
                    assert int(value) >= 0
            for (enum_entity, name), allowed in ENUMS.items():
                if enum_entity == entity:
                    assert row[name] in allowed, (entity, name, row[name])
    observed = [("repayments", "paid_on"), ("bureau", "as_of"), ("events", "occurred_on"),
                ("modifications", "effective_on"),
                ("loans", "disbursed_on"), ("accounts", "opened_on"),
                ("collateral", "valued_on"), ("companies", "founded_on"),
                ("persons", "birth_date")]
    for entity, name in observed:
        assert max(date.fromisoformat(r[name]) for r in portfolio.table(entity)) <= as_of
    for entity in ("ownerships", "directorships", "identifiers", "relations"):
        for name in ("valid_from", "valid_to"):
            assert all(r[name] <= as_of.isoformat() for r in portfolio.table(entity))
    assert max(r["month"] for r in portfolio.table("transactions")) <= as_of.isoformat()[:7]
    assert all(300 <= int(r["score"]) <= 900 for r in portfolio.table("bureau"))
    assert all(1 <= int(r["severity"]) <= 5 for r in portfolio.table("events"))
    assert all(int(r["count"]) >= 1 for r in portfolio.table("transactions"))
    assert all(r["currency"] == "CNY" and 0 < float(r["annual_rate"]) < 1
               for r in portfolio.table("loans"))


def test_schedules_add_up_and_repayments_follow_them(portfolio: PortfolioFiles) -> None:
    for loan_id, loan in portfolio.loans.items():
        rows = sorted(portfolio.schedules[loan_id], key=lambda r: int(r["seq"]))
        assert [int(r["seq"]) for r in rows] == list(range(1, len(rows) + 1))
        assert sum(cents(r["principal_due"]) for r in rows) == cents(loan["principal"])
        totals = [cents(r["principal_due"]) + cents(r["interest_due"]) for r in rows]
        if loan["repayment_method"] == "annuity":
            assert len(set(totals)) == 1
        assert rows[-1]["due_on"] == loan["maturity_on"]
        assert all(a["due_on"] < b["due_on"] for a, b in pairwise(rows))
        paid = portfolio.payments.get(loan_id, [])
        assert [cents(p["amount"]) for p in paid] == totals[:len(paid)]
        assert all(a["paid_on"] <= b["paid_on"] for a, b in pairwise(paid))
        assert all(p["paid_on"] >= loan["disbursed_on"] for p in paid)
        assert (loan["status"] == "closed") == (len(paid) == len(rows))


def test_check_characters_of_national_ids_and_credit_codes(portfolio: PortfolioFiles) -> None:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    ids = [r["national_id"] for r in portfolio.table("persons")]
    assert len(set(ids)) == len(ids)
    for row in portfolio.table("persons"):
        nid = row["national_id"]
        assert "10X98765432"[sum(int(d) * w for d, w in zip(nid, weights, strict=False)) % 11] \
            == nid[17]
        assert nid[6:14] == row["birth_date"].replace("-", "")
        assert int(nid[16]) % 2 == (row["gender"] == "M")
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    code_weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    codes = [r["registration_no"] for r in portfolio.table("companies")]
    assert len(set(codes)) == len(codes)
    for code in codes:
        total = sum(chars.index(c) * w for c, w in zip(code, code_weights, strict=False))
        assert chars[(31 - total % 31) % 31] == code[17]
