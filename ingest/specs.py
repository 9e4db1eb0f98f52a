"""How an entity type is declared: its fields, its identity, its references, its mapping.

Each of the sixteen types in ``docs/import-format.md`` is one :class:`EntitySpec` (see
``ingest/entities/``). The importer needs nothing else to read, check and write a file of
that type. Declarations are checked when they are made, so a wrong spec fails at import
time of the module, not on the first row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from operator import itemgetter
from typing import Any

from graph.model import PARTY_LABELS, Edge, Label, Node
from ingest.converters import Converter

__all__ = [
    "PARTY",
    "BatchOutput",
    "DerivedNode",
    "EntitySpec",
    "FieldSpec",
    "MoneyFields",
    "RefTarget",
    "Reference",
    "Values",
]

#: A row after conversion: field name to value, only the fields that were present.
Values = dict[str, Any]
#: A node a row creates under an id derived from its values: (field, node id, label).
DerivedNode = tuple[str, str, Label]

PARTY = PARTY_LABELS


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One column: its name, its converter, and whether a value is required."""

    name: str
    convert: Converter
    required: bool = False


class RefTarget(Enum):
    #: The id must be a graph node with one of the allowed labels.
    NODE = "node"
    #: The id must be a loan record in SQL (schedules and repayments hang off it).
    LOAN_RECORD = "loan record"


@dataclass(frozen=True, slots=True)
class Reference:
    """A field that names something that must already exist (earlier in the import, or
    stored before it)."""

    field: str
    #: What the message calls it: "party", "loan", "company", ...
    noun: str
    labels: frozenset[Label] = frozenset({Label.LOAN})
    target: RefTarget = RefTarget.NODE
    #: The field holds a list of ids.
    many: bool = False


@dataclass(frozen=True, slots=True)
class MoneyFields:
    """The amounts of a row and where their currency comes from.

    A row's currency is its own ``currency_field`` when the row gives one, else the
    currency of the loan named by ``loan_field``, else the import's default currency. Each
    amount is then checked against that currency and becomes an integer of its minor units
    (see :func:`ingest.converters.minor_units`), and ``values["currency"]`` is set.
    """

    amounts: tuple[str, ...]
    currency_field: str | None = "currency"
    loan_field: str | None = None


@dataclass(slots=True)
class BatchOutput:
    """What the good rows of one batch become: graph elements and SQL rows per table."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add_record(self, table: str, row: dict[str, Any]) -> None:
        rows = self.records.get(table)
        if rows is None:
            self.records[table] = [row]
        else:
            rows.append(row)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.edges) + sum(len(r) for r in self.records.values())


@dataclass(frozen=True)
class EntitySpec:
    """An importable entity type.

    Args:
        name: the type's name, also the stem of its files (``persons``).
        order: its place in the documented import order (1 = first).
        fields: its columns in documented order.
        key: the fields whose values identify a row; a second row with the same values in
            one file is rejected as a duplicate.
        build: appends what a good row becomes to a :class:`BatchOutput`.
        references: fields naming things that must exist.
        node_label: the label of the node a row creates under its ``id``; that id must
            not already belong to another label (a person id that is already a company is
            rejected).
        derived_node: for rows whose node id is computed (identifiers), the node and the
            field it comes from; checked like ``node_label``.
        check: cross-field rules; may normalise values in place; raises ``RowRejected``.
        tables: the SQL tables it writes (one that writes ``loan`` creates the loan records
            that schedules and repayments name).
        money: its amounts and their currency, settled once references are resolved.
    """

    name: str
    order: int
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    build: Callable[[Values, BatchOutput], None]
    references: tuple[Reference, ...] = ()
    node_label: Label | None = None
    derived_node: Callable[[Values], DerivedNode] | None = None
    check: Callable[[Values], None] | None = None
    tables: tuple[str, ...] = ()
    money: MoneyFields | None = None
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)
    required: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: The identity of a row within its file (a C-level getter: it runs on every row).
    key_of: Callable[[Values], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {spec.name: spec for spec in self.fields}
        if len(by_name) != len(self.fields):
            raise ValueError(f"entity {self.name!r}: a field is declared twice")
        for name in (*self.key, *(ref.field for ref in self.references)):
            if name not in by_name:
                raise ValueError(f"entity {self.name!r}: {name!r} is not one of its fields")
        for name in (*self.key, *(ref.field for ref in self.references)):
            if not by_name[name].required:
                raise ValueError(f"entity {self.name!r}: key and reference field {name!r} "
                                 "must be required")
        if self.money is not None:
            money = self.money
            for name in (*money.amounts, money.currency_field, money.loan_field):
                if name is not None and name not in by_name:
                    raise ValueError(f"entity {self.name!r}: money field {name!r} is not one "
                                     "of its fields")
            if money.loan_field is not None and not by_name[money.loan_field].required:
                raise ValueError(f"entity {self.name!r}: {money.loan_field!r} names the "
                                 "loan of its amounts and must be required")
        if self.node_label is not None and "id" not in by_name:
            raise ValueError(f"entity {self.name!r}: a node_label needs an 'id' field")
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(self, "key_of", itemgetter(*self.key))
        object.__setattr__(self, "required",
                           tuple(spec.name for spec in self.fields if spec.required))

    @property
    def column_names(self) -> list[str]:
        return [spec.name for spec in self.fields]
