"""``node(id:)`` and ``nodes(ids:)``: any object by its global id (:mod:`schema.global_ids`).

All ids of one request are read together: graph ids through ``loaders.nodes`` (one store
call), records through ``loaders.records`` (one query per kind), transactions through
``loaders.edges``; so ``nodes(ids:)`` with a hundred ids costs what it costs with one.
An id that names nothing resolves to null, as Relay expects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

from graph.model import PARTY_LABELS, Label, RelType
from graph.model import Node as GraphNode
from portfolio.alerts import Alert as AlertRecord
from portfolio.bureau import BureauSnapshot as BureauRecord
from portfolio.contact_notes import ContactNote as ContactNoteRecord
from portfolio.imports import ImportBatch as ImportRecord
from portfolio.repayments import Repayment as RepaymentRecord
from portfolio.schedule import Installment as InstallmentRecord
from risk.collections.actions import ActionView
from risk.collections.cases import CaseView
from risk.collections.promises import PromiseView
from risk.disposals.views import DisposalView
from risk.reviews.record import Review as ReviewView
from schema.arguments import MAX_PAGE_SIZE
from schema.context import Context
from schema.errors import InvalidArgument
from schema.global_ids import GlobalId, RecordKind, parse_global_id
from schema.loaders import EdgeKey, RecordKey
from schema.types.alerts import alert_from_record
from schema.types.assets import Transaction, asset_from_node
from schema.types.collection_strategies import action_from_view, promise_from_view
from schema.types.collections import case_from_view
from schema.types.contact_note import contact_note
from schema.types.disposals import disposal_of
from schema.types.loan import Loan
from schema.types.node import Node
from schema.types.party import party_from_node
from schema.types.records import bureau_snapshot, import_batch, installment, repayment
from schema.types.reviews import review_from_view

__all__ = ["MAX_NODE_IDS", "resolve_node", "resolve_nodes"]

#: The most ids ``nodes(ids:)`` takes at once.
MAX_NODE_IDS: Final = MAX_PAGE_SIZE
_TRANSFERS: Final = frozenset({RelType.TRANSFERS})
_LOADER_KINDS: Final = {
    RecordKind.ALERT: "alert", RecordKind.INSTALLMENT: "installment",
    RecordKind.REPAYMENT: "repayment", RecordKind.BUREAU_SNAPSHOT: "bureau",
    RecordKind.IMPORT_BATCH: "import_batch", RecordKind.CONTACT_NOTE: "contact_note",
    RecordKind.REVIEW: "review", RecordKind.COLLECTION_CASE: "collection_case",
    RecordKind.DISPOSAL: "disposal", RecordKind.PROMISE: "promise",
    RecordKind.COLLECTION_ACTION: "collection_action",
}


def _graph_object(node: GraphNode | None) -> Node | None:
    if node is None:
        return None
    if node.label in PARTY_LABELS:
        return party_from_node(node)
    if node.label is Label.LOAN:
        return Loan(node=node)
    return asset_from_node(node)


def _record_key(gid: GlobalId) -> RecordKey:
    assert gid.kind is not None
    kind = _LOADER_KINDS[gid.kind]
    if gid.kind is RecordKind.INSTALLMENT:
        return RecordKey(kind, (gid.parts[0], int(gid.parts[1])))
    if gid.kind in (RecordKind.ALERT, RecordKind.IMPORT_BATCH, RecordKind.CONTACT_NOTE,
                    RecordKind.REVIEW, RecordKind.DISPOSAL, RecordKind.PROMISE,
                    RecordKind.COLLECTION_ACTION):
        return RecordKey(kind, int(gid.key))
    return RecordKey(kind, gid.key)


async def _bureau(context: Context, record: BureauRecord) -> Node:
    party = await context.loaders.nodes.load(record.party_id)
    return bureau_snapshot(record, of_person=party is not None
                           and party.label is Label.PERSON)


async def _record(context: Context, gid: GlobalId) -> Node | None:
    if gid.kind is RecordKind.TRANSACTION:
        source, target, month = gid.parts
        edges = await context.loaders.edges.load(EdgeKey(source, _TRANSFERS, "out"))
        found = next((e for e in edges if e.target == target and e.key == month), None)
        return None if found is None else Transaction(edge=found)
    record: Any = await context.loaders.records.load(_record_key(gid))
    if record is None:
        return None
    if isinstance(record, AlertRecord):
        return alert_from_record(record)
    if isinstance(record, InstallmentRecord):
        return installment(record)
    if isinstance(record, RepaymentRecord):
        return repayment(record)
    if isinstance(record, BureauRecord):
        return await _bureau(context, record)
    if isinstance(record, ImportRecord):
        return import_batch(record)
    if isinstance(record, ContactNoteRecord):
        return contact_note(record)
    if isinstance(record, ReviewView):
        return review_from_view(record)
    if isinstance(record, CaseView):
        return case_from_view(record)
    if isinstance(record, DisposalView):
        return disposal_of(record)
    if isinstance(record, PromiseView):
        return promise_from_view(record)
    if isinstance(record, ActionView):
        return action_from_view(record)
    raise TypeError(f"no GraphQL type for {type(record).__name__}")


async def _one(context: Context, gid: GlobalId) -> Node | None:
    if gid.kind is None:
        return _graph_object(await context.loaders.nodes.load(gid.key))
    return await _record(context, gid)


async def resolve_node(context: Context, node_id: str) -> Node | None:
    """The object whose global id is ``node_id``; ``None`` when there is none.

    Raises:
        InvalidArgument: ``node_id`` is blank or a malformed typed id.
    """
    return await _one(context, parse_global_id(node_id))


async def resolve_nodes(context: Context, ids: Sequence[str]) -> list[Node | None]:
    """The objects of ``ids``, in order; ``None`` where an id names nothing.

    Raises:
        InvalidArgument: more than :data:`MAX_NODE_IDS` ids, or one is malformed.
    """
    if len(ids) > MAX_NODE_IDS:
        raise InvalidArgument(f"ids: at most {MAX_NODE_IDS} ids at once, got {len(ids)}")
    parsed = [parse_global_id(node_id) for node_id in ids]
    return list(await asyncio.gather(*(_one(context, gid) for gid in parsed)))
