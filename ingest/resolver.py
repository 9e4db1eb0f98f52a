"""Knowing which ids exist, so that references are checked before anything is written.

An id exists when a row earlier in this import created it, or when it is already stored:
graph nodes are looked up with :meth:`GraphStore.labels_of`, loan records (and their
currencies) in SQL. Lookups are made once per batch for all the ids the batch names, and
their answers are kept in a bounded cache, so a borrower named by a thousand loans is looked
up once.

Amounts are settled here too, because an installment's, a repayment's and (by default) a
guarantee's or collateral's currency is its loan's: once a row's references resolve, each
of its amounts is checked against its currency and becomes an integer of minor units.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Final

from graph.model import Label
from graph.store import GraphStore
from ingest.converters import minor_units
from ingest.errors import InvalidValue, RowRejected
from ingest.specs import EntitySpec, MoneyFields, RefTarget, Values
from portfolio.money import DEFAULT_CURRENCY, ISO_4217_CODES

__all__ = ["DEFAULT_CACHE_IDS", "LOAN_TABLE", "ReferenceResolver"]

#: Ids whose label is remembered between batches (about 150 bytes each).
DEFAULT_CACHE_IDS: Final = 1_000_000
#: The table of loan records; a spec that writes it creates loan records.
LOAN_TABLE: Final = "loan"

#: Given loan ids, returns the stored ones with their currency.
FindLoans = Callable[[Sequence[str]], dict[str, str]]


class ReferenceResolver:
    """Checks own ids and references of rows against this import and the stores.

    Args:
        graph: where graph nodes are looked up.
        find_loans: returns which of the given ids are stored loan records, with their
            currencies.
        cache_ids: how many ids to remember before the cache starts afresh.
        default_currency: the currency of amounts whose row names none and whose entity
            takes no loan's currency.
    """

    def __init__(self, graph: GraphStore, find_loans: FindLoans,
                 cache_ids: int = DEFAULT_CACHE_IDS,
                 default_currency: str = DEFAULT_CURRENCY) -> None:
        if default_currency not in ISO_4217_CODES:
            raise ValueError(f"default currency {default_currency!r} is not an ISO 4217 code")
        self._graph = graph
        self._find_loans = find_loans
        self._cache_ids = cache_ids
        self._default_currency = default_currency
        self._labels: dict[str, Label] = {}
        #: Loan records known to exist: id -> currency.
        self._loans: dict[str, str] = {}

    def prepare(self, spec: EntitySpec, batch: Iterable[Values]) -> None:
        """Look up, in one round trip per store, every id ``batch`` creates or names.

        Call it once every earlier batch has been written.
        """
        node_ids: set[str] = set()
        loan_ids: set[str] = set()
        own_id = spec.node_label is not None
        derived_node = spec.derived_node
        references = spec.references
        money = spec.money
        loan_field = None if money is None else money.loan_field
        for values in batch:
            if loan_field is not None:
                loan_ids.add(values[loan_field])
            if own_id:
                node_ids.add(values["id"])
            elif derived_node is not None:
                node_ids.add(derived_node(values)[1])
            for ref in references:
                wanted = loan_ids if ref.target is RefTarget.LOAN_RECORD else node_ids
                if ref.many:
                    wanted.update(values[ref.field])
                else:
                    wanted.add(values[ref.field])
        self._lookup(node_ids, loan_ids)

    @property
    def full(self) -> bool:
        """The cache holds more ids than it may; call :meth:`forget` between batches."""
        return len(self._labels) + len(self._loans) > self._cache_ids

    def forget(self) -> None:
        """Empty the cache; later lookups ask the stores."""
        self._labels.clear()
        self._loans.clear()

    def _lookup(self, node_ids: Collection[str], loan_ids: Collection[str]) -> None:
        labels = self._labels
        unknown = [node_id for node_id in node_ids if node_id not in labels]
        if unknown:
            labels.update(self._graph.labels_of(unknown))
        unknown_loans = [loan_id for loan_id in loan_ids if loan_id not in self._loans]
        if unknown_loans:
            self._loans.update(self._find_loans(unknown_loans))

    def problem(self, spec: EntitySpec, values: Values) -> RowRejected | None:
        """Why ``values`` cannot be imported given what exists, or ``None``.

        When nothing is wrong, the row's amounts are settled in place: ``values["currency"]``
        is set and each amount is an integer of its minor units (see
        :class:`~ingest.specs.MoneyFields`). Needs :meth:`prepare` to have seen the row's
        batch.
        """
        labels = self._labels
        if spec.node_label is not None:
            field, node_id, label = "id", values["id"], spec.node_label
        elif spec.derived_node is not None:
            field, node_id, label = spec.derived_node(values)
        else:
            node_id = None
        if node_id is not None:
            found = labels.get(node_id)
            if found is not None and found is not label:
                return RowRejected(field, (
                    f"id {node_id!r} is already {_a(found.value)}; ids are unique across "
                    "parties, loans, accounts, collateral and events"))
        problem = self._references_problem(spec, values)
        if problem is None and spec.money is not None:
            problem = self._settle_money(spec.money, values)
        return problem

    def _references_problem(self, spec: EntitySpec, values: Values) -> RowRejected | None:
        labels = self._labels
        for ref in spec.references:
            value = values[ref.field]
            for ref_id in value if ref.many else (value,):
                if ref.target is RefTarget.LOAN_RECORD:
                    if ref_id not in self._loans:
                        return RowRejected(ref.field, f"unknown {ref.noun} {ref_id!r}: not "
                                                      "in this import and not stored")
                    continue
                found = labels.get(ref_id)
                if found is None:
                    return RowRejected(ref.field, f"unknown {ref.noun} {ref_id!r}: not in "
                                                  "this import and not stored")
                if found not in ref.labels:
                    return RowRejected(ref.field, f"{ref_id!r} is {_a(found.value)}, "
                                                  f"not {_a(ref.noun)}")
        return None

    def register(self, spec: EntitySpec, values: Values) -> None:
        """Remember what an accepted row creates, for the rows and files after it."""
        if spec.node_label is not None:
            self._labels[values["id"]] = spec.node_label
        elif spec.derived_node is not None:
            _, node_id, label = spec.derived_node(values)
            self._labels[node_id] = label
        if LOAN_TABLE in spec.tables:
            self._loans[values["id"]] = values["currency"]

    def _settle_money(self, money: MoneyFields, values: Values) -> RowRejected | None:
        """Set the row's currency and turn its amounts into minor units, in place."""
        if not any(name in values for name in money.amounts):
            return None  # no amount, no currency to settle
        code = None if money.currency_field is None else values.get(money.currency_field)
        if code is None and money.loan_field is not None:
            loan_id = values[money.loan_field]
            code = self._loans.get(loan_id)
            if code is None:
                # The loan node exists (the reference resolved) but its record does not.
                return RowRejected(money.loan_field, (
                    f"the currency of loan {loan_id!r} is unknown: it has no loan record"))
        if code is None:
            code = self._default_currency
        values["currency"] = code
        for name in money.amounts:
            text = values.get(name)
            if text is not None:
                try:
                    values[name] = minor_units(text, code)
                except InvalidValue as exc:
                    return RowRejected(name, exc.message)
        return None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"
