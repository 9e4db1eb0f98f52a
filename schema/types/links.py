"""How parties are tied to one another: ownership, directorships, ultimate control, and
family, employment and supply relations. Each is an edge of the graph, typed; the parties
at its ends are read through the request's loaders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from graph.model import Edge
from schema import relations
from schema.context import Info
from schema.types.properties import float_prop, int_prop, str_prop

if TYPE_CHECKING:
    from schema.types.party import Party

__all__ = ["Control", "Directorship", "Ownership", "Relation"]

_PARTY = "schema.types.party"
PartyRef = Annotated["Party", strawberry.lazy(_PARTY)]


async def _party(info: Info, party_id: str) -> Party:
    from schema.types.party import party_from_node

    return party_from_node(await relations.party_or_raise(info.context, party_id))


@strawberry.type(description="`owner` holds `pct` of `company` (OWNS).")
class Ownership:
    edge: strawberry.Private[Edge]

    @strawberry.field(description="The owner's id.")
    def owner_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.source)

    @strawberry.field(description="The owned company's id.")
    def company_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.target)

    @strawberry.field(description="The owner: a person or a company.")
    async def owner(self, info: Info) -> PartyRef:
        return await _party(info, self.edge.source)

    @strawberry.field(description="The owned company.")
    async def company(self, info: Info) -> PartyRef:
        return await _party(info, self.edge.target)

    @strawberry.field(description="The share held, 0..1.")
    def pct(self) -> float | None:
        return float_prop(self.edge.props, "pct")

    @strawberry.field(description="Held since, YYYY-MM-DD, when known.")
    def valid_from(self) -> str | None:
        return str_prop(self.edge.props, "valid_from")

    @strawberry.field(description="Held until, YYYY-MM-DD; null while current.")
    def valid_to(self) -> str | None:
        return str_prop(self.edge.props, "valid_to")


@strawberry.type(description="`person` sits on the board of, or represents, `company` "
                 "(DIRECTS).")
class Directorship:
    edge: strawberry.Private[Edge]

    @strawberry.field(description="The director's id.")
    def person_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.source)

    @strawberry.field(description="The company's id.")
    def company_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.target)

    @strawberry.field(description="The director.")
    async def person(self, info: Info) -> PartyRef:
        return await _party(info, self.edge.source)

    @strawberry.field(description="The company.")
    async def company(self, info: Info) -> PartyRef:
        return await _party(info, self.edge.target)

    @strawberry.field(description="chairman, legal_representative, director, ... when known.")
    def role(self) -> str | None:
        return str_prop(self.edge.props, "role")

    @strawberry.field(description="Since, YYYY-MM-DD, when known.")
    def valid_from(self) -> str | None:
        return str_prop(self.edge.props, "valid_from")

    @strawberry.field(description="Until, YYYY-MM-DD; null while current.")
    def valid_to(self) -> str | None:
        return str_prop(self.edge.props, "valid_to")


@strawberry.type(description="`controller` ultimately controls `company` through a chain "
                 "of majority (or plurality) holdings (CONTROLS, derived by `loanwatch "
                 "groups` or `loanwatch scan`).")
class Control:
    edge: strawberry.Private[Edge]

    @strawberry.field(description="The ultimate controller's id.")
    def controller_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.source)

    @strawberry.field(description="The controlled company's id.")
    def company_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.target)

    @strawberry.field(description="The ultimate controller.")
    async def controller(self, info: Info) -> PartyRef:
        return await _party(info, self.edge.source)

    @strawberry.field(description="The controlled company.")
    async def company(self, info: Info) -> PartyRef:
        return await _party(info, self.edge.target)

    @strawberry.field(description="Holdings between controller and company.")
    def depth(self) -> int | None:
        return int_prop(self.edge.props, "depth")

    @strawberry.field(description="The controller's cash-flow right: the product of the "
                      "shares along the chain, 0..1.")
    def cash_flow_right(self) -> float | None:
        return float_prop(self.edge.props, "cash_flow_right")

    @strawberry.field(description="majority or plurality.")
    def rule(self) -> str | None:
        return str_prop(self.edge.props, "rule")

    @strawberry.field(description="The chain's party ids, controller first.")
    def via(self) -> list[strawberry.ID]:
        chain = str_prop(self.edge.props, "via")
        return [] if not chain else [strawberry.ID(p.strip()) for p in chain.split(">")]


@strawberry.type(description="A family, employment or supply tie between two parties "
                 "(RELATED), seen from one of them.")
class Relation:
    edge: strawberry.Private[Edge]
    #: The party the relation is seen from.
    seen_from: strawberry.Private[str]

    @property
    def _other(self) -> str:
        return self.edge.target if self.edge.source == self.seen_from else self.edge.source

    @strawberry.field(description="family, employee, supplier, ...")
    def kind(self) -> str:
        return str_prop(self.edge.props, "kind") or self.edge.key

    @strawberry.field(description="Whether the party it is seen from is the edge's source "
                      "(for a directed kind: the employer of an employee, say).")
    def outgoing(self) -> bool:
        return self.edge.source == self.seen_from

    @strawberry.field(description="The other party's id.")
    def other_id(self) -> strawberry.ID:
        return strawberry.ID(self._other)

    @strawberry.field(description="The other party.")
    async def other(self, info: Info) -> PartyRef:
        return await _party(info, self._other)
