"""Give a graph imported before exact money its integer minor units.

Release 0.1.0 stored graph amounts as floats rounded to two decimals. Since 0.2 every
amount property ``x`` has ``x_minor`` and ``x_currency`` beside it, the exact integer of
minor units and its currency, and the API reads only those. :func:`upgrade_exact_money` adds
them to the elements of an older graph, through the
``GraphStore`` interface, so it runs on Neo4j and on the embedded store alike.

Currencies: a loan has its own; a guarantee and a collateral take their loan's; parties and
transfers, which named none, take ``default_currency``. An old float is converted only when
it is exact in its currency (a float of a two-decimal amount below about 9 * 10^13 is); one
that is not (a JPY guarantee of 100.5) is left without ``x_minor`` and listed in the result,
to be re-imported: nothing is rounded.

Idempotent: elements that already have ``x_minor`` are left alone, so running it again
writes nothing. Elements are read one relationship type at a time (:meth:`GraphStore.project`),
so a party that has no relationship at all is not reached; re-import it to add its minor units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import networkx as nx

from graph.model import Edge, Label, Node, PropertyValue, RelType
from graph.store import GraphStore
from ingest.errors import IngestError
from portfolio.money import CURRENCY_EXPONENTS, DEFAULT_CURRENCY, MAX_MINOR_UNITS

__all__ = ["MoneyUpgrade", "upgrade_exact_money"]

#: Amount properties of each node label.
NODE_AMOUNTS: Final[dict[Label, tuple[str, ...]]] = {
    Label.LOAN: ("principal",),
    Label.COLLATERAL: ("value",),
    Label.PERSON: ("monthly_income",),
    Label.COMPANY: ("registered_capital", "annual_revenue"),
}
#: Amount properties of each relationship type.
EDGE_AMOUNTS: Final[dict[RelType, tuple[str, ...]]] = {
    RelType.GUARANTEES: ("amount",),
    RelType.TRANSFERS: ("amount",),
}
#: Elements written per store call.
WRITE_BATCH: Final = 5_000
#: Elements named in the result's ``unconverted`` list (all are counted).
MAX_LISTED: Final = 20


@dataclass(slots=True)
class MoneyUpgrade:
    """What :func:`upgrade_exact_money` did."""

    nodes: int = 0
    edges: int = 0
    #: Elements whose amount is not exact in its currency: ``"L1 principal 100.5 JPY"``.
    unconverted: list[str] = field(default_factory=list)
    unconverted_count: int = 0

    def _skip(self, what: str) -> None:
        self.unconverted_count += 1
        if len(self.unconverted) < MAX_LISTED:
            self.unconverted.append(what)


def _minor(value: PropertyValue, currency: str) -> int | None:
    """``value`` in minor units of ``currency`` when that is exact, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except ArithmeticError:
        return None
    if not number.is_finite() or number < 0:
        return None
    scaled = number.scaleb(CURRENCY_EXPONENTS[currency])
    if scaled != scaled.to_integral_value() or scaled > MAX_MINOR_UNITS:
        return None
    return int(scaled)


def _additions(element: str, props: dict[str, PropertyValue], amounts: Iterable[str],
               currency: str, result: MoneyUpgrade) -> dict[str, PropertyValue]:
    """The properties to add to one element (empty when there is nothing to do)."""
    added: dict[str, PropertyValue] = {}
    for name in amounts:
        value = props.get(name)
        if value is None or f"{name}_minor" in props:
            continue
        minor = _minor(value, currency)
        if minor is None:
            result._skip(f"{element} {name} {value} {currency}")
            continue
        added[f"{name}_minor"] = minor
        added[f"{name}_currency"] = currency
    return added


def _currency(props: dict[str, PropertyValue], fallback: str) -> str:
    code = props.get("currency")
    return code if isinstance(code, str) and code in CURRENCY_EXPONENTS else fallback


def _flush_nodes(graph: GraphStore, nodes: list[Node], result: MoneyUpgrade,
                 force: bool = False) -> None:
    if nodes and (force or len(nodes) >= WRITE_BATCH):
        graph.upsert_nodes(nodes)
        result.nodes += len(nodes)
        nodes.clear()


def _flush_edges(graph: GraphStore, edges: list[Edge], result: MoneyUpgrade,
                 force: bool = False) -> None:
    if edges and (force or len(edges) >= WRITE_BATCH):
        graph.upsert_edges(edges)
        result.edges += len(edges)
        edges.clear()


def upgrade_exact_money(graph: GraphStore,
                        default_currency: str = DEFAULT_CURRENCY) -> MoneyUpgrade:
    """Add the exact minor units the API reads to the amounts of an older graph.

    Args:
        graph: the graph store (embedded or Neo4j).
        default_currency: the currency of party and transfer amounts, which 0.1.0 did not
            record.

    Returns:
        How many nodes and edges got minor units, and which amounts could not be converted
        without rounding.

    Raises:
        IngestError: ``default_currency`` is not an ISO 4217 code.
        GraphError: the store failed (what was written before stays, and a rerun goes on).
    """
    if default_currency not in CURRENCY_EXPONENTS:
        raise IngestError(f"the default currency {default_currency!r} is not an ISO 4217 "
                          "currency code")
    result = MoneyUpgrade()
    seen: set[str] = set()
    nodes: list[Node] = []
    edges: list[Edge] = []
    # Every relationship type reaches every node that has a relationship.
    for rel_type in RelType:
        projection: nx.MultiDiGraph = graph.project([rel_type])
        loan_currency = {
            node_id: _currency(data, default_currency)
            for node_id, data in projection.nodes(data=True) if data["label"] == Label.LOAN
        }
        for node_id, data in projection.nodes(data=True):
            if node_id in seen:
                continue
            seen.add(node_id)
            label = Label(data["label"])
            amounts = NODE_AMOUNTS.get(label)
            if amounts is None:
                continue
            fallback = default_currency
            if label is Label.COLLATERAL:
                loans = [loan for loan in projection.predecessors(node_id)
                         if loan in loan_currency]
                if not loans:
                    seen.discard(node_id)  # its SECURED_BY projection will name the loan
                    continue
                fallback = loan_currency[loans[0]]
            props = {k: v for k, v in data.items() if k != "label"}
            added = _additions(node_id, props, amounts, _currency(props, fallback), result)
            if added:
                nodes.append(Node(node_id, label, added))
                _flush_nodes(graph, nodes, result)
        amounts = EDGE_AMOUNTS.get(rel_type)
        if amounts is not None:
            _flush_nodes(graph, nodes, result, force=True)
            for source, target, key, data in projection.edges(keys=True, data=True):
                props = {k: v for k, v in data.items() if k != "type"}
                fallback = loan_currency.get(target, default_currency)
                added = _additions(f"{rel_type.value} {source}->{target}", props, amounts,
                                   _currency(props, fallback), result)
                if added:
                    edges.append(Edge(rel_type, source, target, key, added))
                    _flush_edges(graph, edges, result)
            _flush_edges(graph, edges, result, force=True)
    _flush_nodes(graph, nodes, result, force=True)
    return result
