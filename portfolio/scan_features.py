"""The graph features of every party, stored per scan run.

``loanwatch scan`` computes the graph features of :mod:`risk.network.features` for the whole
portfolio in its ``features`` phase and writes one :class:`ScanPartyFeatures` row per party
under the run id, and one :class:`ScanPartyExposure` row per party and currency where the
party's own exposure or its exposure within k hops is not zero (money exact: ``int64`` minor
units beside the ISO code, one row per currency, never summed across currencies). The k is
the run's ``feature_hops`` setting (``scan_run.settings``).

Like every scan result, the rows are read only through a run that succeeded (the ``latest``
pointer, or a succeeded run asked for by id: :func:`risk.scan_results.party_features`), so
the credit models read the features as of a scan and never half a run.

Flat typed columns rather than a JSON document per party: a million parties are written in
a few seconds with plain ``executemany`` (no JSON encoding per row) and the models can
select a column across the portfolio.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Double, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from portfolio.loans import CURRENCY_LENGTH, EXTERNAL_ID_LENGTH

__all__ = ["ScanPartyExposure", "ScanPartyFeatures"]


class ScanPartyFeatures(SQLModel, table=True):
    """One party's graph features in one run (see :mod:`risk.network.features` for each).

    The degree columns count edges by relationship (``risk_degree``: neighbours in the risk
    graph); the shares are null for a party without neighbours; ``distance_to_default`` is
    null beyond the search cap (no defaulted party within reach).
    """

    __tablename__ = "scan_party_features"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), primary_key=True))
    party_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    borrows: int = Field(sa_type=Integer)
    guarantees_given: int = Field(sa_type=Integer)
    guaranteed_by: int = Field(sa_type=Integer)
    owns_out: int = Field(sa_type=Integer)
    owns_in: int = Field(sa_type=Integer)
    directs_out: int = Field(sa_type=Integer)
    directs_in: int = Field(sa_type=Integer)
    uses: int = Field(sa_type=Integer)
    holds: int = Field(sa_type=Integer)
    related: int = Field(sa_type=Integer)
    risk_degree: int = Field(sa_type=Integer)
    delinquent: bool = Field(sa_type=Boolean)
    defaulted: bool = Field(sa_type=Boolean)
    delinquent_share: float | None = Field(default=None, sa_type=Double)
    defaulted_share: float | None = Field(default=None, sa_type=Double)
    distance_to_default: int | None = Field(default=None, sa_type=Integer)
    community: int = Field(sa_type=Integer)
    pagerank: float = Field(sa_type=Double)
    betweenness: float = Field(sa_type=Double)


class ScanPartyExposure(SQLModel, table=True):
    """A party's exposure in one currency in one run: its own loans' principal
    (``own_minor``) and that of the other parties within k hops (``within_minor``)."""

    __tablename__ = "scan_party_exposure"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), primary_key=True))
    party_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    currency: str = Field(primary_key=True, sa_type=String(CURRENCY_LENGTH))
    own_minor: int = Field(sa_type=BigInteger)
    within_minor: int = Field(sa_type=BigInteger)
