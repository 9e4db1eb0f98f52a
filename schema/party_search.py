"""What a caller without the right to search persons may find by text.

A person's name is personal data (:mod:`graph.personal_data`): matching it is reading
it, since a hit tells the caller that the name contains the text. A caller without
:attr:`auth.principal.Right.SEARCH_PERSONS` therefore searches ids (opaque, never
personal) and company names only: a person is found when the text is part of its id,
never through its name. The store's search is made over the widest reach a page may
have, then filtered, so paging stays consistent.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import Label, Node

__all__ = ["searchable_matches"]


def searchable_matches(ranked: Sequence[Node], needle: str) -> list[Node]:
    """``ranked`` (the store's matches of ``needle``, in order) without the persons matched
    only through their name."""
    folded = needle.casefold()
    return [node for node in ranked
            if node.label is not Label.PERSON or folded in node.id.casefold()]
