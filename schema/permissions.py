"""How each GraphQL field declares who may read it, and which fields hold personal data.

A field (or mutation, or subscription) declares the :class:`auth.principal.Right` it needs
in its metadata; a field that declares none needs :data:`DEFAULT_RIGHT`. The API checks the
declarations of every field a document selects against the caller's rights before
anything executes, so a refused document runs no resolver and costs no store call.
Fields that hold personal data declare it too: they are served to every caller who may
read the field, masked unless the caller has :attr:`auth.principal.Right.READ_PERSONAL`.

Example::

    @strawberry.field(description="...", metadata=needs(Right.READ_AUDIT))
    async def audit_log(self, info: Info, ...) -> AuditConnection: ...

    @strawberry.field(description="...", metadata=personal())
    def national_id(self, info: Info) -> str | None: ...

Combine with other metadata by merging: ``metadata={**needs(Right.X), OWN_COST: n}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from auth.principal import Right

__all__ = [
    "DEFAULT_RIGHT",
    "PERSONAL_KEY",
    "RIGHT_KEY",
    "declared_right",
    "holds_personal_data",
    "needs",
    "personal",
]

#: Metadata key of the right a field needs.
RIGHT_KEY: Final = "loanwatch.right"
#: Metadata key that marks a field holding personal data (masked without READ_PERSONAL).
PERSONAL_KEY: Final = "loanwatch.personal"
#: What a field that declares nothing needs: reading the portfolio.
DEFAULT_RIGHT: Final = Right.READ_PORTFOLIO


def needs(right: Right) -> dict[str, Any]:
    """Field metadata declaring that reading (or calling) the field needs ``right``."""
    return {RIGHT_KEY: right}


def personal(right: Right = DEFAULT_RIGHT) -> dict[str, Any]:
    """Field metadata declaring a field that holds personal data, readable with ``right``
    and shown in clear only with READ_PERSONAL."""
    return {RIGHT_KEY: right, PERSONAL_KEY: True}


def declared_right(metadata: Mapping[str, Any] | None) -> Right:
    """The right a field with ``metadata`` needs."""
    return (metadata or {}).get(RIGHT_KEY, DEFAULT_RIGHT)


def holds_personal_data(metadata: Mapping[str, Any] | None) -> bool:
    """Whether a field with ``metadata`` is declared to hold personal data."""
    return bool((metadata or {}).get(PERSONAL_KEY, False))
