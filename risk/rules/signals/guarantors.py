"""``guarantor_overextended``: a guarantor has promised more than it could pay.

For each guarantor, the sum of the ``amount_minor`` of its ``GUARANTEES`` edges to loans live
on the as-of date (disbursed on or before it, maturing after it; a guarantee signed after it
does not count), against its capacity: a company's ``registered_capital_minor``, a person's
``monthly_income_minor`` × the rule's ``income_multiple``. The guarantor is alerted when the
guaranteed total exceeds ``max_share`` × capacity.

Currencies: Loanwatch holds no exchange rates, so only guarantees in the capacity's currency
are compared with it. Guarantees in other currencies are not converted: the alert lists them
under ``not_compared``, and a guarantor with no guarantee in its capacity's currency is not
judged (counted in the run's notes, as are guarantors without a known capacity).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from graph.model import Label, RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import GuarantorOverextended

__all__ = ["capacity_of", "evaluate_guarantor_overextended", "live_on"]


def live_on(loan: dict[str, Any], as_of: str) -> bool:
    """Whether a loan node's dates make it live on ``as_of`` (ISO text)."""
    disbursed = loan.get("disbursed_on")
    maturity = loan.get("maturity_on")
    if disbursed is None or str(disbursed) > as_of:
        return False
    return maturity is None or str(maturity) > as_of


def capacity_of(party: dict[str, Any], income_multiple: float) -> tuple[str, Decimal] | None:
    """A party's capacity as (currency, minor units), or ``None`` when unknown."""
    if party.get("label") == Label.COMPANY.value:
        amount, code = party.get("registered_capital_minor"), \
            party.get("registered_capital_currency")
        multiple = Decimal(1)
    else:
        amount, code = party.get("monthly_income_minor"), party.get("monthly_income_currency")
        multiple = Decimal(str(income_multiple))
    if amount is None or code is None or int(amount) <= 0:
        return None
    return str(code), Decimal(int(amount)) * multiple


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
        capacity = capacity_of(graph.nodes[guarantor], rule.income_multiple)
        if capacity is None:
            unknown += 1
            continue
        code, amount = capacity
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
            "capacity_basis": "registered_capital" if graph.nodes[guarantor]["label"]
            == Label.COMPANY.value else f"monthly_income x {rule.income_multiple:g}",
            "share": str(share.quantize(Decimal("0.0001"))), "max_share": rule.max_share,
            "loans": len(held),
            "not_compared": {c: v for c, v in sorted(totals.items()) if c != code}}
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, guarantor, [signal], evidence))
    if unknown:
        ctx.note(rule, f"{unknown} guarantors not judged: no registered capital or monthly "
                       "income")
    if other_currency:
        ctx.note(rule, f"{other_currency} guarantors not judged: no guarantee in the currency "
                       "of their capacity (no exchange rates)")
    return drafts
