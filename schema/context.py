"""What every resolver receives as ``info.context``: the graph store, the SQL records (for
the results of the latest scan), per-request loaders, and the request's stop switch."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from sqlalchemy import Engine

from graph.store import GraphStore
from portfolio.money import DEFAULT_CURRENCY
from risk.alerts.feed import AlertFeed
from schema.control import QueryControl
from schema.loaders import Loaders, create_loaders

__all__ = ["Context", "Info", "build_context"]


@dataclass(frozen=True, slots=True)
class Context:
    """The context of one GraphQL request. Build a new one per request."""

    graph: GraphStore
    loaders: Loaders
    control: QueryControl = field(default_factory=QueryControl)
    #: Whether the caller may read personal data unmasked (see :mod:`graph.personal_data`).
    #: No caller may until OAuth roles decide it per request.
    personal_data_visible: bool = False
    #: The SQL database of the records and scan results; ``None``: risk results are null.
    records: Engine | None = None
    #: Where alert changes are announced and heard (mutations, subscriptions); ``None``:
    #: alert moves are not announced and ``alertChanges`` is refused.
    alert_feed: AlertFeed | None = None
    #: The currency of written amounts whose input names none (the import's default).
    default_currency: str = DEFAULT_CURRENCY


def build_context(graph: GraphStore, control: QueryControl | None = None, *,
                  personal_data_visible: bool = False,
                  records: Engine | None = None, alert_feed: AlertFeed | None = None,
                  default_currency: str = DEFAULT_CURRENCY) -> Context:
    """A fresh context over ``graph`` (and the SQL ``records``), with empty loaders.

    Args:
        control: the request's stop switch and gate (default: no time limit, no gate).
        personal_data_visible: serve personal properties unmasked.
        records: the SQL database whose latest scan the risk fields read (and writes go to).
        alert_feed: where alert changes are announced and heard.
        default_currency: the currency of written amounts whose input names none.
    """
    return Context(graph=graph, loaders=create_loaders(graph, records),
                   control=control if control is not None else QueryControl(),
                   personal_data_visible=personal_data_visible, records=records,
                   alert_feed=alert_feed, default_currency=default_currency)


Info = strawberry.Info[Context, None]
