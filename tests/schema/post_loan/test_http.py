"""The post-loan fields over HTTP as a front end calls them: a read by GET, a decision by
POST answered with its type, a field the caller's role lacks refused with 403 before
anything runs, a missing case with NOT_FOUND and no trace of the server's insides."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.principal import Role
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from loanwatch.settings import Settings
from portfolio.database import create_sql_engine
from tests.api.apps import api_app, auth_header
from tests.api.client import ApiClient
from tests.writes.conftest import Stores, seed

QUEUE = "{ reviewQueue(first: 5) { edges { node { id number status } } } }"
DECIDE = """mutation { decideReview(input: {reviewId: "Review:1", reason: "agreed"}) {
  __typename ... on ReviewDecided { review { status decidedBy } } } }"""
LETTERS = "{ deadLetters { edges { node { number } } } }"
CASE = '{ collectionCase(id: "CollectionCase:L9@2025-01-01") { state } }'


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    """The tiny portfolio on SQLite only (these tests are about HTTP)."""
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    pair = Stores(EmbeddedGraphStore(engine), engine, "embedded-sqlite")
    seed(pair, tmp_path / "seed")
    return pair


@pytest.fixture
def client(world: Stores) -> ApiClient:
    settings = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production",
                                      "LOANWATCH_IDENTIFIER_KEY": "k" * 32})
    return ApiClient(api_app(settings, world.graph, world.engine))


def test_the_queue_reads_by_get_and_a_decision_posts(client: ApiClient) -> None:
    queue = client.get("/graphql", params={"query": QUEUE})
    decided = client.post("/graphql", json={"query": DECIDE})
    after = client.get("/graphql", params={"query": QUEUE})

    assert queue.status_code == 200
    assert [e["node"]["id"] for e in queue.json()["data"]["reviewQueue"]["edges"]] == [
        "Review:1", "Review:2", "Review:3"]
    assert decided.json() == {"data": {"decideReview": {
        "__typename": "ReviewDecided",
        "review": {"status": "confirmed", "decidedBy": "analyst-user"}}}}
    assert [e["node"]["number"] for e in after.json()["data"]["reviewQueue"]["edges"]] == [
        2, 3]


def test_a_field_the_role_lacks_is_403_and_a_missing_case_is_not_found(
        client: ApiClient) -> None:
    refused = client.post("/graphql", json={"query": LETTERS},
                          headers=auth_header(Role.MANAGER))
    integration = client.post("/graphql", json={"query": LETTERS},
                              headers=auth_header(Role.INTEGRATION))
    missing = client.post("/graphql", json={"query": CASE})

    assert refused.status_code == 403
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert (error["extensions"]["field"], error["extensions"]["right"]) == (
        "Query.deadLetters", "manage-jobs")
    assert ": a manager token with scopes " in error["message"]
    assert ": an integration token with scopes " in integration.json()["errors"][0]["message"]
    assert missing.status_code == 200
    [error] = missing.json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == "no collection case 'L9@2025-01-01'"
    assert "Traceback" not in missing.text
