"""The model registry: register a trained model, list and show them, promote one to
production, and load the production model (see :mod:`portfolio.models` for the tables).

Every registered model is immutable and carries what is needed to reproduce a score: its
artefact (verified against its SHA-256 on every load), feature list, target, training window
or file, validation metrics and the code version that trained it. Promotion is an insert;
the production model of a scope is the one promoted last; rolling back is promoting the
previous one again (:func:`previous_production`, ``loanwatch model rollback``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from portfolio.models import (
    MODEL_ID_PREFIX,
    ModelPromotion,
    ModelScope,
    ModelVersion,
    model_key,
)
from risk.models.errors import ModelNotFound, RegistryError

if TYPE_CHECKING:
    from risk.models.pd_model import PdModel

__all__ = [
    "Promotion",
    "RegisteredModel",
    "list_models",
    "load_model",
    "parse_model_id",
    "previous_production",
    "production_model",
    "promote",
    "promotions",
    "register_model",
]

_SCOPES = frozenset(s.value for s in ModelScope)


@dataclass(frozen=True, slots=True)
class Promotion:
    model_id: str
    scope: str
    reason: str
    actor: str
    promoted_at: datetime


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A registry row, decoded. ``status`` is ``production`` for the model promoted last in
    its scope, ``retired`` for one promoted before and since replaced, else ``candidate``."""

    id: str
    kind: str
    scope: str
    target: str
    feature_names: list[str]
    training: dict[str, Any]
    metrics: dict[str, Any]
    params: dict[str, Any]
    code_version: str
    payload: bytes
    payload_sha256: str
    actor: str
    created_at: datetime
    status: str

    @property
    def model(self) -> PdModel:
        """The fitted model itself, rebuilt from the verified artefact."""
        from risk.models.artefacts import model_from_bytes  # the kinds' code, on first use
        return model_from_bytes(self.kind, self.payload)

    def summary(self) -> dict[str, Any]:
        """Everything but the artefact's bytes, JSON-ready."""
        return {"id": self.id, "kind": self.kind, "scope": self.scope, "status": self.status,
                "target": self.target, "features": self.feature_names,
                "training": self.training, "metrics": self.metrics, "params": self.params,
                "code_version": self.code_version, "sha256": self.payload_sha256,
                "bytes": len(self.payload), "actor": self.actor,
                "created_at": self.created_at.isoformat()}


def parse_model_id(text: str) -> int:
    """The registry row of a model id as users write it: ``M00007``, ``m7`` or ``7``."""
    body = text.strip()
    if body[:1].upper() == MODEL_ID_PREFIX:
        body = body[1:]
    if not body.isdigit() or int(body) < 1:
        raise RegistryError(f"{text!r} is not a model id (model ids look like "
                            f"{model_key(7)}; `loanwatch model list` shows them)")
    return int(body)


def _json(value: Any, what: str) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise RegistryError(f"the model's {what} cannot be stored as JSON: {exc}") from None


def register_model(engine: Engine, *, kind: str, payload: bytes, feature_names: list[str],
                   target: str, training: dict[str, Any], metrics: dict[str, Any],
                   params: dict[str, Any] | None = None, actor: str = "cli",
                   scope: str = ModelScope.FILE.value, code_version: str | None = None,
                   now: Callable[[], datetime] | None = None) -> str:
    """Store a trained model (one insert, nothing else); returns its id (``M00007``)."""
    if scope not in _SCOPES:
        raise RegistryError(f"unknown model scope {scope!r}; one of {sorted(_SCOPES)}")
    if not payload:
        raise RegistryError("a model artefact cannot be empty")
    if not feature_names:
        raise RegistryError("a model must name the features it reads")
    if code_version is None:
        from risk.scan import code_version as installed_version  # git describe, lazily
        code_version = installed_version()
    row = ModelVersion(
        kind=kind, scope=scope, target=target, feature_names=_json(feature_names, "features"),
        training=_json(training, "training description"), metrics=_json(metrics, "metrics"),
        params=_json(params or {}, "parameters"), code_version=code_version[:128],
        payload=payload, payload_sha256=hashlib.sha256(payload).hexdigest(), actor=actor,
        created_at=(now or (lambda: datetime.now(UTC)))())
    with Session(engine) as session, session.begin():
        session.add(row)
        session.flush()
        assert row.id is not None
        return model_key(row.id)


def _status_of(session: Session) -> dict[int, str]:
    """``production`` / ``retired`` per promoted model row (others are candidates)."""
    status: dict[int, str] = {}
    latest = select(ModelPromotion.scope, func.max(ModelPromotion.id).label("id")) \
        .group_by(ModelPromotion.scope).subquery()
    production = set(session.execute(select(ModelPromotion.model_id).join(
        latest, ModelPromotion.id == latest.c.id)).scalars())
    for model_id in session.execute(select(ModelPromotion.model_id).distinct()).scalars():
        status[model_id] = "production" if model_id in production else "retired"
    return status


def _decode(row: ModelVersion, status: str, *, verify: bool) -> RegisteredModel:
    assert row.id is not None
    if verify and hashlib.sha256(row.payload).hexdigest() != row.payload_sha256:
        raise RegistryError(f"the artefact of model {model_key(row.id)} does not match its "
                            "SHA-256: it was damaged or altered after registration; "
                            "retrain it or promote another model")
    return RegisteredModel(
        id=model_key(row.id), kind=row.kind, scope=row.scope, target=row.target,
        feature_names=orjson.loads(row.feature_names), training=orjson.loads(row.training),
        metrics=orjson.loads(row.metrics), params=orjson.loads(row.params),
        code_version=row.code_version, payload=row.payload,
        payload_sha256=row.payload_sha256, actor=row.actor, created_at=row.created_at,
        status=status)


def load_model(engine: Engine, model_id: str) -> RegisteredModel:
    """One registered model, its artefact verified; :class:`ModelNotFound` if none."""
    key = parse_model_id(model_id)
    with Session(engine) as session:
        row = session.get(ModelVersion, key)
        if row is None:
            raise ModelNotFound(f"no model {model_key(key)} in the registry "
                                "(`loanwatch model list` shows them)")
        return _decode(row, _status_of(session).get(key, "candidate"), verify=True)


def list_models(engine: Engine, *, scope: str | None = None) -> list[RegisteredModel]:
    """Every registered model, newest first (artefacts not verified: ``show`` does)."""
    with Session(engine) as session:
        status = _status_of(session)
        query = select(ModelVersion).order_by(col(ModelVersion.id).desc())
        if scope is not None:
            query = query.where(ModelVersion.scope == scope)
        return [_decode(row, status.get(row.id or 0, "candidate"), verify=False)
                for row in session.execute(query).scalars()]


def promote(engine: Engine, model_id: str, *, reason: str, actor: str,
            now: Callable[[], datetime] | None = None) -> Promotion:
    """Make ``model_id`` the production model of its scope (one insert). Promoting the
    model already in production is refused (it would change nothing)."""
    if not reason.strip():
        raise RegistryError("a promotion needs a reason (--reason), kept in its history")
    key = parse_model_id(model_id)
    at = (now or (lambda: datetime.now(UTC)))()
    with Session(engine) as session, session.begin():
        row = session.get(ModelVersion, key)
        if row is None:
            raise ModelNotFound(f"no model {model_key(key)} in the registry "
                                "(`loanwatch model list` shows them)")
        _decode(row, "candidate", verify=True)  # never promote a damaged artefact
        if _status_of(session).get(key) == "production":
            raise RegistryError(f"model {model_key(key)} is already the production model "
                                f"of scope {row.scope!r}")
        session.add(ModelPromotion(model_id=key, scope=row.scope, reason=reason.strip(),
                                   actor=actor, promoted_at=at))
        return Promotion(model_id=model_key(key), scope=row.scope, reason=reason.strip(),
                         actor=actor, promoted_at=at)


def promotions(engine: Engine, scope: str) -> list[Promotion]:
    """The promotions of ``scope``, newest first: the production model and its history."""
    with Session(engine) as session:
        return [Promotion(model_id=model_key(p.model_id), scope=p.scope, reason=p.reason,
                          actor=p.actor, promoted_at=p.promoted_at)
                for p in session.execute(select(ModelPromotion).where(
                    ModelPromotion.scope == scope).order_by(
                    col(ModelPromotion.id).desc())).scalars()]


def production_model(engine: Engine, scope: str = ModelScope.PORTFOLIO.value
                     ) -> RegisteredModel | None:
    """The production model of ``scope`` (verified), or ``None`` if none was promoted."""
    history = promotions(engine, scope)
    return load_model(engine, history[0].model_id) if history else None


def previous_production(engine: Engine, scope: str = ModelScope.PORTFOLIO.value) -> str:
    """The model that was in production before the current one (to roll back to)."""
    history = promotions(engine, scope)
    if not history:
        raise RegistryError(f"no model of scope {scope!r} was ever promoted: nothing to "
                            "roll back")
    current = history[0].model_id
    for earlier in history[1:]:
        if earlier.model_id != current:
            return earlier.model_id
    raise RegistryError(f"model {current} is the only model of scope {scope!r} ever in "
                        "production: there is no earlier one to roll back to")
