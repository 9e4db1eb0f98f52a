"""Build the Loanwatch GraphQL schema with its limits and error handling."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from schema.authorization import AccessRules, FieldRights
from schema.direct_resolvers import resolve_directly
from schema.document_cache import DocumentCache
from schema.error_codes import ErrorCode, ErrorCodes, classify
from schema.execution import LoanwatchExecutionContext
from schema.limits import QueryLimits, limit_extensions
from schema.mutations import Mutation
from schema.persisted import DocumentLookup, PersistedDocuments, cached_lookup
from schema.personal_reads import PersonalReads, watch_personal_fields
from schema.query import Query
from schema.subscriptions import Subscription
from schema.types.alerts import Alert
from schema.types.assets import Account, Collateral, ExternalEvent, Identifier, Transaction
from schema.types.loan import Loan
from schema.types.party import Company, Person
from schema.types.records import BureauSnapshot, ImportBatch, Installment, Repayment

__all__ = ["LoanwatchSchema", "build_schema"]


class LoanwatchSchema(strawberry.Schema):
    """A schema that logs only unexpected errors; user mistakes are answered, not logged."""

    #: Its registered documents, for a transport that resolves a hash before it runs a
    #: document (the WebSocket transport).
    persisted_documents: PersistedDocuments | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if classify(error) is ErrorCode.INTERNAL:
                StrawberryLogger.error(error, execution_context)


def _nothing_registered(sha256: str) -> str | None:
    return None


def build_schema(*, mask_errors: bool, limits: QueryLimits | None = None,
                 documents: DocumentLookup | None = None,
                 only_registered_documents: bool = False,
                 introspection: bool = True,
                 document_cache: DocumentCache | None = None) -> LoanwatchSchema:
    """The schema, limited by ``limits`` (defaults when omitted).

    Every document is checked against the caller's rights before it executes
    (:mod:`schema.authorization`), and the personal data served in clear is audited
    (:mod:`schema.personal_reads`).

    Args:
        mask_errors: hide the message of unexpected errors (do this in production).
        limits: depth, alias, token and cost limits of one document.
        documents: the registered text of a persisted document's SHA-256 (see
            :mod:`schema.persisted`); by default none is registered.
        only_registered_documents: run only registered documents (production).
        introspection: answer ``__schema`` and ``__type`` (turn off in production: the
            SDL is published for the front-end teams instead).
        document_cache: where the schema keeps the documents it parsed and validated (a
            new cache of its own when omitted; see :mod:`schema.document_cache`).
    """
    lookup = cached_lookup(documents or _nothing_registered)
    extensions: list[SchemaExtension | type[SchemaExtension] | partial[SchemaExtension]] = [
        partial(PersistedDocuments, lookup=lookup, only_registered=only_registered_documents),
        # The rights are checked before the cost: a refused document costs nothing.
        partial(FieldRights, rules=AccessRules()),
        *limit_extensions(limits or QueryLimits(), document_cache),
        PersonalReads,
        partial(ErrorCodes, mask_internal=mask_errors),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = LoanwatchSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Person, Company, Loan, Alert, Account, Transaction, Collateral, ExternalEvent,
               Identifier, Installment, Repayment, BureauSnapshot, ImportBatch],
        extensions=extensions,
        execution_context_class=LoanwatchExecutionContext,
    )
    resolve_directly(schema)  # before the personal fields' resolvers are wrapped
    watch_personal_fields(schema._schema)
    schema.persisted_documents = PersistedDocuments(
        lookup=lookup, only_registered=only_registered_documents)
    return schema
