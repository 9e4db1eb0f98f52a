"""The root ``Query``: search parties, read one party or loan, explore the graph."""

from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry
from strawberry.tools import merge_types

from auth.principal import Right
from portfolio.readers import import_batches
from risk.alerts.lifecycle import get_alert, list_alerts
from risk.contagion.buffers import (
    DEFAULT_INCOME_MONTHS,
    DEFAULT_LGD,
    DEFAULT_MIN_DISTRESS,
    DEFAULT_SUPPLY_SHARE,
)
from risk.contagion.portfolio import ShockSelection
from risk.errors import AlertNotFound
from schema import node_lookup, portfolio_reading, relations, scan_reading, traversals
from schema.arguments import (
    DEFAULT_HOPS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_PATH_HOPS,
    DEFAULT_PATH_LIMIT,
    DEFAULT_SUBGRAPH_NODES,
    MAX_PAGE_SIZE,
    MAX_SEARCH_RESULTS,
    check_range,
    check_text,
)
from schema.context import Info
from schema.cost import OWN_COST, WHOLE_PORTFOLIO_COST
from schema.enums import Label, RelType, to_model_labels, to_model_types
from schema.errors import InvalidArgument
from schema.notification_queries import NotificationQueries
from schema.pagination import window
from schema.party_risk import check_status
from schema.party_search import searchable_matches
from schema.permissions import needs
from schema.post_loan.collections import CollectionQueries
from schema.post_loan.disposals import DisposalQueries
from schema.post_loan.jobs import JobQueries
from schema.post_loan.reviews import ReviewQueries
from schema.post_loan.strategies import CollectionStrategyQueries
from schema.stressing import DEFAULT_STRESS_ROWS, StressArguments, run_stress
from schema.types.alerts import Alert, AlertConnection, alert_from_record
from schema.types.audit import AuditAction, AuditConnection, audit_page, record_audit_read
from schema.types.circles import CircleConnection, CircleKind
from schema.types.connection import PartyConnection
from schema.types.graph import Path, Subgraph
from schema.types.loan import Loan
from schema.types.node import Node
from schema.types.party import Party, party_from_node
from schema.types.portfolio import (
    BorrowerConnection,
    BorrowerFilter,
    LoanConnection,
    LoanFilter,
    PortfolioOrder,
)
from schema.types.records import ImportBatch, import_batch
from schema.types.scan_run import ScanRun
from schema.types.stress import StressMethod, StressResult
from schema.view_walks import selection_walk, walk_selection

__all__ = ["PortfolioQueries", "Query"]

#: How deep the alert list can be paged (a work queue, not an export).
MAX_ALERT_REACH = 10_000
#: The own cost of a portfolio list: one aggregate over the latest scan's loans.
LIST_COST = 100
#: Where a connection's parties are selected: ``edges { node { ... } }``.
_PAGE_ITEMS = ("edges", "node")


def _alert_number(value: str) -> int:
    """The number of an alert id, given as ``Alert:17`` (its global id) or ``17``."""
    text = value.strip().removeprefix("Alert:")
    if not text.isdigit():
        raise InvalidArgument(f"id must be an alert id (Alert:17) or number; got {value!r}")
    return int(text)


@strawberry.type(description="The reads of the portfolio and its graph.")
class PortfolioQueries:
    @strawberry.field(
        description=f"Persons and companies whose name or id contains `text`, ignoring "
        f"case: exact id first, then by name. `first` is at most {MAX_PAGE_SIZE}. A person's "
        f"name is personal data: without the right to search persons (`search-persons`) "
        f"only ids and company names are searched."
    )
    async def search_parties(
        self, info: Info, text: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> PartyConnection:
        needle = check_text("text", text)
        page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_SEARCH_RESULTS)
        graph = info.context.graph
        if info.context.may(Right.SEARCH_PERSONS):
            ranked = await asyncio.to_thread(graph.search_parties, needle, page.fetch)
        else:
            ranked = searchable_matches(
                await asyncio.to_thread(graph.search_parties, needle, MAX_SEARCH_RESULTS),
                needle)
        connection = PartyConnection.from_ranked(ranked, page)
        await walk_selection(info, [edge.node.node.id for edge in connection.edges], "Party",
                             under=_PAGE_ITEMS)
        return connection

    @strawberry.field(
        description=f"Early-warning alerts, newest first, each with its signals and evidence "
        f"path; only those of `status` (open, acknowledged, assigned, resolved) when given. "
        f"`first` is at most {MAX_PAGE_SIZE}; empty until `loanwatch alerts run` or "
        f"`loanwatch scan` has raised some."
    )
    async def alerts(self, info: Info, status: str | None = None,
                     first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                     ) -> AlertConnection:
        page = window(first, after, max_size=MAX_PAGE_SIZE, max_reach=MAX_ALERT_REACH)
        check_status(status)
        records = info.context.records
        rows = [] if records is None else await asyncio.to_thread(
            list_alerts, records, status=status, limit=page.size + 1, offset=page.offset)
        return AlertConnection.from_page(rows, page)

    @strawberry.field(
        description=f"The audit trail, newest first: entries of `actor` (a user login or a "
        f"client id), of `action`, naming `target` among their objects, at or after `since` "
        f"and before `until` (UTC unless the time says). `first` is at most "
        f"{MAX_PAGE_SIZE}. Administrators only (the `audit:read` scope); every read is "
        f"itself recorded in the trail (READ_AUDIT: who, from where, the filters used).",
        metadata=needs(Right.READ_AUDIT))
    async def audit_log(self, info: Info, actor: str | None = None,
                        action: AuditAction | None = None,  # type: ignore[valid-type]
                        target: strawberry.ID | None = None, since: datetime | None = None,
                        until: datetime | None = None, first: int = DEFAULT_PAGE_SIZE,
                        after: str | None = None) -> AuditConnection:
        page = await audit_page(info.context.records, actor=actor, action=action,
                                target=target, since=since, until=until, first=first,
                                after=after)
        name = info.operation.name
        record_audit_read(info.context, operation=None if name is None else name.value,
                          page=page, filters={
            "actor": actor, "action": None if action is None else action.value,
            "target": target, "since": since, "until": until, "first": first, "after": after})
        return page

    @strawberry.field(description="The alert `id` (its global id `Alert:17`, or its number), "
                      "with its signals and evidence path; NOT_FOUND when there is none.")
    async def alert(self, info: Info, id: strawberry.ID) -> Alert:
        records = info.context.records
        alert_id = _alert_number(str(id))
        if records is None:
            raise AlertNotFound(alert_id)
        return alert_from_record(await asyncio.to_thread(get_alert, records, alert_id))

    @strawberry.field(
        description=f"The latest scan's guarantee circles, mutual guarantees and joint-"
        f"guarantee groups (only those of `kind` when given, of at least `minMembers` "
        f"parties), largest exposure first, then by id. `first` is at most {MAX_PAGE_SIZE}; "
        f"empty before any `loanwatch scan`."
    )
    async def circles(self, info: Info, kind: CircleKind | None = None, min_members: int = 2,
                      first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                      ) -> CircleConnection:
        return await scan_reading.circle_page(info.context, kind, min_members, first, after)

    @strawberry.field(description="The scan run the risk fields read (the latest that "
                      "succeeded): its date, status, phase timings and counts; null before "
                      "any `loanwatch scan`.")
    async def scan_run(self, info: Info) -> ScanRun | None:
        return await scan_reading.latest_scan_run(info.context)

    @strawberry.field(
        description="A contagion stress test on the stored portfolio, as `loanwatch stress` "
        "runs it: shock `parties`, a `sector`, a `region` (province or city) or the companies "
        "of the `group` headed by a controller by `shock` (a share of each one's buffer, 0 to "
        "1) and propagate over guarantee, ownership and supply links. Reads the whole "
        "portfolio: a heavy query. At most `first` parties and loans hit are listed.",
        metadata={OWN_COST: WHOLE_PORTFOLIO_COST, **needs(Right.RUN_PORTFOLIO_ANALYTICS)},
    )
    async def stress(
        self, info: Info, parties: list[strawberry.ID] | None = None,
        sector: str | None = None, region: str | None = None,
        group: strawberry.ID | None = None, shock: float = 1.0,
        method: StressMethod = StressMethod.DEBTRANK, currency: str | None = None,
        lgd: float = DEFAULT_LGD, min_distress: float = DEFAULT_MIN_DISTRESS,
        income_months: float = DEFAULT_INCOME_MONTHS,
        supply_share: float = DEFAULT_SUPPLY_SHARE, first: int = DEFAULT_STRESS_ROWS,
    ) -> StressResult:
        return await run_stress(info.context, StressArguments(
            selection=ShockSelection(parties=tuple(str(p) for p in parties or ()),
                                     sector=sector, region=region,
                                     group=None if group is None else str(group)),
            shock=shock, method=method, first=first, currency=currency, lgd=lgd,
            min_distress=min_distress, income_months=income_months,
            supply_share=supply_share))

    @strawberry.field(description="Any object by its global id (`Node.id`): a party, loan, "
                      "account, collateral, event, identifier, alert, installment, "
                      "repayment, bureau snapshot, transaction, import batch, review or "
                      "collection case; null when "
                      "the id names nothing. Relay's refetch entry point.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await node_lookup.resolve_node(info.context, str(id))

    @strawberry.field(description="The objects of `ids` (at most "
                      f"{node_lookup.MAX_NODE_IDS}), in order; null where an id names "
                      "nothing. All are read together: one store call per kind.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await node_lookup.resolve_nodes(info.context, [str(i) for i in ids])

    @strawberry.field(
        description="Borrowers of the latest scan, filtered by days past due, tier, stage, "
        "product, region, sector, group, circle and exposure, sorted by `orderBy` (ties by "
        f"id). `first` is at most {MAX_PAGE_SIZE}. Each edge carries the borrower's worst "
        "tier, stage and days past due and its exposure; its node opens the 360° view. "
        "Empty before any `loanwatch scan`.",
        metadata={OWN_COST: LIST_COST})
    async def borrowers(self, info: Info, filter: BorrowerFilter | None = None,
                        order_by: PortfolioOrder = PortfolioOrder.EXPOSURE_DESC,  # type: ignore
                        first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                        ) -> BorrowerConnection:
        return await portfolio_reading.borrower_connection(
            info.context, filter, order_by, first, after,
            walk=selection_walk(info, "Party", _PAGE_ITEMS))

    @strawberry.field(
        description="Loans of the latest scan, filtered and sorted as `borrowers` (region, "
        f"sector, group and circle are the borrower's). `first` is at most {MAX_PAGE_SIZE}. "
        "Empty before any `loanwatch scan`.",
        metadata={OWN_COST: LIST_COST})
    async def loans(self, info: Info, filter: LoanFilter | None = None,
                    order_by: PortfolioOrder = PortfolioOrder.EXPOSURE_DESC,  # type: ignore
                    first: int = DEFAULT_PAGE_SIZE, after: str | None = None
                    ) -> LoanConnection:
        return await portfolio_reading.loan_connection(info.context, filter, order_by,
                                                       first, after)

    @strawberry.field(description="Import batches, newest first; at most `first` "
                      f"(≤ {MAX_PAGE_SIZE}).")
    async def import_batches(self, info: Info,
                             first: int = DEFAULT_PAGE_SIZE) -> list[ImportBatch]:
        check_range("first", first, 1, MAX_PAGE_SIZE)
        records = info.context.records
        if records is None:
            return []
        rows = await asyncio.to_thread(import_batches, records, limit=first)
        return [import_batch(row) for row in rows]

    @strawberry.field(description="The person or company `id`; NOT_FOUND when there is none.")
    async def party(self, info: Info, id: strawberry.ID) -> Party | None:
        await walk_selection(info, [str(id)], "Party")
        return party_from_node(await relations.party_or_raise(info.context, str(id)))

    @strawberry.field(description="The loan `id`; NOT_FOUND when there is none.")
    async def loan(self, info: Info, id: strawberry.ID) -> Loan | None:
        await walk_selection(info, [str(id)], "Loan")
        return Loan(node=await relations.loan_or_raise(info.context, str(id)))

    @strawberry.field(
        description="Nodes within `hops` of `id` over edges of `types`, entering only nodes "
        "of `labels` (all when omitted), and the edges among them; at most `limit` nodes."
    )
    async def neighbourhood(
        self,
        info: Info,
        id: strawberry.ID,
        hops: int = DEFAULT_HOPS,
        labels: list[Label] | None = None,
        types: list[RelType] | None = None,
        limit: int = DEFAULT_SUBGRAPH_NODES,
    ) -> Subgraph:
        subgraph = await traversals.neighbourhood(
            info.context, str(id), hops=hops, limit=limit,
            labels=to_model_labels(labels), types=to_model_types(types),
        )
        return Subgraph.from_model(subgraph)

    @strawberry.field(
        description="Every shortest path between `source` and `target` of at most `maxHops` "
        "edges of `types` (all when omitted), direction ignored; empty when none."
    )
    async def shortest_paths(
        self,
        info: Info,
        source: strawberry.ID,
        target: strawberry.ID,
        max_hops: int = DEFAULT_PATH_HOPS,
        types: list[RelType] | None = None,
        limit: int = DEFAULT_PATH_LIMIT,
    ) -> list[Path]:
        paths = await traversals.shortest_paths(
            info.context, str(source), str(target), max_hops=max_hops, limit=limit,
            types=to_model_types(types),
        )
        return [Path.from_model(path) for path in paths]


#: The root ``Query``: one class per area, merged (add an area's class to the tuple).
Query = merge_types("Query", (PortfolioQueries,
                             ReviewQueries, CollectionQueries, JobQueries,
                             CollectionStrategyQueries, DisposalQueries,
                             NotificationQueries))
Query.__strawberry_definition__.description = (
    "Where every read starts: any object by id (`node`, `nodes`), parties and loans by id or "
    "search, the portfolio lists, alerts, circles, the latest scan, graph exploration and the "
    "stress test.")
