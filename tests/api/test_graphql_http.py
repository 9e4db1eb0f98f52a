"""/graphql over HTTP: POST and GET, GraphiQL for browsers, status codes and media types.

The audit of GraphQL over HTTP: every MUST and SHOULD the project answers, for both
response media types, and that every answer (a rejected request's too) is a GraphQL
response whose errors carry a code.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from starlette.types import Message

from api.app import MAX_GRAPHQL_BODY_BYTES
from api.graphiql import EXAMPLE_QUERY
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.settings import Settings
from tests.api.apps import ANALYST_AUTH, api_app
from tests.api.client import ApiClient
from tests.schema.sample import CountingStore

PARTY_NAME = 'query Name($id: ID!) { party(id: $id) { name } }'
UNKNOWN_FIELD = "query { nope }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
PRODUCTION = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production"})
JSON = "application/json"
TWO_OPERATIONS = 'query A { party(id: "C1") { name } } query B { party(id: "P2") { name } }'
NEIGHBOURHOOD_OF = 'query Near($hops: Int!) { neighbourhood(id: "C1", hops: $hops) { truncated } }'


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def rejected(response: Any, status: int, code: str, media_type: str = JSON) -> str:
    """Check a rejected request's answer; return its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == media_type
    body = response.json()
    assert "data" not in body
    assert codes(body) == [code]
    return body["errors"][0]["message"]


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
    for accept in ("*/*", None):  # no supported type named, or no Accept: application/json
        headers = {} if accept is None else {"accept": accept}
        response = client.post("/graphql", json={"query": UNKNOWN_FIELD}, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (200, JSON)


def test_too_deep_a_query_is_rejected_over_http(client: ApiClient) -> None:
    deep = "query { party(id: \"C1\") { " + "loans { borrowers { " * 5 + "id" + " } }" * 5 + " } }"
    body = client.post("/graphql", json={"query": deep}).json()
    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 10"


def test_production_masks_unexpected_errors() -> None:
    missing_tables = create_engine("sqlite://")
    graph = EmbeddedGraphStore(missing_tables)
    client = ApiClient(api_app(PRODUCTION, graph, missing_tables))
    body = client.post("/graphql", json={"query": PARTY_NAME, "variables": {"id": "C1"}}).json()
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    missing_tables.dispose()


@pytest.fixture
def production(store: CountingStore, engine: Engine) -> ApiClient:
    return ApiClient(api_app(PRODUCTION, store, engine))


@pytest.mark.parametrize("variables", [{"id": {"not": "an id"}}, {}],
                         ids=["wrong type", "missing"])
def test_a_bad_variable_is_the_clients_mistake(production: ApiClient,
                                               variables: dict[str, Any],
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request = {"query": PARTY_NAME, "variables": variables}
    as_json = production.post("/graphql", json=request)
    assert as_json.status_code == 200
    assert codes(as_json.json()) == ["BAD_USER_INPUT"]
    assert as_json.json()["errors"][0]["message"].startswith("Variable '$id' has invalid value")

    message = rejected(production.post("/graphql", json=request,
                                       headers={"accept": GRAPHQL_RESPONSE}),
                       400, "BAD_USER_INPUT", GRAPHQL_RESPONSE)
    assert "$id" in message
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_variable_of_the_wrong_type_for_an_int(client: ApiClient) -> None:
    body = client.post("/graphql", json={"query": NEIGHBOURHOOD_OF,
                                         "variables": {"hops": "six"}}).json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Int cannot represent non-integer value: 'six'" in body["errors"][0]["message"]


def test_a_body_that_is_not_utf8_is_a_coded_400(client: ApiClient) -> None:
    for accept, media_type in ((JSON, JSON), (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE)):
        response = client.post("/graphql", content=b'{"query": "{ party(id: \xff) }"}',
                               headers={"content-type": JSON, "accept": accept})
        message = rejected(response, 400, "BAD_REQUEST", media_type)
        assert message == "the request body is not valid UTF-8: byte 0xff at offset 23"


def test_request_level_errors_are_graphql_responses(client: ApiClient) -> None:
    not_json = client.post("/graphql", content=b"{not json", headers={"content-type": JSON})
    rejected(not_json, 400, "BAD_REQUEST")
    no_query = client.post("/graphql", json={}, headers={"accept": GRAPHQL_RESPONSE})
    assert "no GraphQL query" in rejected(no_query, 400, "BAD_REQUEST", GRAPHQL_RESPONSE)
    bad_variables = client.post("/graphql", json={"query": PARTY_NAME, "variables": [7]})
    rejected(bad_variables, 400, "BAD_REQUEST")
    no_type = client.post("/graphql", content=b'{"query": "{ __typename }"}')
    rejected(no_type, 400, "BAD_REQUEST")
    put = client.request("PUT", "/graphql", json={"query": PARTY_NAME})
    rejected(put, 405, "METHOD_NOT_ALLOWED")
    assert put.headers["allow"] == "GET, POST"


def test_a_mutation_over_get_is_405(client: ApiClient) -> None:
    for accept in (JSON, GRAPHQL_RESPONSE):
        response = client.get("/graphql", params={"query": "mutation { nope }"},
                              headers={"accept": accept})
        message = rejected(response, 405, "METHOD_NOT_ALLOWED", accept)
        assert message.endswith("send mutations with POST")


def test_two_operations_need_an_operation_name(client: ApiClient) -> None:
    as_json = client.post("/graphql", json={"query": TWO_OPERATIONS})
    assert as_json.status_code == 200
    assert as_json.json()["data"] is None
    assert codes(as_json.json()) == ["BAD_REQUEST"]
    assert as_json.json()["errors"][0]["message"] == (
        "the document has 2 operations (A, B) and no operationName: name the one to run")
    rejected(client.post("/graphql", json={"query": TWO_OPERATIONS},
                         headers={"accept": GRAPHQL_RESPONSE}),
             400, "BAD_REQUEST", GRAPHQL_RESPONSE)

    named = client.post("/graphql", json={"query": TWO_OPERATIONS, "operationName": "B"})
    assert named.json() == {"data": {"party": {"name": "Li *"}}}


def test_an_unknown_operation_name_is_a_request_error(client: ApiClient) -> None:
    request = {"query": TWO_OPERATIONS, "operationName": "C"}
    as_json = client.post("/graphql", json=request)
    assert as_json.status_code == 200
    assert codes(as_json.json()) == ["BAD_REQUEST"]
    message = rejected(client.post("/graphql", json=request,
                                   headers={"accept": GRAPHQL_RESPONSE}),
                       400, "BAD_REQUEST", GRAPHQL_RESPONSE)
    assert message == "the document has no operation named 'C'"


def test_a_too_large_body_is_a_coded_413(client: ApiClient) -> None:
    oversized = b'{"query": "' + b" " * MAX_GRAPHQL_BODY_BYTES + b'{ __typename }"}'
    response = client.post("/graphql", content=oversized,
                           headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE})
    message = rejected(response, 413, "PAYLOAD_TOO_LARGE", GRAPHQL_RESPONSE)
    assert message == "the request body is larger than the limit of 65,536 bytes"


def _asgi_get(app: Any, query_string: bytes) -> tuple[int, dict[str, str], bytes]:
    """GET /graphql?<query_string> through the ASGI app; httpx refuses URLs this long."""
    sent: list[Message] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # as a server does until the client hangs up
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": query_string, "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"accept", JSON.encode()),
                         *((k.encode(), v.encode()) for k, v in ANALYST_AUTH.items())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body


def test_the_size_limit_applies_to_a_get_query_string(store: CountingStore,
                                                      engine: Engine) -> None:
    app = api_app(Settings.from_environ({}), store, engine)
    padding = b"+" * (MAX_GRAPHQL_BODY_BYTES - len(b"query=%7B__typename%7D"))
    status, _, body = _asgi_get(app, b"query=%7B__typename%7D" + padding)
    assert (status, body) == (200, b'{"data":{"__typename":"Query"}}')
    status, headers, body = _asgi_get(app, b"query=%7B__typename%7D" + padding + b"+")
    assert status == 413
    assert headers["content-type"] == JSON
    assert b'"code":"PAYLOAD_TOO_LARGE"' in body
    assert b"query string is larger than the limit of 65,536 bytes" in body
