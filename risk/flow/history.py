"""The repayment history of a neighbourhood: the delinquency rules read for the loans that
can change the flow's alerts, not the whole book.

The delinquency pass over the whole book is most of an evaluation of the rules on a large
portfolio (72 s of 118 s at 100,000 borrowers). The flow keeps only the alerts of its scope,
and these depend on fewer loans:

* days past due and missed installments are per loan: the scope's loans are enough;
* a party of the scope is alerted by ``related_default`` when a party in default lies
  within the rule's ``hops`` of it; the path drawn is the breadth-first search's from the
  nearest defaulted parties, and every node that decides it (its distance, its parent, the
  order of the frontier) lies within ``hops`` of the party, so do the defaulted parties that
  decide it. The parties within ``flow hops + rule hops`` of the event's centres therefore
  hold every default that matters, and their loans (with their borrowers' other loans, so
  each one's default is exact) are read.

The result is the :class:`risk.classification.history.RepaymentHistory` of that sub-book:
the same computation, on fewer loans, giving the scope the alerts the whole book gives it
(a test compares both). When a neighbourhood reaches :data:`NEIGHBOURHOOD_LIMIT` nodes,
the whole book is read instead.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import Engine, select

from graph.model import PARTY_LABELS, RelType
from graph.store import GraphStore
from portfolio.loans import Loan
from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.classification.history import RepaymentHistory
from risk.flow.scope import NETWORK_TYPES, Scope
from risk.rules.schema import RelatedDefault, Rule

__all__ = ["neighbourhood_history"]

_IDS_PER_QUERY: Final = 1_000
#: The largest neighbourhood whose loans are read alone (larger: the whole book's history).
#: Reading the history of 20,000 parties' loans still costs a fraction of the whole book's
#: at 100,000 borrowers.
NEIGHBOURHOOD_LIMIT: Final = 20_000


def neighbourhood_history(engine: Engine, graph: GraphStore, scope: Scope, *,
                          rules: tuple[Rule, ...] | list[Rule], hops: int,
                          as_of: date) -> RepaymentHistory:
    """The repayment history ``rules`` need for ``scope`` (the flow's ``hops``) on
    ``as_of``, read for the neighbourhood's loans only (see the module)."""
    related = [rule for rule in rules if isinstance(rule, RelatedDefault) and rule.enabled]
    reach = max((rule.hops for rule in related), default=0)
    parties = set(scope.parties)
    if reach and scope.centres:
        types = NETWORK_TYPES | {RelType(name) for rule in related for name in rule.via}
        for centre in scope.centres:
            around = graph.neighbourhood(centre, hops + reach, types=types,
                                         limit=NEIGHBOURHOOD_LIMIT)
            if around.truncated:
                return RepaymentHistory(engine)
            parties.update(node.id for node in around.nodes if node.label in PARTY_LABELS)
    loans = set(scope.loans)
    ordered = sorted(parties)
    if ordered:
        for edges in graph.edges_of(ordered, [RelType.BORROWS], "out"):
            loans.update(edge.target for edge in edges)
    stored = _stored(engine, sorted(loans))
    if not stored:
        return RepaymentHistory(engine)
    book = load_book(engine, as_of, loans=stored)
    return RepaymentHistory.seeded(engine, as_of, book, delinquency(book))


def _stored(engine: Engine, loans: list[str]) -> list[str]:
    """Which of ``loans`` the records hold (a loan only in the graph has no history)."""
    table = Loan.__table__  # type: ignore[attr-defined]
    found: list[str] = []
    with engine.connect() as connection:
        for start in range(0, len(loans), _IDS_PER_QUERY):
            found.extend(connection.execute(select(table.c.id).where(
                table.c.id.in_(loans[start:start + _IDS_PER_QUERY]))).scalars())
    return sorted(found)
