"""Every column of the import format is declared personal or not, so that a new column that
holds personal data cannot reach the graph unmasked without someone deciding it.

When this test fails because a column was added: decide whether it identifies or describes
a natural person. If it does, register the graph property it becomes in
``graph/personal_data.py`` and map it here; if not, add it to NOT_PERSONAL with a reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from graph.model import Label
from graph.personal_data import PERSONAL_PROPERTIES, is_personal
from ingest.catalog import ENTITY_SPECS

#: Columns whose values become a personal graph property: (entity, column) -> (label, name).
PERSONAL: Final = {
    ("persons", "name"): (Label.PERSON, "name"),
    ("persons", "national_id"): (Label.PERSON, "national_id"),
    ("persons", "birth_date"): (Label.PERSON, "birth_date"),
    ("persons", "gender"): (Label.PERSON, "gender"),
    # Where notifications are e-mailed (the address is resolved when one is sent).
    ("persons", "email"): (Label.PERSON, "email"),
    ("persons", "monthly_income"): (Label.PERSON, "monthly_income"),
    # A person's assessed capacity says as much about their finances as the income.
    ("persons", "loss_buffer"): (Label.PERSON, "loss_buffer"),
    # The currency of the income is stored as monthly_income_currency.
    ("persons", "currency"): (Label.PERSON, "monthly_income_currency"),
    # One column, three node labels: the kind column decides which.
    ("identifiers", "value"): (Label.PHONE, "value"),
}
IDENTIFIER_VALUE_LABELS: Final = {Label.PHONE, Label.ADDRESS, Label.DEVICE}

_ID = "the source system's opaque id (ids must not be personal data: docs/import-format.md)"
_REF = "a reference to another record's opaque id"
#: Columns that are not personal, each with the reason.
NOT_PERSONAL: Final = {
    ("persons", "id"): _ID,
    ("persons", "city"): "city of residence: shared by millions, shown for regional risk",
    ("persons", "province"): "province: coarser than the city",
    ("persons", "occupation"): "an occupation names no one; shown for underwriting review",
    **{("companies", column): "a company is a legal person; its register data is public"
       for column in ("id", "name", "registration_no", "sector", "size", "city", "province",
                      "founded_on", "registered_capital", "annual_revenue", "currency")},
    ("companies", "loss_buffer"): "the bank's assessment of a legal person's capacity (its "
                                  "equity): not personal data, though not public either",
    **{("loans", column): "contract terms" for column in (
        "product", "principal", "currency", "annual_rate", "term_months", "disbursed_on",
        "maturity_on", "repayment_method", "status")},
    ("loans", "origination_pd"): "the lender's own estimate about the loan, like the rate it "
                                 "priced; kept on the loan, never on the person",
    ("loans", "id"): _ID, ("loans", "borrower_id"): _REF,
    **{("installments", column): "schedule terms" for column in (
        "seq", "due_on", "principal_due", "interest_due")},
    ("installments", "loan_id"): _REF,
    **{("repayments", column): "payment record, kept in SQL and not served as a property"
       for column in ("paid_on", "amount", "channel")},
    ("repayments", "id"): _ID, ("repayments", "loan_id"): _REF,
    ("accounts", "id"): _ID, ("accounts", "holder_id"): _REF,
    ("accounts", "bank"): "the bank's name", ("accounts", "kind"): "account type",
    ("accounts", "opened_on"): "a date about the account, not the person",
    ("transactions", "source_account"): _REF, ("transactions", "target_account"): _REF,
    ("transactions", "month"): "monthly aggregate", ("transactions", "amount"): "aggregate",
    ("transactions", "count"): "aggregate", ("transactions", "currency"): "aggregate",
    ("guarantees", "guarantor_id"): _REF, ("guarantees", "loan_id"): _REF,
    **{("guarantees", column): "contract terms" for column in (
        "amount", "share", "kind", "signed_on", "currency")},
    ("ownerships", "owner_id"): _REF, ("ownerships", "company_id"): _REF,
    ("ownerships", "pct"): "a public register share",
    ("directorships", "person_id"): _REF, ("directorships", "company_id"): _REF,
    ("directorships", "role"): "a public register role",
    ("identifiers", "party_id"): _REF,
    **{(entity, column): "when a relationship held: a date about the link, which names no "
                         "one (the parties are opaque ids)"
       for entity in ("ownerships", "directorships", "identifiers", "relations")
       for column in ("valid_from", "valid_to")},
    ("identifiers", "kind"): "phone, address or device: says which, not whose",
    ("collateral", "id"): _ID, ("collateral", "loan_id"): _REF,
    **{("collateral", column): "the pledged asset" for column in ("kind", "value", "valued_on",
                                                                    "currency")},
    ("bureau", "id"): _ID, ("bureau", "party_id"): _REF,
    **{("bureau", column): "credit-bureau figures, kept in SQL and not served by the API"
       for column in ("as_of", "score", "open_loans", "total_debt", "overdue_accounts",
                      "inquiries_6m", "currency", "overdue_90_total")},
    ("modifications", "id"): _ID, ("modifications", "loan_id"): _REF,
    **{("modifications", column): "contract terms of the loan, kept in SQL and not served"
       for column in ("kind", "effective_on", "pause_until", "financial_difficulty")},
    ("modifications", "reason"): "why the terms changed, written by the lender: it must "
                                 "name no one (docs/import-format.md); kept in SQL only",
    ("events", "id"): _ID, ("events", "party_ids"): _REF,
    ("events", "kind"): "event type", ("events", "occurred_on"): "event date",
    ("events", "severity"): "a rating", ("events", "source"): "the publisher",
    ("events", "title"): "a published headline or court listing (public record)",
    ("relations", "party_id"): _REF, ("relations", "other_id"): _REF,
    ("relations", "kind"): "family, employee, supplier...: a link type, no one's identity",
}


IMPORT_FORMAT: Final = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"
_ROW: Final = re.compile(r"^\| \d+ \| `(?P<type>[a-z_]+)` \| (?P<fields>[^|]+) \|", re.MULTILINE)


def _documented_columns() -> set[tuple[str, str]]:
    """The columns of the table in docs/import-format.md, as (type, column)."""
    columns = set()
    for row in _ROW.finditer(IMPORT_FORMAT.read_text(encoding="utf-8")):
        for field in row["fields"].split(","):
            columns.add((row["type"], field.strip().split(" ")[0].strip("*")))
    return columns


def _all_columns() -> set[tuple[str, str]]:
    return {(name, field.name) for name, spec in ENTITY_SPECS.items() for field in spec.fields}


def test_every_import_column_is_declared_personal_or_not() -> None:
    declared = set(PERSONAL) | set(NOT_PERSONAL)
    assert not set(PERSONAL) & set(NOT_PERSONAL)
    assert _all_columns() - declared == set(), "undeclared columns: classify them (see above)"
    assert declared - _all_columns() == set(), "declared columns that no longer exist"


def test_every_personal_column_becomes_a_registered_property_and_back() -> None:
    registered = {(entry.label, entry.name) for entry in PERSONAL_PROPERTIES}
    reached = set(PERSONAL.values()) | {(label, "value") for label in IDENTIFIER_VALUE_LABELS}
    # Every registered property is written by some column; every personal column's property
    # is personal (an amount's currency through the amount's entry).
    assert registered <= reached
    assert all(is_personal(label, name) for label, name in reached)


def test_the_specs_hold_the_documented_columns() -> None:
    # So that the declarations above cover docs/import-format.md as well as the code.
    assert _documented_columns() == _all_columns()
