"""The model registry and the scores the scan stores with the model that produced them.

A :class:`ModelVersion` row is one trained, immutable model: its kind, what it predicts, the
feature list, the training window or file, its validation metrics, the code version that
trained it, and the artefact itself (the bytes of :meth:`risk.models.pd_model.PdModel.to_bytes`,
with their SHA-256 so a tampered or truncated artefact is refused on load). Rows are never
updated; which model is in production is the latest :class:`ModelPromotion` of its scope,
so promoting is one insert, the promotions are the history of who chose which model when
and why, and rolling back is promoting the previous model again.

A scope says where a model can be used: ``portfolio`` models read the features of the
stored portfolio (:mod:`risk.models.dataset`) and the scan scores with the production one;
``file`` models were trained on a lender's CSV and score files of the same columns.

:class:`ScanPartyScore` is a borrower's PD in one scan run: the model id, the PD, the
scorecard points where the model has them, and the reason codes as JSON.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Column, Double, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from portfolio.alerts import ACTOR_LENGTH
from portfolio.loans import EXTERNAL_ID_LENGTH
from portfolio.types import UtcDateTime

__all__ = ["MODEL_ID_PREFIX", "ModelPromotion", "ModelScope", "ModelVersion",
           "ScanPartyScore", "model_key"]

#: A model's id as users see it: ``M`` and the row number, ``M00007``.
MODEL_ID_PREFIX: Final = "M"


def model_key(row_id: int) -> str:
    """The id users see for the registry row ``row_id``."""
    return f"{MODEL_ID_PREFIX}{row_id:05d}"


class ModelScope(StrEnum):
    PORTFOLIO = "portfolio"
    FILE = "file"
    GRAPH = "graph"


class ModelVersion(SQLModel, table=True):
    """One registered model. JSON columns are text (the same on SQLite and PostgreSQL)."""

    __tablename__ = "model_registry"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    kind: str = Field(sa_type=String(16))
    scope: str = Field(sa_type=String(16))
    target: str = Field(sa_type=Text)
    feature_names: str = Field(sa_type=Text)
    training: str = Field(sa_type=Text)
    metrics: str = Field(sa_type=Text)
    params: str = Field(sa_type=Text)
    code_version: str = Field(sa_type=String(128))
    payload: bytes = Field(sa_type=LargeBinary)
    payload_sha256: str = Field(sa_type=String(64))
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    created_at: datetime = Field(sa_type=UtcDateTime)


class ModelPromotion(SQLModel, table=True):
    """``model_id`` became the production model of ``scope`` at ``promoted_at``."""

    __tablename__ = "model_promotion"
    __table_args__ = (Index("ix_model_promotion_scope", "scope", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    model_id: int = Field(sa_column=Column(Integer, ForeignKey("model_registry.id"),
                                           nullable=False))
    scope: str = Field(sa_type=String(16))
    reason: str = Field(sa_type=Text)
    actor: str = Field(sa_type=String(ACTOR_LENGTH))
    promoted_at: datetime = Field(sa_type=UtcDateTime)


class ScanPartyScore(SQLModel, table=True):
    """A borrower's 12-month PD in one scan run, by the model ``model_id``."""

    __tablename__ = "scan_party_score"

    run_id: int = Field(sa_column=Column(Integer, ForeignKey("scan_run.id"), primary_key=True))
    party_id: str = Field(primary_key=True, sa_type=String(EXTERNAL_ID_LENGTH))
    model_id: int = Field(sa_column=Column(Integer, ForeignKey("model_registry.id"),
                                           nullable=False))
    pd: float = Field(sa_type=Double)
    points: float | None = Field(default=None, sa_type=Double)
    reasons: str = Field(sa_type=Text)
