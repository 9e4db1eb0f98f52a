"""Loans and what hangs off them: ``loans``, ``installments``, ``repayments``,
``guarantees`` and ``collateral``."""

from __future__ import annotations

from graph.model import Edge, Label, Node, RelType
from ingest.converters import (
    amount_float,
    amount_text,
    choice,
    currency,
    date_text,
    external_id,
    fraction,
    integer,
    rate_text,
    text,
)
from ingest.errors import RowRejected
from ingest.specs import (
    PARTY,
    BatchOutput,
    EntitySpec,
    FieldSpec,
    Reference,
    RefTarget,
    Values,
)
from portfolio.loans import PRODUCT_LENGTH, LoanStatus, RepaymentMethod
from portfolio.repayments import CHANNEL_LENGTH

__all__ = ["COLLATERAL", "GUARANTEES", "INSTALLMENTS", "LOANS", "REPAYMENTS", "pick"]

#: Longest term accepted, in months (100 years).
MAX_TERM_MONTHS = 1_200
#: Highest installment number accepted (a weekly schedule over 100 years fits).
MAX_INSTALLMENT_SEQ = 10_000


def pick(values: Values, names: tuple[str, ...]) -> dict[str, object]:
    """The values of ``names`` that are present, as edge or node properties."""
    return {name: values[name] for name in names if name in values}


# -- loans -----------------------------------------------------------------------------------

def _check_loan(values: Values) -> None:
    # ISO dates order correctly as text.
    if values["maturity_on"] <= values["disbursed_on"]:
        raise RowRejected("maturity_on", f"must be after disbursed_on "
                          f"({values['disbursed_on']})")


def _build_loan(values: Values, out: BatchOutput) -> None:
    loan_id = values["id"]
    status = values.get("status", LoanStatus.ACTIVE.value)
    disbursed = values["disbursed_on"]
    maturity = values["maturity_on"]
    # Graph properties are floats (Neo4j has no decimal type); the record keeps the exact
    # decimal text.
    out.nodes.append(Node(loan_id, Label.LOAN, {
        "product": values["product"],
        "principal": float(values["principal"]),
        "currency": values["currency"],
        "annual_rate": float(values["annual_rate"]),
        "term_months": values["term_months"],
        "disbursed_on": disbursed,
        "maturity_on": maturity,
        "repayment_method": values["repayment_method"],
        "status": status,
    }))
    out.edges.append(Edge(RelType.BORROWS, values["borrower_id"], loan_id))
    out.add_record("loan", {
        "id": loan_id,
        "borrower_id": values["borrower_id"],
        "product": values["product"],
        "principal": values["principal"],
        "currency": values["currency"],
        "annual_rate": values["annual_rate"],
        "term_months": values["term_months"],
        "disbursed_on": disbursed,
        "maturity_on": maturity,
        "repayment_method": values["repayment_method"],
        "status": status,
    })


LOANS = EntitySpec(
    name="loans",
    order=3,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("borrower_id", external_id, required=True),
        FieldSpec("product", text(PRODUCT_LENGTH), required=True),
        FieldSpec("principal", amount_text, required=True),
        FieldSpec("currency", currency, required=True),
        FieldSpec("annual_rate", rate_text, required=True),
        FieldSpec("term_months", integer(1, MAX_TERM_MONTHS), required=True),
        FieldSpec("disbursed_on", date_text, required=True),
        FieldSpec("maturity_on", date_text, required=True),
        FieldSpec("repayment_method", choice([m.value for m in RepaymentMethod]), required=True),
        FieldSpec("status", choice([s.value for s in LoanStatus])),
    ),
    key=("id",),
    build=_build_loan,
    references=(Reference("borrower_id", "party", PARTY),),
    node_label=Label.LOAN,
    check=_check_loan,
    tables=("loan",),
)


# -- installments and repayments (relational records) -------------------------------------

def _build_installment(values: Values, out: BatchOutput) -> None:
    out.add_record("installment", values)


INSTALLMENTS = EntitySpec(
    name="installments",
    order=4,
    fields=(
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("seq", integer(1, MAX_INSTALLMENT_SEQ), required=True),
        FieldSpec("due_on", date_text, required=True),
        FieldSpec("principal_due", amount_text, required=True),
        FieldSpec("interest_due", amount_text, required=True),
    ),
    key=("loan_id", "seq"),
    build=_build_installment,
    references=(Reference("loan_id", "loan", target=RefTarget.LOAN_RECORD),),
    tables=("installment",),
)


def _build_repayment(values: Values, out: BatchOutput) -> None:
    if "channel" not in values:
        values["channel"] = None
    out.add_record("repayment", values)


REPAYMENTS = EntitySpec(
    name="repayments",
    order=5,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("paid_on", date_text, required=True),
        FieldSpec("amount", amount_text, required=True),
        FieldSpec("channel", text(CHANNEL_LENGTH)),
    ),
    key=("id",),
    build=_build_repayment,
    references=(Reference("loan_id", "loan", target=RefTarget.LOAN_RECORD),),
    tables=("repayment",),
)


# -- guarantees and collateral (graph) -------------------------------------------------------

_GUARANTEE_PROPS = ("amount", "share", "kind", "signed_on")


def _build_guarantee(values: Values, out: BatchOutput) -> None:
    out.edges.append(Edge(RelType.GUARANTEES, values["guarantor_id"], values["loan_id"],
                          props=pick(values, _GUARANTEE_PROPS)))


GUARANTEES = EntitySpec(
    name="guarantees",
    order=8,
    fields=(
        FieldSpec("guarantor_id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("amount", amount_float, required=True),
        FieldSpec("share", fraction()),
        FieldSpec("kind", choice(("single", "mutual", "joint"))),
        FieldSpec("signed_on", date_text),
    ),
    key=("guarantor_id", "loan_id"),
    build=_build_guarantee,
    references=(
        Reference("guarantor_id", "party", PARTY),
        Reference("loan_id", "loan"),
    ),
)

_COLLATERAL_PROPS = ("kind", "value", "valued_on")


def _build_collateral(values: Values, out: BatchOutput) -> None:
    out.nodes.append(Node(values["id"], Label.COLLATERAL, pick(values, _COLLATERAL_PROPS)))
    out.edges.append(Edge(RelType.SECURED_BY, values["loan_id"], values["id"]))


COLLATERAL = EntitySpec(
    name="collateral",
    order=12,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("kind", text(64), required=True),
        FieldSpec("value", amount_float, required=True),
        FieldSpec("valued_on", date_text),
    ),
    key=("id",),
    build=_build_collateral,
    references=(Reference("loan_id", "loan"),),
    node_label=Label.COLLATERAL,
)
