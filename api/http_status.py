"""Which HTTP status and media type a GraphQL answer gets, per GraphQL over HTTP.

The rules differ by the media type the client accepts:

- ``application/json`` (the default, and what ``*/*`` gets): every GraphQL response to a
  well-formed request is ``200``, even one that reports only errors;
- ``application/graphql-response+json``: a response with ``data`` (even ``null`` data with
  field errors) is ``200``; a request error (parse, validation, variables, cost, busy,
  time limit: no ``data`` entry) gets the 4xx or 5xx status of its code.

A request that is not a well-formed GraphQL-over-HTTP request (not JSON, not UTF-8, no
query, too large, wrong method) gets its 4xx status with either media type; its body is
still a GraphQL response with a coded error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from schema import ErrorCode

__all__ = [
    "CODE_OF_REJECTED_STATUS",
    "GRAPHQL_RESPONSE_MEDIA_TYPE",
    "JSON_MEDIA_TYPE",
    "REQUEST_ERROR_STATUS",
    "error_body",
    "request_error_status",
    "response_media_type",
]

GRAPHQL_RESPONSE_MEDIA_TYPE: Final = "application/graphql-response+json"
JSON_MEDIA_TYPE: Final = "application/json"

#: The status of a request error with each code (``application/graphql-response+json``;
#: with ``application/json`` only the malformed-request codes keep theirs).
REQUEST_ERROR_STATUS: Final[Mapping[ErrorCode, int]] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.GRAPHQL_PARSE_FAILED: 400,
    ErrorCode.GRAPHQL_VALIDATION_FAILED: 400,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.QUERY_TOO_COSTLY: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: 404,
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: 400,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.CANCELLED: 499,
    ErrorCode.INTERNAL: 500,
    ErrorCode.SERVER_BUSY: 503,
    ErrorCode.QUERY_TIMEOUT: 504,
}


def response_media_type(accept: str) -> str:
    """The media type to answer a request whose ``Accept`` header is ``accept``."""
    return GRAPHQL_RESPONSE_MEDIA_TYPE if GRAPHQL_RESPONSE_MEDIA_TYPE in accept \
        else JSON_MEDIA_TYPE


def request_error_status(codes: Iterable[str]) -> int:
    """The status of a request error whose errors carry ``codes``: the client's fault
    (4xx) first, else the highest; 400 when no code is known."""
    statuses = sorted(REQUEST_ERROR_STATUS[ErrorCode(code)] for code in codes
                      if code in ErrorCode.__members__)
    client = [status for status in statuses if status < 500]
    if client:
        return client[0]
    return statuses[-1] if statuses else 400


#: The code of a request rejected before GraphQL runs, by its status (any other: BAD_REQUEST).
CODE_OF_REJECTED_STATUS: Final[Mapping[int, ErrorCode]] = {
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


def error_body(message: str, code: ErrorCode) -> dict[str, Any]:
    """The GraphQL response body of a request that failed as a whole: one coded error."""
    return {"errors": [{"message": message, "extensions": {"code": code.value}}]}
