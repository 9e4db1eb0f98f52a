"""Mutations over HTTP: a good write, and bad input that gets the right status and code,
leaks nothing and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.database import create_sql_engine
from tests.api.apps import api_app, auth_header
from tests.api.client import ApiClient
from tests.writes.conftest import Stores, seed

PAY = """mutation Pay($input: RecordRepaymentInput!) {
  recordRepayment(input: $input) { __typename ... on UserError { code field } } }"""
GOOD = {"eventId": "e1", "id": "R1", "loanId": "L1", "paidOn": "2025-02-15", "amount": "10"}
STRICT = {"accept": "application/graphql-response+json"}


@pytest.fixture
def api(tmp_path: Path) -> tuple[ApiClient, Stores]:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    stores = Stores(EmbeddedGraphStore(engine), engine, "embedded-sqlite")
    seed(stores, tmp_path / "seed")
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production",
                                      "LOANWATCH_IDENTIFIER_KEY": "k" * 32})
    return ApiClient(api_app(settings, stores.graph, engine),
                     headers=auth_header(Role.INTEGRATION)), stores


def repayments(stores: Stores) -> int:
    with stores.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(text("repayment")))
                   .scalar_one())


def test_a_mutation_over_post_writes_and_answers_its_type(
        api: tuple[ApiClient, Stores]) -> None:
    client, stores = api
    response = client.post("/graphql", json={"query": PAY, "variables": {"input": GOOD}})

    assert response.status_code == 200
    assert response.json() == {"data": {"recordRepayment": {"__typename": "RepaymentRecorded"}}}
    assert repayments(stores) == 1


@pytest.mark.parametrize("variables", [
    {"input": {**GOOD, "amount": "lots"}},
    {"input": {**GOOD, "paidOn": 20250215}},
    {"input": {**GOOD, "eventId": None}},
    {"input": {**GOOD, "surprise": 1}},
    {"input": "R1"},
    {},
])
def test_variables_of_the_wrong_type_are_a_request_error_that_writes_nothing(
        api: tuple[ApiClient, Stores], variables: dict[str, object]) -> None:
    client, stores = api
    response = client.post("/graphql", json={"query": PAY, "variables": variables},
                           headers=STRICT)

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "$input" in body["errors"][0]["message"]
    assert "Traceback" not in response.text
    assert repayments(stores) == 0


def test_a_mutation_sent_with_get_is_refused_and_writes_nothing(
        api: tuple[ApiClient, Stores]) -> None:
    client, stores = api
    response = client.get("/graphql", params={
        "query": 'mutation { recordRepayment(input: {eventId: "e", id: "R1", loanId: "L1", '
                 'paidOn: "2025-01-01", amount: "1"}) { __typename } }'},
        headers={"accept": "application/json"})

    assert response.status_code == 405
    assert repayments(stores) == 0


def test_a_broken_rule_is_data_not_an_error_and_names_the_field(
        api: tuple[ApiClient, Stores]) -> None:
    client, stores = api
    response = client.post("/graphql", headers=STRICT, json={
        "query": PAY, "variables": {"input": {**GOOD, "loanId": "L404"}}})

    assert response.status_code == 200
    assert response.json() == {"data": {"recordRepayment": {
        "__typename": "InvalidInput", "code": "INVALID_REFERENCE",
        "field": ["input", "loanId"]}}}
    assert repayments(stores) == 0
