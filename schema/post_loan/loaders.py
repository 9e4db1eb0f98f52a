"""The DataLoaders of the post-loan reads: one per relation, created per request (lazily,
on the first post-loan field a request resolves), answering in key order.

A page of cases asks for each case's transitions, and a page of loans for each loan's
reviews, case and bucket history; each loader gathers the keys of one event-loop turn into
one batched read of :mod:`risk.reviews.reading` or :mod:`risk.collections.reading`, so
the number of SQL round trips does not grow with the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine
from strawberry.dataloader import DataLoader

from risk.collections.actions import ActionView, actions_of_cases
from risk.collections.cases import CaseHistoryEntry, CaseTrigger, CaseView
from risk.collections.errors import CollectionsError
from risk.collections.history import BucketPosition, bucket_positions
from risk.collections.promises import PromiseView, promises_of_cases
from risk.collections.reading import (
    BucketEntry,
    bucket_histories,
    case_histories,
    case_triggers,
    cases_of_loans,
)
from risk.disposals.views import DisposalView, disposals_of_loans
from risk.reviews.reading import reviews_of_loans
from risk.reviews.record import Review
from schema.context import Context
from schema.errors import InvalidArgument
from schema.loaders import reads_in_place
from schema.store_hops import StoreHops

__all__ = ["DelinquencyKey", "PostLoanLoaders", "create_post_loan_loaders",
           "post_loan_loaders"]

V = TypeVar("V")


class DelinquencyKey(NamedTuple):
    """Which loan's bucket and days past due, on which day."""

    loan_id: str
    as_of: date


@dataclass(frozen=True, slots=True)
class PostLoanLoaders:
    """The post-loan loaders of one request. Never share them between requests."""

    #: A loan's reviews, the newest first, by loan id (empty without records).
    reviews_of_loan: DataLoader[str, list[Review]]
    #: A loan's live collection case, else its latest, by loan id (``None``: never had one).
    case_of_loan: DataLoader[str, CaseView | None]
    #: A case's transitions, oldest first, by case id.
    case_history: DataLoader[str, list[CaseHistoryEntry]]
    #: The event flow's alerts that opened or joined a case, by case id.
    case_triggers: DataLoader[str, list[CaseTrigger]]
    #: A case's strategy actions, in plan order, by case id.
    case_actions: DataLoader[str, list[ActionView]]
    #: A case's promises to pay, the soonest date first, by case id.
    case_promises: DataLoader[str, list[PromiseView]]
    #: A loan's disposals (without their transitions), oldest first, by loan id.
    loan_disposals: DataLoader[str, list[DisposalView]]
    #: A loan's bucket history, oldest first, by loan id.
    bucket_history: DataLoader[str, list[BucketEntry]]
    #: A loan's bucket and days past due on a day (one query per day asked for); loading
    #: a day the history does not cover, or an unknown loan, raises ``InvalidArgument``
    #: saying why.
    delinquency: DataLoader[DelinquencyKey, BucketPosition]


def create_post_loan_loaders(records: Engine | None, *,
                             inline_reads: bool = False) -> PostLoanLoaders:
    """Fresh loaders over ``records``: one batched read per loader per event-loop turn
    (sharing one worker-thread hop, or on the loop with ``inline_reads``)."""
    hops = StoreHops(inline=inline_reads)

    def batch(reader: Callable[[Engine, list[str]], Mapping[str, V]],
              empty: Callable[[], Any]) -> Callable[[Sequence[str]], Any]:
        def read(engine: Engine, keys: list[str]) -> list[Any]:
            found = reader(engine, keys)
            return [found[key] if key in found else empty() for key in keys]

        async def load(keys: Sequence[str]) -> list[Any]:
            if records is None:
                return [empty() for _ in keys]
            return await hops.run(read, records, list(keys))
        return load

    async def load_delinquency(keys: Sequence[DelinquencyKey]
                               ) -> list[BucketPosition | InvalidArgument]:
        assert records is not None  # the field answers null without records
        return await hops.run(_positions, records, list(keys))

    return PostLoanLoaders(
        delinquency=DataLoader(load_fn=load_delinquency),
        reviews_of_loan=DataLoader(load_fn=batch(reviews_of_loans, list)),
        case_of_loan=DataLoader(load_fn=batch(cases_of_loans, lambda: None)),
        case_history=DataLoader(load_fn=batch(case_histories, list)),
        case_triggers=DataLoader(load_fn=batch(case_triggers, list)),
        case_actions=DataLoader(load_fn=batch(actions_of_cases, list)),
        case_promises=DataLoader(load_fn=batch(promises_of_cases, list)),
        loan_disposals=DataLoader(load_fn=batch(disposals_of_loans, list)),
        bucket_history=DataLoader(load_fn=batch(bucket_histories, list)))


def _refused(found: BucketPosition | CollectionsError) -> BucketPosition | InvalidArgument:
    if isinstance(found, CollectionsError):
        return InvalidArgument(str(found), suggestion=found.suggestion)
    return found


def _positions(records: Engine, keys: list[DelinquencyKey]
               ) -> list[BucketPosition | InvalidArgument]:
    """One :func:`bucket_positions` call per day asked for; an error in a key's place is
    what the DataLoader raises for it."""
    by_day: dict[date, dict[str, BucketPosition | CollectionsError]] = {}
    for day in dict.fromkeys(key.as_of for key in keys):
        by_day[day] = bucket_positions(records, [k.loan_id for k in keys if k.as_of == day],
                                       day)
    return [_refused(by_day[key.as_of][key.loan_id]) for key in keys]


def post_loan_loaders(context: Context) -> PostLoanLoaders:
    """The request's post-loan loaders, created on first use."""
    if context.post_loan is None:
        context.post_loan = create_post_loan_loaders(
            context.records, inline_reads=reads_in_place(context.graph, context.records))
    return context.post_loan  # type: ignore[no-any-return]
