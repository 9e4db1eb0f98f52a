"""The records kept in SQL beside the graph: a loan's schedule and repayments, a party's
credit-bureau snapshots, and the import batches that brought the data in.

Each is a :class:`schema.types.node.Node` whose id is ``Type:key``
(:mod:`schema.global_ids`). Amounts are exact (:class:`schema.types.money.Money`), read from
the integer minor units stored with their currency.

A person's bureau report is personal data (as revealing of their finances as their income,
which the registry withholds): its figures are declared ``personal()`` and are null unless
the caller may see personal data. A company's report is not personal.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from portfolio.bureau import BureauSnapshot as BureauRecord
from portfolio.imports import ImportBatch as ImportRecord
from portfolio.money import ISO_4217_CODES, minor_to_decimal
from portfolio.repayments import Repayment as RepaymentRecord
from portfolio.schedule import Installment as InstallmentRecord
from schema import relations
from schema.context import Info
from schema.global_ids import RecordKind, record_global_id
from schema.permissions import personal
from schema.types.money import Money
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.loan import Loan
    from schema.types.party import Party

__all__ = [
    "BureauSnapshot",
    "ImportBatch",
    "Installment",
    "Repayment",
    "bureau_snapshot",
    "import_batch",
    "installment",
    "repayment",
]

_LOAN = "schema.types.loan"
_PARTY = "schema.types.party"


def _money(minor: int | None, currency: str | None) -> Money | None:
    if minor is None or currency is None or currency not in ISO_4217_CODES:
        return None
    return Money(amount=minor_to_decimal(minor, currency), currency=currency)


@strawberry.type(description="One installment of a loan's repayment schedule: what is due "
                 "on a date.")
class Installment(Node):
    record: strawberry.Private[InstallmentRecord]

    @strawberry.field(description="`Installment:<loan id>/<seq>`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.INSTALLMENT, self.record.loan_id,
                                              self.record.seq))

    @strawberry.field(description="The loan's id.")
    def loan_id(self) -> strawberry.ID:
        return strawberry.ID(self.record.loan_id)

    @strawberry.field(description="The loan this installment belongs to.")
    async def loan(self, info: Info) -> Annotated[Loan, strawberry.lazy(_LOAN)]:
        from schema.types.loan import Loan

        return Loan(node=await relations.loan_or_raise(info.context, self.record.loan_id))

    @strawberry.field(description="Its place in the schedule: 1, 2, ...")
    def seq(self) -> int:
        return self.record.seq

    @strawberry.field(description="The date it falls due.")
    def due_on(self) -> datetime.date:
        return self.record.due_on

    @strawberry.field(description="Principal due, exact.")
    def principal_due(self) -> Money | None:
        return _money(self.record.principal_due_minor, self.record.currency)

    @strawberry.field(description="Interest due, exact.")
    def interest_due(self) -> Money | None:
        return _money(self.record.interest_due_minor, self.record.currency)

    @strawberry.field(description="Principal and interest due, exact.")
    def total_due(self) -> Money | None:
        return _money(self.record.principal_due_minor + self.record.interest_due_minor,
                      self.record.currency)


@strawberry.type(description="A payment received towards a loan.")
class Repayment(Node):
    record: strawberry.Private[RepaymentRecord]

    @strawberry.field(description="`Repayment:<source id>`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.REPAYMENT, self.record.id))

    @strawberry.field(description="The source system's id of the repayment.")
    def source_id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field(description="The loan's id.")
    def loan_id(self) -> strawberry.ID:
        return strawberry.ID(self.record.loan_id)

    @strawberry.field(description="The loan it was paid towards.")
    async def loan(self, info: Info) -> Annotated[Loan, strawberry.lazy(_LOAN)]:
        from schema.types.loan import Loan

        return Loan(node=await relations.loan_or_raise(info.context, self.record.loan_id))

    @strawberry.field(description="The date it was paid.")
    def paid_on(self) -> datetime.date:
        return self.record.paid_on

    @strawberry.field(description="The amount paid, exact.")
    def amount(self) -> Money | None:
        return _money(self.record.amount_minor, self.record.currency)

    @strawberry.field(description="How it was paid (bank transfer, cash, ...), when known.")
    def channel(self) -> str | None:
        return self.record.channel


@strawberry.type(description="A credit-bureau report on a party as of a date. For a person "
                 "the figures are personal data: null unless the caller may see it.")
class BureauSnapshot(Node):
    record: strawberry.Private[BureauRecord]
    #: Whether the report is on a person (its figures are then personal data).
    of_person: strawberry.Private[bool]

    def _shown(self, info: Info) -> bool:
        return not self.of_person or info.context.personal_data_visible

    @strawberry.field(description="`BureauSnapshot:<source id>`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.BUREAU_SNAPSHOT, self.record.id))

    @strawberry.field(description="The source system's id of the report.")
    def source_id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field(description="The party's id.")
    def party_id(self) -> strawberry.ID:
        return strawberry.ID(self.record.party_id)

    @strawberry.field(description="The party the report is on.")
    async def party(self, info: Info) -> Annotated[Party, strawberry.lazy(_PARTY)]:
        from schema.types.party import party_from_node

        return party_from_node(await relations.party_or_raise(info.context,
                                                              self.record.party_id))

    @strawberry.field(description="The date of the report.")
    def as_of(self) -> datetime.date:
        return self.record.as_of

    @strawberry.field(description="Bureau score, 300..900 (higher is safer).",
                      metadata=personal())
    def score(self, info: Info) -> int | None:
        return self.record.score if self._shown(info) else None

    @strawberry.field(description="Loans open at all lenders.", metadata=personal())
    def open_loans(self, info: Info) -> int | None:
        return self.record.open_loans if self._shown(info) else None

    @strawberry.field(description="Debt at all lenders, exact.", metadata=personal())
    def total_debt(self, info: Info) -> Money | None:
        shown = self._shown(info)
        return _money(self.record.total_debt_minor, self.record.currency) if shown else None

    @strawberry.field(description="The part of the debt at all lenders more than 90 days "
                      "overdue, exact.", metadata=personal())
    def overdue_90(self, info: Info) -> Money | None:
        shown = self._shown(info)
        return _money(self.record.overdue_90_minor, self.record.currency) if shown else None

    @strawberry.field(description="Accounts overdue at all lenders.", metadata=personal())
    def overdue_accounts(self, info: Info) -> int | None:
        return self.record.overdue_accounts if self._shown(info) else None

    @strawberry.field(description="Credit inquiries in the last 6 months.",
                      metadata=personal())
    def inquiries_6m(self, info: Info) -> int | None:
        return self.record.inquiries_6m if self._shown(info) else None


@strawberry.type(description="One run of `loanwatch import`: what it read, kept and "
                 "rejected.")
class ImportBatch(Node):
    record: strawberry.Private[ImportRecord]

    @strawberry.field(description="`ImportBatch:<number>`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.IMPORT_BATCH, self.record.id))

    @strawberry.field(description="The batch number `loanwatch import` printed.")
    def number(self) -> int:
        return int(self.record.id or 0)

    @strawberry.field(description="running, succeeded, failed or interrupted.")
    def status(self) -> str:
        return self.record.status

    @strawberry.field(description="When it started.")
    def started_at(self) -> datetime.datetime:
        return self.record.started_at

    @strawberry.field(description="When it finished; null while running.")
    def finished_at(self) -> datetime.datetime | None:
        return self.record.finished_at

    @strawberry.field(description="The files read, in order.")
    def files(self) -> list[str]:
        return list(self.record.files or [])

    @strawberry.field(description="Rows imported per entity type, e.g. "
                      "`{\"persons\": 120, \"loans\": 80}`.")
    def counts(self) -> JSON:
        return dict(self.record.counts or {})

    @strawberry.field(description="Rows read from the files.")
    def rows_read(self) -> int:
        return self.record.rows_read

    @strawberry.field(description="Rows imported.")
    def rows_imported(self) -> int:
        return self.record.rows_imported

    @strawberry.field(description="Rows rejected (see `loanwatch import show`).")
    def rows_rejected(self) -> int:
        return self.record.rows_rejected

    @strawberry.field(description="Why a failed batch stopped.")
    def error(self) -> str | None:
        return self.record.error

    @strawberry.field(description="Warnings about the input that are not rejected rows.")
    def warnings(self) -> list[str]:
        return list(self.record.warnings or [])


def installment(record: InstallmentRecord) -> Installment:
    return Installment(record=record)


def repayment(record: RepaymentRecord) -> Repayment:
    return Repayment(record=record)


def bureau_snapshot(record: BureauRecord, *, of_person: bool) -> BureauSnapshot:
    return BureauSnapshot(record=record, of_person=of_person)


def import_batch(record: ImportRecord) -> ImportBatch:
    return ImportBatch(record=record)
