"""Parties: the ``Party`` interface and its two kinds, ``Person`` and ``Company``.

A party's loans, the guarantees it gave and its guarantors are read through the
per-request loaders, so a page of parties costs the same few store calls as one party.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import strawberry

from graph.model import Label as ModelLabel
from graph.model import Node, RelType
from schema import party_risk, relations, traversals
from schema.arguments import (
    DEFAULT_HOPS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_SUBGRAPH_NODES,
    MAX_PAGE_SIZE,
    check_range,
)
from schema.context import Info
from schema.enums import Label, from_model_label
from schema.permissions import personal
from schema.types.alerts import Alert
from schema.types.assessment import Finding, finding_from_result
from schema.types.assets import Account, ExternalEvent, Identifier
from schema.types.circles import GuaranteeCircle
from schema.types.features import GraphFeatures, graph_features_from_stored
from schema.types.graph import Subgraph
from schema.types.links import Control, Directorship, Ownership, Relation
from schema.types.money import Money, money_prop
from schema.types.node import Node as NodeInterface
from schema.types.pd_score import PdScore, pd_score_from_stored
from schema.types.properties import (
    Property,
    list_properties,
    shown_value,
    str_prop,
)
from schema.types.records import BureauSnapshot, bureau_snapshot
from schema.types.structures import CorporateGroup, IdentityRing

if TYPE_CHECKING:
    from schema.types.loan import Guarantee, Loan

__all__ = ["Company", "Party", "Person", "party_from_node"]

#: Loan and Guarantee live there; that module imports this one, so the resolvers below
#: import them when called and the annotations name them lazily.
_LOAN_MODULE = "schema.types.loan"
_OWNS: Final = frozenset({RelType.OWNS})
_DIRECTS: Final = frozenset({RelType.DIRECTS})
_CONTROLS: Final = frozenset({RelType.CONTROLS})
_RELATED: Final = frozenset({RelType.RELATED})
_HOLDS: Final = frozenset({RelType.HOLDS})
_USES: Final = frozenset({RelType.USES})
_MENTIONED_IN: Final = frozenset({RelType.MENTIONED_IN})


@strawberry.interface(description="A borrower, guarantor or owner: a Person or a Company. "
                      "Everything the bank knows about it is reachable from here: its loans "
                      "with their schedules and repayments, guarantees given and received, "
                      "ownership and control, shared identifiers, alerts, tier, stage, PD, "
                      "circles and group (the borrower 360° view).")
class Party(NodeInterface):
    node: strawberry.Private[Node]

    @strawberry.field(description="The source system's id, unique across the graph; also "
                      "its global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="A company's name; a person's name is personal data, "
                      "shown masked (family name only) unless the caller may see it.",
                      metadata=personal())
    def name(self, info: Info) -> str | None:
        return shown_value(self.node.label, "name", self.node.name,
                           personal_data_visible=info.context.personal_data_visible)

    @strawberry.field(description="PERSON or COMPANY.")
    def label(self) -> Label:
        return from_model_label(self.node.label)

    @strawberry.field(description="The city it lives or is registered in.")
    def city(self) -> str | None:
        return str_prop(self.node.props, "city")

    @strawberry.field(description="The province it lives or is registered in.")
    def province(self) -> str | None:
        return str_prop(self.node.props, "province")

    @strawberry.field(description="Every stored property. Personal data (a person's name, "
                      "national id, birth date, gender, income) is masked or left out unless "
                      "the caller may see it.", metadata=personal())
    def properties(self, info: Info) -> list[Property]:
        return list_properties(self.node.props, self.node.label,
                               personal_data_visible=info.context.personal_data_visible)

    @strawberry.field(description="The guarantee circles, mutual and joint guarantees, "
                      "corporate group and identity rings this party belongs to in the latest "
                      "`loanwatch scan` (empty before any scan).")
    async def findings(self, info: Info) -> list[Finding]:
        found = await info.context.loaders.findings.load(self.node.id)
        return [finding_from_result(result) for result in found]

    @strawberry.field(description="The guarantee circles, mutual guarantees and joint-"
                      "guarantee groups this party belongs to in the latest scan, each with "
                      "its guarantee edges and evidence path.")
    async def circles(self, info: Info) -> list[GuaranteeCircle]:
        return await party_risk.circles_of(info.context, self.node.id)

    @strawberry.field(description="The corporate group this party heads or belongs to in the "
                      "latest scan: controller, members, control edges, group exposure; null "
                      "when none.")
    async def group(self, info: Info) -> CorporateGroup | None:
        return await party_risk.group_of(info.context, self.node.id)

    @strawberry.field(description="The identity rings this party belongs to in the latest "
                      "scan, with the identifiers shared (masked unless the caller may see "
                      "personal data).", metadata=personal())
    async def rings(self, info: Info) -> list[IdentityRing]:
        return await party_risk.rings_of(info.context, self.node.id)

    @strawberry.field(description="Alerts on this party and on the loans it borrows, newest "
                      "first, each with its signals and evidence path; only those of "
                      f"`status` when given; at most `first` (≤ {MAX_PAGE_SIZE}).")
    async def alerts(self, info: Info, status: str | None = None,
                     first: int = DEFAULT_PAGE_SIZE) -> list[Alert]:
        return await party_risk.alerts_of(info.context, self.node.id, status, first)

    @strawberry.field(description="Graph features (degrees, exposure within k hops, "
                      "delinquent and defaulted neighbours, distance to default, community, "
                      "PageRank, betweenness) in the latest `loanwatch scan`; null before any "
                      "scan.")
    async def graph_features(self, info: Info) -> GraphFeatures | None:
        stored = await info.context.loaders.graph_features.load(self.node.id)
        return None if stored is None else graph_features_from_stored(stored)

    @strawberry.field(description="Probability of default within 12 months with its reason "
                      "codes, by the production PD model in the latest `loanwatch scan`; null "
                      "before any scan with a production model, and for a party that borrows "
                      "nothing. A reason built from personal data (income, age) has its "
                      "words masked unless the caller may see personal data.",
                      metadata=personal())
    async def pd(self, info: Info) -> PdScore | None:
        stored = await info.context.loaders.pd_scores.load(self.node.id)
        return None if stored is None else pd_score_from_stored(
            stored, personal_data_visible=info.context.personal_data_visible)

    @strawberry.field(description="Loans this party borrows (BORROWS).")
    async def loans(self, info: Info) -> list[Annotated[Loan, strawberry.lazy(_LOAN_MODULE)]]:
        from schema.types.loan import Loan

        return [Loan(node=node) for node in await relations.loans_of(info.context, self.node.id)]

    @strawberry.field(description="Guarantees this party gave on loans (GUARANTEES).")
    async def guarantees(
        self, info: Info
    ) -> list[Annotated[Guarantee, strawberry.lazy(_LOAN_MODULE)]]:
        from schema.types.loan import Guarantee

        edges = await relations.guarantees_given(info.context, self.node.id)
        return [Guarantee(edge=edge) for edge in edges]

    @strawberry.field(description="Parties that guarantee any loan this party borrows.")
    async def guarantors(self, info: Info) -> list[Party]:
        nodes = await relations.guarantors_of(info.context, self.node.id)
        return [party_from_node(node) for node in nodes]

    @strawberry.field(description="Guarantees others (or itself) gave on the loans this "
                      "party borrows, by loan then guarantor.")
    async def guarantees_received(
        self, info: Info
    ) -> list[Annotated[Guarantee, strawberry.lazy(_LOAN_MODULE)]]:
        from schema.types.loan import Guarantee

        edges = await relations.guarantees_received(info.context, self.node.id)
        return [Guarantee(edge=edge) for edge in edges]

    @strawberry.field(description="Who owns this company, and how much (OWNS in).")
    async def owners(self, info: Info) -> list[Ownership]:
        edges = await relations.edges(info.context, self.node.id, _OWNS, "in")
        return [Ownership(edge=edge) for edge in edges]

    @strawberry.field(description="The companies this party owns a share of (OWNS out).")
    async def holdings(self, info: Info) -> list[Ownership]:
        edges = await relations.edges(info.context, self.node.id, _OWNS, "out")
        return [Ownership(edge=edge) for edge in edges]

    @strawberry.field(description="The persons on this company's board (DIRECTS in).")
    async def directors(self, info: Info) -> list[Directorship]:
        edges = await relations.edges(info.context, self.node.id, _DIRECTS, "in")
        return [Directorship(edge=edge) for edge in edges]

    @strawberry.field(description="The companies whose board this person sits on (DIRECTS "
                      "out).")
    async def directorships(self, info: Info) -> list[Directorship]:
        edges = await relations.edges(info.context, self.node.id, _DIRECTS, "out")
        return [Directorship(edge=edge) for edge in edges]

    @strawberry.field(description="The ultimate controller of this company, when one is "
                      "derived (CONTROLS in).")
    async def controllers(self, info: Info) -> list[Control]:
        edges = await relations.edges(info.context, self.node.id, _CONTROLS, "in")
        return [Control(edge=edge) for edge in edges]

    @strawberry.field(description="The companies this party ultimately controls (CONTROLS "
                      "out).")
    async def controls(self, info: Info) -> list[Control]:
        edges = await relations.edges(info.context, self.node.id, _CONTROLS, "out")
        return [Control(edge=edge) for edge in edges]

    @strawberry.field(description="Family, employment and supply ties (RELATED), either "
                      "direction.")
    async def relations(self, info: Info) -> list[Relation]:
        edges = await relations.edges(info.context, self.node.id, _RELATED, "both")
        return [Relation(edge=edge, seen_from=self.node.id) for edge in edges]

    @strawberry.field(description="The bank accounts this party holds (HOLDS).")
    async def accounts(self, info: Info) -> list[Account]:
        edges = await relations.edges(info.context, self.node.id, _HOLDS, "out")
        nodes = await relations.nodes(info.context, [edge.target for edge in edges])
        return [Account(node=node) for node in nodes]

    @strawberry.field(description="The phones, addresses and devices this party uses (USES); "
                      "their values are personal data (masked).")
    async def identifiers(self, info: Info) -> list[Identifier]:
        edges = await relations.edges(info.context, self.node.id, _USES, "out")
        nodes = await relations.nodes(info.context, [edge.target for edge in edges])
        return [Identifier(node=node) for node in nodes]

    @strawberry.field(description="The identifiers this party uses that other parties use "
                      "too: a shared phone, address or device ties parties that may be one "
                      "borrower under several names. Each lists every party using it.")
    async def shared_identifiers(self, info: Info) -> list[Identifier]:
        nodes = await relations.shared_identifiers(info.context, self.node.id)
        return [Identifier(node=node) for node in nodes]

    @strawberry.field(description="Court cases, news and social-media signals naming this "
                      "party (MENTIONED_IN).")
    async def events(self, info: Info) -> list[ExternalEvent]:
        edges = await relations.edges(info.context, self.node.id, _MENTIONED_IN, "out")
        nodes = await relations.nodes(info.context, [edge.target for edge in edges])
        return [ExternalEvent(node=node) for node in nodes]

    @strawberry.field(description="Its credit-bureau reports, newest first; at most `first` "
                      f"(≤ {MAX_PAGE_SIZE}). A person's figures are personal data.")
    async def bureau_snapshots(self, info: Info,
                               first: int = DEFAULT_PAGE_SIZE) -> list[BureauSnapshot]:
        check_range("first", first, 1, MAX_PAGE_SIZE)
        found = await info.context.loaders.bureau.load(self.node.id)
        of_person = self.node.label is ModelLabel.PERSON
        return [bureau_snapshot(r, of_person=of_person) for r in found[:first]]

    @strawberry.field(description="The worst tier of its loans in the latest scan (pass, "
                      "special_mention, substandard, doubtful, loss); null before any scan "
                      "or when it borrows nothing the scan covered.")
    async def tier(self, info: Info) -> str | None:
        return (await party_risk.loan_summary(info.context, self.node.id)).tier

    @strawberry.field(description="The worst IFRS 9 stage (1, 2, 3) of its loans in the "
                      "latest scan; null as for `tier`.")
    async def stage(self, info: Info) -> int | None:
        return (await party_risk.loan_summary(info.context, self.node.id)).stage

    @strawberry.field(description="The most days past due of its loans in the latest scan; "
                      "null as for `tier`.")
    async def days_past_due(self, info: Info) -> int | None:
        return (await party_risk.loan_summary(info.context, self.node.id)).dpd

    @strawberry.field(description="The exposure of its loans in the latest scan, exact, one "
                      "amount per currency.")
    async def exposure(self, info: Info) -> list[Money]:
        return (await party_risk.loan_summary(info.context, self.node.id)).exposure

    @strawberry.field(
        description="Parties and loans within `hops` over BORROWS and GUARANTEES: who "
        "stands behind whose debt. Not batched: ask it for one party at a time."
    )
    async def guarantee_network(
        self, info: Info, hops: int = DEFAULT_HOPS, limit: int = DEFAULT_SUBGRAPH_NODES
    ) -> Subgraph:
        subgraph = await traversals.neighbourhood(
            info.context, self.node.id, hops=hops, limit=limit,
            labels=traversals.GUARANTEE_LABELS, types=traversals.GUARANTEE_TYPES,
        )
        return Subgraph.from_model(subgraph)


@strawberry.type(description="A natural person.")
class Person(Party):
    @strawberry.field(description="What the person does for a living, when known.")
    def occupation(self) -> str | None:
        return str_prop(self.node.props, "occupation")


@strawberry.type(description="A company.")
class Company(Party):
    @strawberry.field(description="The industry it works in.")
    def sector(self) -> str | None:
        return str_prop(self.node.props, "sector")

    @strawberry.field(description="micro, small, medium or large.")
    def size(self) -> str | None:
        return str_prop(self.node.props, "size")

    @strawberry.field(description="Its number in the company register.")
    def registration_no(self) -> str | None:
        return str_prop(self.node.props, "registration_no")

    @strawberry.field(description="ISO date, YYYY-MM-DD.")
    def founded_on(self) -> str | None:
        return str_prop(self.node.props, "founded_on")

    @strawberry.field(description="Registered capital, exact.")
    def registered_capital(self) -> Money | None:
        return money_prop(self.node.props, "registered_capital")

    @strawberry.field(description="Annual revenue, exact.")
    def annual_revenue(self) -> Money | None:
        return money_prop(self.node.props, "annual_revenue")

    @strawberry.field(description="The loss-absorbing capacity the bank assessed (audited "
                      "equity), exact; the stress test and the guarantor-capacity rule use it "
                      "before the registered capital.")
    def loss_buffer(self) -> Money | None:
        return money_prop(self.node.props, "loss_buffer")


def party_from_node(node: Node) -> Party:
    """The GraphQL party of ``node``, which must be a Person or a Company."""
    if node.label is ModelLabel.PERSON:
        return Person(node=node)
    if node.label is ModelLabel.COMPANY:
        return Company(node=node)
    raise TypeError(f"node {node.id!r} is a {node.label.value}, not a party")
