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

from collections import defaultdict
from decimal import Decimal
from typing import Any

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.contagion.capacity import CapacityBasis, party_capacity
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import GuarantorOverextended

__all__ = ["evaluate_guarantor_overextended", "live_on"]


def live_on(loan: dict[str, Any], as_of: str) -> bool:
    """Whether a loan node's dates make it live on ``as_of`` (ISO text)."""
    disbursed = loan.get("disbursed_on")
    maturity = loan.get("maturity_on")
    if disbursed is None or str(disbursed) > as_of:
        return False
    return maturity is None or str(maturity) > as_of


def _basis_text(basis: CapacityBasis, income_multiple: float) -> str:
    if basis is CapacityBasis.INCOME:
        return f"monthly_income x {income_multiple:g}"
    return "loss_buffer" if basis is CapacityBasis.OVERRIDE else basis.value


def evaluate_guarantor_overextended(rule: GuarantorOverextended,
                                    ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per overextended guarantor; path guarantor → GUARANTEES → loans."""
    graph = ctx.projection([RelType.GUARANTEES])
    as_of = ctx.as_of.isoformat()
    guarantees: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for guarantor, loan_id, data in graph.edges(data=True):
        signed = data.get("signed_on")
        if signed is not None and str(signed) > as_of:
            continue
        if not live_on(graph.nodes[loan_id], as_of) or "amount_minor" not in data:
            continue
        code = str(data.get("amount_currency") or graph.nodes[loan_id].get("currency", ""))
        guarantees[guarantor].append((loan_id, code, int(data["amount_minor"])))
    unknown = other_currency = 0
    drafts = []
    for guarantor, held in sorted(guarantees.items()):
        capacity = party_capacity(graph.nodes[guarantor], income_months=rule.income_multiple)
        if capacity is None:
            unknown += 1
            continue
        code, amount = capacity.currency, capacity.minor
        totals: dict[str, int] = defaultdict(int)
        for _, currency, minor in held:
            totals[currency] += minor
        if code not in totals:
            other_currency += 1
            continue
        share = Decimal(totals[code]) / amount
        if share <= Decimal(str(rule.max_share)):
            continue
        evidence = Evidence().node(guarantor, graph.nodes[guarantor]["label"])
        for loan_id, currency, minor in sorted(held):
            evidence.node(loan_id, "Loan").edge(RelType.GUARANTEES.value, guarantor, loan_id,
                                                amount_minor=minor, currency=currency)
        signal = {
            "signal": rule.signal, "currency": code, "guaranteed_minor": totals[code],
            "capacity_minor": str(amount.quantize(Decimal(1))),
            "capacity_basis": _basis_text(capacity.basis, rule.income_multiple),
            "share": str(share.quantize(Decimal("0.0001"))), "max_share": rule.max_share,
            "loans": len(held),
            "not_compared": {c: v for c, v in sorted(totals.items()) if c != code}}
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, guarantor, [signal], evidence))
    if unknown:
        ctx.note(rule, f"{unknown} guarantors not judged: no loss buffer, registered "
                       "capital or monthly income")
    if other_currency:
        ctx.note(rule, f"{other_currency} guarantors not judged: no guarantee in the currency "
                       "of their capacity (no exchange rates)")
    return drafts
