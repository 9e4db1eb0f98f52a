"""Persons and companies: their attributes as numpy arrays, and their rows in the files.

Party ``i`` of the portfolio is a person when ``i < n_persons`` and a company otherwise;
ids are ``P00000001``… and ``C00000001``…, numbered within each kind. Names are Chinese,
national ids and unified social credit codes carry valid check characters and never repeat.

Some parties carry a ``loss_buffer``, the capacity the bank assessed itself: most medium and
large companies and a few small ones (audited equity, 0.5 to 4 times the registered capital,
around 1.5), four in ten company owners and one person in twenty otherwise (an assessed
capacity of 2 to 10 years of income). The others leave it to the registered capital or
the income multiple.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.randomness import affine_permutation, stage_rng, weighted_choice
from seeds.timeline import Timeline, days_to_months, month_start_day
from seeds.writer import PortfolioWriter

__all__ = ["OWNER_OCCUPATION_CODE", "Parties", "generate_parties", "loss_buffers", "party_ids",
           "write_parties"]

OWNER_OCCUPATION_CODE = len(cat.OCCUPATIONS)
_SIZE_NAMES = np.array([s[0] for s in cat.COMPANY_SIZES])
_TIER_INCOME = {1: 1.4, 2: 1.0, 3: 0.8}
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


@dataclass(slots=True)
class Parties:
    """All parties' attributes; person arrays have ``n_persons`` rows, company arrays
    ``n_companies`` rows, and ``city`` covers every party (persons first).

    The structure builders mark owners (``occupation`` becomes the owner code) and group
    roots; everything else is fixed at generation.
    """

    n_persons: int
    n_companies: int
    city: np.ndarray
    birth_day: np.ndarray
    gender: np.ndarray  # 1 male, 0 female
    occupation: np.ndarray
    income: np.ndarray  # cents per month
    income_missing: np.ndarray
    surname: np.ndarray
    given1: np.ndarray
    given2: np.ndarray  # -1 for one-character given names
    district: np.ndarray
    sector: np.ndarray
    size: np.ndarray  # 0 micro .. 3 large
    founded_day: np.ndarray
    revenue: np.ndarray  # cents per year
    capital: np.ndarray  # cents
    brand: np.ndarray
    group_root: np.ndarray  # bool per company, set by the structure builders

    @property
    def n(self) -> int:
        """Number of parties."""
        return self.n_persons + self.n_companies

    def person_names(self, idx: np.ndarray) -> list[str]:
        """Names of persons ``idx`` (person indices). O(len(idx))."""
        surnames = [s for s, _ in cat.SURNAMES]
        out = []
        for s, g, a, b in zip(self.surname[idx].tolist(), self.gender[idx].tolist(),
                              self.given1[idx].tolist(), self.given2[idx].tolist(), strict=True):
            chars = cat.GIVEN_MALE if g else cat.GIVEN_FEMALE
            out.append(surnames[s] + chars[a] + (chars[b] if b >= 0 else ""))
        return out

    def company_names(self, idx: np.ndarray) -> list[str]:
        """Names of companies ``idx`` (company indices). O(len(idx))."""
        brands, n_b = cat.BRAND_CHARS, len(cat.BRAND_CHARS)
        out = []
        for c, b, s, z, root in zip(self.city[self.n_persons + idx].tolist(),
                                    self.brand[idx].tolist(), self.sector[idx].tolist(),
                                    self.size[idx].tolist(), self.group_root[idx].tolist(),
                                    strict=True):
            city = cat.CITIES[c].name.removesuffix("市")
            suffix = "集团有限公司" if root else ("股份有限公司" if z == 3 else "有限公司")
            out.append(f"{city}{brands[b // n_b]}{brands[b % n_b]}{cat.SECTORS[s].label}{suffix}")
        return out


def party_ids(idx: np.ndarray, n_persons: int) -> list[str]:
    """External ids of global party indices ``idx``. O(len(idx))."""
    return [f"P{i + 1:08d}" if i < n_persons else f"C{i - n_persons + 1:08d}"
            for i in np.asarray(idx).tolist()]


def generate_parties(config: PortfolioConfig) -> Parties:
    """Draw every party's attributes.

    Parameters:
        config: the portfolio settings (counts, seed, as-of date).

    Complexity: O(borrowers) time and memory, vectorised.
    """
    rng = stage_rng(config.seed, "parties")
    n_p, n_c = config.persons, config.companies
    as_of = Timeline(config.as_of, config.months).as_of_day
    city = weighted_choice(rng, [c.weight for c in cat.CITIES], n_p + n_c).astype(np.int16)
    age = 22 + rng.beta(2.0, 3.0, n_p) * 43
    birth_day = (as_of - age * 365.25 - rng.integers(0, 365, n_p)).astype(np.int64)
    gender = (rng.random(n_p) < 0.52).astype(np.int8)
    occupation = weighted_choice(rng, [o.weight for o in cat.OCCUPATIONS], n_p).astype(np.int8)
    median = np.array([o.income_median for o in cat.OCCUPATIONS])[occupation]
    tier = np.array([_TIER_INCOME[c.tier] for c in cat.CITIES])[city[:n_p]]
    income_yuan = median * tier * rng.lognormal(0.0, 0.45, n_p)
    income = (np.round(income_yuan / 100) * 10_000).astype(np.int64)
    surname = weighted_choice(rng, [w for _, w in cat.SURNAMES], n_p).astype(np.int16)
    n_given = np.where(gender == 1, len(cat.GIVEN_MALE), len(cat.GIVEN_FEMALE))
    given1 = (rng.random(n_p) * n_given).astype(np.int16)
    given2 = np.where(rng.random(n_p) < 0.7, (rng.random(n_p) * n_given).astype(np.int16), -1)
    size = weighted_choice(rng, [s[1] for s in cat.COMPANY_SIZES], n_c).astype(np.int8)
    sector = weighted_choice(rng, [s.weight for s in cat.SECTORS], n_c).astype(np.int8)
    years = np.minimum(1 + rng.gamma(2.0, 3.0, n_c) + 3 * size, 40)
    founded_day = (as_of - years * 365.25).astype(np.int64)
    rev_median = np.array([s[2] for s in cat.COMPANY_SIZES])[size]
    rev_factor = np.array([s.revenue_factor for s in cat.SECTORS])[sector]
    revenue_yuan = rev_median * rev_factor * rng.lognormal(0.0, 0.6, n_c)
    revenue = (np.round(revenue_yuan / 1_000) * 100_000).astype(np.int64)
    capital = (np.maximum(np.round(revenue_yuan * rng.uniform(0.05, 0.5, n_c) / 10_000), 10)
               * 1_000_000).astype(np.int64)
    n_b = len(cat.BRAND_CHARS)
    brand = affine_permutation(np.arange(n_c) % (n_b * n_b), n_b * n_b, rng)
    return Parties(
        n_persons=n_p, n_companies=n_c, city=city, birth_day=birth_day, gender=gender,
        occupation=occupation, income=income, income_missing=rng.random(n_p) < 0.04,
        surname=surname, given1=given1, given2=given2.astype(np.int16),
        district=rng.integers(1, 9, n_p + n_c).astype(np.int8), sector=sector, size=size,
        founded_day=founded_day, revenue=revenue, capital=capital, brand=brand,
        group_root=np.zeros(n_c, dtype=bool),
    )


def _national_ids(parties: Parties, idx: np.ndarray, seq_all: np.ndarray) -> list[str]:
    """18-character resident ids: region, birth date, sequence, check character. O(n)."""
    region = np.array([c.code for c in cat.CITIES])[parties.city[idx]] + parties.district[idx]
    birth = parties.birth_day[idx].astype("datetime64[D]")
    ymd = (birth.astype("datetime64[Y]").astype(np.int64) + 1970) * 10_000 + (
        (birth.astype("datetime64[M]").astype(np.int64) % 12) + 1) * 100 + (
        parties.birth_day[idx] - month_start_day(days_to_months(parties.birth_day[idx])) + 1)
    body = region.astype(np.int64) * 10**11 + ymd * 1_000 + seq_all[idx]
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return [f"{b:017d}{c}" for b, c in zip(body.tolist(), check.tolist(), strict=True)]


def _id_sequences(parties: Parties) -> np.ndarray:
    """Per person, a 3-digit sequence making national ids unique; odd for men. O(n log n)."""
    n_p = parties.n_persons
    region = np.array([c.code for c in cat.CITIES])[parties.city[:n_p]] + parties.district[:n_p]
    key = region.astype(np.int64) * 100_000 + parties.birth_day[:n_p] - parties.birth_day.min()
    key = key * 2 + parties.gender
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.searchsorted(sorted_key, sorted_key, side="left")
    rank = np.empty(n_p, dtype=np.int64)
    rank[order] = np.arange(n_p) - first
    return (rank * 2 + parties.gender + 10) % 1_000


def _credit_codes(parties: Parties, idx: np.ndarray, org: np.ndarray) -> list[str]:
    """Unified social credit codes (``91`` + region + organisation code + check). O(n)."""
    region = np.array([c.code for c in cat.CITIES])[parties.city[parties.n_persons + idx]]
    org_digits = (org[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    org_check = 11 - (org_digits * _ORG_WEIGHTS).sum(axis=1) % 11
    org_check = np.where(org_check == 11, 0, org_check)  # 10 is written X
    x_value = _USCC_CHARS.index("X")
    region_digits = (region[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    values = np.concatenate([np.tile([9, 1], (len(idx), 1)), region_digits, org_digits,
                             np.where(org_check == 10, x_value, org_check)[:, None]], axis=1)
    check = (31 - (values * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    chars = np.array(list(_USCC_CHARS))
    return ["".join(row) for row in chars[np.concatenate([values, check[:, None]], axis=1)]]


#: Share of companies of each size (micro .. large) whose equity the bank audited.
_AUDITED_SHARE = np.array([0.0, 0.2, 0.7, 0.9])
_OWNER_BUFFER_SHARE = 0.4
_PERSON_BUFFER_SHARE = 0.05


def loss_buffers(parties: Parties, config: PortfolioConfig) -> tuple[np.ndarray, np.ndarray]:
    """Each party's assessed ``loss_buffer`` in cents, and where it has none (persons first).

    Drawn from a stage of its own, once for all parties, so chunking changes nothing.
    Complexity: O(parties).
    """
    rng = stage_rng(config.seed, "loss-buffers")
    n_p, n_c = parties.n_persons, parties.n_companies
    owner = parties.occupation == OWNER_OCCUPATION_CODE
    has_person = rng.random(n_p) < np.where(owner, _OWNER_BUFFER_SHARE, _PERSON_BUFFER_SHARE)
    person = parties.income * rng.uniform(24, 120, n_p)
    has_company = rng.random(n_c) < _AUDITED_SHARE[parties.size]
    company = parties.capital * np.clip(rng.lognormal(np.log(1.5), 0.5, n_c), 0.5, 4.0)
    buffer = np.round(np.concatenate([person, company]) / 10_000) * 10_000
    missing = ~np.concatenate([has_person, has_company]) | (buffer <= 0)
    return np.maximum(buffer, 10_000).astype(np.int64), missing


def write_parties(parties: Parties, writer: PortfolioWriter, config: PortfolioConfig,
                  chunk: int = 200_000) -> None:
    """Write ``persons`` and ``companies`` rows, ``chunk`` parties at a time.

    Complexity: O(borrowers) time; O(chunk) extra memory.
    """
    seq_all = _id_sequences(parties)
    buffer, no_buffer = loss_buffers(parties, config)
    occupations = [o.name for o in cat.OCCUPATIONS] + [cat.OWNER_OCCUPATION.name]
    city_names = np.array([c.name for c in cat.CITIES])
    provinces = np.array([c.province for c in cat.CITIES])
    for start in range(0, parties.n_persons, chunk):
        idx = np.arange(start, min(start + chunk, parties.n_persons))
        ids = party_ids(idx, parties.n_persons)
        writer.write("persons", {
            "id": ids,
            "name": parties.person_names(idx),
            "national_id": _national_ids(parties, idx, seq_all),
            "birth_date": parties.birth_day[idx],
            "gender": np.where(parties.gender[idx] == 1, "M", "F"),
            "city": city_names[parties.city[idx]],
            "province": provinces[parties.city[idx]],
            "occupation": [occupations[o] for o in parties.occupation[idx].tolist()],
            # A reserved domain (RFC 2606): no demo message can reach a real person.
            "email": [f"{pid.lower()}@example.com" for pid in ids],
            "monthly_income": parties.income[idx],
            "loss_buffer": buffer[idx],
            "currency": [cat.CURRENCY] * len(idx),
        }, missing={"monthly_income": parties.income_missing[idx], "loss_buffer": no_buffer[idx],
                    # Two borrowers in five gave the bank no e-mail address.
                    "email": idx % 5 < 2})
    org_codes = affine_permutation(np.arange(parties.n_companies), 10**8,
                                   stage_rng(config.seed, "credit-codes"))
    for start in range(0, parties.n_companies, chunk):
        idx = np.arange(start, min(start + chunk, parties.n_companies))
        glob = idx + parties.n_persons
        writer.write("companies", {
            "id": party_ids(glob, parties.n_persons),
            "name": parties.company_names(idx),
            "registration_no": _credit_codes(parties, idx, org_codes[idx]),
            "sector": [cat.SECTORS[s].code for s in parties.sector[idx].tolist()],
            "size": _SIZE_NAMES[parties.size[idx]],
            "city": city_names[parties.city[glob]],
            "province": provinces[parties.city[glob]],
            "founded_on": parties.founded_day[idx],
            "registered_capital": parties.capital[idx],
            "annual_revenue": parties.revenue[idx],
            "loss_buffer": buffer[glob],
            "currency": [cat.CURRENCY] * len(idx),
        }, missing={"loss_buffer": no_buffer[glob]})
