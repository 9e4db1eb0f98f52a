"""Bounds of the query arguments, as named constants, and the checks that enforce them.

A value outside its bounds raises :class:`schema.errors.InvalidArgument`, which reaches
the client as ``BAD_USER_INPUT`` naming the argument, before the graph store is asked.
"""

from __future__ import annotations

from typing import Final

from graph.store import MAX_HOPS
from schema.errors import InvalidArgument

__all__ = [
    "DEFAULT_HOPS",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_PATH_HOPS",
    "DEFAULT_PATH_LIMIT",
    "DEFAULT_SUBGRAPH_NODES",
    "MAX_HOPS",
    "MAX_PAGE_SIZE",
    "MAX_PATH_LIMIT",
    "MAX_SEARCH_RESULTS",
    "MAX_SUBGRAPH_NODES",
    "check_range",
    "check_text",
]

#: Items per page of a connection when ``first`` is omitted, and the most it may ask for.
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
#: How deep a search may page: matches beyond this many are never reached.
MAX_SEARCH_RESULTS: Final = 1_000
#: Hops of a neighbourhood or guarantee network when omitted.
DEFAULT_HOPS: Final = 2
#: Nodes of a neighbourhood when ``limit`` is omitted, and the most it may ask for.
DEFAULT_SUBGRAPH_NODES: Final = 200
MAX_SUBGRAPH_NODES: Final = 2_000
#: Longest and most shortest paths returned when omitted, and the most paths.
DEFAULT_PATH_HOPS: Final = 4
DEFAULT_PATH_LIMIT: Final = 10
MAX_PATH_LIMIT: Final = 100


def check_range(name: str, value: int, low: int, high: int) -> int:
    """Return ``value`` when ``low <= value <= high``.

    Raises:
        InvalidArgument: otherwise; the message names ``name`` and the bounds.
    """
    if not low <= value <= high:
        raise InvalidArgument(f"{name} must be between {low} and {high}, got {value}")
    return value


def check_text(name: str, value: str) -> str:
    """Return ``value`` stripped of surrounding spaces.

    Raises:
        InvalidArgument: ``value`` is blank.
    """
    stripped = value.strip()
    if not stripped:
        raise InvalidArgument(f"{name} must not be blank",
                              suggestion="give part of a name or an id")
    return stripped
