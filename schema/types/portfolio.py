"""The portfolio lists ``Query.borrowers`` and ``Query.loans``: their filters, orders and
Relay connections. Each edge carries the figures the list was sorted and filtered by (from
the latest scan); its ``node`` is the full ``Party`` or ``Loan``, so a page opens into the
360° view with no second request."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.relay import PageInfo

from risk.classification.tiers import Tier as ModelTier
from risk.portfolio_lists import DPD_BUCKETS, BorrowerRow, ListOrder, LoanRow
from schema.pagination import Window, encode_cursor, page_info
from schema.types.loan import Loan
from schema.types.money import Money
from schema.types.party import Party

__all__ = [
    "BorrowerConnection",
    "BorrowerEdge",
    "BorrowerFilter",
    "DpdBucket",
    "LoanConnection",
    "LoanEdge",
    "LoanFilter",
    "PortfolioOrder",
    "TierName",
]


DpdBucket = strawberry.enum(
    Enum("DpdBucket", [(name.upper(), name) for name in DPD_BUCKETS]),  # type: ignore[misc]
    description="Days past due: CURRENT (0), DPD_1_30, DPD_31_60, DPD_61_90, DPD_91_180, "
    "DPD_OVER_180 (inclusive bounds).")

TierName = strawberry.enum(
    Enum("TierName", [(tier.name, tier.slug) for tier in ModelTier]),  # type: ignore[misc]
    description="The five tiers, best to worst: PASS (正常), SPECIAL_MENTION (关注), "
    "SUBSTANDARD (次级), DOUBTFUL (可疑), LOSS (损失).")

PortfolioOrder = strawberry.enum(
    Enum("PortfolioOrder", [(o.name, o.value) for o in ListOrder]),  # type: ignore[misc]
    description="How a portfolio list is sorted; ties by id.")


@strawberry.input(description="An exposure range, inclusive, in one currency.")
class ExposureRange:
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code; for borrowers, default the currency of "
        "most of the portfolio's exposure. A loan list needs it with a range.")
    min: Decimal | None = strawberry.field(default=None, description="At least this much.")
    max: Decimal | None = strawberry.field(default=None, description="At most this much.")


@strawberry.input(description="Which borrowers a list keeps (all when omitted); filters "
                  "combine with AND, values within one filter with OR. Figures are the "
                  "borrower's worst over its loans in the latest scan.")
class BorrowerFilter:
    dpd_buckets: list[DpdBucket] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The borrower's most days past due falls in one.")
    tiers: list[TierName] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The borrower's worst tier is one of these.")
    stages: list[int] | None = strawberry.field(
        default=None, description="The borrower's worst IFRS 9 stage (1, 2, 3) is one.")
    products: list[str] | None = strawberry.field(
        default=None, description="Only loans of these products count.")
    region: str | None = strawberry.field(
        default=None, description="The borrower's province or city, ignoring case.")
    sector: str | None = strawberry.field(
        default=None, description="The borrower's sector, ignoring case.")
    group: strawberry.ID | None = strawberry.field(
        default=None, description="Members of the corporate group headed by this "
        "ultimate controller (latest scan).")
    circle: strawberry.ID | None = strawberry.field(
        default=None, description="Members of this guarantee circle (`circles` ids).")
    exposure: ExposureRange | None = strawberry.field(
        default=None, description="The borrower's total exposure lies in the range.")


@strawberry.input(description="Which loans a list keeps (all when omitted); filters "
                  "combine with AND. Figures are the loan's in the latest scan; region, "
                  "sector, group and circle are its borrower's.")
class LoanFilter:
    dpd_buckets: list[DpdBucket] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The loan's days past due falls in one.")
    tiers: list[TierName] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The loan's tier is one of these.")
    stages: list[int] | None = strawberry.field(
        default=None, description="The loan's IFRS 9 stage is one of these.")
    products: list[str] | None = strawberry.field(
        default=None, description="The loan's product is one of these.")
    region: str | None = strawberry.field(
        default=None, description="The borrower's province or city, ignoring case.")
    sector: str | None = strawberry.field(
        default=None, description="The borrower's sector, ignoring case.")
    group: strawberry.ID | None = strawberry.field(
        default=None, description="The borrower belongs to the group headed by this "
        "controller.")
    circle: strawberry.ID | None = strawberry.field(
        default=None, description="The borrower belongs to this guarantee circle.")
    exposure: ExposureRange | None = strawberry.field(
        default=None, description="The loan's exposure lies in the range (needs a "
        "currency; only loans in it are kept).")


@strawberry.type(description="One borrower of a list, with its figures in the latest scan.")
class BorrowerEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Party = strawberry.field(description="The borrower, with its 360° view.")
    tier: str = strawberry.field(description="Its worst tier.")
    stage: int = strawberry.field(description="Its worst IFRS 9 stage.")
    days_past_due: int = strawberry.field(description="Its most days past due.")
    exposure: Money = strawberry.field(
        description="Its loans' exposure in the list's currency, exact.")
    loans: int = strawberry.field(description="How many of its loans count.")


@strawberry.type(description="A page of borrowers.")
class BorrowerConnection:
    edges: list[BorrowerEdge] = strawberry.field(description="The page's borrowers.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_rows(cls, rows: list[BorrowerRow], parties: dict[str, Party],
                  page: Window) -> BorrowerConnection:
        """The page of ``rows`` (fetched from ``page.offset``, at most one past the page);
        a borrower missing from the graph is left out."""
        edges = [
            BorrowerEdge(cursor=encode_cursor(page.offset + i), node=parties[row.party_id],
                         tier=row.tier, stage=row.stage, days_past_due=row.dpd,
                         exposure=Money(amount=row.exposure, currency=row.currency),
                         loans=row.loans)
            for i, row in enumerate(rows[:page.size]) if row.party_id in parties]
        return cls(edges=edges, page_info=page_info([e.cursor for e in edges], page,
                                                    more=len(rows) > page.size))


@strawberry.type(description="One loan of a list, with its figures in the latest scan.")
class LoanEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Loan = strawberry.field(description="The loan.")
    tier: str = strawberry.field(description="Its tier.")
    stage: int = strawberry.field(description="Its IFRS 9 stage.")
    days_past_due: int = strawberry.field(description="Its days past due.")
    exposure: Money = strawberry.field(description="Its exposure, exact.")


@strawberry.type(description="A page of loans.")
class LoanConnection:
    edges: list[LoanEdge] = strawberry.field(description="The page's loans.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_rows(cls, rows: list[LoanRow], loans: dict[str, Loan],
                  page: Window) -> LoanConnection:
        """As :meth:`BorrowerConnection.from_rows`, for loans."""
        edges = [
            LoanEdge(cursor=encode_cursor(page.offset + i), node=loans[row.loan_id],
                     tier=row.tier, stage=row.stage, days_past_due=row.dpd,
                     exposure=Money(amount=row.exposure, currency=row.currency))
            for i, row in enumerate(rows[:page.size]) if row.loan_id in loans]
        return cls(edges=edges, page_info=page_info([e.cursor for e in edges], page,
                                                    more=len(rows) > page.size))
