"""External events: court cases, negative news and social-media posts.

Two sources:

* **Background events**: each month every party not yet defaulted draws a Poisson number
  of events at a rate that grows e-fold per unit of latent risk above the base (companies
  three times as often as persons). Companies' news sometimes also names the main owner.
* **Recovery lawsuits**: 45 % of defaulted parties are sued 1–6 months after their default
  (if that falls before ``as_of``); the case names the borrower and up to two guarantors.

Court cases against persons anonymise the name (``张某``), as Chinese judgments do.
"""

from __future__ import annotations

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.guarantee_network import GuaranteeNetwork
from seeds.parties import Parties, party_ids
from seeds.randomness import stage_rng
from seeds.risk import NO_DEFAULT, RiskOutcome
from seeds.timeline import Timeline
from seeds.writer import PortfolioWriter

__all__ = ["write_events"]

_KINDS = ("court_case", "news", "social")
_PERSON_KIND_P = (0.3, 0.2, 0.5)
_COMPANY_KIND_P = (0.35, 0.45, 0.2)
_PERSON_RATE, _COMPANY_RATE = 0.0007, 0.0021


def write_events(config: PortfolioConfig, parties: Parties, risk: RiskOutcome,
                 guarantees: GuaranteeNetwork, main_owner: np.ndarray,
                 writer: PortfolioWriter) -> int:
    """Write the ``events`` rows; returns how many.

    Complexity: O(months × borrowers) vectorised draws, plus O(events) to format them.
    """
    timeline = Timeline(config.as_of, config.months)
    first_days, last_days = timeline.month_first_days(), timeline.month_last_days()
    n_p, n = parties.n_persons, parties.n
    reference = np.log(config.base_default_intensity)
    rate = np.where(np.arange(n) < n_p, _PERSON_RATE, _COMPANY_RATE)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # party, day, kind
    for m in range(config.months):
        rng = stage_rng(config.seed, "events", m)
        alive = risk.default_day >= first_days[m]
        lam = rate * np.exp(np.minimum(risk.latent[:, m] - reference, 6.0)) * alive
        hits = rng.poisson(lam)
        party = np.repeat(np.arange(n), hits)
        span = last_days[m] - first_days[m] + 1
        day = first_days[m] + (rng.random(len(party)) * span).astype(np.int64)
        kind_p = np.where((party < n_p)[:, None], _PERSON_KIND_P, _COMPANY_KIND_P)
        kind = (rng.random(len(party))[:, None] > np.cumsum(kind_p, axis=1)).sum(axis=1)
        found.append((party, day, np.minimum(kind, 2)))
    rng = stage_rng(config.seed, "lawsuits")
    defaulted = np.flatnonzero(risk.default_day < NO_DEFAULT)
    sued = defaulted[rng.random(len(defaulted)) < 0.45]
    sue_day = risk.default_day[sued] + rng.integers(30, 180, len(sued))
    keep = sue_day <= timeline.as_of_day
    found.append((sued[keep], sue_day[keep], np.full(int(keep.sum()), -1)))
    party = np.concatenate([f[0] for f in found])
    day = np.concatenate([f[1] for f in found])
    kind = np.concatenate([f[2] for f in found])
    order = np.lexsort((party, day))
    party, day, kind = party[order], day[order], kind[order]
    guarantors = _guarantors_of(guarantees)
    titles, kinds, lists, severity, sources = [], [], [], [], []
    for i, (p, k) in enumerate(zip(party.tolist(), kind.tolist(), strict=True)):
        lawsuit = k < 0
        kind_name = "court_case" if lawsuit else _KINDS[k]
        templates, outlets = cat.EVENT_TEMPLATES[kind_name]
        draw = int(mix_index(config.seed, i, p))
        template, low, high = (templates[0] if lawsuit else templates[draw % len(templates)])
        named = [p]
        if lawsuit:
            named += guarantors.get(p, [])[:2]
            low, high = 4, 5
        elif kind_name == "news" and p >= n_p and main_owner[p - n_p] >= 0 and draw % 10 < 3:
            named.append(int(main_owner[p - n_p]))
        titles.append(template.format(name=_display_name(parties, p, kind_name)))
        kinds.append(kind_name)
        lists.append(party_ids(np.array(named), n_p))
        severity.append(low + (draw // 7) % (high - low + 1))
        sources.append(outlets[(draw // 3) % len(outlets)])
    writer.write("events", {
        "id": [f"EV{i:08d}" for i in range(1, len(party) + 1)], "kind": kinds,
        "occurred_on": day, "title": titles, "party_ids": lists,
        "severity": np.array(severity, dtype=np.int64), "source": sources})
    return len(party)


def mix_index(seed: int, i: int, party: int) -> int:
    """A cheap deterministic integer hash of ``(seed, i, party)`` for template choices."""
    h = (seed * 0x9E3779B1 + i * 0x85EBCA77 + party * 0xC2B2AE3D) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    return h ^ (h >> 12)


def _display_name(parties: Parties, p: int, kind: str) -> str:
    if p >= parties.n_persons:
        return parties.company_names(np.array([p - parties.n_persons]))[0]
    if kind == "court_case":
        return cat.SURNAMES[int(parties.surname[p])][0] + "某"
    return parties.person_names(np.array([p]))[0]


def _guarantors_of(guarantees: GuaranteeNetwork) -> dict[int, list[int]]:
    order = np.lexsort((guarantees.guarantor, guarantees.borrower))
    out: dict[int, list[int]] = {}
    for b, g in zip(guarantees.borrower[order].tolist(), guarantees.guarantor[order].tolist(),
                    strict=True):
        out.setdefault(b, []).append(g)
    return out
