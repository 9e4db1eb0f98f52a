"""A blind index: keyed hashes of normalised name pieces and of exact values, searchable
without the values themselves.

Person names are encrypted at rest, so a store cannot run ``name CONTAINS 'zhang'``. Instead
each person carries **tokens**: HMAC-SHA256 (64 bits kept) under the current hash key of

* every 1-, 2- and 3-character piece (n-gram) of the normalised name (NFKC, case-folded,
  runs of spaces as one), so that any substring of the name can be looked up: a needle of up
  to 3 characters is one token, a longer one is all of its 3-character pieces;
* the normalised national id, whole, for exact-match search.

A token is written ``<hash key version>.<16 hex digits>``; a search computes the needle's
tokens under every configured version, so search works while ``keys rotate`` moves the
tokens to a new key. Candidates are decrypted and checked against the needle before they
are returned, so n-gram coincidences and truncated-hash collisions never show.

What it leaks to someone who reads the store without the key: how many distinct pieces a
name has (about three per character), and which persons share a piece. Frequent pieces
(common family names such as 王 or 李) stand out by their counts, so a reader with
population statistics can guess them; whole names and national ids are not revealed, and a
national id token only says that two persons share one. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from typing import Final

__all__ = [
    "MAX_GRAM",
    "exact_token",
    "name_tokens",
    "needle_tokens",
    "normalise",
]

#: Longest name piece indexed: longer needles are looked up by their 3-character pieces.
MAX_GRAM: Final = 3
#: Bytes of the MAC kept per token.
TOKEN_BYTES: Final = 8
#: Names longer than this are indexed on their first ``MAX_INDEXED`` characters only.
MAX_INDEXED: Final = 64


def normalise(text: str) -> str:
    """``text`` as the index sees it: NFKC, case-folded, trimmed, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _token(key: bytes, version: int, kind: str, piece: str) -> str:
    mac = hmac.new(key, f"{kind}\x00{piece}".encode(), hashlib.sha256).digest()
    return f"{version}.{mac[:TOKEN_BYTES].hex()}"


def _grams(text: str, sizes: range) -> set[str]:
    return {text[i:i + n] for n in sizes for i in range(len(text) - n + 1)}


def name_tokens(name: str, key: bytes, version: int) -> list[str]:
    """The tokens of every 1- to 3-character piece of ``name``, sorted (so that their
    order says nothing about where a piece sits in the name)."""
    text = normalise(name)[:MAX_INDEXED]
    return sorted({_token(key, version, "name", piece)
                   for piece in _grams(text, range(1, MAX_GRAM + 1))})


def exact_token(kind: str, value: str, key: bytes, version: int) -> str:
    """The token of the whole normalised ``value`` of ``kind`` (``national_id``)."""
    return _token(key, version, kind, normalise(value))


def needle_tokens(needle: str, keys: Mapping[int, bytes]) -> dict[int, list[str]]:
    """Per hash key version, the name tokens a name containing ``needle`` must all have.

    Empty when ``needle`` normalises to nothing.
    """
    text = normalise(needle)
    if not text:
        return {}
    pieces = [text] if len(text) <= MAX_GRAM else sorted(_grams(text, range(MAX_GRAM,
                                                                          MAX_GRAM + 1)))
    return {version: sorted({_token(key, version, "name", piece) for piece in pieces})
            for version, key in keys.items()}
