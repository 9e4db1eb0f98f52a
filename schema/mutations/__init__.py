"""The root ``Mutation``: writes of what arrives after disbursement, contact notes, and the
alert lifecycle. Every mutation takes one ``input`` with an ``eventId`` (idempotency),
declares the right it needs, and answers a union of its result and typed errors."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.alerts import AlertMutations
from schema.mutations.disposals import DisposalMutations
from schema.mutations.notes import NoteMutations
from schema.mutations.records import RecordMutations

__all__ = ["Mutation"]

Mutation = merge_types("Mutation", (RecordMutations, NoteMutations, AlertMutations,
                                    DisposalMutations))
Mutation.__strawberry_definition__.description = (
    "What arrives after disbursement, and the moves of the alert lifecycle: each write is "
    "checked by the importer's rules, stored once per event id, and answers a union of its "
    "result and typed errors.")
