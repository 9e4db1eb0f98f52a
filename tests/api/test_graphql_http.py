"""/graphql over HTTP: POST and GET, GraphiQL for browsers, status codes and media types."""

from __future__ import annotations

from sqlalchemy import create_engine

from api.app import MAX_GRAPHQL_BODY_BYTES, create_app
from api.graphiql import EXAMPLE_QUERY
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.settings import Settings
from tests.api.client import ApiClient

PARTY_NAME = 'query Name($id: ID!) { party(id: $id) { name } }'
UNKNOWN_FIELD = "query { nope }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
PRODUCTION = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production"})


def test_post_json_runs_a_query(client: ApiClient) -> None:
    response = client.post("/graphql", json={"query": PARTY_NAME, "variables": {"id": "C1"}})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"party": {"name": "Huaxin Trading"}}}


def test_get_runs_a_query_from_the_url(client: ApiClient) -> None:
    response = client.get("/graphql", params={"query": PARTY_NAME, "variables": '{"id": "P2"}'},
                          headers={"accept": "application/json"})
    assert response.status_code == 200
    # A person's name is personal data: masked to the family name.
    assert response.json() == {"data": {"party": {"name": "Li *"}}}


def test_a_browser_gets_graphiql_opened_on_the_example(client: ApiClient) -> None:
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "query GuaranteeNetworks($text: String! = \"C0000001\")" in response.text
    assert "Welcome to GraphiQL" not in response.text


def test_the_example_runs_cleanly(client: ApiClient) -> None:
    # The default text fits the demo's ids; the sample graph here has other names.
    response = client.post("/graphql", json={"query": EXAMPLE_QUERY,
                                             "operationName": "GuaranteeNetworks",
                                             "variables": {"text": "a"}})
    body = response.json()
    assert "errors" not in body
    holdings, steel, _ = (edge["node"] for edge in body["data"]["searchParties"]["edges"])
    assert (holdings["id"], steel["id"]) == ("C3", "C2")
    assert holdings["guarantees"] == [{"amount": {"amount": "200000.00", "currency": "CNY"},
                                       "loan": {"id": "L2", "borrowers": [{"id": "C2", "name":
                                                                           "Dongfang Steel"}]}}]
    assert [g["guarantor"]["id"] for g in steel["loans"][0]["guarantees"]] == ["C1", "C3"]
    assert [n["id"] for n in steel["guaranteeNetwork"]["nodes"]] == ["C2", "L1", "L2", "C1",
                                                                     "C3"]


def test_domain_errors_carry_their_code(client: ApiClient) -> None:
    body = client.post("/graphql", json={"query": PARTY_NAME, "variables": {"id": "X"}}).json()
    assert body["data"] == {"party": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


def test_a_rejected_document_is_200_as_json_and_400_as_graphql_response(
        client: ApiClient) -> None:
    as_json = client.post("/graphql", json={"query": UNKNOWN_FIELD})
    assert as_json.status_code == 200
    assert as_json.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

    modern = client.post("/graphql", json={"query": UNKNOWN_FIELD},
                         headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"})
    assert modern.status_code == 400
    assert modern.headers["content-type"] == GRAPHQL_RESPONSE
    assert "data" not in modern.json()


def test_a_field_error_is_still_200_as_graphql_response(client: ApiClient) -> None:
    response = client.post("/graphql", json={"query": PARTY_NAME, "variables": {"id": "X"}},
                           headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["data"] == {"party": None}


def test_bad_requests_are_refused(client: ApiClient) -> None:
    assert client.post("/graphql", content=b"{not json",
                       headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/graphql", json={}).status_code == 400
    assert client.request("PUT", "/graphql", json={"query": PARTY_NAME}).status_code == 405
    oversized = b'{"query": "' + b" " * MAX_GRAPHQL_BODY_BYTES + b'{ __typename }"}'
    assert client.post("/graphql", content=oversized,
                       headers={"content-type": "application/json"}).status_code == 413


def test_too_deep_a_query_is_rejected_over_http(client: ApiClient) -> None:
    deep = "query { party(id: \"C1\") { " + "loans { borrowers { " * 5 + "id" + " } }" * 5 + " } }"
    body = client.post("/graphql", json={"query": deep}).json()
    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 10"


def test_production_masks_unexpected_errors() -> None:
    missing_tables = create_engine("sqlite://")
    graph = EmbeddedGraphStore(missing_tables)
    client = ApiClient(create_app(PRODUCTION, graph, missing_tables))
    body = client.post("/graphql", json={"query": PARTY_NAME, "variables": {"id": "C1"}}).json()
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    missing_tables.dispose()
