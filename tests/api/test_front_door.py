"""The front door end to end, with nothing stood in for: the app's own OAuth server issues
a JWT by the client-credentials grant, the API verifies it, the role decides what is shown
in clear, and the audit trail writes, chains and verifies what happened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from api import create_app
from auth.audit import AuditTrail
from auth.principal import Role
from loanwatch.settings import Settings
from tests.api.client import ApiClient
from tests.audit.trails import count_rows, trail, verify
from tests.portfolio.databases import database, postgres_engine, sqlite_engine
from tests.schema.sample import CountingStore, load_sample

__all__ = ["database", "postgres_engine", "sqlite_engine"]

PERSON = '{ party(id: "P1") { id name properties { key value } } }'
STRESS = '{ stress(parties: ["C1"]) { method } }'


def _token(client: ApiClient, app_state: object, role: Role, scopes: list[str]) -> str:
    server = app_state.oauth  # type: ignore[attr-defined]
    registered, secret = server.clients.create(f"{role.value} system", scopes, role=role)
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(registered.client_id, secret))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _ask(client: ApiClient, token: str, query: str) -> tuple[int, dict]:
    answer = client.post("/graphql", json={"query": query},
                         headers={"authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


@pytest.fixture
def door(database: Engine) -> Iterator[tuple[ApiClient, object, AuditTrail]]:
    store = load_sample(CountingStore(database))
    audit = trail(database)
    settings = Settings.from_environ({"LOANWATCH_OAUTH_ISSUER": "http://127.0.0.1:8000"})
    app = create_app(settings, store, database, audit=audit)
    yield ApiClient(app, headers={}), app.state, audit
    audit.close()


def test_a_real_token_reads_masked_or_clear_by_role_and_the_trail_verifies(
        door: tuple[ApiClient, object, AuditTrail], database: Engine) -> None:
    client, state, audit = door
    reader = _token(client, state, Role.INTEGRATION, ["portfolio:read", "personal:read"])
    masked_reader = _token(client, state, Role.INTEGRATION, ["portfolio:read"])

    status, clear = _ask(client, reader, PERSON)
    assert status == 200, clear
    assert clear["data"]["party"]["name"] == "Zhang Wei"
    assert {"key": "national_id", "value": "330102198001011234"} in \
        clear["data"]["party"]["properties"]

    status, masked = _ask(client, masked_reader, PERSON)
    assert status == 200, masked
    assert masked["data"]["party"]["name"] == "Zhang *"
    assert {"key": "national_id", "value": "330***********1234"} in \
        masked["data"]["party"]["properties"]

    # An integration's role has no stress tests, whatever its scopes: 403 before running.
    status, refused = _ask(client, reader, STRESS)
    assert status == 403
    assert refused["errors"][0]["extensions"] == {
        "code": "FORBIDDEN", "field": "Query.stress", "right": "run-portfolio-analytics"}

    # No token, and a token the server did not sign: 401, nothing read.
    assert client.post("/graphql", json={"query": PERSON}).status_code == 401
    assert _ask(client, reader[:-4] + "AAAA", PERSON)[0] == 401

    audit.close()  # drains: every accepted event is written
    report = verify(database)
    assert report.ok, report.problems
    # Two tokens issued, one read in clear, one refusal: four entries at least, chained.
    assert count_rows(database) >= 4
    actions = _actions(database)
    assert actions.count("read-personal") == 1  # the masked answer is not a personal read
    assert "denied" in actions and actions.count("token") >= 2


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text(
            "SELECT action FROM audit_log ORDER BY seq"))]
