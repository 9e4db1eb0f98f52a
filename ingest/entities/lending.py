"""Loans and what hangs off them: ``loans``, ``installments``, ``repayments``,
``guarantees`` and ``collateral``."""

from __future__ import annotations

from graph.model import Edge, Label, Node, RelType
from ingest.converters import (
    amount,
    choice,
    currency,
    date_text,
    external_id,
    fraction,
    integer,
    probability,
    rate_text,
    text,
)
from ingest.errors import RowRejected
from ingest.specs import (
    PARTY,
    BatchOutput,
    EntitySpec,
    FieldSpec,
    MoneyFields,
    Reference,
    RefTarget,
    Values,
)
from portfolio.loans import PRODUCT_LENGTH, LoanStatus, RepaymentMethod
from portfolio.money import CURRENCY_EXPONENTS, minor_to_float
from portfolio.repayments import CHANNEL_LENGTH

__all__ = ["COLLATERAL", "GUARANTEES", "INSTALLMENTS", "LOANS", "REPAYMENTS", "money_props",
           "pick"]

#: Longest term accepted, in months (100 years).
MAX_TERM_MONTHS = 1_200
#: Highest installment number accepted (a weekly schedule over 100 years fits).
MAX_INSTALLMENT_SEQ = 10_000


def pick(values: Values, names: tuple[str, ...]) -> dict[str, object]:
    """The values of ``names`` that are present, as edge or node properties."""
    return {name: values[name] for name in names if name in values}


def money_props(values: Values, amounts: tuple[str, ...]) -> dict[str, object]:
    """Graph properties of the settled amounts of ``values``: for each present amount
    ``x``, ``x_minor`` (the exact integer of minor units) and ``x_currency``, which the API
    reads, and ``x``, the nearest float, for analytics.

    Each amount carries its own currency, so that re-importing a row that gives only some
    of its element's amounts, in another currency, cannot change what the others mean.
    """
    props: dict[str, object] = {}
    for name in amounts:
        minor = values.get(name)
        if minor is not None:
            code = values["currency"]
            props[name] = minor_to_float(minor, CURRENCY_EXPONENTS[code])
            props[f"{name}_minor"] = minor
            props[f"{name}_currency"] = code
    return props


# -- loans -----------------------------------------------------------------------------------

def _check_loan(values: Values) -> None:
    # ISO dates order correctly as text.
    if values["maturity_on"] <= values["disbursed_on"]:
        raise RowRejected("maturity_on", f"must be after disbursed_on "
                          f"({values['disbursed_on']})")


_LOAN_AMOUNTS = ("principal",)
#: Optional loan properties kept on the node as they are.
_LOAN_PROPS = ("origination_pd",)


def _build_loan(values: Values, out: BatchOutput) -> None:
    loan_id = values["id"]
    status = values.get("status", LoanStatus.ACTIVE.value)
    disbursed = values["disbursed_on"]
    maturity = values["maturity_on"]
    principal = values["principal"]  # minor units, settled by the resolver
    currency = values["currency"]
    # Neo4j has no decimal type: the node keeps the exact minor units beside a float for
    # analytics; the record keeps the minor units.
    out.nodes.append(Node(loan_id, Label.LOAN, {
        "product": values["product"],
        **money_props(values, _LOAN_AMOUNTS),
        "currency": currency,
        "annual_rate": float(values["annual_rate"]),
        "term_months": values["term_months"],
        "disbursed_on": disbursed,
        "maturity_on": maturity,
        "repayment_method": values["repayment_method"],
        "status": status,
        **pick(values, _LOAN_PROPS),
    }))
    out.edges.append(Edge(RelType.BORROWS, values["borrower_id"], loan_id))
    out.add_record("loan", {
        "id": loan_id,
        "borrower_id": values["borrower_id"],
        "product": values["product"],
        "principal_minor": principal,
        "currency": currency,
        "annual_rate": values["annual_rate"],
        "term_months": values["term_months"],
        "disbursed_on": disbursed,
        "maturity_on": maturity,
        "repayment_method": values["repayment_method"],
        "status": status,
        # None keeps a PD stored earlier (the upsert does not overwrite it with NULL).
        "origination_pd": values.get("origination_pd"),
    })


LOANS = EntitySpec(
    name="loans",
    order=3,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("borrower_id", external_id, required=True),
        FieldSpec("product", text(PRODUCT_LENGTH), required=True),
        FieldSpec("principal", amount, required=True),
        FieldSpec("currency", currency, required=True),
        FieldSpec("annual_rate", rate_text, required=True),
        FieldSpec("term_months", integer(1, MAX_TERM_MONTHS), required=True),
        FieldSpec("disbursed_on", date_text, required=True),
        FieldSpec("maturity_on", date_text, required=True),
        FieldSpec("repayment_method", choice([m.value for m in RepaymentMethod]), required=True),
        FieldSpec("status", choice([s.value for s in LoanStatus])),
        FieldSpec("origination_pd", probability),
    ),
    key=("id",),
    build=_build_loan,
    references=(Reference("borrower_id", "party", PARTY),),
    node_label=Label.LOAN,
    check=_check_loan,
    tables=("loan",),
    money=MoneyFields(("principal",)),
)


# -- installments and repayments (relational records) -------------------------------------

def _build_installment(values: Values, out: BatchOutput) -> None:
    out.add_record("installment", {
        "loan_id": values["loan_id"],
        "seq": values["seq"],
        "due_on": values["due_on"],
        "principal_due_minor": values["principal_due"],
        "interest_due_minor": values["interest_due"],
        "currency": values["currency"],
    })


INSTALLMENTS = EntitySpec(
    name="installments",
    order=4,
    fields=(
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("seq", integer(1, MAX_INSTALLMENT_SEQ), required=True),
        FieldSpec("due_on", date_text, required=True),
        FieldSpec("principal_due", amount, required=True),
        FieldSpec("interest_due", amount, required=True),
    ),
    key=("loan_id", "seq"),
    build=_build_installment,
    references=(Reference("loan_id", "loan", target=RefTarget.LOAN_RECORD),),
    tables=("installment",),
    money=MoneyFields(("principal_due", "interest_due"), currency_field=None,
                      loan_field="loan_id"),
)


def _build_repayment(values: Values, out: BatchOutput) -> None:
    # Every column given, so that one executemany statement fits all rows.
    out.add_record("repayment", {
        "id": values["id"],
        "loan_id": values["loan_id"],
        "paid_on": values["paid_on"],
        "amount_minor": values["amount"],
        "currency": values["currency"],
        "channel": values.get("channel"),
    })


REPAYMENTS = EntitySpec(
    name="repayments",
    order=5,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("paid_on", date_text, required=True),
        FieldSpec("amount", amount, required=True),
        FieldSpec("channel", text(CHANNEL_LENGTH)),
    ),
    key=("id",),
    build=_build_repayment,
    references=(Reference("loan_id", "loan", target=RefTarget.LOAN_RECORD),),
    tables=("repayment",),
    money=MoneyFields(("amount",), currency_field=None, loan_field="loan_id"),
)


# -- guarantees and collateral (graph) -------------------------------------------------------

_GUARANTEE_PROPS = ("share", "kind", "signed_on")
_GUARANTEE_AMOUNTS = ("amount",)


def _build_guarantee(values: Values, out: BatchOutput) -> None:
    props = money_props(values, _GUARANTEE_AMOUNTS)
    props.update(pick(values, _GUARANTEE_PROPS))
    out.edges.append(Edge(RelType.GUARANTEES, values["guarantor_id"], values["loan_id"],
                          props=props))


GUARANTEES = EntitySpec(
    name="guarantees",
    order=8,
    fields=(
        FieldSpec("guarantor_id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("amount", amount, required=True),
        FieldSpec("share", fraction()),
        FieldSpec("kind", choice(("single", "mutual", "joint"))),
        FieldSpec("signed_on", date_text),
        FieldSpec("currency", currency),
    ),
    key=("guarantor_id", "loan_id"),
    build=_build_guarantee,
    references=(
        Reference("guarantor_id", "party", PARTY),
        Reference("loan_id", "loan"),
    ),
    money=MoneyFields(("amount",), loan_field="loan_id"),
)

_COLLATERAL_PROPS = ("kind", "valued_on")
_COLLATERAL_AMOUNTS = ("value",)


def _build_collateral(values: Values, out: BatchOutput) -> None:
    props = pick(values, _COLLATERAL_PROPS)
    props.update(money_props(values, _COLLATERAL_AMOUNTS))
    out.nodes.append(Node(values["id"], Label.COLLATERAL, props))
    out.edges.append(Edge(RelType.SECURED_BY, values["loan_id"], values["id"]))


COLLATERAL = EntitySpec(
    name="collateral",
    order=12,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("kind", text(64), required=True),
        FieldSpec("value", amount, required=True),
        FieldSpec("valued_on", date_text),
        FieldSpec("currency", currency),
    ),
    key=("id",),
    build=_build_collateral,
    references=(Reference("loan_id", "loan"),),
    node_label=Label.COLLATERAL,
    money=MoneyFields(("value",), loan_field="loan_id"),
)
