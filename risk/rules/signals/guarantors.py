"""``guarantor_overextended``: a guarantor has promised more than it could pay.

For each guarantor, the sum of the ``amount_minor`` of its ``GUARANTEES`` edges to loans live
on the as-of date (disbursed on or before it, maturing after it; a guarantee signed after it
does not count), against its capacity as the stress test defines it
(:func:`risk.contagion.capacity.party_capacity`): its imported ``loss_buffer`` when it has
one, else a company's ``registered_capital``, else a person's ``monthly_income`` × the rule's
``income_multiple``. The guarantor is alerted when the guaranteed total exceeds
``max_share`` × capacity.

Currencies: Loanwatch holds no exchange rates, so only guarantees in the capacity's currency
are compared with it. Guarantees in other currencies are not converted: the alert lists them
under ``not_compared``, and a guarantor with no guarantee in its capacity's currency is not
judged (counted in the run's notes, as are guarantors without a known capacity).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import numpy as np

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.contagion.capacity import (
    CAPACITY_PROPERTIES,
    Capacity,
    CapacityBasis,
    party_capacity,
)
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.inputs import integers, texts
from risk.rules.schema import GuarantorOverextended

__all__ = ["evaluate_guarantor_overextended"]

_EDGE_PROPS = ("amount_minor", "amount_currency", "signed_on")
_LOAN_PROPS = ("disbursed_on", "maturity_on", "currency")
#: Slack of the float pre-filter; the exact test is in Decimal on the few that pass it.
_FLOAT_SLACK: Final = 1e-9


def _basis_text(basis: CapacityBasis, income_multiple: float) -> str:
    if basis is CapacityBasis.INCOME:
        return f"monthly_income x {income_multiple:g}"
    return "loss_buffer" if basis is CapacityBasis.OVERRIDE else basis.value


def _capacities(edges: Any, first: np.ndarray, income_multiple: float
                ) -> list[Capacity | None]:
    """Each guarantor's capacity, from the node properties its first edge carries: one
    call of the shared definition per guarantor (never per edge)."""
    columns = [(name, edges.props[name][first]) for name in CAPACITY_PROPERTIES]
    return [party_capacity({name: column[i] for name, column in columns},
                           income_months=income_multiple) for i in range(len(first))]


def evaluate_guarantor_overextended(rule: GuarantorOverextended,
                                    ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per overextended guarantor; path guarantor → GUARANTEES → loans.

    One streamed read of the guarantees with their loans' dates and their guarantors'
    capacity, filtered and summed per guarantor in numpy; the exact comparison, in
    ``Decimal``, runs only for the guarantors a float pre-filter cannot clear.
    """
    edges = ctx.inputs.edges(RelType.GUARANTEES, props=_EDGE_PROPS,
                             source_props=CAPACITY_PROPERTIES, target_props=_LOAN_PROPS)
    if not len(edges):
        return []
    as_of = ctx.as_of.isoformat()
    minor, has_amount = integers(edges.props["amount_minor"])
    signed = texts(edges.props["signed_on"])
    disbursed = texts(edges.props["disbursed_on"])
    maturity = texts(edges.props["maturity_on"])
    code = texts(edges.props["amount_currency"])
    code = np.where(code == "", texts(edges.props["currency"]), code)
    keep = (has_amount & ((signed == "") | (signed <= as_of))
            & (disbursed != "") & (disbursed <= as_of) & ((maturity == "") | (maturity > as_of)))
    rows = np.flatnonzero(keep)
    if not len(rows):
        return []
    guarantors, inverse = np.unique(edges.source[rows], return_inverse=True)
    first = np.zeros(len(guarantors), dtype=np.int64)
    first[inverse[::-1]] = rows[::-1]  # any edge of a guarantor carries its node's props
    capacities = _capacities(edges, first, rule.income_multiple)
    known = np.array([c is not None for c in capacities], dtype=bool)
    cap_code = np.array([c.currency if c is not None else "" for c in capacities],
                        dtype=object)
    cap_float = np.array([float(c.minor) if c is not None else 0.0 for c in capacities])
    in_code = code[rows] == cap_code[inverse]
    counted = np.bincount(inverse, weights=in_code, minlength=len(guarantors)) > 0
    total = np.bincount(inverse, weights=np.where(in_code, minor[rows], 0).astype(float),
                        minlength=len(guarantors))
    judged = known & counted
    limit = rule.max_share * cap_float
    candidates = np.flatnonzero(judged & (total > limit * (1 - _FLOAT_SLACK)))
    unknown = int(np.count_nonzero(~known))
    other_currency = int(np.count_nonzero(known & ~counted))

    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(guarantors) + 1))
    max_share = Decimal(str(rule.max_share))
    alerted: list[tuple[str, dict[str, Any], list[tuple[str, str, int]]]] = []
    for g in candidates.tolist():
        held = sorted((str(edges.target[i]), str(code[i]), int(minor[i]))
                      for i in rows[order[bounds[g]:bounds[g + 1]]].tolist())
        totals: dict[str, int] = {}
        for _, currency, amount in held:
            totals[currency] = totals.get(currency, 0) + amount
        found = capacities[g]
        assert found is not None  # judged guarantors have a capacity
        capacity, currency = found.minor, found.currency
        share = Decimal(totals[currency]) / capacity
        if share <= max_share:
            continue
        alerted.append((str(guarantors[g]), {
            "signal": rule.signal, "currency": currency, "guaranteed_minor": totals[currency],
            "capacity_minor": str(capacity.quantize(Decimal(1))),
            "capacity_basis": _basis_text(found.basis, rule.income_multiple),
            "share": str(share.quantize(Decimal("0.0001"))), "max_share": rule.max_share,
            "loans": len(held),
            "not_compared": {c: v for c, v in sorted(totals.items()) if c != currency}}, held))
    labels = ctx.labels([guarantor for guarantor, _, _ in alerted])
    drafts = []
    for guarantor, signal, held in alerted:
        evidence = Evidence().node(guarantor, labels[guarantor])
        for loan_id, currency, amount in held:
            evidence.node(loan_id, "Loan").edge(RelType.GUARANTEES.value, guarantor, loan_id,
                                                amount_minor=amount, currency=currency)
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, guarantor, [signal], evidence))
    if unknown:
        ctx.note(rule, f"{unknown} guarantors not judged: no loss buffer, registered "
                       "capital or monthly income")
    if other_currency:
        ctx.note(rule, f"{other_currency} guarantors not judged: no guarantee in the currency "
                       "of their capacity (no exchange rates)")
    return drafts
