"""Households, identity rings, and the phone/address/device identifiers of every party.

* A **household** (2–3 persons, 12 % of persons) shares a home address: benign sharing,
  with a ``family`` relation between its head and each member.
* An **identity ring** (3–8 persons) shares a phone, a device or an address (a quarter of
  the rings share two of them): the footprint of an application-fraud ring. Half of the
  members write the shared value in another format (``138 1234 5678``, an upper-case
  device id, stray spaces), which the importer's normalisation folds back together.

Everyone else's identifiers are unique: phones and addresses come from affine
permutations of the party number and device ids from a 64-bit bijection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.parties import Parties, party_ids
from seeds.randomness import affine_params, mix64, stage_rng
from seeds.timeline import Timeline
from seeds.validity import ADULT_DAYS, draw_dates
from seeds.writer import PortfolioWriter

__all__ = ["Identity", "Ring", "build_identity", "identifier_values", "write_identifiers"]

_MOBILE_PREFIXES = np.array([str(p) for p in (*range(130, 140), *range(150, 160),
                                              *range(180, 190), 177, 199)])
_RING_KINDS = ("device", "phone", "address")
_ADDRESS_RADIX = (len(cat.ROADS), 300, 40, 6, 30, 4)


@dataclass(slots=True)
class Ring:
    """An identity ring: its person indices and the identifier kinds they share."""

    members: list[int]
    kinds: tuple[str, ...]


@dataclass(slots=True)
class Identity:
    """Households and rings; ``ring_of``/``household_of`` give each person's, or -1."""

    households: list[list[int]]
    rings: list[Ring]
    ring_of: np.ndarray
    household_of: np.ndarray

    def ring_members(self) -> np.ndarray:
        """Person indices that belong to a ring."""
        return np.flatnonzero(self.ring_of >= 0)


def build_identity(config: PortfolioConfig, parties: Parties) -> Identity:
    """Draw households and rings; members of one are moved to one city.

    Complexity: O(persons) time and memory; a Python loop over households and rings.
    """
    rng = stage_rng(config.seed, "identity")
    n_p = parties.n_persons
    pool = rng.permutation(n_p).tolist()
    cursor = 0
    household_of = np.full(n_p, -1, dtype=np.int32)
    ring_of = np.full(n_p, -1, dtype=np.int32)
    households: list[list[int]] = []
    target = int(0.12 * n_p)
    while cursor < target:
        k = int(rng.integers(2, 4))
        members = pool[cursor:cursor + k]
        cursor += k
        household_of[members] = len(households)
        parties.city[members] = parties.city[members[0]]
        parties.district[members] = parties.district[members[0]]
        households.append(members)
    rings: list[Ring] = []
    for _ in range(config.resolved_ring_count):
        k = int(rng.integers(config.ring_size_min, config.ring_size_max + 1))
        if cursor + k > n_p:
            break
        members = pool[cursor:cursor + k]
        cursor += k
        first = _RING_KINDS[int(rng.choice(3, p=[0.45, 0.30, 0.25]))]
        kinds = (first,)
        if rng.random() < 0.25:
            kinds = (first, _RING_KINDS[(_RING_KINDS.index(first) + 1) % 3])
        ring_of[members] = len(rings)
        if rng.random() < 0.7:
            parties.city[members] = parties.city[members[0]]
        rings.append(Ring(members=members, kinds=kinds))
    return Identity(households=households, rings=rings, ring_of=ring_of,
                    household_of=household_of)


class _Values:
    """Deterministic, collision-free identifier values of any party index."""

    def __init__(self, config: PortfolioConfig, parties: Parties) -> None:
        rng = stage_rng(config.seed, "identifier-values")
        self.parties = parties
        self.salt = int(rng.integers(0, 2**62))
        self.phone_a = int(rng.integers(1, 10**7)) * 10 + 3  # coprime to 10**8
        self.phone_b = int(rng.integers(0, 10**8))
        self.address_modulus = int(np.prod(_ADDRESS_RADIX))
        self.address_a, self.address_b = affine_params(self.address_modulus, rng)

    def phones(self, idx: np.ndarray) -> list[str]:
        """Mobile numbers of persons, ``area-number`` landlines of companies. O(n)."""
        n_p = self.parties.n_persons
        suffix = (idx.astype(np.int64) * self.phone_a + self.phone_b) % 10**8
        pick = (mix64(idx, self.salt) % np.uint64(len(_MOBILE_PREFIXES))).astype(np.int64)
        area = np.array([c.area_code for c in cat.CITIES])[self.parties.city[idx]]
        return [f"{a}-{s:08d}" if i >= n_p else f"{_MOBILE_PREFIXES[p]}{s:08d}"
                for i, s, p, a in zip(idx.tolist(), suffix.tolist(), pick.tolist(),
                                      area.tolist(), strict=True)]

    def addresses(self, idx: np.ndarray) -> list[str]:
        """Home addresses of persons, office addresses of companies. O(n)."""
        code = (idx.astype(np.int64) * self.address_a + self.address_b) % self.address_modulus
        parts = []
        for radix in reversed(_ADDRESS_RADIX):
            code, digit = np.divmod(code, radix)
            parts.append(digit)
        room, floor, unit, building, number, road = parts
        n_p = self.parties.n_persons
        out = []
        for i, c, d, r, no, b, u, f, rm in zip(
                idx.tolist(), self.parties.city[idx].tolist(),
                self.parties.district[idx].tolist(), road.tolist(), number.tolist(),
                building.tolist(), unit.tolist(), floor.tolist(), room.tolist(), strict=True):
            city = cat.CITIES[c]
            place = city.name if city.province == city.name else city.province + city.name
            street = f"{place}{cat.DISTRICTS[d % len(cat.DISTRICTS)]}{cat.ROADS[r]}{no + 1}号"
            if i >= n_p:
                out.append(f"{street}{b + 1}幢{f + 1}层{u * 4 + rm + 1:02d}室")
            else:
                out.append(f"{street}{b + 1}栋{u + 1}单元{f + 1}{rm + 1:02d}室")
        return out

    def devices(self, idx: np.ndarray) -> list[str]:
        """16-hex-digit device ids. O(n)."""
        return [f"{v:016x}" for v in mix64(idx, self.salt ^ 0x5DEECE66D).tolist()]


def _variant(kind: str, value: str, style: int) -> str:
    """``value`` as another clerk might have typed it; normalises back to ``value``."""
    if kind == "phone":
        return f"{value[:3]} {value[3:7]} {value[7:]}" if style == 0 else \
            f"{value[:3]}-{value[3:7]}-{value[7:]}"
    if kind == "device":
        return value.upper()
    return f" {value}  " if style == 0 else f"{value} "


def identifier_values(config: PortfolioConfig, parties: Parties, identity: Identity
                      ) -> dict[int, dict[str, str]]:
    """The normalised shared value of each ring, per kind: ``{ring: {kind: value}}``.

    The value is the ring's first member's own identifier. O(ring members).
    """
    values = _Values(config, parties)
    out: dict[int, dict[str, str]] = {}
    for r, ring in enumerate(identity.rings):
        first = np.array([ring.members[0]])
        shared: dict[str, str] = {}
        for kind in ring.kinds:
            raw = {"phone": values.phones, "address": values.addresses,
                   "device": values.devices}[kind](first)[0]
            shared[kind] = raw.lower() if kind == "device" else raw
        out[r] = shared
    return out


#: How far back a lender's records of a person's phones, addresses and devices reach.
_RECORDS_DAYS: Final = 20 * 365


def write_identifiers(config: PortfolioConfig, parties: Parties, identity: Identity,
                      writer: PortfolioWriter, chunk: int = 200_000) -> None:
    """Write every party's identifier rows (phone for all; addresses and devices for some).

    Dates (:mod:`seeds.validity`): 70% of the uses start on a day after the person's
    eighteenth birthday (at most 20 years back) or the company's founding; 8% of the dated
    uses a person does not share with a ring or a household ended (a phone given up, a
    move), 3% of a company's.

    Complexity: O(borrowers) time; O(chunk) memory beyond the party arrays.
    """
    values = _Values(config, parties)
    n_p, n = parties.n_persons, parties.n
    as_of = Timeline(config.as_of, config.months).as_of_day
    for c, start in enumerate(range(0, n, chunk)):
        rng = stage_rng(config.seed, "identifiers", c)
        dates_rng = stage_rng(config.seed, "identifier-dates", c)
        idx = np.arange(start, min(start + chunk, n))
        persons = idx[idx < n_p]
        ring = identity.ring_of[persons]
        home = identity.household_of[persons]
        ring_kinds = [identity.rings[r].kinds if r >= 0 else () for r in ring.tolist()]
        shares = {k: np.array([k in kinds for kinds in ring_kinds], dtype=bool)
                  for k in _RING_KINDS}
        has_address = (home >= 0) | shares["address"] | (rng.random(len(persons)) < 0.15)
        has_device = shares["device"] | (rng.random(len(persons)) < 0.2)
        # Whose value each person writes: their own, their household head's, or the ring's.
        address_owner = persons.copy()
        heads = np.array([h[0] for h in identity.households] or [0], dtype=np.int64)
        address_owner[home >= 0] = heads[home[home >= 0]]
        firsts = np.array([r.members[0] for r in identity.rings] or [0], dtype=np.int64)
        for kind, owners in (("address", address_owner), ("phone", persons.copy()),
                             ("device", persons.copy())):
            owners[shares[kind]] = firsts[ring[shares[kind]]]
            present = {"address": has_address, "device": has_device}.get(
                kind, np.ones(len(persons), dtype=bool))
            sel = np.flatnonzero(present)
            raw = {"phone": values.phones, "address": values.addresses,
                   "device": values.devices}[kind](owners[sel])
            styles = rng.integers(0, 4, len(sel)).tolist()
            for j, (i, s) in enumerate(zip(sel.tolist(), styles, strict=True)):
                if shares[kind][i] and s < 2 and owners[i] != persons[i]:
                    raw[j] = _variant(kind, raw[j], s)
            shared = shares[kind][sel] | ((home[sel] >= 0) if kind == "address" else False)
            earliest = np.maximum(parties.birth_day[persons[sel]] + ADULT_DAYS,
                                  as_of - _RECORDS_DAYS)
            dates = draw_dates(dates_rng, earliest, as_of, dated=0.7, ended=0.08, keep=shared)
            writer.write("identifiers", {"party_id": party_ids(persons[sel], n_p),
                                         "kind": [kind] * len(sel), "value": raw,
                                         **dates.columns()}, dates.missing())
        companies = idx[idx >= n_p]
        for kind, fn in (("phone", values.phones), ("address", values.addresses)):
            dates = draw_dates(dates_rng, parties.founded_day[companies - n_p], as_of,
                               dated=0.7, ended=0.03)
            writer.write("identifiers", {"party_id": party_ids(companies, n_p),
                                         "kind": [kind] * len(companies),
                                         "value": fn(companies), **dates.columns()},
                         dates.missing())
