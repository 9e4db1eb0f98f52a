"""The PD at origination of each loan, stored where the IFRS 9 staging reads it.

A loan's ``origination_pd`` (the annual probability of default estimated when it was
granted) comes with the loan import today; the models issue will score loans at
origination and store its PDs with one call::

    store_origination_pd(engine, graph, {"L001": 0.012, "L002": 0.034})

Each PD is kept on the loan record (``loan.origination_pd``, which
:func:`risk.classification.book.load_book` reads for the significant-increase test) and on
the ``Loan`` node (property ``origination_pd``), as the import keeps them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from sqlalchemy import Engine, Table, bindparam, select, update

from graph.model import Label, Node
from graph.store import GraphStore, SqlTransactionGraph
from portfolio.loans import Loan
from risk.classification.errors import ClassificationError

__all__ = ["store_origination_pd"]

_IDS_PER_QUERY: Final = 1_000
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]


def store_origination_pd(engine: Engine, graph: GraphStore, pds: Mapping[str, float]) -> int:
    """Store the PD at origination of each loan of ``pds`` (loan id to a probability in
    (0, 1)); return how many were stored. A PD stored earlier is replaced.

    All or nothing: the records are written in one transaction, committed only once the
    graph has taken the same values.

    Raises:
        ClassificationError: a PD outside (0, 1) or not a number, or an unknown loan id
            (naming the first ones). Nothing is stored.
    """
    bad = [loan_id for loan_id, pd in pds.items()
           if isinstance(pd, bool) or not isinstance(pd, int | float)
           or not math.isfinite(pd) or not 0.0 < pd < 1.0]
    if bad:
        raise ClassificationError(
            f"a PD at origination must be above 0 and below 1; loan {bad[0]} has "
            f"{pds[bad[0]]!r}" + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
    ids = sorted(pds)
    with engine.begin() as connection:
        known: set[str] = set()
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            known.update(connection.execute(select(_loan.c.id).where(
                _loan.c.id.in_(chunk))).scalars())
        missing = [loan_id for loan_id in ids if loan_id not in known]
        if missing:
            raise ClassificationError(f"unknown loan id(s): {', '.join(missing[:10])}"
                                      + (f" and {len(missing) - 10} more"
                                         if len(missing) > 10 else ""))
        if ids:
            connection.execute(
                update(_loan).where(_loan.c.id == bindparam("loan_id"))
                .values(origination_pd=bindparam("pd")),
                [{"loan_id": loan_id, "pd": float(pds[loan_id])} for loan_id in ids])
            nodes = [Node(loan_id, Label.LOAN, {"origination_pd": float(pds[loan_id])})
                     for loan_id in ids]
            if isinstance(graph, SqlTransactionGraph) and graph.shares_database_with(engine):
                graph.upsert_batch_in(connection, nodes, ())  # one transaction for both
            else:
                graph.upsert_nodes(nodes)
    return len(ids)
