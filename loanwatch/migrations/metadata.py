"""Every table Loanwatch keeps in SQL, gathered for the migrations.

Importing the record modules registers their tables on ``SQLModel.metadata``; the embedded
graph store's tables live on their own ``MetaData``. The Alembic environment compares the
database against both, so one migration history creates every table.
"""

from __future__ import annotations

import importlib
from typing import Final

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from graph.stores import embedded_schema

__all__ = ["RECORD_MODULES", "all_metadata"]

#: Modules that define SQLModel tables. Add a module here when you add a table.
RECORD_MODULES: Final = (
    "portfolio.loans",
    "portfolio.schedule",
    "portfolio.repayments",
    "portfolio.bureau",
    "portfolio.modifications",
    "portfolio.imports",
    "portfolio.alerts",
    "portfolio.scan_runs",
    "portfolio.overrides",
    "portfolio.scan_features",
    "portfolio.models",
    "auth.audit_records",
    "auth.models",
    "portfolio.key_rotations",
    "portfolio.write_receipts",
    "portfolio.contact_notes",
    "portfolio.persisted_documents",
    "portfolio.collections",
    "jobs.records",
    "portfolio.reviews",
    "portfolio.collection_strategies",
    "portfolio.promises",
    "portfolio.disposals",
    "portfolio.notifications",
    "portfolio.alert_follow_ups",
)


def all_metadata() -> list[MetaData]:
    """The metadata of the relational records and of the embedded graph store."""
    for module in RECORD_MODULES:
        importlib.import_module(module)
    return [SQLModel.metadata, embedded_schema.metadata]
