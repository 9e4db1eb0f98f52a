"""Re-key phone, address and device nodes to the keyed ids of :mod:`graph.identifier_ids`.

The first release named these nodes by their value (``phone:+8613800138000``), which put
personal data into every path, log line and cursor that carries an id. This upgrade gives
each such node the id its ``value`` has under the current key, moving its edges with it;
where the keyed node exists already (a newer import wrote it) the two become one. The same
run re-keys nodes written under another key, so it also completes a change of key.

A node without a ``value`` property is re-keyed from its first-release id when it has one
(``kind:`` + the normalised value); otherwise it is left alone and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from graph.identifier_ids import ID_HASH_BYTES, IDENTIFIER_KINDS, identifier_node_id
from graph.model import Node
from graph.store import GraphStore

__all__ = ["DEFAULT_RENAMES_PER_TRANSACTION", "IdentifierRekeyReport", "rekey_identifier_nodes"]

#: Nodes renamed per transaction: bounded memory on the server, few round trips.
DEFAULT_RENAMES_PER_TRANSACTION: Final = 1_000
_KEYED: Final = re.compile(rf"[0-9a-f]{{{ID_HASH_BYTES * 2}}}")


@dataclass(frozen=True, slots=True)
class IdentifierRekeyReport:
    """What :func:`rekey_identifier_nodes` found and did."""

    #: Phone, address and device nodes looked at.
    examined: int
    #: Nodes given their keyed id (merged into an existing keyed node or not).
    rekeyed: int
    #: Ids of nodes left alone: no ``value`` and an id that does not hold one either.
    unreadable: tuple[str, ...] = ()


def _value_of(node: Node, kind: str) -> str | None:
    value = node.props.get("value")
    if isinstance(value, str) and value:
        return value
    prefix = f"{kind}:"
    rest = node.id[len(prefix):] if node.id.startswith(prefix) else ""
    return rest if rest and not _KEYED.fullmatch(rest) else None


def rekey_identifier_nodes(
    graph: GraphStore, identifier_key: bytes, *,
    renames_per_transaction: int = DEFAULT_RENAMES_PER_TRANSACTION,
) -> IdentifierRekeyReport:
    """Give every phone, address and device node of ``graph`` its id under ``identifier_key``.

    Idempotent: a second run finds every id already keyed and renames nothing. Each
    transaction renames up to ``renames_per_transaction`` nodes, so an interrupted run
    leaves every node either under its old id or its new one, and running again finishes.

    Raises:
        ValueError: ``identifier_key`` is empty.
        GraphError, BackendUnavailable: from the store.
    """
    if not identifier_key:
        raise ValueError("the identifier key is empty")
    examined = rekeyed = 0
    unreadable: list[str] = []
    for kind, label in IDENTIFIER_KINDS.items():
        renames: dict[str, str] = {}
        values: list[Node] = []
        for node in graph.nodes_with_label(label):
            examined += 1
            value = _value_of(node, kind)
            if value is None:
                unreadable.append(node.id)
                continue
            keyed = identifier_node_id(kind, value, identifier_key)
            if keyed != node.id:
                renames[node.id] = keyed
                if node.props.get("value") != value:
                    values.append(Node(node.id, label, {"value": value}))
        if values:
            # Before the rename, so that an interrupted run can still read every value.
            graph.upsert_nodes(values)
        olds = list(renames)
        for start in range(0, len(olds), renames_per_transaction):
            chunk = olds[start:start + renames_per_transaction]
            rekeyed += graph.rename_nodes({old: renames[old] for old in chunk})
    return IdentifierRekeyReport(examined=examined, rekeyed=rekeyed,
                                 unreadable=tuple(unreadable))
