"""The latest scan's guarantee circles as a ranked list, for paging through them.

A scan stores each circle, mutual guarantee and joint-guarantee group as a finding
(:mod:`risk.scan_store`) with its evidence (members, loans, exposure per currency, the
guarantee edges). :func:`circle_ranking` ranks the circles of one run without reading
their edges: by exposure, largest first, then by finding id. Exposure is compared currency
by currency in the order of the currency codes (no exchange rates are held): in a
one-currency portfolio, simply the largest exposure first. :func:`findings_by_id` then
reads the whole findings of one page.

Plain functions over an engine, returning plain data classes; the GraphQL schema turns
them into its connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from portfolio.scan_runs import LATEST_POINTER, ScanFinding, ScanPointer
from risk.scan_results import FindingResult

__all__ = ["CIRCLE_KINDS", "CircleRank", "CircleRanking", "circle_ranking", "findings_by_id"]

#: The finding kinds that are guarantee circles in the wide sense (担保圈, 互保, 联保).
CIRCLE_KINDS: Final = ("circle", "mutual", "joint")
#: Finding ids per query of :func:`findings_by_id`.
_IDS_PER_QUERY: Final = 500


@dataclass(frozen=True, slots=True)
class CircleRank:
    """What ranking needs of one circle: its id, kind, member count and exposure."""

    id: int
    kind: str
    size: int
    exposure: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class CircleRanking:
    """The circles of run ``run_id`` (``None``: no scan yet), ranked."""

    run_id: int | None
    circles: list[CircleRank]


def _amounts(exposure: object) -> dict[str, Decimal]:
    if not isinstance(exposure, dict):
        return {}
    found: dict[str, Decimal] = {}
    for code, amount in exposure.items():
        try:
            found[str(code)] = Decimal(str(amount))
        except InvalidOperation:
            continue  # not an amount: ranked as zero in that currency, never dropped
    return found


def circle_ranking(engine: Engine, *, kinds: Sequence[str] = CIRCLE_KINDS,
                   min_members: int = 2) -> CircleRanking:
    """The latest run's findings of ``kinds`` with at least ``min_members`` parties,
    largest exposure first (module docstring), then by id. One query for the pointer, one
    for the circles; their edges are not read.

    Raises:
        ValueError: a kind is not one of :data:`CIRCLE_KINDS`.
    """
    unknown = sorted(set(kinds) - set(CIRCLE_KINDS))
    if unknown:
        raise ValueError(f"not circle kinds: {', '.join(unknown)}")
    with Session(engine) as session:
        pointer = session.get(ScanPointer, LATEST_POINTER)
        if pointer is None:
            return CircleRanking(run_id=None, circles=[])
        rows = session.execute(
            select(ScanFinding.id, ScanFinding.kind, ScanFinding.members,
                   col(ScanFinding.evidence)["exposure"])
            .where(col(ScanFinding.run_id) == pointer.run_id,
                   col(ScanFinding.kind).in_(list(kinds)))).all()
        run_id = pointer.run_id
    ranks = [CircleRank(id=int(finding_id), kind=str(kind), size=len(members),
                        exposure=_amounts(exposure))
             for finding_id, kind, members, exposure in rows if len(members) >= min_members]
    codes = sorted({code for rank in ranks for code in rank.exposure})
    zero = Decimal(0)
    ranks.sort(key=lambda r: (*(-r.exposure.get(code, zero) for code in codes), r.id))
    return CircleRanking(run_id=run_id, circles=ranks)


def findings_by_id(engine: Engine, ids: Sequence[int]) -> dict[int, FindingResult]:
    """The stored findings with ``ids`` (whatever their run), by id; one query per chunk."""
    found: dict[int, FindingResult] = {}
    wanted = list(dict.fromkeys(ids))
    with Session(engine) as session:
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            for row in session.execute(select(ScanFinding).where(
                    col(ScanFinding.id).in_(chunk))).scalars():
                finding_id = int(row.id or 0)
                found[finding_id] = FindingResult(
                    run_id=row.run_id, id=finding_id, kind=row.kind, members=row.members,
                    evidence=row.evidence)
    return found
