"""A portfolio stress test as a query result: the rounds, the parties and loans hit, the
exposure at risk and expected loss per currency, and the paths that carried the shock.

The figures are those of ``loanwatch stress --json`` (:mod:`risk.contagion.portfolio`, the
same service). The parties and loans hit are capped at ``first`` each, largest expected loss
first (as the command's table ranks them); ``truncated`` says when some were left out, and
the totals count them all. The exposure at risk and the expected loss are over everything.
"""

from __future__ import annotations

from collections import Counter
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from portfolio.money import minor_to_decimal
from risk.contagion.portfolio import PartyHit, PortfolioNetwork, PortfolioStress
from schema.types.money import Money

__all__ = ["StressLink", "StressMethod", "StressResult", "StressedLoan", "StressedParty",
           "stress_result"]


@strawberry.enum(description="How the shock propagates.")
class StressMethod(Enum):
    #: DebtRank (Battiston et al. 2012): distress passes on in proportion, each party once.
    DEBTRANK = "debtrank"
    #: A threshold default cascade: a party defaults when its losses exceed its buffer.
    CASCADE = "cascade"


@strawberry.type(description="A party hit by the shock, and the path that carried it there.")
class StressedParty:
    id: strawberry.ID = strawberry.field(description="The party's id.")
    initial: float = strawberry.field(description="Distress at the start (the shock).")
    distress: float = strawberry.field(description="Distress at the end, 0 to 1 (1: default).")
    round: int = strawberry.field(description="The round it turned distressed (0: shocked).")
    via: strawberry.ID | None = strawberry.field(
        description="The party that passed the distress on; null for a shocked party.")
    links: list[str] = strawberry.field(
        description="By which links `via` reached it: guarantee, ownership, supply.")
    path: list[strawberry.ID] = strawberry.field(
        description="Party ids from a shocked party to this one: the path of the shock.")
    loans: int = strawberry.field(description="Loans it borrows.")
    exposure: list[Money] = strawberry.field(description="Principal it borrows.")
    expected_loss: list[Money] = strawberry.field(
        description="Its expected loss per currency, exact.")


@strawberry.type(description="A loan of a party hit.")
class StressedLoan:
    id: strawberry.ID = strawberry.field(description="The loan's id.")
    borrower: strawberry.ID = strawberry.field(description="Its most distressed borrower.")
    distress: float = strawberry.field(
        description="Its borrower's distress at the end, 0..1.")
    principal: Money | None = strawberry.field(description="Null when it has no currency.")


@strawberry.type(description="How many links of a kind the exposure network holds.")
class StressLink:
    kind: str = strawberry.field(description="guarantee, ownership or supply.")
    count: int = strawberry.field(description="How many links of that kind it holds.")


@strawberry.type(description="The outcome of a stress test on the stored portfolio. Nothing "
                 "is stored.")
class StressResult:
    method: StressMethod = strawberry.field(description="The propagation method.")
    currency: str = strawberry.field(description="The run's currency.")
    shock: float = strawberry.field(
        description="The share of each shocked party's buffer lost, 0..1.")
    lgd: float = strawberry.field(description="The loss given default used.")
    shocked: list[strawberry.ID] = strawberry.field(description="The parties shocked first.")
    rounds: int = strawberry.field(description="Rounds of propagation until it settled.")
    additional_stress: float | None = strawberry.field(
        description="DebtRank's additional stress; null for the cascade.")
    additional_defaults: int = strawberry.field(
        description="Parties pushed into default beyond those shocked.")
    min_distress: float = strawberry.field(
        description="Distress from which a party is listed as hit.")
    below_threshold: int = strawberry.field(
        description="Parties distressed below `minDistress`: not listed, in the expected "
        "loss.")
    exposure_at_risk: list[Money] = strawberry.field(
        description="Principal of every loan hit, per currency, exact.")
    expected_loss: list[Money] = strawberry.field(
        description="Σ distress × principal × LGD over the distressed borrowers' loans.")
    parties: list[StressedParty] = strawberry.field(
        description="The parties hit, largest expected loss first, at most `first`.")
    parties_total: int = strawberry.field(
        description="How many parties the shock reached (all of them, not only those listed).")
    loans: list[StressedLoan] = strawberry.field(
        description="The loans hit, largest distress × principal first, at most `first`.")
    loans_total: int = strawberry.field(description="How many loans the shock reached.")
    truncated: bool = strawberry.field(
        description="Some parties or loans hit were left out (raise `first`).")
    links: list[StressLink] = strawberry.field(
        description="The links of the exposure network, by kind.")
    buffers: JSON = strawberry.field(
        description="Where the buffers came from: {basis: parties} (override, "
        "registered_capital, income, floor).")
    left_out: JSON = strawberry.field(
        description="What could not enter the network, counted ({what: n}).")


def _money(minor: dict[str, int]) -> list[Money]:
    return [Money(amount=minor_to_decimal(amount, code), currency=code)
            for code, amount in sorted(minor.items())]


def _party(hit: PartyHit) -> StressedParty:
    return StressedParty(
        id=strawberry.ID(hit.id), initial=hit.initial, distress=hit.distress,
        round=hit.round, via=None if hit.via is None else strawberry.ID(hit.via),
        links=list(hit.links), path=[strawberry.ID(p) for p in hit.path], loans=hit.loans,
        exposure=_money(hit.exposure_minor), expected_loss=_money(hit.expected_loss_minor))


def stress_result(pn: PortfolioNetwork, run: PortfolioStress, first: int) -> StressResult:
    """The GraphQL view of a stress test, with at most ``first`` parties and loans."""
    parties = sorted(run.parties, key=lambda p: (
        -sum(p.expected_loss_minor.values()), p.round, -p.distress, p.id))
    loans = sorted(run.loans, key=lambda loan: (-loan[2] * loan[4], loan[0]))
    return StressResult(
        method=StressMethod(run.method), currency=run.currency, shock=run.shock,
        lgd=run.lgd, shocked=[strawberry.ID(s) for s in run.shocked], rounds=run.rounds,
        additional_stress=run.additional_stress,
        additional_defaults=run.additional_defaults, min_distress=run.min_distress,
        below_threshold=run.below_threshold,
        exposure_at_risk=_money(run.exposure_minor),
        expected_loss=_money(run.expected_loss_minor),
        parties=[_party(p) for p in parties[:first]], parties_total=len(parties),
        loans=[StressedLoan(
            id=strawberry.ID(loan_id), borrower=strawberry.ID(borrower), distress=h,
            principal=Money(amount=minor_to_decimal(minor, code), currency=code)
            if code else None) for loan_id, borrower, h, code, minor in loans[:first]],
        loans_total=len(loans),
        truncated=len(parties) > first or len(loans) > first,
        links=[StressLink(kind=kind.value, count=int(matrix.nnz))
               for kind, matrix in pn.links.items()],
        buffers=dict(sorted(Counter(b.value for b in pn.basis).items())),
        left_out=dict(run.left_out))
