"""Disposals under maker-checker on SQLite and PostgreSQL: a proposal changes nothing, its
approval by another person applies it in one transaction (new schedule exact to the cent,
a modification, a write-off, a recovery), the proposer can never approve, a decision is
taken once, a stale proposal is refused, every transition is kept and audited."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from graph.model import Edge, Label, Node, RelType
from portfolio.disposals import DisposalEvent, DisposalKind
from portfolio.modifications import Modification
from portfolio.repayments import Repayment
from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.collections.cases import get_case, list_cases
from risk.collections.run import run_collections
from risk.disposals import (
    DisposalNotFound,
    DisposalRefused,
    InvalidTerms,
    Person,
    StaleProposal,
    Terms,
    approve,
    get_disposal,
    list_disposals,
    propose,
    reject,
)
from risk.disposals.ledger import read_account
from tests.portfolio.databases import empty_database
from tests.principals import ListAuditSink
from tests.risk.classification.books import pay
from tests.risk.disposals.loans import (
    ANALYST,
    COLLECTOR,
    LOAN,
    MANAGER,
    SECOND_MANAGER,
    T0,
    add_annuity_loan,
    installments,
    loan_row,
)
from tests.risk.rules.stores import Stores

JULY = date(2026, 7, 1)


def _pay_first(engine: Engine, count: int) -> None:
    """Pay the first ``count`` installments on their due dates."""
    pay(engine, LOAN, [(i.due_on, i.principal_due_minor + i.interest_due_minor)
                       for i in installments(engine)[:count]])


def _extension(extend_by: int = 3) -> Terms:
    return Terms(DisposalKind.TERM_EXTENSION, JULY, extend_by=extend_by)


def test_an_approved_term_extension_rewrites_the_rest_of_the_schedule(database: Engine) -> None:
    before = add_annuity_loan(database)
    _pay_first(database, 5)  # Feb..Jun paid; seven installments from 2026-07-15 left
    audit = ListAuditSink()

    proposed = propose(database, None, _extension(), loan_id=LOAN, reason="lost a customer",
                       proposer=COLLECTOR, audit=audit, now=lambda: T0)
    assert proposed.state == "proposed" and proposed.proposed_by == "cole"
    assert installments(database) == before  # a proposal changes nothing
    plan = proposed.plan
    left = before[5:]
    assert plan["base_minor"] == sum(i.principal_due_minor for i in left)
    assert len(plan["schedule"]) == 10 and plan["periods"] == 10
    assert [r["seq"] for r in plan["replaces"]] == [6, 7, 8, 9, 10, 11, 12]

    approved = approve(database, None, proposed.id, checker=MANAGER, reason="agreed",
                       audit=audit, now=lambda: T0)
    assert (approved.state, approved.decided_by) == ("approved", "mona")
    after = installments(database)
    assert after[:5] == before[:5]  # the history is kept
    new = after[5:]
    assert [i.seq for i in new] == list(range(6, 16))
    assert new[0].due_on == date(2026, 7, 15) and new[-1].due_on == date(2027, 4, 15)
    assert sum(i.principal_due_minor for i in new) == plan["base_minor"]
    assert sum(i.principal_due_minor for i in after) == 1_200_000  # to the cent
    totals = [i.principal_due_minor + i.interest_due_minor for i in new]
    assert len(set(totals[:-1])) == 1 and abs(totals[-1] - totals[0]) <= len(new)
    assert totals[0] < before[5].principal_due_minor + before[5].interest_due_minor
    loan = loan_row(database)
    assert (loan.maturity_on, loan.term_months) == (date(2027, 4, 15), 15)
    with database.connect() as connection:
        modification = connection.execute(select(Modification.__table__)).one()  # type: ignore[attr-defined]
        account = read_account(connection, LOAN, JULY)
    assert (modification.id, modification.kind, modification.effective_on,
            modification.financial_difficulty) == ("DSP000001", "term_extension", JULY, True)
    assert approved.outcome == {"modification_id": "DSP000001",
                                "modification_kind": "term_extension", "pause_until": None,
                                "installments_replaced": 7, "installments_written": 10,
                                "maturity_on": "2027-04-15", "term_months": 15}
    # The risk core reads the new schedule: nothing overdue, the same principal outstanding.
    book = load_book(database, JULY, loans=[LOAN], bureau=False)
    dq = delinquency(book)
    assert account is not None
    assert int(dq.outstanding[0]) == account.outstanding_principal_minor == plan["base_minor"]
    assert int(dq.days_past_due[0]) == 0 and int(dq.overdue[0]) == 0

    history = get_disposal(database, proposed.id).history
    assert [(h.event, h.from_state, h.to_state, h.actor, h.reason) for h in history] == [
        ("proposed", None, "proposed", "cole", "lost a customer"),
        ("approved", "proposed", "approved", "mona", "agreed")]
    assert [(e.operation, e.user, e.targets) for e in audit.events] == [
        ("disposals propose", "cole", (f"disposal:{proposed.id}", LOAN)),
        ("disposals approve", "mona", (f"disposal:{proposed.id}", LOAN))]
    assert audit.events[1].detail["state"] == "approved"


def test_the_proposer_can_never_approve_and_rights_are_checked(database: Engine) -> None:
    add_annuity_loan(database)
    audit = ListAuditSink()
    with pytest.raises(DisposalRefused, match="propose-disposal"):
        propose(database, None, _extension(), loan_id=LOAN, reason="x", proposer=ANALYST,
                audit=audit)
    proposed = propose(database, None, _extension(), loan_id=LOAN, reason="hardship",
                       proposer=MANAGER, audit=audit)
    before = installments(database)
    with pytest.raises(DisposalRefused, match=r"mona proposed disposal .*another person"):
        approve(database, None, proposed.id, checker=MANAGER, reason="self", audit=audit)
    with pytest.raises(DisposalRefused, match="mona proposed"):
        reject(database, proposed.id, checker=MANAGER, reason="self", audit=audit)
    with pytest.raises(DisposalRefused, match="approve-disposal"):
        approve(database, None, proposed.id, checker=COLLECTOR, reason="x", audit=audit)
    with pytest.raises(DisposalRefused, match="say why"):
        approve(database, None, proposed.id, checker=SECOND_MANAGER, reason="  ", audit=audit)
    assert get_disposal(database, proposed.id).state == "proposed"
    assert installments(database) == before
    assert len(audit.events) == 1  # only the proposal
    with pytest.raises(DisposalNotFound):
        approve(database, None, 999, checker=SECOND_MANAGER, reason="x", audit=audit)


def test_a_decision_is_taken_once(database: Engine) -> None:
    add_annuity_loan(database)
    audit = ListAuditSink()
    proposed = propose(database, None, _extension(), loan_id=LOAN, reason="hardship",
                       proposer=COLLECTOR, audit=audit, event_id="p-1")
    again = propose(database, None, _extension(), loan_id=LOAN, reason="hardship",
                    proposer=COLLECTOR, audit=audit, event_id="p-1")
    assert (again.id, again.replayed) == (proposed.id, True)
    first = approve(database, None, proposed.id, checker=MANAGER, reason="ok", audit=audit,
                    event_id="a-1")
    replay = approve(database, None, proposed.id, checker=MANAGER, reason="ok", audit=audit,
                     event_id="a-1")
    assert replay.replayed and replay.state == first.state == "approved"
    with pytest.raises(DisposalRefused, match="is approved by mona"):
        approve(database, None, proposed.id, checker=SECOND_MANAGER, reason="ok", audit=audit)
    with pytest.raises(DisposalRefused, match="is approved by mona"):
        reject(database, proposed.id, checker=SECOND_MANAGER, reason="no", audit=audit)
    assert len(installments(database)) == 15  # applied once: 5 kept + 10
    assert len(get_disposal(database, proposed.id).history) == 2
    assert len(audit.events) == 2


def test_a_rejection_changes_nothing_and_one_proposal_waits_per_loan(database: Engine) -> None:
    before = add_annuity_loan(database)
    audit = ListAuditSink()
    first = propose(database, None, _extension(), loan_id=LOAN, reason="hardship",
                    proposer=COLLECTOR, audit=audit)
    with pytest.raises(DisposalRefused, match=f"already has disposal {first.id} waiting"):
        propose(database, None, _extension(6), loan_id=LOAN, reason="more",
                proposer=COLLECTOR, audit=audit)
    rejected = reject(database, first.id, checker=MANAGER, reason="income too low",
                      audit=audit)
    assert (rejected.state, rejected.decision_reason, rejected.outcome) == (
        "rejected", "income too low", None)
    assert installments(database) == before
    second = propose(database, None, _extension(6), loan_id=LOAN, reason="more",
                     proposer=COLLECTOR, audit=audit)
    assert [d.id for d in list_disposals(database, states=["proposed"])] == [second.id]
    assert [d.id for d in list_disposals(database, loan_id=LOAN)] == [first.id, second.id]


def test_a_stale_proposal_is_refused(database: Engine) -> None:
    add_annuity_loan(database)
    _pay_first(database, 2)
    audit = ListAuditSink()
    proposed = propose(database, None, Terms(DisposalKind.WRITE_OFF, JULY), loan_id=LOAN,
                       reason="fraud", proposer=COLLECTOR, audit=audit)
    claim = proposed.plan["claim_minor"]
    assert proposed.amount_minor == claim > 0
    pay(database, LOAN, [(date(2026, 6, 20), 50_000)])  # money arrives meanwhile
    with pytest.raises(StaleProposal, match="changed: account, claim_minor"):
        approve(database, None, proposed.id, checker=MANAGER, reason="ok", audit=audit)
    assert get_disposal(database, proposed.id).state == "proposed"
    assert loan_row(database).status == "active"


def test_write_off_then_recoveries_up_to_the_amount_written_off(database: Engine) -> None:
    add_annuity_loan(database)
    _pay_first(database, 3)
    audit = ListAuditSink()
    with pytest.raises(InvalidTerms) as too_much:
        propose(database, None, Terms(DisposalKind.WRITE_OFF, JULY, amount=Decimal("99999")),
                loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)
    assert too_much.value.field == "amount"
    with pytest.raises(InvalidTerms, match="is active: a recovery needs a loan that is "
                                           "written_off"):
        propose(database, None, Terms(DisposalKind.RECOVERY, JULY, amount=Decimal(1)),
                loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)
    off = propose(database, None, Terms(DisposalKind.WRITE_OFF, JULY,
                                        amount=Decimal("5000.00")),
                  loan_id=LOAN, reason="borrower vanished", proposer=COLLECTOR, audit=audit)
    approve(database, None, off.id, checker=MANAGER, reason="agreed", audit=audit)
    assert loan_row(database).status == "written_off"
    later = date(2026, 9, 1)
    with pytest.raises(InvalidTerms, match="more than is left to recover"):
        propose(database, None, Terms(DisposalKind.RECOVERY, later, amount=Decimal("5000.01")),
                loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)
    first = propose(database, None, Terms(DisposalKind.RECOVERY, later,
                                          amount=Decimal("1200.50")),
                    loan_id=LOAN, reason="paid by a relative", proposer=COLLECTOR,
                    audit=audit)
    done = approve(database, None, first.id, checker=MANAGER, reason="received", audit=audit)
    assert done.outcome == {"recovered_minor": 120_050}
    second = propose(database, None, Terms(DisposalKind.RECOVERY, later,
                                           amount=Decimal("3799.50")),
                     loan_id=LOAN, reason="court", proposer=COLLECTOR, audit=audit)
    assert second.plan == {"written_off_minor": 500_000, "recovered_before_minor": 120_050,
                           "recovered_minor": 379_950}


def test_a_payment_holiday_capitalises_and_pauses(database: Engine) -> None:
    before = add_annuity_loan(database)
    _pay_first(database, 5)
    audit = ListAuditSink()
    holiday = propose(database, None, Terms(DisposalKind.PAYMENT_HOLIDAY, JULY, holiday=2),
                      loan_id=LOAN, reason="illness", proposer=COLLECTOR, audit=audit)
    approve(database, None, holiday.id, checker=MANAGER, reason="ok", audit=audit)
    new = installments(database)[5:]
    assert new[0].due_on == date(2026, 9, 15) and len(new) == 7  # none in Jul and Aug
    assert sum(i.principal_due_minor for i in new) == sum(
        i.principal_due_minor for i in before[5:])
    assert sum(i.interest_due_minor for i in new) > sum(i.interest_due_minor
                                                        for i in before[5:])
    with database.connect() as connection:
        mod = connection.execute(select(Modification.__table__)).one()  # type: ignore[attr-defined]
    assert (mod.kind, mod.pause_until) == ("payment_pause", date(2026, 9, 14))


def test_reduced_installments_must_be_reduced(database: Engine) -> None:
    add_annuity_loan(database)
    audit = ListAuditSink()
    with pytest.raises(InvalidTerms) as not_reduced:
        propose(database, None, Terms(DisposalKind.REDUCED_INSTALLMENTS, JULY, reduced=3,
                                      payment=Decimal("5000")),
                loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)
    assert not_reduced.value.field == "payment"
    with pytest.raises(InvalidTerms) as too_many:
        propose(database, None, Terms(DisposalKind.REDUCED_INSTALLMENTS, JULY, reduced=7,
                                      payment=Decimal("10")),
                loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)
    assert too_many.value.field == "reduced"
    done = propose(database, None, Terms(DisposalKind.REDUCED_INSTALLMENTS, JULY, reduced=3,
                                         payment=Decimal("300.00"), extend_by=2),
                   loan_id=LOAN, reason="part-time work", proposer=COLLECTOR, audit=audit)
    schedule = done.plan["schedule"]
    assert [r["principal_minor"] + r["interest_minor"] for r in schedule[:3]] == [30_000] * 3
    assert len(schedule) == 9
    assert sum(r["principal_minor"] for r in schedule) == done.plan["base_minor"]


@pytest.mark.parametrize(("terms", "loan", "field"), [
    (Terms(DisposalKind.TERM_EXTENSION, JULY, extend_by=2), "NOPE", "loan_id"),
    (Terms(DisposalKind.TERM_EXTENSION, JULY, extend_by=0), LOAN, "extend_by"),
    (Terms(DisposalKind.TERM_EXTENSION, JULY), LOAN, "extend_by"),
    (Terms(DisposalKind.WRITE_OFF, JULY, extend_by=2), LOAN, "extend_by"),
    (Terms(DisposalKind.WRITE_OFF, JULY, amount=Decimal("1.001")), LOAN, "amount"),
    (Terms(DisposalKind.RECOVERY, JULY, amount=Decimal(-1)), LOAN, "amount"),
    (Terms(DisposalKind.TERM_EXTENSION, date(2027, 2, 1), extend_by=2), LOAN, "effective_on"),
    (Terms(DisposalKind.TERM_EXTENSION, date(2025, 2, 1), extend_by=2), LOAN, "effective_on"),
    (Terms(DisposalKind.COLLATERAL_DISPOSAL, JULY, proceeds=Decimal(10)), LOAN,
     "collateral_id"),
])
def test_bad_terms_name_their_field_and_store_nothing(database: Engine, terms: Terms,
                                                      loan: str, field: str) -> None:
    add_annuity_loan(database)
    with pytest.raises(InvalidTerms) as caught:
        propose(database, None, terms, loan_id=loan, reason="x", proposer=COLLECTOR,
                audit=ListAuditSink())
    assert caught.value.field == field
    assert list_disposals(database) == []


def test_the_trail_of_transitions_is_append_only(database: Engine) -> None:
    add_annuity_loan(database)
    proposed = propose(database, None, _extension(), loan_id=LOAN, reason="x",
                       proposer=COLLECTOR, audit=ListAuditSink())
    table = DisposalEvent.__tablename__
    for statement in (f"UPDATE {table} SET reason = 'forged'", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), database.begin() as connection:
            connection.execute(text(statement))
    assert get_disposal(database, proposed.id).history[0].reason == "x"
    with database.connect() as connection:
        assert connection.execute(select(Repayment.__table__)).all() == []  # type: ignore[attr-defined]


def _secured(stores: Stores) -> None:
    stores.graph.upsert_batch(
        [Node(LOAN, Label.LOAN, {}), Node("COL-9", Label.COLLATERAL, {
            "kind": "vehicle", "value_minor": 800_000, "value_currency": "CNY"}),
         Node("COL-OTHER", Label.COLLATERAL, {"kind": "deposit"})],
        [Edge(RelType.SECURED_BY, LOAN, "COL-9")])


def test_a_collateral_sale_is_applied_to_the_loan(stores: Stores) -> None:
    add_annuity_loan(stores.engine)
    _pay_first(stores.engine, 5)
    _secured(stores)
    audit = ListAuditSink()
    with pytest.raises(InvalidTerms, match=r"not secured by 'COL-OTHER'.*COL-9") as caught:
        propose(stores.engine, stores.graph, Terms(
            DisposalKind.COLLATERAL_DISPOSAL, JULY, collateral_id="COL-OTHER",
            proceeds=Decimal(1)), loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)
    assert caught.value.field == "collateral_id"
    sale = propose(stores.engine, stores.graph, Terms(
        DisposalKind.COLLATERAL_DISPOSAL, JULY, collateral_id="COL-9",
        proceeds=Decimal("6000.00"), costs=Decimal("450.25")),
        loan_id=LOAN, reason="repossessed", proposer=COLLECTOR, audit=audit)
    assert sale.plan["collateral"] == {"id": "COL-9", "kind": "vehicle",
                                       "value_minor": 800_000, "value_currency": "CNY"}
    assert (sale.plan["net_minor"], sale.amount_minor, sale.plan["applied_as"]) == (
        554_975, 554_975, "repayment")
    done = approve(stores.engine, stores.graph, sale.id, checker=MANAGER, reason="sold",
                   audit=audit)
    assert done.outcome == {"applied_minor": 554_975, "applied_as": "repayment",
                            "repayment_id": "DSP000001"}
    with stores.engine.connect() as connection:
        repayment = connection.execute(select(Repayment.__table__).where(  # type: ignore[attr-defined]
            Repayment.__table__.c.id == "DSP000001")).one()  # type: ignore[attr-defined]
        account = read_account(connection, LOAN, JULY)
    assert (repayment.amount_minor, repayment.paid_on, repayment.channel) == (
        554_975, JULY, "collateral_sale")
    assert account is not None and account.paid_minor > 554_975
    node = stores.graph.get_node("COL-9")
    assert node is not None
    assert (node.props["disposed_on"], node.props["proceeds_minor"], node.props["kind"]) == (
        "2026-07-01", 600_000, "vehicle")
    # A collateral item is sold once.
    with pytest.raises(DisposalRefused, match="already has a disposal in progress"):
        propose(stores.engine, stores.graph, Terms(
            DisposalKind.COLLATERAL_DISPOSAL, JULY, collateral_id="COL-9",
            proceeds=Decimal(1)), loan_id=LOAN, reason="x", proposer=COLLECTOR, audit=audit)


@pytest.mark.postgres
def test_of_two_deciders_at_once_one_wins(postgres_engine: Engine) -> None:
    empty_database(postgres_engine)
    add_annuity_loan(postgres_engine)
    audit = ListAuditSink()
    proposed = propose(postgres_engine, None, _extension(), loan_id=LOAN, reason="x",
                       proposer=COLLECTOR, audit=audit)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(checker: Person) -> None:
        start.wait()
        try:
            approve(postgres_engine, None, proposed.id, checker=checker, reason="ok",
                    audit=audit)
            outcomes.append("approved")
        except DisposalRefused as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=decide, args=(who,))
               for who in (MANAGER, SECOND_MANAGER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[0] == "approved"
    assert "is approved by" in sorted(outcomes)[1]
    assert len(installments(postgres_engine)) == 15  # applied once
    assert len(get_disposal(postgres_engine, proposed.id).history) == 2


def test_a_write_off_closes_the_collection_case_on_the_next_run(database: Engine) -> None:
    add_annuity_loan(database)
    _pay_first(database, 2)  # April's installment and later unpaid: 77 days past due on 07-01
    audit = ListAuditSink()
    run_collections(database, JULY, audit=audit)
    (case,) = list_cases(database, loan_id=LOAN)
    assert case.state == "open" and case.dpd == 77
    off = propose(database, None, Terms(DisposalKind.WRITE_OFF, JULY), loan_id=LOAN,
                  reason="borrower vanished", proposer=COLLECTOR, audit=audit)
    approve(database, None, off.id, checker=MANAGER, reason="committee", audit=audit)
    run_collections(database, date(2026, 7, 2), audit=audit)
    assert get_case(database, case.id).state == "written_off"
