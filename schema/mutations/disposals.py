"""Disposal under maker-checker: propose (PROPOSE_DISPOSAL), approve and reject
(APPROVE_DISPOSAL). The caller is the signed-in user of the access token, never a name
sent in the input, so the proposer of a disposal can never approve it; an integration
(no user behind its token) can do neither. Each runs once per event id; the service
records every transition and hands it to the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Final

import strawberry

from auth.principal import Right
from portfolio import disposals as records
from portfolio.write_receipts import IdempotencyConflict, InvalidEventId
from risk.disposals import (
    DisposalNotFound,
    DisposalRefused,
    DisposalView,
    InvalidTerms,
    Person,
    StaleProposal,
    Terms,
    approve,
    propose,
    reject,
)
from risk.disposals.errors import DisposalError
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.caller import REPLAYED
from schema.mutations.errors import (
    EventIdConflict,
    InvalidInput,
    NotFound,
    UserError,
    UserErrorCode,
    input_error,
)
from schema.permissions import needs
from schema.types.disposals import Disposal, DisposalKind, disposal_of

__all__ = ["DisposalMutations"]

_EVENT_ID: Final = "The id of this command in the sending system: sent again, it answers " \
                   "the first result and changes nothing."
#: The input field of each service field an error names.
_NAMES: Final = {"loan_id": "loanId", "effective_on": "effectiveOn", "extend_by": "extendBy",
                 "holiday": "holiday", "reduced": "reduced", "payment": "payment",
                 "amount": "amount", "collateral_id": "collateralId", "proceeds": "proceeds",
                 "costs": "costs"}


class _NullSink:
    def record(self, event: object) -> None:
        """Audit events of a context without a trail go nowhere."""


@strawberry.input(description="Propose a disposal of a loan; a second person decides it.")
class ProposeDisposalInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    loan_id: strawberry.ID = strawberry.field(description="The loan.")
    kind: DisposalKind = strawberry.field(  # type: ignore[valid-type]
        description="What is proposed.")
    effective_on: date = strawberry.field(description="When it takes effect.")
    reason: str = strawberry.field(description="Why (kept, audited).")
    extend_by: int | None = strawberry.field(
        default=None, description="More installments (TERM_EXTENSION; REDUCED_INSTALLMENTS "
        "may lengthen the term too).")
    holiday: int | None = strawberry.field(
        default=None, description="Installments not paid, their interest capitalised "
        "(PAYMENT_HOLIDAY).")
    reduced: int | None = strawberry.field(
        default=None, description="Installments of `payment` each (REDUCED_INSTALLMENTS).")
    payment: Decimal | None = strawberry.field(
        default=None, description="The reduced installment, in the loan's currency.")
    amount: Decimal | None = strawberry.field(
        default=None, description="Written off (WRITE_OFF; default everything owed on the "
        "date) or recovered (RECOVERY), in the loan's currency.")
    collateral_id: strawberry.ID | None = strawberry.field(
        default=None, description="The collateral sold (COLLATERAL_DISPOSAL): one the loan "
        "is SECURED_BY in the graph.")
    proceeds: Decimal | None = strawberry.field(
        default=None, description="What the sale fetched (COLLATERAL_DISPOSAL).")
    costs: Decimal | None = strawberry.field(
        default=None, description="What the sale cost (COLLATERAL_DISPOSAL).")
    financial_difficulty: bool = strawberry.field(
        default=True, description="A restructuring's concession is to a debtor in financial "
        "difficulty (a restructured asset).")


@strawberry.input(description="Approve or reject a disposal someone else proposed.")
class DecideDisposalInput:
    event_id: str = strawberry.field(description=_EVENT_ID)
    disposal_number: int = strawberry.field(description="The disposal's number.")
    reason: str = strawberry.field(description="Why (kept, audited).")


@strawberry.type(description="The disposal as the command left it (or had, under this "
                 "event id).")
class DisposalChanged:
    disposal: Disposal = strawberry.field(description="The disposal, with its transitions.")
    replayed: bool = strawberry.field(description=REPLAYED)


@strawberry.type(description="The caller may not do this to the disposal: the proposer "
                 "deciding their own proposal, a disposal already decided, a loan with a "
                 "proposal waiting, no reason, no signed-in user.")
class DisposalNotAllowed(UserError):
    pass


@strawberry.type(description="The loan changed since the proposal (a repayment, another "
                 "restructuring): nothing was applied; reject it and propose again.")
class StaleDisposal(UserError):
    pass


DisposalResult = Annotated[
    DisposalChanged | InvalidInput | EventIdConflict | NotFound | DisposalNotAllowed
    | StaleDisposal,
    strawberry.union("DisposalResult", description="The disposal as the command left it, or "
                     "why nothing changed.")]


def _person(info: Info) -> Person | None:
    principal = info.context.principal
    if principal is None or principal.user is None:
        return None
    return Person(principal.user, principal.role)


def _refusal(exc: Exception) -> DisposalResult:
    if isinstance(exc, InvalidTerms):
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc),
                            field=None if exc.field is None
                            else ["input", _NAMES.get(exc.field, exc.field)])
    if isinstance(exc, DisposalNotFound):
        return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc),
                        field=["input", "disposalNumber"])
    if isinstance(exc, DisposalRefused):
        return DisposalNotAllowed(code=UserErrorCode.INVALID_TRANSITION, message=str(exc),
                                  field=None)
    if isinstance(exc, StaleProposal):
        return StaleDisposal(code=UserErrorCode.INVALID_VALUE, message=str(exc), field=None)
    if isinstance(exc, DisposalError):
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc), field=None)
    return input_error(exc, _NAMES)


async def _run(info: Info, call: str,
               work: Callable[[Person], DisposalView]) -> DisposalResult:
    """Run the service call ``work`` (a function of the person), turning refusals into
    typed errors."""
    if info.context.records is None:
        raise SchemaError("this server has no SQL database to record disposals in")
    person = _person(info)
    if person is None:
        return DisposalNotAllowed(code=UserErrorCode.INVALID_TRANSITION, field=None,
                                  message=f"{call} needs a signed-in user: an integration "
                                          "cannot propose or decide disposals")
    try:
        view = await asyncio.to_thread(work, person)
    except (DisposalError, IdempotencyConflict, InvalidEventId) as exc:
        return _refusal(exc)
    return DisposalChanged(disposal=disposal_of(view), replayed=view.replayed)


def _where(info: Info) -> dict[str, object]:
    principal = info.context.principal
    return {"audit": info.context.audit or _NullSink(),
            "client_id": "anonymous" if principal is None else principal.client_id,
            "source": info.context.source}


@strawberry.type
class DisposalMutations:
    @strawberry.mutation(description="Propose a restructuring, a write-off, a recovery or a "
                         "collateral disposal; nothing of the loan changes until another "
                         "person approves it.", metadata=needs(Right.PROPOSE_DISPOSAL))
    async def propose_disposal(
        self, info: Info,
        input_: Annotated[ProposeDisposalInput, strawberry.argument(name="input")],
    ) -> DisposalResult:
        terms = Terms(kind=records.DisposalKind(input_.kind.value),
                      effective_on=input_.effective_on,
                      extend_by=input_.extend_by, holiday=input_.holiday,
                      reduced=input_.reduced, payment=input_.payment, amount=input_.amount,
                      collateral_id=None if input_.collateral_id is None
                      else str(input_.collateral_id), proceeds=input_.proceeds,
                      costs=input_.costs, financial_difficulty=input_.financial_difficulty)
        return await _run(info, "proposeDisposal", lambda person: propose(
            info.context.records, info.context.graph, terms, loan_id=str(input_.loan_id),
            reason=input_.reason, proposer=person, event_id=input_.event_id, **_where(info)))

    @strawberry.mutation(description="Approve a disposal someone else proposed, and apply it "
                         "(the new schedule, the write-off, ...) in one transaction.",
                         metadata=needs(Right.APPROVE_DISPOSAL))
    async def approve_disposal(
        self, info: Info,
        input_: Annotated[DecideDisposalInput, strawberry.argument(name="input")],
    ) -> DisposalResult:
        return await _run(info, "approveDisposal", lambda person: approve(
            info.context.records, info.context.graph, input_.disposal_number, checker=person,
            reason=input_.reason, event_id=input_.event_id, **_where(info)))

    @strawberry.mutation(description="Reject a disposal someone else proposed: nothing of the "
                         "loan changes.", metadata=needs(Right.APPROVE_DISPOSAL))
    async def reject_disposal(
        self, info: Info,
        input_: Annotated[DecideDisposalInput, strawberry.argument(name="input")],
    ) -> DisposalResult:
        return await _run(info, "rejectDisposal", lambda person: reject(
            info.context.records, input_.disposal_number, checker=person, reason=input_.reason,
            event_id=input_.event_id, **_where(info)))
