"""Loan ``modifications``: restructurings, term extensions and agreed payment pauses,
stored as SQL records beside the loan they change (see :mod:`portfolio.modifications`)."""

from __future__ import annotations

from typing import Any, Final

from ingest.converters import choice, date_text, external_id, text
from ingest.errors import InvalidValue, RowRejected
from ingest.specs import BatchOutput, EntitySpec, FieldSpec, Reference, RefTarget, Values
from portfolio.modifications import REASON_LENGTH, ModificationKind

__all__ = ["MODIFICATIONS", "boolean"]

_TRUE: Final = frozenset({"true", "1", "yes"})
_FALSE: Final = frozenset({"false", "0", "no"})


def boolean(value: Any) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``, any case; JSON booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise InvalidValue(f"must be true or false; got {value!r}")


def _check_modification(values: Values) -> None:
    pause_until = values.get("pause_until")
    if values["kind"] == ModificationKind.PAYMENT_PAUSE.value:
        if pause_until is None:
            raise RowRejected("pause_until", "is required for a payment_pause (its last day)")
        # ISO dates order correctly as text.
        if pause_until < values["effective_on"]:
            raise RowRejected("pause_until", f"must not be before effective_on "
                              f"({values['effective_on']})")
    elif pause_until is not None:
        raise RowRejected("pause_until", f"applies to a payment_pause only, not to a "
                          f"{values['kind']}")


def _build_modification(values: Values, out: BatchOutput) -> None:
    # Every column given, so that one executemany statement fits all rows.
    out.add_record("loan_modification", {
        "id": values["id"], "loan_id": values["loan_id"], "kind": values["kind"],
        "effective_on": values["effective_on"], "pause_until": values.get("pause_until"),
        "reason": values.get("reason"),
        "financial_difficulty": values.get("financial_difficulty", False),
    })


MODIFICATIONS = EntitySpec(
    name="modifications",
    order=16,
    fields=(
        FieldSpec("id", external_id, required=True),
        FieldSpec("loan_id", external_id, required=True),
        FieldSpec("kind", choice([k.value for k in ModificationKind]), required=True),
        FieldSpec("effective_on", date_text, required=True),
        FieldSpec("pause_until", date_text),
        FieldSpec("reason", text(REASON_LENGTH)),
        FieldSpec("financial_difficulty", boolean),
    ),
    key=("id",),
    build=_build_modification,
    references=(Reference("loan_id", "loan", target=RefTarget.LOAN_RECORD),),
    check=_check_modification,
    tables=("loan_modification",),
)
