"""Clients and users as they are registered: secrets shown once and stored hashed,
passwords as Argon2id, every bad registration refused with the field named."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from auth.clients import ClientStore
from auth.credentials import Passwords, hash_token
from auth.errors import RegistrationError, UnknownClient
from auth.principal import Role
from auth.users import UserStore
from loanwatch.migrations import migrate
from tests.auth.oauth_fixtures import CHEAP_PASSWORDS
from tests.unmigrated import downgrade

TABLES = {"oauth_client", "oauth_user", "oauth_authorization_code", "oauth_refresh_token",
          "oauth_signing_key", "oauth_revocation"}


def test_a_confidential_clients_secret_is_stored_hashed(database: Engine) -> None:
    clients = ClientStore(database)
    client, secret = clients.create("ledger sync", ["records:write", "portfolio:read"])
    assert secret is not None and len(secret) >= 43
    assert client.scopes == ("portfolio:read", "records:write")
    assert client.grant_types == ("client_credentials",)
    assert client.role is Role.INTEGRATION
    with database.connect() as connection:
        stored = connection.execute(text("SELECT secret_hash FROM oauth_client")).scalar_one()
    assert stored == hash_token(secret) and secret not in stored
    found = clients.get(client.client_id)
    assert found is not None
    assert found.check_client_secret(secret) and not found.check_client_secret(secret[:-1])


def test_a_public_client_has_no_secret_and_needs_a_redirect_uri(database: Engine) -> None:
    clients = ClientStore(database)
    client, secret = clients.create("console", ["portfolio:read"], public=True,
                                    redirect_uris=["https://console.example/cb"])
    assert secret is None and client.public
    assert client.grant_types == ("authorization_code", "refresh_token")
    assert not client.check_client_secret("")
    with pytest.raises(RegistrationError, match="a public client needs at least one "
                                                "--redirect-uri"):
        clients.create("console", ["portfolio:read"], public=True)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": " "}, "--name must be 1 to 255 characters"),
    ({"scopes": ["portfolio:write"]}, "unknown scope 'portfolio:write'"),
    ({"scopes": []}, "--scope names no scope"),
    ({"role": "boss"}, "'boss' is not a role"),
    ({"redirect_uris": ["http://console.example/cb"]}, "must use https"),
    ({"redirect_uris": ["https://console.example/cb#x"]}, "has a fragment"),
    ({"redirect_uris": ["/cb"]}, "is not an absolute URL"),
])
def test_bad_registrations_name_the_field(database: Engine, kwargs: dict[str, object],
                                          message: str) -> None:
    arguments: dict[str, object] = {"name": "x", "scopes": ["portfolio:read"]} | kwargs
    with pytest.raises(RegistrationError, match=message):
        ClientStore(database).create(**arguments)  # type: ignore[arg-type]
    assert ClientStore(database).list() == []


def test_revoking_a_client_keeps_it_listed(database: Engine) -> None:
    clients = ClientStore(database, clock=lambda: 1_900_000_000)
    client, _ = clients.create("x", ["portfolio:read"])
    assert clients.revoke(client.client_id).revoked_at == 1_900_000_000
    assert [c.revoked for c in clients.list()] == [True]
    with pytest.raises(UnknownClient, match="no OAuth client has the id 'lw-nope'"):
        clients.revoke("lw-nope")


def test_a_users_password_is_an_argon2id_hash(database: Engine) -> None:
    users = UserStore(database, CHEAP_PASSWORDS)
    users.create("ana", Role.COLLECTOR, "correct horse battery")
    with database.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM oauth_user")).scalar_one()
    assert stored.startswith("$argon2id$")
    user = users.authenticate("ana", "correct horse battery")
    assert user is not None and user.role is Role.COLLECTOR
    assert users.authenticate("ana", "wrong") is None
    assert users.authenticate("nobody", "correct horse battery") is None


def test_a_hash_with_old_parameters_is_replaced_at_login(database: Engine) -> None:
    UserStore(database, CHEAP_PASSWORDS).create("ana", Role.ANALYST, "correct horse battery")
    stronger = Passwords(time_cost=2, memory_cost_kib=16, parallelism=1)
    assert UserStore(database, stronger).authenticate("ana", "correct horse battery")
    with database.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM oauth_user")).scalar_one()
    assert "m=16,t=2" in stored


@pytest.mark.parametrize(("login", "role", "password", "message"), [
    ("a b", "analyst", "long enough pw", "--login 'a b' is not a login"),
    ("ana", "boss", "long enough pw", "--role 'boss' is not a role"),
    ("ana", "analyst", "short", "at least 10 characters"),
])
def test_bad_users_are_refused(database: Engine, login: str, role: str, password: str,
                               message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        UserStore(database, CHEAP_PASSWORDS).create(login, role, password)


def test_a_login_is_taken_once(database: Engine) -> None:
    users = UserStore(database, CHEAP_PASSWORDS)
    users.create("ana", Role.ANALYST, "correct horse battery")
    with pytest.raises(RegistrationError, match="the login 'ana' is taken"):
        users.create("ana", Role.ADMIN, "another password")
    assert users.get("ana") is not None and users.get("ana").role is Role.ANALYST  # type: ignore[union-attr]


def test_0010_adds_and_removes_its_tables(unmigrated_database: Engine) -> None:
    migrate(unmigrated_database, "0009")
    assert not TABLES & set(inspect(unmigrated_database).get_table_names())
    migrate(unmigrated_database, "0010")
    assert set(inspect(unmigrated_database).get_table_names()) >= TABLES
    downgrade(unmigrated_database, "0009")
    assert not TABLES & set(inspect(unmigrated_database).get_table_names())
    assert "model_registry" in inspect(unmigrated_database).get_table_names()
