"""The GraphQL schema: Strawberry types and resolvers over the graph store. No HTTP here.

Build it with :func:`build_schema`; give each request a fresh :func:`build_context`.
"""

from schema.build import LoanwatchSchema, build_schema
from schema.context import Context, build_context
from schema.error_codes import ErrorCode
from schema.limits import QueryLimits

__all__ = ["Context", "ErrorCode", "LoanwatchSchema", "QueryLimits", "build_context",
           "build_schema"]
