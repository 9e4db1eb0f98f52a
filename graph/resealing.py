"""What a graph store offers to keep its personal data sealed under the current keys.

Both stores implement :class:`ResealableGraph`: ``loanwatch migrate`` uses it to seal the
personal data of a graph written before encryption at rest, and ``loanwatch keys rotate``
to move every sealed value and index token to the newest keys, one page of nodes per
transaction while the store keeps serving (:mod:`graph.upgrades.personal_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from graph.model import Label

if TYPE_CHECKING:
    from graph.vault import PersonalDataVault

__all__ = ["ResealPage", "ResealableGraph"]


@dataclass(frozen=True, slots=True)
class ResealPage:
    """One page of :meth:`ResealableGraph.reseal_page`: nodes looked at, nodes rewritten,
    and the last id of the page (``None`` when there was nothing after ``after``)."""

    examined: int
    resealed: int
    last_id: str | None


@runtime_checkable
class ResealableGraph(Protocol):
    """A graph store whose personal data can be re-sealed page by page."""

    @property
    def vault(self) -> PersonalDataVault:
        """The keys the store seals and opens personal data with."""

    def reseal_page(self, label: Label, after: str, limit: int) -> ResealPage:
        """Re-seal, in one transaction, the nodes of ``label`` whose ids follow ``after``
        (up to ``limit`` of them, in id order) that are not sealed under the current keys
        (values in clear included), with their index tokens."""

    def personal_data_sealed(self) -> bool:
        """Whether the store is recorded as holding personal data only sealed. A store that
        holds no personal node yet is recorded so on this call."""

    def mark_personal_data_sealed(self) -> None:
        """Record that every personal value of the store is sealed (after a full pass)."""
