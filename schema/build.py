"""Build the Loanwatch GraphQL schema with its limits and error handling."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from schema.error_codes import ErrorCode, ErrorCodes, classify
from schema.limits import QueryLimits, limit_extensions
from schema.query import Query
from schema.types.alerts import Alert
from schema.types.assets import Account, Collateral, ExternalEvent, Identifier, Transaction
from schema.types.loan import Loan
from schema.types.party import Company, Person
from schema.types.records import BureauSnapshot, ImportBatch, Installment, Repayment

__all__ = ["LoanwatchSchema", "build_schema"]


class LoanwatchSchema(strawberry.Schema):
    """A schema that logs only unexpected errors; user mistakes are answered, not logged."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if classify(error) is ErrorCode.INTERNAL:
                StrawberryLogger.error(error, execution_context)


def build_schema(*, mask_errors: bool, limits: QueryLimits | None = None) -> LoanwatchSchema:
    """The schema, limited by ``limits`` (defaults when omitted).

    Args:
        mask_errors: hide the message of unexpected errors (do this in production).
        limits: depth, alias, token and cost limits of one document.
    """
    return LoanwatchSchema(
        query=Query,
        types=[Person, Company, Loan, Alert, Account, Transaction, Collateral, ExternalEvent,
               Identifier, Installment, Repayment, BureauSnapshot, ImportBatch],
        extensions=[
            *limit_extensions(limits or QueryLimits()),
            partial(ErrorCodes, mask_internal=mask_errors),
        ],
    )
