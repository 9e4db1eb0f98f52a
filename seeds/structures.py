"""The relational structure of the portfolio, built once, and the relation files it writes.

:func:`build_structures` draws, in order: ownership and groups (:mod:`seeds.groups`),
households and identity rings (:mod:`seeds.identity`), the guarantee network
(:mod:`seeds.guarantee_network`) and supply chains (:mod:`seeds.supply_chain`).

The ``relations`` file reads "``party_id`` is the ``kind`` of ``other_id``": a supplier row
``(S, C, supplier)`` says S supplies C, a customer row ``(C, S, customer)`` the same link
seen from the buyer (30 % of links are written that way, as another source system would),
``(P, C, employee)`` says P works for C; ``family`` (household head and member) and
``partner`` (co-owners of a company) are symmetric and written once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.groups import DIRECTOR_ROLES, Ownership, build_ownership
from seeds.guarantee_network import GuaranteeNetwork, build_guarantee_network
from seeds.identity import Identity, build_identity
from seeds.parties import OWNER_OCCUPATION_CODE, Parties, party_ids
from seeds.randomness import stage_rng
from seeds.supply_chain import SupplyChain, build_supply_chain
from seeds.timeline import Timeline
from seeds.validity import ADULT_DAYS, draw_dates, undated
from seeds.writer import PortfolioWriter

__all__ = ["Structures", "build_structures", "write_ownership", "write_relations"]


@dataclass(slots=True)
class Structures:
    """Everything relational: ownership and groups, identity, guarantees, supply chains."""

    ownership: Ownership
    identity: Identity
    guarantees: GuaranteeNetwork
    supply: SupplyChain


def build_structures(config: PortfolioConfig, parties: Parties) -> Structures:
    """Draw every structure; marks owners' occupation and group roots on ``parties``.

    Complexity: O(borrowers log borrowers) time and memory.
    """
    ownership = build_ownership(config, parties.size)
    owners = ownership.owner_persons
    parties.occupation[owners] = OWNER_OCCUPATION_CODE
    rng = stage_rng(config.seed, "owner-income")
    owner_income = cat.OWNER_OCCUPATION.income_median * rng.lognormal(0.0, 0.5, len(owners))
    parties.income[owners] = (np.round(owner_income / 100) * 10_000).astype(np.int64)
    parties.group_root[[g.root for g in ownership.groups]] = True
    identity = build_identity(config, parties)
    ring_members = identity.ring_members()
    guarantees = build_guarantee_network(
        config, parties.size, parties.city[parties.n_persons:].astype(np.int64), ownership,
        identity.households, ring_members)
    supply = build_supply_chain(config, parties, ring_members)
    return Structures(ownership=ownership, identity=identity, guarantees=guarantees,
                      supply=supply)


def write_ownership(config: PortfolioConfig, parties: Parties, structures: Structures,
                    writer: PortfolioWriter) -> None:
    """Write the ``ownerships`` and ``directorships`` rows. O(companies).

    Dates (:mod:`seeds.validity`): 60% of stakes and half of the directorships start on a
    day after the company's founding (and the owner's, or the director's eighteenth
    birthday); no stake ends, so every planted group holds on ``as_of``, while 12% of the
    dated directorships ended (a director who left).
    """
    own = structures.ownership
    n_persons = parties.n_persons
    as_of = Timeline(config.as_of, config.months).as_of_day
    rng = stage_rng(config.seed, "relationship-dates")
    founded = parties.founded_day
    earliest = founded[own.company - n_persons]
    by_company = own.owner >= n_persons
    owner_founded = founded[np.where(by_company, own.owner - n_persons, 0)]
    owner_adult = parties.birth_day[np.where(by_company, 0, own.owner)] + ADULT_DAYS
    earliest = np.maximum(earliest, np.where(by_company, owner_founded, owner_adult))
    stakes = draw_dates(rng, earliest, as_of, dated=0.6, ended=0.0)
    writer.write("ownerships", {"owner_id": party_ids(own.owner, n_persons),
                                "company_id": party_ids(own.company, n_persons),
                                "pct": own.pct, **stakes.columns()}, stakes.missing())
    roles = np.array(DIRECTOR_ROLES)
    earliest = np.maximum(founded[own.directed - n_persons],
                          parties.birth_day[own.director] + ADULT_DAYS)
    seats = draw_dates(rng, earliest, as_of, dated=0.5, ended=0.12)
    writer.write("directorships", {"person_id": party_ids(own.director, n_persons),
                                   "company_id": party_ids(own.directed, n_persons),
                                   "role": roles[own.role], **seats.columns()},
                 seats.missing())


def write_relations(config: PortfolioConfig, structures: Structures, n_persons: int,
                    writer: PortfolioWriter) -> None:
    """Write the ``relations`` rows (family, supplier/customer, employee, partner).

    Complexity: O(relations).
    """
    rng = stage_rng(config.seed, "relations")
    homes = structures.identity.households
    heads = np.array([h[0] for h in homes for _ in h[1:]], dtype=np.int64)
    members = np.array([m for h in homes for m in h[1:]], dtype=np.int64)
    supply = structures.supply
    flip = rng.random(len(supply.supplier)) < 0.3
    partners = structures.ownership.partner_pairs
    rows = (
        (heads, members, "family"),
        (supply.supplier[~flip], supply.customer[~flip], "supplier"),
        (supply.customer[flip], supply.supplier[flip], "customer"),
        (supply.employee, supply.employer, "employee"),
        (partners[:, 0], partners[:, 1], "partner"),
    )
    width = n_persons + len(structures.ownership.main_owner)
    for party, other, kind in rows:
        # A pair of co-owners may own several companies together: write it once.
        key = np.unique(party * width + other)
        party, other = key // width, key % width
        none = undated(len(party))
        writer.write("relations", {"party_id": party_ids(party, n_persons),
                                   "other_id": party_ids(other, n_persons),
                                   "kind": [kind] * len(party), **none.columns()},
                     none.missing())

