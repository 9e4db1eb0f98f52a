"""Loans and the guarantees that secure them."""

from __future__ import annotations

from datetime import date
from typing import Final

import strawberry

from graph.model import Edge, Node, RelType
from schema import relations
from schema.context import Info
from schema.post_loan.loaders import DelinquencyKey, post_loan_loaders
from schema.types.assessment import LoanAssessment, assessment_from_result
from schema.types.assets import Collateral
from schema.types.collections import (
    BucketHistoryEntry,
    CollectionCase,
    DelinquencyPosition,
    bucket_entry,
    case_from_view,
    delinquency_position,
)
from schema.types.disposals import Disposal, disposal_of
from schema.types.money import Money, money_prop
from schema.types.node import Node as NodeInterface
from schema.types.party import Party, party_from_node
from schema.types.properties import Property, float_prop, int_prop, list_properties, str_prop
from schema.types.records import Installment, Repayment, installment, repayment
from schema.types.reviews import Review, review_from_view

_SECURED_BY: Final = frozenset({RelType.SECURED_BY})

__all__ = ["Guarantee", "Loan"]


@strawberry.type(description="A loan, as imported from the source system, with its "
                 "schedule, repayments, collateral, guarantees and latest assessment.")
class Loan(NodeInterface):
    node: strawberry.Private[Node]

    @strawberry.field(description="The source system's id, unique across the graph; also "
                      "its global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="The lending product (working_capital, consumer, ...).")
    def product(self) -> str | None:
        return str_prop(self.node.props, "product")

    @strawberry.field(description="Amount lent, exact.")
    def principal(self) -> Money | None:
        return money_prop(self.node.props, "principal")

    @strawberry.field(description="ISO 4217 code.")
    def currency(self) -> str | None:
        return str_prop(self.node.props, "currency")

    @strawberry.field(description="Yearly rate as a fraction, 0..1.")
    def annual_rate(self) -> float | None:
        return float_prop(self.node.props, "annual_rate")

    @strawberry.field(description="The term in months.")
    def term_months(self) -> int | None:
        return int_prop(self.node.props, "term_months")

    @strawberry.field(description="ISO date, YYYY-MM-DD.")
    def disbursed_on(self) -> str | None:
        return str_prop(self.node.props, "disbursed_on")

    @strawberry.field(description="ISO date, YYYY-MM-DD.")
    def maturity_on(self) -> str | None:
        return str_prop(self.node.props, "maturity_on")

    @strawberry.field(description="annuity, equal_principal, interest_only or bullet.")
    def repayment_method(self) -> str | None:
        return str_prop(self.node.props, "repayment_method")

    @strawberry.field(description="active, closed or written_off.")
    def status(self) -> str | None:
        return str_prop(self.node.props, "status")

    @strawberry.field(description="Every stored property, amounts exact.")
    def properties(self) -> list[Property]:
        return list_properties(self.node.props)

    @strawberry.field(description="The repayment schedule, in installment order (empty when "
                      "none was imported).")
    async def schedule(self, info: Info) -> list[Installment]:
        return [installment(r) for r in await info.context.loaders.installments.load(
            self.node.id)]

    @strawberry.field(description="The repayments received, oldest first.")
    async def repayments(self, info: Info) -> list[Repayment]:
        return [repayment(r) for r in await info.context.loaders.repayments.load(
            self.node.id)]

    @strawberry.field(description="The assets pledged for it (SECURED_BY).")
    async def collateral(self, info: Info) -> list[Collateral]:
        edges = await relations.edges(info.context, self.node.id, _SECURED_BY, "out")
        nodes = await relations.nodes(info.context, [edge.target for edge in edges])
        return [Collateral(node=node) for node in nodes]

    @strawberry.field(description="Parties that borrow this loan (BORROWS).")
    async def borrowers(self, info: Info) -> list[Party]:
        nodes = await relations.borrowers_of(info.context, self.node.id)
        return [party_from_node(node) for node in nodes]

    @strawberry.field(description="Tier, IFRS 9 stage, ECL, reasons and graph review flags "
                      "from the latest `loanwatch scan`; null before any scan, or for a loan "
                      "the latest scan did not cover.")
    async def assessment(self, info: Info) -> LoanAssessment | None:
        result = await info.context.loaders.loan_results.load(self.node.id)
        return None if result is None else assessment_from_result(result)

    @strawberry.field(description="Guarantees securing this loan (GUARANTEES).")
    async def guarantees(self, info: Info) -> list[Guarantee]:
        edges = await relations.guarantees_on(info.context, self.node.id)
        return [Guarantee(edge=edge) for edge in edges]

    @strawberry.field(description="Its reviews (periodic and triggered), the newest date "
                      "first; empty before any review.")
    async def reviews(self, info: Info) -> list[Review]:
        views = await post_loan_loaders(info.context).reviews_of_loan.load(self.node.id)
        return [review_from_view(view) for view in views]

    @strawberry.field(description="Its disposals (restructurings, write-offs, recoveries, "
                      "collateral sales), oldest first, in any state; each one's transitions "
                      "are on `disposal(number:)`.")
    async def disposals(self, info: Info) -> list[Disposal]:
        views = await post_loan_loaders(info.context).loan_disposals.load(self.node.id)
        return [disposal_of(view) for view in views]

    @strawberry.field(description="Its collection case: the one open or on hold, else the "
                      "latest it had; null when it never was delinquent.")
    async def collection_case(self, info: Info) -> CollectionCase | None:
        view = await post_loan_loaders(info.context).case_of_loan.load(self.node.id)
        return None if view is None else case_from_view(view)

    @strawberry.field(description="Its delinquency bucket and days past due on `date`, any "
                      "day the daily collections runs covered (BAD_USER_INPUT outside them, "
                      "saying which days they cover); null without a records database.")
    async def delinquency_as_of(self, info: Info, date: date) -> DelinquencyPosition | None:
        if info.context.records is None:
            return None
        return delinquency_position(await post_loan_loaders(info.context).delinquency.load(
            DelinquencyKey(self.node.id, date)))

    @strawberry.field(description="Its bucket history, oldest first: every bucket move (and "
                      "restatement of days past due) the daily collections runs recorded.")
    async def bucket_history(self, info: Info) -> list[BucketHistoryEntry]:
        entries = await post_loan_loaders(info.context).bucket_history.load(self.node.id)
        return [bucket_entry(entry) for entry in entries]


@strawberry.type(description="A party's guarantee of a loan: a GUARANTEES edge.")
class Guarantee:
    edge: strawberry.Private[Edge]

    @strawberry.field(description="The guarantor's id.")
    def guarantor_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.source)

    @strawberry.field(description="The loan's id.")
    def loan_id(self) -> strawberry.ID:
        return strawberry.ID(self.edge.target)

    @strawberry.field(description="The party that guarantees.")
    async def guarantor(self, info: Info) -> Party:
        return party_from_node(await relations.node_or_raise(info.context, self.edge.source))

    @strawberry.field(description="The loan guaranteed.")
    async def loan(self, info: Info) -> Loan:
        return Loan(node=await relations.node_or_raise(info.context, self.edge.target))

    @strawberry.field(description="Amount guaranteed, exact; in the loan's currency unless "
                      "the guarantee names another.")
    def amount(self) -> Money | None:
        return money_prop(self.edge.props, "amount")

    @strawberry.field(description="Share of the loan guaranteed, 0..1.")
    def share(self) -> float | None:
        return float_prop(self.edge.props, "share")

    @strawberry.field(description="single, mutual or joint.")
    def kind(self) -> str | None:
        return str_prop(self.edge.props, "kind")

    @strawberry.field(description="ISO date, YYYY-MM-DD.")
    def signed_on(self) -> str | None:
        return str_prop(self.edge.props, "signed_on")
