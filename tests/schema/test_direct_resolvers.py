"""Fields whose resolver needs nothing of Strawberry's generic wrapper are resolved directly,
with the same answers; the others keep Strawberry's resolver."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission

from schema import build_schema
from schema.direct_resolvers import resolve_directly


class Upper(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


class Nobody(BasePermission):
    message = "nobody may"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str  # no resolver at all: Strawberry's own fast path

    @strawberry.field
    def plain(self) -> str:
        return f"plain {self.name}"

    @strawberry.field
    def seen_by(self, info: strawberry.Info) -> str:
        return f"{self.name} seen by {info.context['who']} at {info.path.key}"

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.name}"

    @strawberry.field
    def with_argument(self, times: int = 1) -> str:
        return self.name * times

    @strawberry.field(extensions=[Upper()])
    def extended(self) -> str:
        return self.name

    @strawberry.field(permission_classes=[Nobody])
    def guarded(self) -> str:
        return self.name

    @strawberry.field
    @staticmethod
    def constant() -> int:
        return 42


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="a"), Item(name="b")]


DOCUMENT = """{ items { name plain seenBy later withArgument(times: 2) extended constant } }
"""


def run(schema: strawberry.Schema, document: str) -> Any:
    return asyncio.run(schema.execute(document, context_value={"who": "tester"}))


def test_only_fields_without_arguments_extensions_or_permissions_go_direct() -> None:
    schema = strawberry.Schema(query=Query)
    assert sorted(resolve_directly(schema)) == [
        "Item.constant", "Item.later", "Item.plain", "Item.seenBy", "Query.items"]


def test_direct_resolvers_answer_what_strawberry_answers() -> None:
    expected = run(strawberry.Schema(query=Query), DOCUMENT)
    direct = strawberry.Schema(query=Query)
    resolve_directly(direct)
    answered = run(direct, DOCUMENT)
    assert answered.errors is None and answered.data == expected.data
    assert answered.data["items"][1] == {
        "name": "b", "plain": "plain b", "seenBy": "b seen by tester at seenBy",
        "later": "later b", "withArgument": "bb", "extended": "B", "constant": 42}


def test_a_permission_class_still_refuses() -> None:
    schema = strawberry.Schema(query=Query)
    resolve_directly(schema)
    answered = run(schema, "{ items { guarded } }")
    assert answered.data is None
    assert answered.errors and {error.message for error in answered.errors} == {"nobody may"}


@strawberry.type
class Failing:
    @strawberry.field
    def broken(self) -> str:
        raise LookupError("no such thing")


@strawberry.type
class FailingQuery:
    @strawberry.field
    def failing(self) -> Failing:
        return Failing()


def test_an_error_raised_directly_is_reported_on_its_field() -> None:
    schema = strawberry.Schema(query=FailingQuery)
    assert "Failing.broken" in resolve_directly(schema)
    answered = run(schema, "{ failing { broken } }")
    assert [(e.message, e.path) for e in answered.errors] == [
        ("no such thing", ["failing", "broken"])]


def test_loanwatch_resolves_most_fields_directly_and_still_watches_personal_ones() -> None:
    schema = build_schema(mask_errors=False)
    fields = schema._schema.type_map["Person"].fields
    # Already replaced at build; the personal field's resolver wraps the direct one.
    assert fields["id"].resolve.__qualname__.startswith("_direct_resolver")
    assert fields["name"].resolve.__qualname__.startswith("_watching")
    # A field with arguments keeps Strawberry's generic resolver.
    assert "from_resolver" in fields["alerts"].resolve.__qualname__
