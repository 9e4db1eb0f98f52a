"""The authorization matrix: every role against every field that declares a right or holds
personal data, every mutation and every subscription, walked from the schema itself.

A field added later (a mutation, a subscription, a type's new field) joins the matrix on
its own. For each such field the test builds the smallest valid document reaching it from
a root (required arguments filled with placeholder values) and runs it as each role, on a
store that fails any read: a role whose rights lack the field's right must get
``FORBIDDEN`` naming the field and the right, before any resolver runs (the store saw no
call); a role that has it must not be refused. Subscriptions go through the same access
rules the extension applies (:meth:`schema.authorization.AccessRules.missing`).
Personal fields are served in clear exactly to the roles with ``READ_PERSONAL``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    parse,
    validate,
)

from auth.principal import ROLE_RIGHTS, Right, Role
from schema import LoanwatchSchema, build_context, build_schema
from schema.authorization import DEFINITION_KEY, AccessRules
from schema.permissions import DEFAULT_RIGHT, declared_right, holds_personal_data
from tests.principals import principal_of
from tests.schema.sample import CountingStore, sqlite_engine

#: Fields that hold personal data today; each must be declared personal().
KNOWN_PERSONAL = {"Person.name", "Person.properties", "Company.properties",
                  "Company.name", "GraphNode.name", "GraphNode.properties",
                  "SharedIdentifier.value", "ReasonCode.text"}
#: Field names that can only hold personal data, wherever they appear (camelCase).
PERSONAL_NAMES = {"nationalId", "birthDate", "dateOfBirth", "gender", "monthlyIncome",
                  "phone", "phoneNumber", "address", "device", "deviceId"}
#: Rights declared today that must stay declared.
KNOWN_RIGHTS = {"Query.stress": Right.RUN_PORTFOLIO_ANALYTICS}

SCHEMA = build_schema(mask_errors=False)
GRAPHQL: GraphQLSchema = SCHEMA._schema


def _metadata(field: GraphQLField) -> Any:
    return getattr((field.extensions or {}).get(DEFINITION_KEY), "metadata", None)


def _fields() -> Iterator[tuple[str, str, GraphQLField]]:
    for type_ in GRAPHQL.type_map.values():
        if type_.name.startswith("__") or not isinstance(
                type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for name, field in type_.fields.items():
            yield type_.name, name, field


def _roots() -> list[GraphQLObjectType]:
    return [root for root in (GRAPHQL.query_type, GRAPHQL.mutation_type,
                              GRAPHQL.subscription_type) if root is not None]


def _guarded() -> list[str]:
    """Every field declaring a right other than the default, holding personal data, or on
    a mutation or subscription root."""
    operation_roots = {root.name for root in _roots()[1:]}
    return sorted(f"{type_name}.{name}" for type_name, name, field in _fields()
                  if declared_right(_metadata(field)) is not DEFAULT_RIGHT
                  or holds_personal_data(_metadata(field)) or type_name in operation_roots)


def _value(type_: GraphQLInputType, depth: int = 0) -> str:
    """A placeholder literal of ``type_``."""
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        return f"[{_value(type_.of_type, depth)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        required = [f"{name}: {_value(field.type, depth + 1)}"
                    for name, field in type_.fields.items()
                    if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined]
        return "{" + ", ".join(required) + "}"
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": "1", "Float": "0.5", "Boolean": "false", "Date": '"2025-01-01"',
            "DateTime": '"2025-01-01T00:00:00+00:00"', "Decimal": '"1"'}.get(
        type_.name, '"X1"')


def _arguments(arguments: dict[str, GraphQLArgument]) -> str:
    required = [f"{name}: {_value(argument.type)}" for name, argument in arguments.items()
                if isinstance(argument.type, GraphQLNonNull)
                and argument.default_value is Undefined]
    return f"({', '.join(required)})" if required else ""


def _leaf(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
        return " { __typename }"
    return ""


def _document(coordinate: str) -> tuple[str, str]:
    """The operation kind and a smallest document selecting ``coordinate``."""
    type_name, field_name = coordinate.split(".")
    target = GRAPHQL.type_map[type_name]
    for root in _roots():
        paths: deque[tuple[str, list[str]]] = deque([(root.name, [])])
        seen = {root.name}
        while paths:
            current, path = paths.popleft()
            current_type = GRAPHQL.type_map[current]
            if current == type_name:
                field = target.fields[field_name]  # type: ignore[union-attr]
                inner = f"{field_name}{_arguments(field.args)}{_leaf(field)}"
                for step in reversed(path):
                    inner = f"{step} {{ {inner} }}"
                kind = {"Mutation": "mutation", "Subscription": "subscription"}.get(
                    root.name, "query")
                return kind, f"{kind} {{ {inner} }}"
            assert isinstance(current_type, GraphQLObjectType | GraphQLInterfaceType)
            for name, field in current_type.fields.items():
                named = get_named_type(field.type)
                candidates = [named]
                if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
                    candidates += list(GRAPHQL.get_possible_types(named))
                for candidate in candidates:
                    if candidate.name in seen or not isinstance(
                            candidate, GraphQLObjectType | GraphQLInterfaceType):
                        continue
                    seen.add(candidate.name)
                    step = f"{name}{_arguments(field.args)}"
                    if candidate is not named:
                        step = f"{step} {{ ... on {candidate.name}"
                        paths.append((candidate.name, [*path, step + " "]))
                        continue
                    paths.append((candidate.name, [*path, step]))
    raise AssertionError(f"{coordinate} cannot be reached from any root")


def _fixed(document: str) -> str:
    """Close the inline fragments :func:`_document` opened (``{ ... on T`` steps)."""
    return document + "}" * (document.count("{") - document.count("}"))


class Tripwire(CountingStore):
    """A store that fails any read: a refused document must never reach it."""

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_") and name not in {"calls", "close", "ping"}:
            calls = object.__getattribute__(self, "calls")
            calls[name] += 1
        return object.__getattribute__(self, name)


@pytest.fixture(scope="module")
def tripwire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tripwire]:
    store = Tripwire(sqlite_engine(Path(tmp_path_factory.mktemp("matrix")) / "graph.db"))
    yield store
    store.close()


def _execute(schema: LoanwatchSchema, store: Tripwire, document: str, role: Role) -> Any:
    async def run() -> Any:
        return await schema.execute(document, context_value=build_context(
            store, principal=principal_of(role)))

    return asyncio.run(run())


def test_the_matrix_covers_the_known_guarded_fields() -> None:
    guarded = set(_guarded())
    assert guarded >= KNOWN_PERSONAL
    assert set(KNOWN_RIGHTS) <= guarded
    for type_name, name, field in _fields():
        if name in PERSONAL_NAMES:
            assert holds_personal_data(_metadata(field)), \
                f"{type_name}.{name} holds personal data but is not declared personal()"
    for coordinate, right in KNOWN_RIGHTS.items():
        type_name, name = coordinate.split(".")
        field = GRAPHQL.type_map[type_name].fields[name]  # type: ignore[union-attr]
        assert declared_right(_metadata(field)) is right


@pytest.mark.parametrize("coordinate", _guarded())
def test_every_role_against_every_guarded_field(coordinate: str, tripwire: Tripwire) -> None:
    type_name, name = coordinate.split(".")
    field = GRAPHQL.type_map[type_name].fields[name]  # type: ignore[union-attr]
    right = declared_right(_metadata(field))
    kind, document = _document(coordinate)
    document = _fixed(document)
    assert validate(GRAPHQL, parse(document)) == [], document
    for role in Role:
        allowed = right in ROLE_RIGHTS[role]
        if kind == "subscription":
            verdict = AccessRules().missing(GRAPHQL, parse(document), document,
                                            principal_of(role).rights)
            assert (verdict is None) == allowed, (role, document)
            continue
        tripwire.calls.clear()
        result = _execute(SCHEMA, tripwire, document, role)
        codes = [(e.extensions or {}).get("code") for e in result.errors or []]
        if allowed:
            assert "FORBIDDEN" not in codes, (role, document, result.errors)
            continue
        assert result.data is None and codes == ["FORBIDDEN"], (role, document, result)
        extensions = result.errors[0].extensions
        assert extensions["right"] == right.value
        assert extensions["field"].split(".")[1] == name
        assert sum(tripwire.calls.values()) == 0, f"{role} reached the store: {document}"


@pytest.mark.parametrize("role", list(Role))
def test_personal_data_is_in_clear_exactly_for_roles_with_read_personal(
        role: Role, tripwire: Tripwire) -> None:
    context = build_context(tripwire, principal=principal_of(role))
    assert context.personal_data_visible is (Right.READ_PERSONAL in ROLE_RIGHTS[role])


def test_a_scope_narrows_a_role(tripwire: Tripwire) -> None:
    narrowed = principal_of(Role.ADMIN, ["personal:read"])  # no portfolio:read
    result = asyncio.run(SCHEMA.execute('{ party(id: "P1") { id } }', context_value=(
        build_context(tripwire, principal=narrowed))))
    assert [e.extensions["code"] for e in result.errors] == ["FORBIDDEN"]
    assert result.errors[0].extensions["right"] == Right.READ_PORTFOLIO.value


def test_a_field_reached_through_an_interface_needs_the_rights_of_every_implementation(
        ) -> None:
    rules = AccessRules()
    document = '{ party(id: "P1") { name } }'
    needed = {r.right for r in rules.requirements(GRAPHQL, parse(document), document)}
    assert needed == {Right.READ_PORTFOLIO}
    assert {"Party.name", "Person.name", "Company.name"} <= {
        f"{t}.{n}" for t, n, f in _fields() if holds_personal_data(_metadata(f))}


def test_verdicts_are_cached_per_document_and_rights_and_never_without_a_text() -> None:
    rules = AccessRules()
    stress = 'query { stress(parties: ["C1"]) { method } }'
    plain = '{ party(id: "C1") { id } }'
    collector = principal_of(Role.COLLECTOR).rights
    analyst = principal_of(Role.ANALYST).rights
    refused = rules.missing(GRAPHQL, parse(stress), stress, collector)
    assert refused is not None and refused.field == "Query.stress"
    assert rules.missing(GRAPHQL, parse(stress), stress, collector) is refused
    assert rules.missing(GRAPHQL, parse(stress), stress, analyst) is None
    # A document whose text is unknown (a persisted one, say) is judged on its own.
    assert rules.missing(GRAPHQL, parse(plain), None, collector) is None
    assert rules.missing(GRAPHQL, parse(stress), None, collector) == refused
