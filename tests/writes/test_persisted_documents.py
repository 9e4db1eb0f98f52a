"""Persisted documents over HTTP (Apollo's ``persistedQuery``, Relay's ``documentId``), the
production switch that runs only registered ones, and ``loanwatch documents register``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from auth.principal import Role
from loanwatch.settings import Settings
from portfolio.document_manifests import ManifestError, read_manifest
from portfolio.persisted_documents import find_documents, register_documents
from tests.api.apps import api_app, auth_header
from tests.api.client import ApiClient
from tests.command_line import command_line_database, run_loanwatch
from tests.writes.conftest import Stores

LOAN = 'query Loan { loan(id: "L1") { id } }'
LOAN_HASH = hashlib.sha256(LOAN.encode()).hexdigest()
OTHER = "query Other { __typename }"
GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


def client(stores: Stores, *, only_registered: bool) -> ApiClient:
    settings = Settings.from_environ({
        "LOANWATCH_ENVIRONMENT": "production" if only_registered else "development",
        "LOANWATCH_ONLY_REGISTERED_DOCUMENTS": str(only_registered).lower(),
        "LOANWATCH_IDENTIFIER_KEY": "k" * 32})
    return ApiClient(api_app(settings, stores.graph, stores.engine),
                     headers=auth_header(Role.INTEGRATION))


@pytest.fixture
def sqlite_stores(tmp_path: Path) -> Stores:
    from graph.stores.embedded import EmbeddedGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from tests.writes.conftest import seed

    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    stores = Stores(EmbeddedGraphStore(engine), engine, "embedded-sqlite")
    seed(stores, tmp_path / "seed")
    register_documents(engine, [(LOAN, "Loan")])
    return stores


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


def apollo(sha256: str, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1,
                                                              "sha256Hash": sha256}}}
    if query is not None:
        body["query"] = query
    return body


@pytest.mark.parametrize("only_registered", [False, True])
def test_a_registered_document_runs_by_its_hash_apollo_and_relay(
        sqlite_stores: Stores, only_registered: bool) -> None:
    api = client(sqlite_stores, only_registered=only_registered)

    by_apollo = api.post("/graphql", json=apollo(LOAN_HASH))
    by_relay = api.post("/graphql", json={"documentId": f"sha256:{LOAN_HASH}"})
    by_get = api.get("/graphql", params={"documentId": LOAN_HASH},
                     headers={"accept": "application/json"})
    in_full = api.post("/graphql", json={"query": LOAN})

    for response in (by_apollo, by_relay, by_get, in_full):
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"loan": {"id": "L1"}}}


def test_an_unknown_hash_is_persisted_query_not_found(sqlite_stores: Stores) -> None:
    api = client(sqlite_stores, only_registered=False)
    unknown = hashlib.sha256(OTHER.encode()).hexdigest()

    as_json = api.post("/graphql", json=apollo(unknown))
    as_graphql = api.post("/graphql", json={"documentId": unknown}, headers=GRAPHQL_RESPONSE)

    assert (as_json.status_code, codes(as_json)) == (200, ["PERSISTED_QUERY_NOT_FOUND"])
    assert (as_graphql.status_code, codes(as_graphql)) == (404, ["PERSISTED_QUERY_NOT_FOUND"])


def test_only_registered_documents_run_in_production_and_no_request_registers_one(
        sqlite_stores: Stores) -> None:
    api = client(sqlite_stores, only_registered=True)
    other_hash = hashlib.sha256(OTHER.encode()).hexdigest()

    free_text = api.post("/graphql", json={"query": OTHER}, headers=GRAPHQL_RESPONSE)
    apq_register = api.post("/graphql", json=apollo(other_hash, OTHER))
    then_by_hash = api.post("/graphql", json=apollo(other_hash))
    mutation = api.post("/graphql", json={"query": 'mutation { recordRepayment(input: {'
                        'eventId: "e", id: "R1", loanId: "L1", paidOn: "2025-01-01", '
                        'amount: "1"}) { __typename } }'})

    assert (free_text.status_code, codes(free_text)) == (400, ["PERSISTED_QUERY_NOT_ALLOWED"])
    assert "data" not in free_text.json()
    assert codes(apq_register) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    assert codes(then_by_hash) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert codes(mutation) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    assert find_documents(sqlite_stores.engine, [other_hash]) == {}
    assert find_documents(sqlite_stores.engine, [LOAN_HASH]) == {LOAN_HASH: LOAN}


def test_development_runs_a_hash_with_its_text_without_registering_it(
        sqlite_stores: Stores) -> None:
    api = client(sqlite_stores, only_registered=False)
    other_hash = hashlib.sha256(OTHER.encode()).hexdigest()

    response = api.post("/graphql", json=apollo(other_hash, OTHER))

    assert response.json() == {"data": {"__typename": "Query"}}
    assert find_documents(sqlite_stores.engine, [other_hash]) == {}


@pytest.mark.parametrize("body", [
    apollo(LOAN_HASH, OTHER),  # the hash is not the text's
    apollo("not-a-hash"),
    {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": LOAN_HASH}}},
    {"extensions": {"persistedQuery": "abc"}},
    {"documentId": 42},
])
def test_a_malformed_persisted_query_is_a_bad_request(sqlite_stores: Stores,
                                                      body: dict[str, Any]) -> None:
    response = client(sqlite_stores, only_registered=False).post(
        "/graphql", json=body, headers=GRAPHQL_RESPONSE)

    assert (response.status_code, codes(response)) == (400, ["BAD_REQUEST"])
    assert "Traceback" not in response.text


def test_a_request_without_query_or_hash_is_a_bad_request(sqlite_stores: Stores) -> None:
    response = client(sqlite_stores, only_registered=False).post("/graphql", json={})
    assert (response.status_code, codes(response)) == (400, ["BAD_REQUEST"])


APOLLO_MANIFEST = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
    {"id": LOAN_HASH, "name": "Loan", "type": "query", "body": LOAN}]}


def test_manifests_of_apollo_and_relay_are_read() -> None:
    other = hashlib.sha256(OTHER.encode()).hexdigest()
    assert read_manifest(json.dumps(APOLLO_MANIFEST), "a.json") == [(LOAN, "Loan")]
    assert read_manifest(json.dumps({other: OTHER}), "r.json") == [(OTHER, None)]


@pytest.mark.parametrize(("text", "message"), [
    ("{", "m.json: not JSON"),
    ("[]", "m.json: a manifest is a JSON object"),
    (json.dumps({"0f" * 16: OTHER}), "m.json: entry '0f0f"),
    (json.dumps({**APOLLO_MANIFEST, "version": 2}), "unknown manifest format"),
    (json.dumps({"operations": [{"id": LOAN_HASH, "body": ""}]}),
     "operations[0]: the document text is missing"),
])
def test_a_bad_manifest_is_refused_naming_the_entry(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_manifest(text, "m.json")


def test_the_documents_register_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    engine: Engine = command_line_database(tmp_path, monkeypatch)
    apollo_file = tmp_path / "persisted-query-manifest.json"
    apollo_file.write_text(json.dumps(APOLLO_MANIFEST))
    relay_file = tmp_path / "persisted-queries.json"
    other = hashlib.sha256(OTHER.encode()).hexdigest()
    relay_file.write_text(json.dumps({other: OTHER, LOAN_HASH: LOAN}))
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps({"abc": OTHER}))

    first = run_loanwatch(monkeypatch, "documents", "register", str(apollo_file),
                          str(relay_file), "--json")
    first_out = capsys.readouterr().out
    again = run_loanwatch(monkeypatch, "documents", "register", str(relay_file))
    again_out = capsys.readouterr().out
    refused = run_loanwatch(monkeypatch, "documents", "register", str(bad_file))
    refused_err = capsys.readouterr().err
    listed = run_loanwatch(monkeypatch, "documents", "list", "--json")
    listed_out = capsys.readouterr().out

    assert (first, json.loads(first_out)) == (0, {"documents": 2, "registered": 2})
    assert (again, again_out.strip()) == (0, "2 documents in 1 manifest(s): 0 newly "
                                             "registered, 2 already registered")
    assert refused == 1
    assert "bad.json: entry 'abc': id 'abc' is not the SHA-256 of its text" in refused_err
    assert "Traceback" not in refused_err
    assert listed == 0
    assert sorted(d["sha256"] for d in json.loads(listed_out)["documents"]) == \
        sorted([LOAN_HASH, other])
    assert find_documents(engine, [LOAN_HASH, other]) == {LOAN_HASH: LOAN, other: OTHER}
