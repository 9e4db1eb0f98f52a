"""Which parties a portfolio stress test shocks: named parties, a sector, a region, or
the companies of a corporate group.

Each selector returns the network positions of a
:class:`~risk.contagion.portfolio_network.PortfolioNetwork` to shock, or raises
:class:`~risk.errors.ShockError` naming the argument (``option``: the command line's
``--party``, or the name a caller such as the GraphQL API gives it) and the value that
selects nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np

from graph.model import PARTY_LABELS
from graph.store import GraphStore
from risk.contagion.portfolio_network import IntArray, PortfolioNetwork
from risk.errors import ShockError
from risk.network.groups import find_groups

__all__ = ["select_group", "select_parties", "select_region", "select_sector"]

#: Parties named in an error before "and N more".
_NAMED: Final = 10


def _named(values: Iterable[str]) -> str:
    listed = sorted(values)
    more = f" and {len(listed) - _NAMED} more" if len(listed) > _NAMED else ""
    return ", ".join(listed[:_NAMED]) + more


def select_parties(store: GraphStore, pn: PortfolioNetwork, ids: Sequence[str], *,
                   option: str = "--party") -> IntArray:
    """The network positions of party ``ids``; an unknown id is an error naming it."""
    if not ids:
        raise ShockError("no party given", suggestion=f"give {option} ID (repeat for more)")
    positions = [pn.network.index_of(party_id) for party_id in ids]
    missing = [party_id for party_id, at in zip(ids, positions, strict=True) if at is None]
    if missing:
        stored = store.get_nodes(missing)
        for party_id, node in zip(missing, stored, strict=True):
            if node is None:
                raise ShockError(f"{option} {party_id}: no node has the id {party_id!r}",
                                 suggestion="`loanwatch search` finds parties by name or id")
            if node.label not in PARTY_LABELS:
                raise ShockError(f"{option} {party_id}: {party_id!r} is not a person or a "
                                 f"company ({node.label.value})")
            raise ShockError(
                f"{option} {party_id}: {node.label.value} {party_id!r} has no loan, "
                "guarantee, ownership or supply link in the portfolio, so nothing can "
                "pass from it", suggestion="shock a party that borrows, guarantees, owns "
                                           "or pays another")
    return np.unique(np.array(positions, dtype=np.int64))


def _select_by(values: tuple[str | None, ...], wanted: str, what: str,
               option: str) -> IntArray:
    key = wanted.strip().casefold()
    hit = np.array([v is not None and v.casefold() == key for v in values], dtype=np.bool_)
    if not hit.any():
        known = {v for v in values if v is not None}
        raise ShockError(f"{option} {wanted}: no party with a loan, guarantee, ownership "
                         f"or supply link has the {what} {wanted!r}",
                         suggestion=f"known: {_named(known)}" if known else
                         f"no linked party has a {what}")
    return np.flatnonzero(hit).astype(np.int64)


def select_sector(pn: PortfolioNetwork, sector: str, *, option: str = "--sector") -> IntArray:
    """The parties (companies) whose ``sector`` is ``sector`` (ignoring case)."""
    return _select_by(pn.sector, sector, "sector", option)


def select_region(pn: PortfolioNetwork, region: str, *, option: str = "--region") -> IntArray:
    """The parties whose ``province`` or ``city`` is ``region`` (ignoring case)."""
    merged = tuple(p if p is not None and p.casefold() == region.strip().casefold() else c
                   for p, c in zip(pn.province, pn.city, strict=True))
    return _select_by(merged, region, "province or city", option)


def select_group(store: GraphStore, pn: PortfolioNetwork, controller: str, *,
                 option: str = "--group") -> IntArray:
    """The member companies of the corporate group headed by ``controller``
    (:func:`risk.network.groups.find_groups`, default thresholds)."""
    groups = {g.controller: g for g in find_groups(store).groups}
    group = groups.get(controller)
    if group is None:
        raise ShockError(f"{option} {controller}: no corporate group is headed by "
                         f"{controller!r}",
                         suggestion=f"groups are named by their ultimate controller: "
                                    f"{_named(groups)}" if groups else
                         "the portfolio has no corporate group (loanwatch groups)")
    positions = [pn.network.index_of(member) for member in group.members]
    found = [p for p in positions if p is not None]
    if not found:
        raise ShockError(f"{option} {controller}: none of its companies "
                         f"({_named(group.members)}) has a link to pass a shock on")
    return np.unique(np.array(found, dtype=np.int64))
