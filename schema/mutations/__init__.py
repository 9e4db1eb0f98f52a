"""The root ``Mutation``: writes of what arrives after disbursement, contact notes, and the
alert lifecycle. Every mutation takes one ``input`` with an ``eventId`` (idempotency),
declares the right it needs, and answers a union of its result and typed errors."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.alerts import AlertMutations
from schema.mutations.cases import CaseMutations
from schema.mutations.collection_work import CollectionWorkMutations
from schema.mutations.disposals import DisposalMutations
from schema.mutations.jobs import JobMutations
from schema.mutations.notes import NoteMutations
from schema.mutations.notifications import NotificationMutations
from schema.mutations.promises import PromiseMutations
from schema.mutations.records import RecordMutations
from schema.mutations.reviews import ReviewMutations

__all__ = ["Mutation"]

Mutation = merge_types("Mutation", (RecordMutations, NoteMutations, AlertMutations,
                                   ReviewMutations, CaseMutations, JobMutations,
                                   PromiseMutations, DisposalMutations,
                                   CollectionWorkMutations, NotificationMutations))
Mutation.__strawberry_definition__.description = (
    "What arrives after disbursement, and the moves of the alert lifecycle: each write is "
    "checked by the importer's rules, stored once per event id, and answers a union of its "
    "result and typed errors.")
