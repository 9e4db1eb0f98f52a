"""The Relay-style connection of parties returned by ``searchParties``."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.relay import PageInfo

from graph.model import Node
from schema.pagination import Window, encode_cursor, page_info
from schema.types.party import Party, party_from_node

__all__ = ["PageInfo", "PartyConnection", "PartyEdge", "page_info"]


@strawberry.type(description="One party of a page, with the cursor that points at it.")
class PartyEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Party = strawberry.field(description="The party.")


@strawberry.type(description="A page of parties, best match first.")
class PartyConnection:
    edges: list[PartyEdge] = strawberry.field(description="The page's parties.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_ranked(cls, ranked: Sequence[Node], page: Window) -> PartyConnection:
        """The page ``page`` of ``ranked``, which holds the first ``page.fetch`` matches."""
        shown = ranked[page.offset:page.offset + page.size]
        edges = [
            PartyEdge(cursor=encode_cursor(page.offset + i), node=party_from_node(node))
            for i, node in enumerate(shown)
        ]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=len(ranked) > page.offset + page.size))
