"""What a disposal will do, computed from the loan's account when it is proposed, and again
when it is approved: the two must agree, or the proposal is stale.

A restructuring replaces the installments falling due on or after its date with a new
schedule that amortizes the principal they carried (the principal not yet due) with the
loan's rate, exact to the cent (:mod:`risk.disposals.amortization`); the installments due
before it stay as they are, arrears included, so that the history is never rewritten. The
new installments fall due on the loan's payment day, the first one where the first
replaced one did, every ``period_months`` months (the months between the loan's last two
installments). Payments already made beyond what was due count against the new
installments in order, as they do for every schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Table, select

from graph.model import RelType
from graph.store import GraphStore
from portfolio.disposals import Disposal, DisposalKind, DisposalState
from portfolio.loans import LoanStatus
from portfolio.money import minor_to_decimal
from risk.disposals.amortization import amortize, annuity_payment, monthly, period_rate
from risk.disposals.errors import DisposalError, InvalidTerms
from risk.disposals.ledger import LoanAccount, ScheduleRow
from risk.disposals.terms import RESTRUCTURINGS, Terms, to_minor

__all__ = ["Plan", "make_plan", "period_months"]

_disposal: Final[Table] = Disposal.__table__  # type: ignore[attr-defined]
#: The loan states each kind may be proposed (and approved) in.
_STATUS: Final[dict[DisposalKind, frozenset[str]]] = {
    **{kind: frozenset({LoanStatus.ACTIVE.value}) for kind in RESTRUCTURINGS},
    DisposalKind.WRITE_OFF: frozenset({LoanStatus.ACTIVE.value}),
    DisposalKind.RECOVERY: frozenset({LoanStatus.WRITTEN_OFF.value}),
    DisposalKind.COLLATERAL_DISPOSAL: frozenset({LoanStatus.ACTIVE.value,
                                                 LoanStatus.WRITTEN_OFF.value}),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """What approval will do: the amount (minor units; ``None`` for a restructuring) and
    the details, as JSON."""

    amount_minor: int | None
    details: dict[str, Any]


def period_months(schedule: Sequence[ScheduleRow]) -> int:
    """The months between the last two installments (1 when there is only one)."""
    if len(schedule) < 2:
        return 1
    before, last = schedule[-2].due_on, schedule[-1].due_on
    return max((last.year - before.year) * 12 + last.month - before.month, 1)


def make_plan(connection: Connection, graph: GraphStore | None, account: LoanAccount,
              terms: Terms) -> Plan:
    """What ``terms`` do to the loan of ``account`` (read as of their date).

    Raises:
        InvalidTerms: the loan's state does not allow the kind, or the terms do not fit the
            loan (nothing left to restructure, an amount above what is owed, a collateral
            the loan is not secured by).
    """
    allowed = _STATUS[terms.kind]
    if account.status not in allowed:
        raise InvalidTerms([("loan_id", f"loan {account.loan_id} is {account.status}: a "
                                        f"{terms.kind.value} needs a loan that is "
                                        f"{' or '.join(sorted(allowed))}")])
    if terms.effective_on < account.disbursed_on:
        raise InvalidTerms([("effective_on", f"{terms.effective_on.isoformat()} is before loan "
                                             f"{account.loan_id} was disbursed "
                                             f"({account.disbursed_on.isoformat()})")])
    if terms.kind in RESTRUCTURINGS:
        return _restructuring(account, terms)
    if terms.kind is DisposalKind.WRITE_OFF:
        return _write_off(account, terms)
    recovered = _recoveries(connection, account.loan_id)
    if terms.kind is DisposalKind.RECOVERY:
        return _recovery(account, terms, recovered)
    return _collateral(graph, account, terms, recovered)


def _restructuring(account: LoanAccount, terms: Terms) -> Plan:
    day = terms.effective_on
    kept = [r for r in account.schedule if r.due_on < day]
    left = [r for r in account.schedule if r.due_on >= day]
    if not left:
        raise InvalidTerms([("effective_on", f"no installment of loan {account.loan_id} falls "
                                             f"due on or after {day.isoformat()}: nothing to "
                                             "restructure")])
    base = sum(r.principal_minor for r in left)
    every = period_months(account.schedule)
    rate = period_rate(account.annual_rate, every)
    agreed: list[int] = []
    if terms.kind is DisposalKind.TERM_EXTENSION:
        periods = len(left) + (terms.extend_by or 0)
    elif terms.kind is DisposalKind.PAYMENT_HOLIDAY:
        periods = len(left) + (terms.holiday or 0)
        agreed = [0] * (terms.holiday or 0)
    else:
        periods = len(left) + (terms.extend_by or 0)
        reduced = terms.reduced or 0
        if reduced >= periods:
            raise InvalidTerms([("reduced", f"{reduced} reduced installment(s) leave none of "
                                            f"the {periods} to repay the balance: extend the "
                                            "term or reduce fewer")])
        assert terms.payment is not None
        payment = to_minor(terms.payment, account.currency, "payment")
        regular = annuity_payment(base, rate, periods)
        if payment >= regular:
            raise InvalidTerms([("payment", f"{terms.payment} {account.currency} is not below "
                                            f"the regular installment of this term "
                                            f"({_major(regular, account)})")])
        agreed = [payment] * reduced
    try:
        rows = amortize(base, rate, monthly(left[0].due_on, periods, every),
                        agreed_payments=agreed)
    except ValueError as exc:
        raise InvalidTerms([(_kind_field(terms), str(exc))]) from None
    first_seq = max((r.seq for r in kept), default=0) + 1
    schedule = [{"seq": first_seq + k, "due_on": r.due_on.isoformat(),
                 "principal_minor": r.principal_minor, "interest_minor": r.interest_minor}
                for k, r in enumerate(rows)]
    return Plan(None, {
        "account": account.figures(), "base_minor": base, "period_months": every,
        "period_rate": str(rate), "periods": periods,
        "maturity_before": account.maturity_on.isoformat(),
        "maturity_on": rows[-1].due_on.isoformat() if rows else day.isoformat(),
        "replaces": [r.as_json() for r in left], "schedule": schedule,
        "interest_minor": sum(r.interest_minor for r in rows),
        "interest_before_minor": sum(r.interest_minor for r in left)})


def _kind_field(terms: Terms) -> str:
    return {DisposalKind.TERM_EXTENSION: "extend_by", DisposalKind.PAYMENT_HOLIDAY: "holiday"
            }.get(terms.kind, "reduced")


def _major(minor: int, account: LoanAccount) -> str:
    return f"{minor_to_decimal(minor, account.currency)} {account.currency}"


def _write_off(account: LoanAccount, terms: Terms) -> Plan:
    claim = account.claim_minor
    if claim <= 0:
        raise InvalidTerms([("loan_id", f"loan {account.loan_id} owes nothing on "
                                        f"{terms.effective_on.isoformat()}: nothing to write "
                                        "off")])
    amount = claim if terms.amount is None else to_minor(terms.amount, account.currency,
                                                          "amount")
    if amount > claim:
        raise InvalidTerms([("amount", f"{terms.amount} {account.currency} is more than loan "
                                       f"{account.loan_id} owes ({_major(claim, account)})")])
    return Plan(amount, {"account": account.figures(), "claim_minor": claim,
                         "written_off_minor": amount})


@dataclass(frozen=True, slots=True)
class _Recovered:
    written_off_minor: int | None
    recovered_minor: int


def _recoveries(connection: Connection, loan_id: str) -> _Recovered:
    """What the approved disposals of ``loan_id`` wrote off and recovered so far."""
    rows = connection.execute(select(_disposal.c.kind, _disposal.c.amount_minor,
                                     _disposal.c.outcome)
                              .where(_disposal.c.loan_id == loan_id,
                                     _disposal.c.state == DisposalState.APPROVED.value)).all()
    written = [r.amount_minor or 0 for r in rows if r.kind == DisposalKind.WRITE_OFF.value]
    recovered = sum(int((r.outcome or {}).get("recovered_minor", 0)) for r in rows)
    return _Recovered(sum(written) if written else None, recovered)


def _recovery(account: LoanAccount, terms: Terms, recovered: _Recovered) -> Plan:
    assert terms.amount is not None
    amount = to_minor(terms.amount, account.currency, "amount")
    remaining = None if recovered.written_off_minor is None \
        else recovered.written_off_minor - recovered.recovered_minor
    if remaining is not None and amount > remaining:
        raise InvalidTerms([("amount", f"{terms.amount} {account.currency} is more than is "
                                       f"left to recover on loan {account.loan_id} "
                                       f"({_major(remaining, account)} of "
                                       f"{_major(recovered.written_off_minor or 0, account)} "
                                       "written off)")])
    return Plan(amount, {"written_off_minor": recovered.written_off_minor,
                         "recovered_before_minor": recovered.recovered_minor,
                         "recovered_minor": amount})


def _collateral(graph: GraphStore | None, account: LoanAccount, terms: Terms,
                recovered: _Recovered) -> Plan:
    if graph is None:
        raise DisposalError("a collateral disposal reads the graph: no graph store was given")
    collateral_id = (terms.collateral_id or "").strip()
    edges = graph.edges_of([account.loan_id], [RelType.SECURED_BY], "out")[0]
    held = {edge.target for edge in edges}
    node = graph.get_node(collateral_id) if collateral_id in held else None
    if node is None:
        known = ", ".join(sorted(held)) or "none"
        raise InvalidTerms([("collateral_id", f"loan {account.loan_id} is not secured by "
                                              f"{collateral_id!r} in the graph (its "
                                              f"collateral: {known})")])
    assert terms.proceeds is not None
    proceeds = to_minor(terms.proceeds, account.currency, "proceeds")
    costs = 0 if terms.costs is None else to_minor(terms.costs, account.currency, "costs")
    net = max(proceeds - costs, 0)
    if account.status == LoanStatus.WRITTEN_OFF.value:
        cap = None if recovered.written_off_minor is None \
            else recovered.written_off_minor - recovered.recovered_minor
        applied_as = "recovery"
    else:
        cap = account.claim_minor
        applied_as = "repayment"
    applied = net if cap is None else min(net, max(cap, 0))
    details: dict[str, Any] = {
        "collateral": {"id": collateral_id, "kind": node.props.get("kind"),
                       "value_minor": node.props.get("value_minor"),
                       "value_currency": node.props.get("value_currency")},
        "proceeds_minor": proceeds, "costs_minor": costs, "net_minor": net,
        "applied_minor": applied, "applied_as": applied_as, "surplus_minor": net - applied}
    if applied_as == "recovery":
        details["recovered_minor"] = applied
    else:
        details["account"] = account.figures()
    return Plan(applied, details)
