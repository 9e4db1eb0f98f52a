"""Defaults: the NPL band, contagion through the network, and the latent risk paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.seeds.portfolio_files import PortfolioFiles


def _npl_loans(portfolio: PortfolioFiles) -> set[str]:
    return {loan_id for loan_id, loan in portfolio.loans.items()
            if loan["status"] == "written_off" or portfolio.days_past_due(loan_id) >= 90}


def test_npl_ratio_is_in_the_two_to_four_percent_band(portfolio: PortfolioFiles) -> None:
    npl = _npl_loans(portfolio)
    ratio = len(npl) / len(portfolio.loans)
    assert 0.02 <= ratio <= 0.04
    assert len(npl) == portfolio.truth["summary"]["npl_loans"]
    written_off = [i for i, loan in portfolio.loans.items() if loan["status"] == "written_off"]
    assert all(portfolio.days_past_due(i) >= 180 for i in written_off)


def test_what_the_lender_sees_tracks_the_truth(portfolio: PortfolioFiles) -> None:
    npl = _npl_loans(portfolio)
    borrowers = {portfolio.loans[i]["borrower_id"] for i in npl}
    assert len(borrowers & set(portfolio.defaulted)) >= 0.9 * len(borrowers)
    # ...but lags it: some defaults are too recent to show as 90+ days past due.
    assert len(set(portfolio.defaulted) - borrowers) > 0


def test_defaults_cluster_around_defaulted_neighbours(portfolio: PortfolioFiles) -> None:
    defaulted = portfolio.defaulted
    base_rate = len(defaulted) / len(portfolio.party_ids)
    exposed = set()
    for guarantor, borrower in portfolio.guarantee_edges:
        if borrower in defaulted and defaulted[borrower] <= defaulted.get(guarantor, "9999"):
            exposed.add(guarantor)
    rate = sum(g in defaulted for g in exposed) / len(exposed)
    assert len(exposed) > 30
    assert rate > 2.5 * base_rate
    # Once a circle, group or mutual pair has a default, its other members follow often.
    structures = [c["members"] for c in portfolio.truth["guarantee_circles"]]
    structures += [g["members"] for g in portfolio.truth["groups"]]
    structures += portfolio.truth["mutual_pairs"]
    others = hit = 0
    for members in structures:
        days = sorted(defaulted[m] for m in members if m in defaulted)
        if days:
            rest = [m for m in members if defaulted.get(m) != days[0]]
            others += len(rest)
            hit += sum(m in defaulted for m in rest)
    companies = {r["id"] for r in portfolio.table("companies")}
    company_rate = len(companies & set(defaulted)) / len(companies)
    assert others > 30
    assert hit / others > 1.5 * company_rate


def test_contagion_seeds_explain_every_contagion_default(portfolio: PortfolioFiles) -> None:
    truth = portfolio.truth
    d = truth["defaults"]
    contagion = {p for p, cause in zip(d["party_id"], d["cause"], strict=True)
                 if cause == "contagion"}
    assert contagion
    cascaded = [m for s in truth["contagion_seeds"] for m in s["cascade"]]
    assert sorted(cascaded) == sorted(contagion)
    for seed in truth["contagion_seeds"]:
        assert seed["cause"] in ("base", "planted")
        assert all(portfolio.defaulted[m] >= seed["default_on"] for m in seed["cascade"])
    source = dict(zip(d["party_id"], d["source"], strict=True))
    assert all(source[p] in portfolio.defaulted for p in contagion)


def test_latent_paths_are_stored_compactly(portfolio: PortfolioFiles) -> None:
    latent = np.load(portfolio.out / "ground_truth" / "latent_risk.npy")
    meta = portfolio.truth["latent_risk"]
    assert latent.dtype == np.float32 and list(latent.shape) == meta["shape"]
    assert latent.shape == (5_000, 24) and np.isfinite(latent).all()
    persons = meta["persons"]
    rows = [int(p[1:]) - 1 + (persons if p.startswith("C") else 0)
            for p in portfolio.defaulted]
    gone = np.zeros(len(latent), dtype=bool)
    gone[rows] = True
    assert latent[gone, -1].mean() > latent[~gone, -1].mean() + 1.0


def test_without_contagion_nothing_is_caught_from_neighbours(tmp_path: Path) -> None:
    summary = generate_portfolio(PortfolioConfig(borrowers=1_000, contagion_strength=0.0),
                                 tmp_path)
    assert summary.stats["contagion_defaults"] == 0
    assert summary.stats["defaults"] > 0
