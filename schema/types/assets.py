"""What surrounds parties and loans in the graph: accounts and the money that moves between
them, collateral, external events, and the identifiers (phones, addresses, devices)
parties use.

Every one is a :class:`schema.types.node.Node` (a transaction's id is
``Transaction:<source>/<target>/<month>``; the others keep their graph id). Their
relations are read through the request's loaders, so a page of them costs a fixed number
of store calls. An identifier's value and an event's title (which often names a person)
are personal data: masked or null unless the caller may see personal data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import strawberry

from graph.model import Edge, Label, RelType
from graph.model import Node as GraphNode
from graph.personal_data import mask_value
from schema import relations
from schema.context import Info
from schema.enums import Label as LabelEnum
from schema.enums import from_model_label
from schema.global_ids import RecordKind, record_global_id
from schema.permissions import personal
from schema.types.money import Money, money_prop
from schema.types.node import Node
from schema.types.properties import Property, int_prop, list_properties, str_prop

if TYPE_CHECKING:
    from schema.types.loan import Loan
    from schema.types.party import Party

__all__ = ["Account", "Collateral", "ExternalEvent", "Identifier", "Transaction",
           "asset_from_node"]

_LOAN = "schema.types.loan"
_PARTY = "schema.types.party"
_HOLDS: Final = frozenset({RelType.HOLDS})
_TRANSFERS: Final = frozenset({RelType.TRANSFERS})
_SECURED_BY: Final = frozenset({RelType.SECURED_BY})
_MENTIONED_IN: Final = frozenset({RelType.MENTIONED_IN})
_USES: Final = frozenset({RelType.USES})


async def _parties(info: Info, node_id: str, types: frozenset[RelType]) -> list[Party]:
    from schema.types.party import party_from_node

    edges = await relations.edges(info.context, node_id, types, "in")
    nodes = await relations.nodes(info.context, [edge.source for edge in edges])
    return [party_from_node(node) for node in nodes]


@strawberry.type(description="A bank account held by a party.")
class Account(Node):
    node: strawberry.Private[GraphNode]

    @strawberry.field(description="The source system's id, unique across the graph.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="The bank that keeps it.")
    def bank(self) -> str | None:
        return str_prop(self.node.props, "bank")

    @strawberry.field(description="savings, current, ...")
    def kind(self) -> str | None:
        return str_prop(self.node.props, "kind")

    @strawberry.field(description="ISO date, YYYY-MM-DD.")
    def opened_on(self) -> str | None:
        return str_prop(self.node.props, "opened_on")

    @strawberry.field(description="The parties that hold it (HOLDS).")
    async def holders(self, info: Info) -> list[Annotated[Party, strawberry.lazy(_PARTY)]]:
        return await _parties(info, self.node.id, _HOLDS)

    @strawberry.field(description="Money sent from this account, one aggregate per "
                      "receiving account and month, by month then account.")
    async def outgoing(self, info: Info) -> list[Transaction]:
        edges = await relations.edges(info.context, self.node.id, _TRANSFERS, "out")
        return _transactions(edges)

    @strawberry.field(description="Money received by this account, one aggregate per "
                      "sending account and month, by month then account.")
    async def incoming(self, info: Info) -> list[Transaction]:
        edges = await relations.edges(info.context, self.node.id, _TRANSFERS, "in")
        return _transactions(edges)

    @strawberry.field(description="Every stored property.")
    def properties(self) -> list[Property]:
        return list_properties(self.node.props, self.node.label)


def _transactions(edges: list[Edge]) -> list[Transaction]:
    return [Transaction(edge=edge)
            for edge in sorted(edges, key=lambda e: (e.key, e.source, e.target))]


@strawberry.type(description="The money one account sent another in one month: an "
                 "aggregate of the month's transfers (TRANSFERS).")
class Transaction(Node):
    edge: strawberry.Private[Edge]

    @strawberry.field(description="`Transaction:<source account>/<target account>/<month>`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.TRANSACTION, self.edge.source,
                                              self.edge.target, self.edge.key))

    @strawberry.field(description="The month, YYYY-MM.")
    def month(self) -> str:
        return self.edge.key

    @strawberry.field(description="The sending account's id.")
    def source_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.source)

    @strawberry.field(description="The receiving account's id.")
    def target_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.target)

    @strawberry.field(description="The sending account.")
    async def source(self, info: Info) -> Account:
        return Account(node=await relations.node_or_raise(info.context, self.edge.source))

    @strawberry.field(description="The receiving account.")
    async def target(self, info: Info) -> Account:
        return Account(node=await relations.node_or_raise(info.context, self.edge.target))

    @strawberry.field(description="The month's total, exact.")
    def amount(self) -> Money | None:
        return money_prop(self.edge.props, "amount")

    @strawberry.field(description="How many transfers the month's total adds up.")
    def count(self) -> int | None:
        return int_prop(self.edge.props, "count")


@strawberry.type(description="An asset pledged for a loan.")
class Collateral(Node):
    node: strawberry.Private[GraphNode]

    @strawberry.field(description="The source system's id, unique across the graph.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="real_estate, equipment, receivables, ...")
    def kind(self) -> str | None:
        return str_prop(self.node.props, "kind")

    @strawberry.field(description="Its value when last valued, exact.")
    def value(self) -> Money | None:
        return money_prop(self.node.props, "value")

    @strawberry.field(description="When it was last valued, YYYY-MM-DD.")
    def valued_on(self) -> str | None:
        return str_prop(self.node.props, "valued_on")

    @strawberry.field(description="The loans it secures (SECURED_BY).")
    async def loans(self, info: Info) -> list[Annotated[Loan, strawberry.lazy(_LOAN)]]:
        from schema.types.loan import Loan

        edges = await relations.edges(info.context, self.node.id, _SECURED_BY, "in")
        return [Loan(node=node) for node in
                await relations.nodes(info.context, [edge.source for edge in edges])]


@strawberry.type(description="Something that happened outside the bank and names parties: "
                 "a court case, a news item, a social-media signal.")
class ExternalEvent(Node):
    node: strawberry.Private[GraphNode]

    @strawberry.field(description="The source system's id, unique across the graph.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="court, news, social, ...")
    def kind(self) -> str | None:
        return str_prop(self.node.props, "kind")

    @strawberry.field(description="When it happened, YYYY-MM-DD.")
    def occurred_on(self) -> str | None:
        return str_prop(self.node.props, "occurred_on")

    @strawberry.field(description="How grave the source rates it (higher is worse).")
    def severity(self) -> int | None:
        return int_prop(self.node.props, "severity")

    @strawberry.field(description="Where it was reported.")
    def origin(self) -> str | None:
        return str_prop(self.node.props, "origin")

    @strawberry.field(description="Its headline. Headlines often name persons: null unless "
                      "the caller may see personal data.", metadata=personal())
    def title(self, info: Info) -> str | None:
        if not info.context.personal_data_visible:
            return None
        return str_prop(self.node.props, "title")

    @strawberry.field(description="The parties it names (MENTIONED_IN).")
    async def parties(self, info: Info) -> list[Annotated[Party, strawberry.lazy(_PARTY)]]:
        return await _parties(info, self.node.id, _MENTIONED_IN)


@strawberry.type(description="A phone, address or device that parties use. Its node id is "
                 "a keyed hash, never the value; the value is personal data.")
class Identifier(Node):
    node: strawberry.Private[GraphNode]

    @strawberry.field(description="The graph id (a keyed hash of the value).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="PHONE, ADDRESS or DEVICE.")
    def label(self) -> LabelEnum:
        return from_model_label(self.node.label)

    @strawberry.field(description="The number, address or device id: masked (a phone's last "
                      "4 digits, an address's city, a device not at all) unless the caller "
                      "may see personal data.", metadata=personal())
    def value(self, info: Info) -> str | None:
        value = self.node.props.get("value")
        if value is None:
            return None
        if not info.context.personal_data_visible:
            value = mask_value(self.node.label, "value", value)
        return None if value is None else str(value)

    @strawberry.field(description="Every party that uses it (USES).")
    async def parties(self, info: Info) -> list[Annotated[Party, strawberry.lazy(_PARTY)]]:
        return await _parties(info, self.node.id, _USES)


_ASSETS: Final = {Label.ACCOUNT: Account, Label.COLLATERAL: Collateral,
                  Label.EXTERNAL_EVENT: ExternalEvent, Label.PHONE: Identifier,
                  Label.ADDRESS: Identifier, Label.DEVICE: Identifier}


def asset_from_node(node: GraphNode) -> Account | Collateral | ExternalEvent | Identifier:
    """The GraphQL object of an account, collateral, event or identifier node."""
    kind = _ASSETS.get(node.label)
    if kind is None:
        raise TypeError(f"node {node.id!r} is a {node.label.value}, not an asset")
    return kind(node=node)
