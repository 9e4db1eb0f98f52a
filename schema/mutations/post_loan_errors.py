"""The typed errors of the post-loan mutations (reviews, collection cases, dead letters),
beside the shared ones of :mod:`schema.mutations.errors`."""

from __future__ import annotations

import strawberry

from schema.mutations.errors import UserError

__all__ = ["AlreadyDecided", "CaseMoveNotAllowed", "DecisionByProposer"]


@strawberry.type(description="The caller proposed the review it asks to decide: four eyes "
                 "are needed, another reviewer must decide it.")
class DecisionByProposer(UserError):
    proposed_by: str = strawberry.field(description="Who proposed it.")


@strawberry.type(description="The review was decided, or the dead letter retried or "
                 "discarded, already: nothing changed.")
class AlreadyDecided(UserError):
    state: str = strawberry.field(description="Its status or state now.")
    decided_by: str | None = strawberry.field(description="Who decided or resolved it.")


@strawberry.type(description="The collection case cannot make this move from its state.")
class CaseMoveNotAllowed(UserError):
    state: str = strawberry.field(description="The case's state now.")
    allowed: list[str] = strawberry.field(description="The moves a person may make from it "
                                          "(empty: none).")
