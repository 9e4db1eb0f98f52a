"""A party's graph features as the latest scan stored them: ``Party.graphFeatures``.

Read-only: ``loanwatch scan`` computes them for the whole portfolio in its ``features``
phase (``risk/scan_features.py``); this type reads them through
:func:`risk.scan_results.party_features`, batched per request by the loaders (a page of
parties costs one query per table). Null until a scan has run, and for a party the latest
scan has no features for (a party with no relationship at all).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from risk.scan_results import StoredFeatures
from schema.types.money import Money

__all__ = ["GraphDegrees", "GraphFeatures", "graph_features_from_stored"]


@strawberry.type(description="A party's edges counted by relationship, as of the scan.")
class GraphDegrees:
    borrows: int = strawberry.field(description="Loans the party borrows (BORROWS).")
    guarantees_given: int = strawberry.field(
        description="Loans the party guarantees (GUARANTEES out).")
    guaranteed_by: int = strawberry.field(
        description="Distinct parties that guarantee a loan the party borrows.")
    owns_out: int = strawberry.field(description="Companies the party owns a stake in.")
    owns_in: int = strawberry.field(description="Owners of the party (OWNS in).")
    directs_out: int = strawberry.field(description="Companies the party directs.")
    directs_in: int = strawberry.field(description="Directors of the party (DIRECTS in).")
    uses: int = strawberry.field(description="Phones, addresses and devices it uses (USES).")
    holds: int = strawberry.field(description="Accounts it holds (HOLDS).")
    related: int = strawberry.field(
        description="Parties RELATED to it (family, employee, supplier), either direction.")
    risk_degree: int = strawberry.field(
        description="Neighbours in the risk graph: guarantee, ownership, RELATED and shared "
        "non-public identifier links (directorships are not risk links).")


@strawberry.type(description="A party's graph features for the credit models, computed for "
                 "the whole portfolio in one pass by `loanwatch scan` (see the README, "
                 "\"Graph features\").")
class GraphFeatures:
    scan_run: int = strawberry.field(description="The scan run these features come from.")
    as_of: datetime.date = strawberry.field(description="The date the scan read the "
                                            "portfolio as of.")
    hops: int = strawberry.field(description="The k of `exposureWithinHops`.")
    degrees: GraphDegrees = strawberry.field(description="Edges by relationship.")
    exposure: list[Money] = strawberry.field(
        description="Principal of the loans the party borrows, exact, one entry per "
        "currency (empty when none).")
    exposure_within_hops: list[Money] = strawberry.field(
        description="Principal of the loans borrowed by the other parties within `hops` "
        "of the risk graph, exact, one entry per currency.")
    delinquent: bool = strawberry.field(description="A loan of the party is past due.")
    defaulted: bool = strawberry.field(
        description="A loan of the party is more than 90 days past due.")
    delinquent_neighbour_share: float | None = strawberry.field(
        description="Share of its risk-graph neighbours that are delinquent; null without "
        "neighbours.")
    defaulted_neighbour_share: float | None = strawberry.field(
        description="Share of its risk-graph neighbours that are in default; null without "
        "neighbours.")
    distance_to_default: int | None = strawberry.field(
        description="Hops to the nearest defaulted party (0: itself); null when none is "
        "within the search cap.")
    community: int = strawberry.field(
        description="Louvain community number in that run (0 the largest); a party without "
        "risk links is a community of its own. Numbers are not comparable across runs.")
    pagerank: float = strawberry.field(description="PageRank in the risk graph (damping "
                                       "0.85); all parties sum to 1.")
    betweenness: float = strawberry.field(
        description="Approximate betweenness centrality (sampled sources, normalised over "
        "all parties).")


def _money(amounts: dict[str, Decimal]) -> list[Money]:
    return [Money(amount=amount, currency=code) for code, amount in sorted(amounts.items())]


def graph_features_from_stored(stored: StoredFeatures) -> GraphFeatures:
    """The GraphQL view of one party's stored features."""
    return GraphFeatures(
        scan_run=stored.run_id, as_of=stored.as_of, hops=stored.hops,
        degrees=GraphDegrees(**stored.degrees),
        exposure=_money(stored.exposure),
        exposure_within_hops=_money(stored.exposure_within),
        delinquent=stored.delinquent, defaulted=stored.defaulted,
        delinquent_neighbour_share=stored.delinquent_share,
        defaulted_neighbour_share=stored.defaulted_share,
        distance_to_default=stored.distance_to_default, community=stored.community,
        pagerank=stored.pagerank, betweenness=stored.betweenness)
