"""Relay-style cursors over a ranked result: opaque strings that hold an offset.

The offset is wrapped in base64 with a prefix so that clients treat cursors as opaque and
a cursor from another connection is rejected instead of misread.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from strawberry.relay import PageInfo

from schema.errors import InvalidArgument

__all__ = ["Window", "decode_cursor", "encode_cursor", "page_info", "window"]

_PREFIX: Final = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset in ``cursor``.

    Raises:
        InvalidArgument: ``cursor`` did not come from :func:`encode_cursor`.
    """
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit():
        raise InvalidArgument(f"after: {cursor!r} is not a cursor of this connection",
                              suggestion="pass an endCursor from a previous page")
    return int(number)


@dataclass(frozen=True, slots=True)
class Window:
    """Which slice of a ranked result a page shows: ``[offset, offset + size)``."""

    offset: int
    size: int

    @property
    def fetch(self) -> int:
        """How many ranked items to fetch: the page and one more, to know if more exist."""
        return self.offset + self.size + 1


def window(first: int, after: str | None, *, max_size: int, max_reach: int) -> Window:
    """The window of ``first`` items after the cursor ``after``.

    Raises:
        InvalidArgument: ``first`` is not in 1..max_size, ``after`` is not a cursor, or the
            page reaches past the first ``max_reach`` items.
    """
    if not 1 <= first <= max_size:
        raise InvalidArgument(f"first must be between 1 and {max_size}, got {first}")
    offset = 0 if after is None else decode_cursor(after) + 1
    if offset + first > max_reach:
        raise InvalidArgument(f"only the first {max_reach} matches can be paged through",
                              suggestion="narrow the search text")
    return Window(offset=offset, size=first)


def page_info(cursors: Sequence[str], page: Window, *, more: bool) -> PageInfo:
    """The Relay ``PageInfo`` of a page showing ``cursors`` (in order) of ``page``;
    ``more``: items follow the page."""
    return PageInfo(has_next_page=more, has_previous_page=page.offset > 0,
                    start_cursor=cursors[0] if cursors else None,
                    end_cursor=cursors[-1] if cursors else None)
