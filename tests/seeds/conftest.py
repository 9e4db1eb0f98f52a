"""Shared fixtures: one default-configuration portfolio of 5,000 borrowers per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.seeds.portfolio_files import PortfolioFiles


@pytest.fixture(scope="session")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> PortfolioFiles:
    """The files of the default configuration at 5,000 borrowers, loaded once."""
    out: Path = tmp_path_factory.mktemp("portfolio")
    summary = generate_portfolio(PortfolioConfig(borrowers=5_000), out)
    return PortfolioFiles(out, summary)
