"""Answers are JSON text written by orjson: UTF-8, compact, and the same data."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from api.graphql_view import GraphQLView
from graph.model import Label, Node
from schema import build_schema
from tests.api.client import ApiClient
from tests.principals import StaticTokens
from tests.schema.sample import CountingStore


def test_names_travel_as_utf8_not_escapes(client: ApiClient, store: CountingStore) -> None:
    store.upsert_nodes([Node("C9", Label.COMPANY, {"name": "北京联乐机械制造有限公司"})])
    response = client.post("/graphql", json={"query": '{ party(id: "C9") { id name } }'})
    assert response.status_code == 200
    assert "北京联乐机械制造有限公司".encode() in response.content
    assert response.json() == {"data": {"party": {"id": "C9", "name": "北京联乐机械制造有限公司"}}}


def test_what_orjson_cannot_write_falls_back_to_the_standard_library(
        store: CountingStore, engine: Engine) -> None:
    view = GraphQLView(build_schema(mask_errors=True), store, records=engine,
                       verifier=StaticTokens())
    assert view.encode_json({"n": 2**70, "s": "é"}) == '{"n":1180591620717411303424,"s":"\\u00e9"}'
    assert json.loads(view.encode_json({"data": {"a": [1, 2.5, None, True]}})) == {
        "data": {"a": [1, 2.5, None, True]}}
