"""What every resolver receives as ``info.context``: the caller, the graph store, the SQL
records (for the results of the latest scan), per-request loaders, the request's stop
switch and where audit events go.

The caller is the :class:`auth.principal.Principal` its access token stands for; the
schema refuses, before any resolver runs, a document selecting a field whose declared
right the caller lacks (:mod:`schema.authorization`), and shows personal data in clear
only to a caller with :attr:`auth.principal.Right.READ_PERSONAL`
(:attr:`Context.personal_data_visible`). What was served in clear reaches ``audit`` once
per request (:mod:`schema.personal_reads`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from sqlalchemy import Engine

from auth.audit_events import AuditSink
from auth.principal import Principal, Right
from graph.store import GraphStore
from graph.vault import PersonalDataVault
from graph.walks import LoopWalker
from jobs.event_submission import EventFlowSubmitter
from portfolio.money import DEFAULT_CURRENCY
from risk.alerts.feed import AlertFeed
from risk.collections.feed import CaseFeed
from schema.control import QueryControl
from schema.loaders import Loaders, create_loaders

if TYPE_CHECKING:
    from schema.post_loan.loaders import PostLoanLoaders

__all__ = ["Context", "Info", "build_context"]


@dataclass(slots=True)
class Context:
    """The context of one GraphQL request (or of one WebSocket connection: its caller is
    set once the connection is initialised). Build a new one per request."""

    graph: GraphStore
    loaders: Loaders
    #: Who is calling; ``None`` only on a WebSocket not yet initialised (no right at all).
    principal: Principal | None
    control: QueryControl = field(default_factory=QueryControl)
    #: The SQL database of the records and scan results; ``None``: risk results are null.
    records: Engine | None = None
    #: Where alert changes are announced and heard (mutations, subscriptions); ``None``:
    #: alert moves are not announced and ``alertChanges`` is refused.
    alert_feed: AlertFeed | None = None
    #: The currency of written amounts whose input names none (the import's default).
    default_currency: str = DEFAULT_CURRENCY
    #: Where audit events go; ``None``: nowhere (scripts and tests that do not look).
    audit: AuditSink | None = None
    #: The request id the logs carry (``X-Request-Id``), copied into audit events.
    request_id: str = ""
    #: The caller's address, as audit events record it.
    source: str = ""
    #: The name of the operation executed last (set before it executes; for logs and
    #: metrics: a client need not send ``operationName`` for a one-operation document).
    operation_name: str = ""
    #: The ``connection_init`` payload of a WebSocket connection (Strawberry sets it).
    connection_params: dict[str, Any] | None = None
    #: The keys of personal data in SQL records (contact notes are sealed with them); the
    #: public development keys unless the app factory passes the configured ones.
    vault: PersonalDataVault = field(default_factory=PersonalDataVault.development)
    #: Where collection-case changes are announced and heard (``transitionCase``,
    #: ``caseChanges``); ``None``: not announced, and ``caseChanges`` is refused.
    case_feed: CaseFeed | None = None
    #: The post-loan loaders, created on first use (:func:`schema.post_loan.loaders.
    #: post_loan_loaders`).
    post_loan: PostLoanLoaders | None = None
    #: Submits the flow of an event recorded through the API once it is committed
    #: (:mod:`jobs.event_submission`); ``None``: recorded events start no flow.
    event_flow: EventFlowSubmitter | None = None

    @property
    def personal_data_visible(self) -> bool:
        """Whether the caller may read personal data unmasked (see
        :mod:`graph.personal_data`): it has :attr:`Right.READ_PERSONAL`."""
        return self.principal is not None and Right.READ_PERSONAL in self.principal.rights

    def may(self, right: Right) -> bool:
        """Whether the caller has ``right``."""
        return self.principal is not None and right in self.principal.rights


def build_context(graph: GraphStore, control: QueryControl | None = None, *,
                  principal: Principal | None,
                  records: Engine | None = None, audit: AuditSink | None = None,
                  request_id: str = "", source: str = "",
                  alert_feed: AlertFeed | None = None,
                  default_currency: str = DEFAULT_CURRENCY,
                  inline_reads: bool = False,
                  vault: PersonalDataVault | None = None,
                  case_feed: CaseFeed | None = None,
                  event_flow: EventFlowSubmitter | None = None,
                  loop_walker: LoopWalker | None = None) -> Context:
    """A fresh context over ``graph`` (and the SQL ``records``), with empty loaders.

    Args:
        control: the request's stop switch and gate (default: no time limit, no gate).
        principal: the caller (required: a context without one may read nothing).
        records: the SQL database whose latest scan the risk fields read (and writes go to).
        audit: where the reads of personal data in clear are recorded.
        request_id: the request's id, for the audit events.
        source: the caller's address, for the audit events.
        alert_feed: where alert changes are announced and heard.
        default_currency: the currency of written amounts whose input names none.
        inline_reads: the loaders read on the event loop rather than in a worker thread
            (only where :func:`schema.loaders.reads_in_place` says so).
        vault: the keys that seal and open personal data in SQL records (contact notes);
            the public development keys when omitted.
        case_feed: where collection-case changes are announced and heard.
        event_flow: submits the flow of each event recorded through the API.
        loop_walker: reads the walks of the views on the event loop (none: in a worker
            thread, through ``graph``).
    """
    return Context(graph=graph, loaders=create_loaders(graph, records,
                                                       inline_reads=inline_reads,
                                                       loop_walker=loop_walker),
                   principal=principal,
                   control=control if control is not None else QueryControl(),
                   records=records, audit=audit, request_id=request_id, source=source,
                   alert_feed=alert_feed, default_currency=default_currency,
                   vault=vault if vault is not None else PersonalDataVault.development(),
                   case_feed=case_feed, event_flow=event_flow)


Info = strawberry.Info[Context, None]
