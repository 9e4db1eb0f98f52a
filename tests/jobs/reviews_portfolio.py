"""A small generated portfolio for the review and collections job tests: generated once per
session, imported once into a SQLite template that each test copies, or into a PostgreSQL
schema; and what the tests count (reviews per loan, collection runs)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import Engine, func, select

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.collections import CollectionRun
from portfolio.database import create_sql_engine
from portfolio.reviews import ReviewRecord
from risk.reviews import due_reviews
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files

__all__ = ["AS_OF", "BORROWERS", "collection_runs", "due_loans", "import_into",
           "portfolio_files", "reviews_per_loan", "sqlite_copy", "sqlite_template"]

#: The generator's default date: the portfolio's data end there.
AS_OF: Final = date(2025, 6, 30)
BORROWERS: Final = 300

_REVIEW = ReviewRecord.__table__  # type: ignore[attr-defined]
_RUN = CollectionRun.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def portfolio_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review-jobs") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=BORROWERS, seed=11), out)
    return out


def import_into(engine: Engine, portfolio: Path) -> None:
    """Migrate ``engine``'s database and import ``portfolio`` (embedded graph beside it)."""
    migrate(engine)
    graph = EmbeddedGraphStore(engine)
    try:
        import_files([portfolio], graph, engine)
    finally:
        graph.close()


@pytest.fixture(scope="session")
def sqlite_template(portfolio_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review-jobs-db") / "template.db"
    engine = create_sql_engine(f"sqlite:///{path}")
    try:
        import_into(engine, portfolio_files)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def sqlite_copy(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A fresh copy of the imported template, migrated, for one test."""
    path = tmp_path / "loanwatch.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_sql_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def due_loans(engine: Engine, as_of: date) -> list[str]:
    """Every loan due for review on ``as_of``."""
    return [due.loan_id for due in due_reviews(engine, as_of, 1_000_000)]


def reviews_per_loan(engine: Engine, as_of: date) -> dict[str, int]:
    """How many reviews each loan has as of ``as_of`` (any kind)."""
    with engine.connect() as connection:
        rows = connection.execute(select(_REVIEW.c.loan_id, func.count()).where(
            _REVIEW.c.as_of == as_of).group_by(_REVIEW.c.loan_id)).all()
    return {loan: int(count) for loan, count in rows}


def collection_runs(engine: Engine) -> list[date]:
    """The dates of the collections runs stored, in order."""
    with engine.connect() as connection:
        return list(connection.execute(select(_RUN.c.as_of).order_by(_RUN.c.as_of)).scalars())
