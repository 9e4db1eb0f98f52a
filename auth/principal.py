"""Who is calling, and what they may do: roles, scopes, rights and the ``Principal``.

A caller's rights are its role's rights narrowed by the scopes its token was granted: a
collector's token with only ``portfolio:read`` cannot write contact notes, and no scope
can give a role a right the role lacks. Every GraphQL field and mutation declares the
:class:`Right` it needs; personal data needs :attr:`Right.READ_PERSONAL` to be shown in
clear (it is masked otherwise, see :mod:`graph.personal_data`).

>>> p = Principal(subject="u:ana", client_id="console", role=Role.ANALYST,
...               scopes=frozenset({"portfolio:read", "personal:read"}))
>>> p.may(Right.READ_PORTFOLIO), p.may(Right.READ_PERSONAL)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

__all__ = [
    "ROLE_RIGHTS",
    "SCOPES",
    "SCOPE_RIGHTS",
    "Principal",
    "Right",
    "Role",
    "TokenVerifier",
    "check_scopes",
    "rights_of",
]


class Role(StrEnum):
    """What a user (or an integration's client) is, in the bank."""

    #: Reads the portfolio and its risk; never personal data.
    ANALYST = "analyst"
    #: Explores relationship graphs: personal data in clear, searches persons by name,
    #: works alerts.
    INVESTIGATOR = "investigator"
    #: Works collection cases: personal data in clear (to reach the borrower), contact notes.
    COLLECTOR = "collector"
    #: Oversees the portfolio and the people working it.
    MANAGER = "manager"
    #: Administers Loanwatch: every right, the audit trail included.
    ADMIN = "admin"
    #: A system integrating through the client-credentials grant (no user behind it).
    INTEGRATION = "integration"


class Right(StrEnum):
    """One thing a caller may do; fields and mutations each declare the one they need."""

    #: Parties, loans, the graph and every risk result, with personal data masked.
    READ_PORTFOLIO = "read-portfolio"
    #: Personal data (registry in :mod:`graph.personal_data`) in clear.
    READ_PERSONAL = "read-personal"
    #: Find persons by (part of) their name; companies and ids need only READ_PORTFOLIO.
    SEARCH_PERSONS = "search-persons"
    #: Whole-portfolio computations on demand (stress tests): heavy queries.
    RUN_PORTFOLIO_ANALYTICS = "run-portfolio-analytics"
    #: Record what arrives after disbursement: repayments, transactions, bureau
    #: snapshots, external events.
    WRITE_RECORDS = "write-records"
    #: Record a contact with a borrower (a contact note).
    WRITE_CONTACT_NOTES = "write-contact-notes"
    #: Acknowledge, assign and resolve alerts.
    MANAGE_ALERTS = "manage-alerts"
    #: Read the audit trail.
    READ_AUDIT = "read-audit"
    #: Manage OAuth clients, users and keys.
    ADMINISTER = "administer"
    #: Confirm or override a review in the human review queue.
    REVIEW_LOANS = "review-loans"
    #: Work collection cases: actions, promises to pay, case transitions.
    WORK_COLLECTIONS = "work-collections"
    #: Propose a restructuring, a write-off, a recovery or a collateral disposal.
    PROPOSE_DISPOSAL = "propose-disposal"
    #: Approve or reject a disposal someone else proposed (maker-checker).
    APPROVE_DISPOSAL = "approve-disposal"
    #: See, retry and discard failed jobs (the dead letters).
    MANAGE_JOBS = "manage-jobs"


#: Every right of each role; a token never has more, whatever its scopes.
ROLE_RIGHTS: Final[Mapping[Role, frozenset[Right]]] = {
    Role.ANALYST: frozenset({Right.READ_PORTFOLIO, Right.RUN_PORTFOLIO_ANALYTICS,
                             Right.REVIEW_LOANS}),
    Role.INVESTIGATOR: frozenset({Right.READ_PORTFOLIO, Right.READ_PERSONAL,
                                  Right.SEARCH_PERSONS, Right.RUN_PORTFOLIO_ANALYTICS,
                                  Right.MANAGE_ALERTS}),
    Role.COLLECTOR: frozenset({Right.READ_PORTFOLIO, Right.READ_PERSONAL,
                               Right.SEARCH_PERSONS, Right.WRITE_CONTACT_NOTES,
                               Right.WORK_COLLECTIONS, Right.PROPOSE_DISPOSAL}),
    Role.MANAGER: frozenset({Right.READ_PORTFOLIO, Right.READ_PERSONAL, Right.SEARCH_PERSONS,
                             Right.RUN_PORTFOLIO_ANALYTICS, Right.MANAGE_ALERTS,
                             Right.WRITE_CONTACT_NOTES, Right.REVIEW_LOANS,
                             Right.WORK_COLLECTIONS, Right.PROPOSE_DISPOSAL,
                             Right.APPROVE_DISPOSAL}),
    Role.ADMIN: frozenset(Right),
    Role.INTEGRATION: frozenset({Right.READ_PORTFOLIO, Right.READ_PERSONAL,
                                 Right.SEARCH_PERSONS, Right.WRITE_RECORDS}),
}

#: The OAuth scopes a client may ask for, and the rights each one opens.
SCOPE_RIGHTS: Final[Mapping[str, frozenset[Right]]] = {
    "portfolio:read": frozenset({Right.READ_PORTFOLIO, Right.RUN_PORTFOLIO_ANALYTICS}),
    "personal:read": frozenset({Right.READ_PERSONAL, Right.SEARCH_PERSONS}),
    "records:write": frozenset({Right.WRITE_RECORDS, Right.WRITE_CONTACT_NOTES}),
    "alerts:write": frozenset({Right.MANAGE_ALERTS}),
    "audit:read": frozenset({Right.READ_AUDIT}),
    "admin": frozenset({Right.ADMINISTER}),
    "reviews:write": frozenset({Right.REVIEW_LOANS}),
    "collections:write": frozenset({Right.WORK_COLLECTIONS, Right.PROPOSE_DISPOSAL,
                                    Right.APPROVE_DISPOSAL}),
    "jobs:manage": frozenset({Right.MANAGE_JOBS}),
}

#: Every scope Loanwatch knows, in a stable order (server metadata lists them).
SCOPES: Final[tuple[str, ...]] = tuple(SCOPE_RIGHTS)


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """``scopes`` as a set, every one known.

    Raises:
        ValueError: a scope is not one of :data:`SCOPES` (the message names it).
    """
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; known: {' '.join(SCOPES)}")
    return chosen


def rights_of(role: Role, scopes: Iterable[str]) -> frozenset[Right]:
    """The role's rights narrowed by ``scopes`` (unknown scopes open nothing)."""
    opened: set[Right] = set()
    for scope in scopes:
        opened |= SCOPE_RIGHTS.get(scope, frozenset())
    return ROLE_RIGHTS[role] & opened


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request, as its access token says.

    ``subject`` is the token's ``sub``: ``user:<login>`` for a user, ``client:<client_id>``
    for an integration. ``token_id`` is the ``jti`` (the revocation cache's key).
    """

    subject: str
    client_id: str
    role: Role
    scopes: frozenset[str]
    user: str | None = None
    token_id: str | None = None
    expires_at: datetime | None = None
    rights: frozenset[Right] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rights", rights_of(self.role, self.scopes))

    def may(self, right: Right) -> bool:
        """Whether this caller has ``right``."""
        return right in self.rights


class TokenVerifier(Protocol):
    """Turns a bearer access token into the :class:`Principal` it was issued to."""

    async def verify(self, token: str) -> Principal:
        """The principal of ``token``.

        Raises:
            InvalidToken: malformed, expired, not yet valid, revoked, signed by an unknown
                key, for another audience or issuer.
        """
        ...


