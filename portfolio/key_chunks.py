"""Reading records for many keys at once: the keys cut into chunks, one ``IN`` query each,
within every database's limit on bound parameters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final, TypeVar

__all__ = ["IDS_PER_QUERY", "key_chunks"]

#: Keys per query (within every database's limit on bound parameters).
IDS_PER_QUERY: Final = 500

K = TypeVar("K")


def key_chunks(keys: Sequence[K], size: int = IDS_PER_QUERY) -> Iterator[list[K]]:
    """``keys`` without repeats, in their order, ``size`` at a time."""
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]
