"""The importable entity types, by name, in the documented import order."""

from __future__ import annotations

from typing import Final

from ingest.entities.accounts import ACCOUNTS, TRANSACTIONS
from ingest.entities.lending import COLLATERAL, GUARANTEES, INSTALLMENTS, LOANS, REPAYMENTS
from ingest.entities.links import DIRECTORSHIPS, IDENTIFIERS, OWNERSHIPS, RELATIONS
from ingest.entities.modifications import MODIFICATIONS
from ingest.entities.parties import COMPANIES, PERSONS
from ingest.entities.signals import BUREAU, EVENTS
from ingest.specs import EntitySpec

__all__ = ["ENTITY_SPECS", "ENTITY_TYPES"]

#: Every entity type by name, in import order: parties before loans before guarantees.
ENTITY_SPECS: Final[dict[str, EntitySpec]] = {
    spec.name: spec
    for spec in sorted(
        (PERSONS, COMPANIES, LOANS, INSTALLMENTS, REPAYMENTS, ACCOUNTS, TRANSACTIONS,
         GUARANTEES, OWNERSHIPS, DIRECTORSHIPS, IDENTIFIERS, COLLATERAL, BUREAU, EVENTS,
         RELATIONS, MODIFICATIONS),
        key=lambda spec: spec.order,
    )
}
ENTITY_TYPES: Final = tuple(ENTITY_SPECS)

if [spec.order for spec in ENTITY_SPECS.values()] != list(range(1, len(ENTITY_SPECS) + 1)):
    raise RuntimeError("entity orders must run 1..n without gaps")  # a declaration bug
