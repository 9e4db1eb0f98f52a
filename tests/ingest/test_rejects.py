"""Every kind of bad input in docs/import-format.md is rejected with its line, field and
reason, while the good rows around it are imported and the bad ones leave nothing behind."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from graph.model import Label, RelType
from graph.stores.embedded import EmbeddedGraphStore
from tests.ingest.importing import (
    identifier_id,
    import_files,
    rejects_of,
    rows_of,
    table_counts,
    write,
)

PERSONS = """
    id,name,birth_date,gender,monthly_income
    P1,Zhang Wei,1978-03-15,M,85000
    ,No Id,1980-01-01,F,1
    P2,Li Na,1990-02-30,F,100
    P3,Wang Fang,1990-01-01,X,100
    P4,Chen Jie,1990-01-01,M,-5
    P1,Zhang Again,1990-01-01,M,5
    P5,"Bad"quote,1990-01-01,M,5
    P6,Too,Many,Cells,Here,Here
    P7,Zhou Min,,,
    """

LOAN = ('"borrower_id": "P1", "product": "consumer", "principal": "1000.00", '
        '"currency": "CNY", "annual_rate": 0.05, "term_months": 12, '
        '"disbursed_on": "2024-01-15", "maturity_on": "2025-01-15", '
        '"repayment_method": "annuity"')


def _loans() -> str:
    good = "{" + f'"id": "L1", {LOAN}' + "}"
    return "\n".join([
        good,
        "{" + f'"id": "L2", {LOAN}'.replace('"P1"', '"P404"') + "}",
        "{" + f'"id": "L3", {LOAN}'.replace('"P1"', '"L1"') + "}",
        "{" + f'"id": "P7", {LOAN}' + "}",
        "{" + f'"id": "L4", {LOAN}'.replace('"2025-01-15"', '"2023-12-31"') + "}",
        "{" + f'"id": "L5", {LOAN}, "colour": "red"' + "}",
        "{" + f'"id": "L6", {LOAN}'.replace('"1000.00"', "-100") + "}",
        "{" + f'"id": "L7", {LOAN}'.replace('"product": "consumer", ', "") + "}",
        "{" + f'"id": "L8", {LOAN}'.replace('"term_months": 12', '"term_months": "twelve"') + "}",
        "{" + f'"id": "L9", {LOAN}'.replace("0.05", "1.5") + "}",
        '{"id": "L10", ',
        "[1, 2]",
        "",
        "{" + f'"id": "L11", {LOAN}'.replace('"annuity"', '"balloon"') + "}",
    ]) + "\n"


INSTALLMENTS = """
    loan_id,seq,due_on,principal_due,interest_due
    L1,1,2024-02-15,80.00,4.17
    L1,1,2024-02-15,80.00,4.17
    L2,1,2024-02-15,80.00,4.17
    L1,0,2024-02-15,80.00,4.17
    L1,2,2024-03-15,80.33,3.84
    """

KNOWN_LOAN_FIELDS = ("id, borrower_id, product, principal, currency, annual_rate, "
                     "term_months, disbursed_on, maturity_on, repayment_method, status, "
                     "origination_pd")


def test_bad_rows_are_rejected_and_good_rows_imported(tmp_path: Path, database: Engine,
                                                      graph: EmbeddedGraphStore) -> None:
    files = [write(tmp_path, "persons.csv", PERSONS),
             write(tmp_path, "loans.jsonl", _loans()),
             write(tmp_path, "installments.csv", INSTALLMENTS)]

    report = import_files(files, graph, database)

    unique = "ids are unique across parties, loans, accounts, collateral and events"
    assert rejects_of(report) == [
        ("persons.csv", 3, "id", "required value is missing"),
        ("persons.csv", 4, "birth_date", "not a date YYYY-MM-DD: '1990-02-30'"),
        ("persons.csv", 5, "gender", "must be one of F, M; got 'X'"),
        ("persons.csv", 6, "monthly_income", "negative amount: -5"),
        ("persons.csv", 7, "id", "duplicate id 'P1': already on line 2 of this file"),
        ("persons.csv", 8, None, "malformed CSV: text after a closing quote"),
        ("persons.csv", 9, None, "has 6 values; the header has 5 columns"),
        ("loans.jsonl", 2, "borrower_id",
         "unknown party 'P404': not in this import and not stored"),
        ("loans.jsonl", 3, "borrower_id", "'L1' is a Loan, not a party"),
        ("loans.jsonl", 4, "id", f"id 'P7' is already a Person; {unique}"),
        ("loans.jsonl", 5, "maturity_on", "must be after disbursed_on (2024-01-15)"),
        ("loans.jsonl", 6, "colour", f"unknown field 'colour'; known fields: {KNOWN_LOAN_FIELDS}"),
        ("loans.jsonl", 7, "principal", "negative amount: -100"),
        ("loans.jsonl", 8, "product", "required value is missing"),
        ("loans.jsonl", 9, "term_months", "not a whole number: 'twelve'"),
        ("loans.jsonl", 10, "annual_rate", "must be between 0 and 1; got 1.5"),
        ("loans.jsonl", 11, None, "malformed JSON: unexpected end of data at column 15"),
        ("loans.jsonl", 12, None, "a line must hold a JSON object, not an array"),
        ("loans.jsonl", 14, "repayment_method",
         "must be one of annuity, bullet, equal_principal, interest_only; got 'balloon'"),
        ("installments.csv", 3, "loan_id,seq",
         "duplicate (loan_id, seq) ('L1', 1): already on line 2 of this file"),
        ("installments.csv", 4, "loan_id", "unknown loan 'L2': not in this import and not stored"),
        ("installments.csv", 5, "seq", "must be between 1 and 10000; got 0"),
    ]
    assert [(Path(f.path).name, f.rows_read, f.rows_imported, f.rows_rejected)
            for f in report.files] == [
        ("persons.csv", 9, 2, 7), ("loans.jsonl", 13, 1, 12), ("installments.csv", 5, 2, 3)]
    # Only the good rows exist, each whole: no node, edge or record of a rejected row.
    assert graph.count() == {"Person": 2, "Loan": 1, "BORROWS": 1}
    assert graph.labels_of(["P1", "P7", "L1", "L2", "L3"]) == {
        "P1": Label.PERSON, "P7": Label.PERSON, "L1": Label.LOAN}
    assert table_counts(database) == {"loan": 1, "installment": 2, "repayment": 0,
                                      "bureau_snapshot": 0, "loan_modification": 0}
    assert rows_of(database, "SELECT file, line, field FROM rejected_row ORDER BY id")[:2] == [
        (str(files[0]), 3, "id"), (str(files[0]), 4, "birth_date")]
    assert rows_of(database, "SELECT status, rows_read, rows_imported, rows_rejected "
                             "FROM import_batch") == [("succeeded", 27, 5, 22)]


def test_a_header_problem_rejects_every_row_of_the_file(tmp_path: Path,
                                                        sqlite_graph: EmbeddedGraphStore,
                                                        sqlite_engine: Engine) -> None:
    unknown = write(tmp_path, "persons.csv", "id,name,nickname\nP1,Zhang Wei,Wei\n")
    missing = write(tmp_path, "companies.csv", "id,sector\nC1,trade\nC2,trade\n")

    report = import_files([unknown, missing], sqlite_graph, sqlite_engine)

    known = ("id, name, national_id, birth_date, gender, city, province, occupation, email, "
             "monthly_income, loss_buffer, currency")
    assert rejects_of(report) == [
        ("persons.csv", 2, "nickname", f"unknown column 'nickname'; known columns: {known}"),
        ("companies.csv", 2, "name", "required column 'name' is missing from the header"),
        ("companies.csv", 3, "name", "required column 'name' is missing from the header"),
    ]
    assert sqlite_graph.count() == {}


def test_relations_need_the_right_kinds_of_ends(tmp_path: Path, sqlite_engine: Engine,
                                                sqlite_graph: EmbeddedGraphStore) -> None:
    files = [
        write(tmp_path, "persons.csv", "id,name\nP1,Zhang Wei\nP2,Li Na\n"),
        write(tmp_path, "companies.csv", "id,name\nC1,Silk Co\n"),
        write(tmp_path, "accounts.csv", "id,holder_id,bank\nA1,P1,ICBC\nA2,C1,ICBC\n"),
        write(tmp_path, "transactions.csv", """
            source_account,target_account,month,amount,count
            A1,A2,2024-03,100.00,2
            A1,A1,2024-03,100.00,2
            A1,P1,2024-03,100.00,2
            A1,A2,2024-13,100.00,2
            A1,A2,2024-04,100.00,0
            """),
        write(tmp_path, "ownerships.csv", """
            owner_id,company_id,pct
            P1,C1,0.6
            C1,C1,0.5
            P2,P1,0.5
            P2,C1,0
            """),
        write(tmp_path, "directorships.csv", "person_id,company_id,role\nC1,C1,board\n"),
        write(tmp_path, "identifiers.csv", """
            party_id,kind,value
            P1,phone,+86 138-0013-8000
            P2,phone,+8613800138000
            P2,phone,(+86) 13800138000
            P2,email,li@example.com
            P2,phone,n/a
            """),
        write(tmp_path, "events.jsonl",
              '{"id": "E1", "kind": "news", "occurred_on": "2024-10-01", "title": "Fine", '
              '"party_ids": ["P1", "C1"]}\n'
              '{"id": "E2", "kind": "news", "occurred_on": "2024-10-01", "title": "Half", '
              '"party_ids": ["P1", "P9"]}\n'),
        write(tmp_path, "relations.csv", "party_id,other_id,kind\nP1,P2,family\nP2,P2,family\n"),
    ]

    report = import_files(files, sqlite_graph, sqlite_engine)

    assert rejects_of(report) == [
        ("transactions.csv", 3, "target_account", "an account cannot transfer to itself"),
        ("transactions.csv", 4, "target_account", "'P1' is a Person, not an account"),
        ("transactions.csv", 5, "month", "not a month YYYY-MM: '2024-13'"),
        ("transactions.csv", 6, "count", "must be at least 1; got 0"),
        ("ownerships.csv", 3, "owner_id", "a company cannot own itself"),
        ("ownerships.csv", 4, "company_id", "'P1' is a Person, not a company"),
        ("ownerships.csv", 5, "pct", "must be above 0 and at most 1; got 0"),
        ("directorships.csv", 2, "person_id", "'C1' is a Company, not a person"),
        ("identifiers.csv", 4, "party_id,kind,value",
         "duplicate (party_id, kind, value) ('P2', 'phone', '+8613800138000'): already on "
         "line 3 of this file"),
        ("identifiers.csv", 5, "kind", "must be one of address, device, phone; "
                                       "got 'email'"),
        ("identifiers.csv", 6, "value", "a phone number needs digits; got 'n/a'"),
        ("events.jsonl", 2, "party_ids", "unknown party 'P9': not in this import and not stored"),
        ("relations.csv", 3, "other_id", "a party cannot be related to itself"),
    ]
    # The shared phone is one node used by both persons.
    phone = identifier_id("phone", "+8613800138000")
    assert sorted(e.source for e in sqlite_graph.edges_of([phone], [RelType.USES])[0]) == [
        "P1", "P2"]
    # The event naming an unknown party is rejected whole: no node, no edge.
    assert sqlite_graph.labels_of(["E1", "E2"]) == {"E1": Label.EXTERNAL_EVENT}
    assert sqlite_graph.count()[RelType.MENTIONED_IN.value] == 2
