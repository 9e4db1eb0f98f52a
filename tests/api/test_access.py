"""Who may use /graphql: bearer tokens (RFC 6750), rights refused with 403, the personal
data audited, request ids, rate limits, metrics and introspection in production."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from api.logs import JsonFormatter, RequestIdFilter
from api.rate_limit import ClientRateLimiter
from auth.audit_events import AuditAction
from auth.principal import Role
from loanwatch.settings import Settings
from tests.api.apps import api_app, auth_header
from tests.api.client import ApiClient
from tests.api.server import serving
from tests.audit.trails import trail
from tests.principals import ListAuditSink, token_of
from tests.schema.sample import CountingStore

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEVELOPMENT = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "development"})
PRODUCTION = Settings.from_environ({"LOANWATCH_ENVIRONMENT": "production",
                                    "LOANWATCH_IDENTIFIER_KEY": "k" * 40})
STRESS = 'query Stress { stress(parties: ["C1"]) { method } }'
PERSON = 'query Person { party(id: "P1") { id name } }'
NO_AUTH: dict[str, str] = {"authorization": ""}


@pytest.fixture
def audit() -> ListAuditSink:
    return ListAuditSink()


@pytest.fixture
def app_client(store: CountingStore, engine: Engine, audit: ListAuditSink) -> ApiClient:
    return ApiClient(api_app(DEVELOPMENT, store, engine, audit=audit))


def _anonymous(client: ApiClient, **headers: str) -> dict:
    return {"json": {"query": "{ __typename }"}, "headers": headers}


def test_a_request_without_a_token_is_401_with_a_bare_challenge(app_client: ApiClient
                                                                 ) -> None:
    response = app_client.request("POST", "/graphql", json={"query": "{ __typename }"},
                                  headers={"authorization": ""})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="loanwatch"'
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_unknown_token_is_401_invalid_token(app_client: ApiClient) -> None:
    response = app_client.post("/graphql", json={"query": "{ __typename }"},
                               headers={"authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="loanwatch", error="invalid_token", '
        'error_description="the access token is expired or unknown"')
    assert "not-a-token" not in response.text


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"])
def test_a_malformed_authorization_header_is_400_invalid_request(app_client: ApiClient,
                                                                 header: str) -> None:
    response = app_client.post("/graphql", json={"query": "{ __typename }"},
                               headers={"authorization": header})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_the_graphiql_page_needs_no_token(app_client: ApiClient) -> None:
    response = app_client.get("/graphql", headers={"accept": "text/html", **NO_AUTH})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
def test_a_missing_right_is_403_forbidden_naming_field_and_right(
        app_client: ApiClient, audit: ListAuditSink, store: CountingStore,
        accept: str) -> None:
    store.calls.clear()
    response = app_client.post("/graphql", json={"query": STRESS},
                               headers={"accept": accept, **auth_header(Role.COLLECTOR)})
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="loanwatch", error="insufficient_scope", scope="portfolio:read", '
        'error_description="this request needs the right \'run-portfolio-analytics\'"')
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "field": "Query.stress",
                                   "right": "run-portfolio-analytics"}
    assert "Query.stress" in error["message"]
    assert sum(store.calls.values()) == 0, "a refused document reads nothing"
    [denied] = audit.of(AuditAction.DENIED)
    assert (denied.client_id, denied.user) == ("collector-client", "collector-user")
    assert denied.detail == {"field": "Query.stress", "right": "run-portfolio-analytics"}
    assert denied.request_id == response.headers["x-request-id"]


def test_personal_data_in_clear_is_audited_with_the_request_id(
        app_client: ApiClient, audit: ListAuditSink) -> None:
    response = app_client.post("/graphql", json={"query": PERSON},
                               headers={"x-request-id": "trace-42",
                                        **auth_header(Role.INVESTIGATOR)})
    assert response.json() == {"data": {"party": {"id": "P1", "name": "Zhang Wei"}}}
    assert response.headers["x-request-id"] == "trace-42"
    [read] = audit.events
    assert read.action is AuditAction.READ_PERSONAL
    assert read.targets == ("P1",)
    assert (read.request_id, read.source, read.operation) == (
        "trace-42", "10.1.2.3", "graphql Person")


def test_personal_data_that_cannot_be_audited_is_withheld_with_503(
        store: CountingStore, engine: Engine) -> None:
    closed = trail(engine)
    closed.close()  # a closed trail accepts nothing: as when it is shutting down
    client = ApiClient(api_app(DEVELOPMENT, store, engine, audit=closed))
    response = client.post("/graphql", json={"query": PERSON},
                           headers={"accept": GRAPHQL_RESPONSE,
                                    **auth_header(Role.INVESTIGATOR)})
    assert response.status_code == 503
    body = response.json()
    assert "data" not in body and "Zhang" not in response.text
    assert body["errors"][0]["extensions"]["code"] == "SERVER_BUSY"
    # A masked answer has nothing to record: it is served.
    masked = client.post("/graphql", json={"query": PERSON})
    assert masked.json() == {"data": {"party": {"id": "P1", "name": "Zhang *"}}}


def test_masked_personal_data_is_not_audited(app_client: ApiClient,
                                             audit: ListAuditSink) -> None:
    response = app_client.post("/graphql", json={"query": PERSON})  # an analyst
    assert response.json() == {"data": {"party": {"id": "P1", "name": "Zhang *"}}}
    assert audit.events == []


def test_a_request_id_that_is_not_safe_is_replaced(app_client: ApiClient) -> None:
    response = app_client.post("/graphql", json={"query": "{ __typename }"},
                               headers={"x-request-id": "evil id; drop"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    fresh = app_client.post("/graphql", json={"query": "{ __typename }"})
    assert fresh.headers["x-request-id"] != response.headers["x-request-id"]


def test_introspection_is_disabled_in_production(store: CountingStore,
                                                 engine: Engine) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    development = ApiClient(api_app(DEVELOPMENT, store, engine)).post("/graphql", json=query)
    assert development.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    production = ApiClient(api_app(PRODUCTION, store, engine)).post(
        "/graphql", json=query, headers={"accept": GRAPHQL_RESPONSE})
    assert production.status_code == 400
    error = production.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in error["message"].lower()


def test_metrics_count_latency_errors_rejections_and_store_calls(app_client: ApiClient
                                                                 ) -> None:
    app_client.post("/graphql", json={"query": PERSON})
    app_client.post("/graphql", json={"query": "{ __typename }"}, headers=NO_AUTH)
    app_client.post("/graphql", json={"query": STRESS}, headers=auth_header(Role.COLLECTOR))
    response = app_client.get("/metrics", headers=NO_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'loanwatch_graphql_request_duration_seconds_count{operation="Person"} 1.0' in text
    assert 'loanwatch_graphql_rejected_total{code="UNAUTHENTICATED"} 1.0' in text
    assert 'loanwatch_graphql_rejected_total{code="FORBIDDEN"} 1.0' in text
    assert 'loanwatch_graphql_errors_total{code="FORBIDDEN"} 1.0' in text
    assert re.search(r'loanwatch_store_call_duration_seconds_count\{method="get_node[s]?"\} '
                     r'[1-9]', text), text
    assert "loanwatch_http_requests_in_flight 0.0" in text


@pytest.fixture
def redis_limiter() -> ClientRateLimiter:
    url = os.environ.get("LOANWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    limiter = ClientRateLimiter.from_strings("3/minute", url)
    limiter.reset()
    return limiter


def test_a_client_past_its_rate_limit_gets_429_with_retry_after(
        store: CountingStore, engine: Engine, redis_limiter: ClientRateLimiter) -> None:
    client = ApiClient(api_app(DEVELOPMENT, store, engine, rate_limiter=redis_limiter))
    answers = [client.post("/graphql", json={"query": "{ __typename }"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-policy"] == '"per-client";q=3;w=60'
    assert re.fullmatch(r'"per-client";r=2;t=\d+', answers[0].headers["ratelimit"])
    refused = answers[3]
    assert re.fullmatch(r'"per-client";r=0;t=\d+', refused.headers["ratelimit"])
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    other = client.post("/graphql", json={"query": "{ __typename }"},
                        headers=auth_header(Role.INVESTIGATOR))
    assert other.status_code == 200, "the limit is per client"
    redis_limiter.reset()


def test_access_log_lines_are_json_with_the_request_id(
        app_client: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="loanwatch.access"):
        app_client.post("/graphql", json={"query": PERSON}, headers={"x-request-id": "r-7"})
    [record] = [r for r in caplog.records if r.name == "loanwatch.access"]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "r-7"
    assert line["status"] == 200
    assert (line["client_id"], line["operation"], line["path"]) == (
        "analyst-client", "Person", "/graphql")
    assert line["level"] == "info" and line["duration_ms"] > 0


def _ws_query(url: str, init: dict, headers: dict[str, str] | None = None) -> dict:
    with connect(url, subprotocols=["graphql-transport-ws"],
                 additional_headers=headers or {}, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(socket.recv(timeout=10))
        assert ack["type"] == "connection_ack", ack
        socket.send(json.dumps({"id": "1", "type": "subscribe",
                                "payload": {"query": PERSON}}))
        return json.loads(socket.recv(timeout=10))


def test_a_websocket_authenticates_in_connection_init_or_its_header(
        store: CountingStore, engine: Engine, audit: ListAuditSink, tmp_path: Path) -> None:
    app = api_app(DEVELOPMENT, store, engine, audit=audit)
    with serving(app, ws="websockets-sansio") as (host, port):
        url = f"ws://{host}:{port}/graphql"
        by_payload = _ws_query(url, {"Authorization": f"Bearer {token_of(Role.INVESTIGATOR)}"})
        assert by_payload["payload"] == {"data": {"party": {"id": "P1", "name": "Zhang Wei"}}}
        assert [e.targets for e in audit.of(AuditAction.READ_PERSONAL)] == [("P1",)]
        by_header = _ws_query(url, {}, auth_header(Role.ANALYST))
        assert by_header["payload"] == {"data": {"party": {"id": "P1", "name": "Zhang *"}}}

        with connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            socket.send(json.dumps({"type": "connection_init",
                                    "payload": {"Authorization": "Bearer wrong"}}))
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        with pytest.raises(InvalidStatus) as refused:
            connect(url, subprotocols=["graphql-transport-ws"],
                    additional_headers={"authorization": "Bearer wrong"})
        assert refused.value.response.status_code == 403
