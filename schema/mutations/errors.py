"""The errors a mutation answers as data: typed, coded, pointing at the field at fault.

A mutation's result is a union of what it did and these types, so a client switches on
``__typename`` (or reads ``code``) instead of parsing a message, and a rule broken by the
caller's input is never a GraphQL error (those remain for requests the server cannot run:
a malformed document, a missing right, an outage). Every type implements ``UserError``.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from ingest.recording import RecordRejected
from portfolio.write_receipts import IdempotencyConflict, InvalidEventId
from risk.errors import AlertNotFound, InvalidTransition, RiskError

__all__ = [
    "EventIdConflict",
    "InvalidInput",
    "NotFound",
    "TransitionNotAllowed",
    "UserError",
    "UserErrorCode",
    "input_error",
]


@strawberry.enum(description="What kind of rule a write broke.")
class UserErrorCode(Enum):
    INVALID_VALUE = strawberry.enum_value(
        "INVALID_VALUE", description="A value, or a combination of values, breaks a rule of "
        "docs/import-format.md (the rules an imported row obeys).")
    INVALID_REFERENCE = strawberry.enum_value(
        "INVALID_REFERENCE", description="An id names nothing stored, or something of another "
        "kind.")
    IDEMPOTENCY_CONFLICT = strawberry.enum_value(
        "IDEMPOTENCY_CONFLICT", description="The event id was already used with another "
        "payload.")
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="The object to change does not "
                                      "exist.")
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION", description="The object's state does not allow this move (an "
        "alert's status, a collection case's or a task's state, a disposal's).")
    FOUR_EYES = strawberry.enum_value(
        "FOUR_EYES", description="The caller proposed what it asks to decide: another person "
        "must decide it (maker-checker).")
    ALREADY_DECIDED = strawberry.enum_value(
        "ALREADY_DECIDED", description="It was decided (a review), or retried or discarded "
        "(a dead letter), already.")


@strawberry.interface(description="Why a write was refused. Nothing of it was stored.")
class UserError:
    code: UserErrorCode = strawberry.field(description="What is wrong, as a stable code.")
    message: str = strawberry.field(description="What is wrong, in words.")
    field: list[str] | None = strawberry.field(
        description="The path of the input field at fault (`[\"input\", \"amount\"]`); null "
        "when the input as a whole is.")


@strawberry.type(description="A value of the input breaks a rule, or names nothing stored.")
class InvalidInput(UserError):
    pass


@strawberry.type(description="The event id was already recorded with a different payload.")
class EventIdConflict(UserError):
    event_id: str = strawberry.field(description="The event id already recorded with other values.")


@strawberry.type(description="The object the write names does not exist.")
class NotFound(UserError):
    pass


@strawberry.type(description="The alert cannot make this move from its status.")
class TransitionNotAllowed(UserError):
    status: str = strawberry.field(description="The alert's status now.")


def _path(names: dict[str, str], field: str | None) -> list[str] | None:
    if field is None:
        return None
    return ["input", names.get(field, field)]


def input_error(exc: Exception, names: dict[str, str]
                ) -> InvalidInput | EventIdConflict | NotFound | TransitionNotAllowed:
    """The typed error of a refused write.

    Args:
        names: the GraphQL input field of each service field name (``loan_id`` ->
            ``loanId``), so that the path points at what the client sent.

    Raises:
        Exception: ``exc`` itself when it is not a refusal of the input (an outage).
    """
    if isinstance(exc, RecordRejected):
        return InvalidInput(code=UserErrorCode[exc.code], message=exc.reason,
                            field=_path(names, exc.field))
    if isinstance(exc, IdempotencyConflict):
        return EventIdConflict(code=UserErrorCode.IDEMPOTENCY_CONFLICT, message=str(exc),
                               field=["input", "eventId"], event_id=exc.event_id)
    if isinstance(exc, InvalidEventId):
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc),
                            field=["input", "eventId"])
    if isinstance(exc, AlertNotFound):
        return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc),
                        field=["input", "alertId"])
    if isinstance(exc, InvalidTransition):
        return TransitionNotAllowed(code=UserErrorCode.INVALID_TRANSITION, message=str(exc),
                                    field=None, status=exc.status)
    if isinstance(exc, RiskError):
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc), field=None)
    raise exc
