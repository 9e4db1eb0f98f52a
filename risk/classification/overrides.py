"""Audited manual overrides: set, revoke and list them, and read those in force on a date.

Rules (the table is :class:`portfolio.overrides.LoanOverride`, append-only):

* An override names a stored loan, at least one of a tier, a stage (1, 2 or 3) and an ECL
  (an amount of the loan's currency, not negative, no more decimals than the currency
  has), a reason and an actor (both required), and the day it takes effect (``valid_from``).
* **Tier floors**: the five-tier rules set minimum tiers (the 2023 measures' floors:
  overdue days, the 10 % debtor rule, the 20 % bureau rule, the non-performing hold and
  restructuring's observation period). An override may always make a loan *worse*
  (a downgrade); it may never make it better than the floors of the day it takes effect:
  such an override is refused, naming the floor and its rule. A floor that rises after the
  override was set wins on the days it holds (the loan's reasons then say that the
  override was held at the floor): an officer's decision never takes a loan below a
  regulatory minimum.
* **Stage and ECL** are IFRS 9 judgements and may move either way (rebutting the 90-day
  presumption is what the override is for). An overridden tier restages the loan as any
  tier does (non-performing is credit-impaired); an overridden stage wins over that.
* **In force on day D**: of a loan's ``set`` rows with ``valid_from`` on or before D, the
  latest (by ``valid_from``, then by id) — unless a ``revoke`` row naming it takes effect
  on or before D, in which case none is. A new override thus replaces the previous one
  from its own day, and revoking it does not bring the previous one back.
* Nothing is ever updated or deleted: a revocation or a replacement is a new row.

The stored overrides reach :func:`risk.classification.assessment.assess` and the scan
through :class:`StoredOverrides`, an :class:`~risk.classification.assessment.OverrideSource`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Final

from sqlalchemy import Engine, Table, insert, select

from graph.store import GraphStore
from portfolio.loans import Loan
from portfolio.money import MAX_MINOR_UNITS, exponent_of, minor_to_decimal
from portfolio.overrides import LoanOverride, OverrideAction
from risk.classification.assessment import ManualOverride, assess
from risk.classification.config import DEFAULT_CLASSIFICATION, ClassificationConfig
from risk.classification.errors import AsOfBeforeData, OverrideError, OverrideNotFound
from risk.classification.tiers import Tier

__all__ = [
    "OverrideEntry",
    "StoredOverrides",
    "list_overrides",
    "parse_ecl",
    "parse_tier",
    "revoke_override",
    "set_override",
]

_IDS_PER_QUERY: Final = 1_000
_STAGES: Final = (1, 2, 3)

_override: Final[Table] = LoanOverride.__table__  # type: ignore[attr-defined]
_loan: Final[Table] = Loan.__table__  # type: ignore[attr-defined]


def parse_tier(text: str) -> Tier:
    """The tier named ``text`` (``substandard``, ``Special mention``, ``次级``).

    Raises:
        OverrideError: no tier has that name (the message lists them).
    """
    try:
        return Tier.from_slug(text)
    except ValueError as exc:
        raise OverrideError(str(exc)) from None


def parse_ecl(text: str) -> Decimal:
    """An ECL amount written as a plain decimal number (``1234.56``).

    Raises:
        OverrideError: not a finite number.
    """
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise OverrideError(f"ECL {text!r} is not a number") from None
    if not amount.is_finite():
        raise OverrideError(f"ECL {text!r} is not a number")
    return amount


def _text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise OverrideError(f"an override needs {'a' if what == 'reason' else 'an'} {what}",
                            suggestion=(
            "say why with --reason TEXT" if what == "reason" else "name who decides with "
            "--actor NAME"))
    return value.strip()


def _ecl_minor(amount: Decimal, currency: str) -> int:
    if amount < 0:
        raise OverrideError(f"ECL {amount} is negative; an expected credit loss is 0 or more")
    exponent = exponent_of(currency)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise OverrideError(f"ECL {amount} has more decimals than {currency} allows "
                            f"({exponent})")
    minor = int(scaled)
    if minor > MAX_MINOR_UNITS:
        raise OverrideError(f"ECL {amount} {currency} is too large")
    return minor


def _loan_row(engine: Engine, loan_id: str) -> tuple[str, date]:
    with engine.connect() as connection:
        row = connection.execute(select(_loan.c.currency, _loan.c.disbursed_on).where(
            _loan.c.id == loan_id)).first()
    if row is None:
        raise OverrideError(f"unknown loan id {loan_id!r}: no loan record has it",
                            suggestion="import the loan first, or check the id")
    return str(row[0]), row[1]


def set_override(engine: Engine, store: GraphStore, *, loan_id: str, reason: str | None,
                 actor: str | None, valid_from: date, now: datetime, tier: Tier | None = None,
                 stage: int | None = None, ecl: Decimal | None = None,
                 classification: ClassificationConfig = DEFAULT_CLASSIFICATION,
                 ) -> LoanOverride:
    """Store an override of loan ``loan_id`` in force from ``valid_from`` (module rules).

    The tier is checked against the loan's floors as of ``valid_from`` (or ``now``'s date,
    when ``valid_from`` lies ahead: nothing later is known), read from ``engine`` and
    ``store`` as ``loanwatch classify`` reads them.

    Raises:
        OverrideError: an unknown loan, a loan not yet disbursed on ``valid_from``, nothing
            overridden, a stage not 1-3, a negative or too precise ECL, no reason or actor,
            or a tier better than a floor (naming the floor's rule). Nothing is stored.
    """
    reason_text, actor_name = _text(reason, "reason"), _text(actor, "actor")
    if tier is None and stage is None and ecl is None:
        raise OverrideError("an override must set a tier, a stage or an ECL",
                            suggestion="give --tier, --stage and/or --ecl")
    if stage is not None and stage not in _STAGES:
        raise OverrideError(f"stage {stage} is not an IFRS 9 stage; give 1, 2 or 3")
    currency, disbursed = _loan_row(engine, loan_id)
    if valid_from < disbursed:
        raise OverrideError(f"loan {loan_id} was disbursed on {disbursed.isoformat()}, after "
                            f"the override's start {valid_from.isoformat()}",
                            suggestion=f"give --from {disbursed.isoformat()} or later")
    ecl_minor = None if ecl is None else _ecl_minor(ecl, currency)
    if tier is not None:
        _check_floor(engine, store, loan_id, tier, min(valid_from, now.date()),
                     classification)
    row = {"loan_id": loan_id, "action": OverrideAction.SET.value,
           "tier": None if tier is None else tier.slug, "stage": stage,
           "ecl_minor": ecl_minor, "currency": currency if ecl_minor is not None else None,
           "reason": reason_text, "actor": actor_name, "valid_from": valid_from,
           "revokes_id": None, "created_at": now}
    return _insert(engine, row)


def _check_floor(engine: Engine, store: GraphStore, loan_id: str, tier: Tier, day: date,
                 classification: ClassificationConfig) -> None:
    try:
        result = assess(engine, store, day, loans=[loan_id], classification=classification)
    except AsOfBeforeData as exc:
        raise OverrideError(exc.message, suggestion=exc.suggestion) from None
    computed = next((loan for loan in result.loans if loan.loan_id == loan_id), None)
    if computed is None or tier >= computed.tier:
        return  # repaid by then (no floor), or a downgrade: always allowed
    floor = max(computed.reasons, key=lambda r: r.tier)
    raise OverrideError(
        f"loan {loan_id} cannot be overridden to {tier.slug}: on {day.isoformat()} it is at "
        f"least {computed.tier.slug} ({floor.rule}: {floor.text}), a regulatory floor an "
        "override may not go below",
        suggestion=f"give --tier {computed.tier.slug} or worse; a stage or ECL may still be "
                   "overridden either way")


def _insert(engine: Engine, row: dict[str, object]) -> LoanOverride:
    with engine.begin() as connection:
        new_id = connection.execute(insert(_override).values(**row)).inserted_primary_key[0]
    return LoanOverride(id=int(new_id), **row)  # type: ignore[arg-type]


def _get(engine: Engine, override_id: int) -> LoanOverride:
    with engine.connect() as connection:
        row = connection.execute(select(_override).where(_override.c.id == override_id)).first()
    if row is None:
        raise OverrideNotFound(f"no override has id {override_id}",
                               suggestion="loanwatch override list shows them")
    return LoanOverride(**row._mapping)


def revoke_override(engine: Engine, override_id: int, *, reason: str | None,
                    actor: str | None, valid_from: date, now: datetime) -> LoanOverride:
    """Store the revocation of override ``override_id`` from ``valid_from``.

    Raises:
        OverrideNotFound: no override has that id.
        OverrideError: it is itself a revocation, it is already revoked, ``valid_from`` is
            before the override took effect, or no reason or actor. Nothing is stored.
    """
    reason_text, actor_name = _text(reason, "reason"), _text(actor, "actor")
    target = _get(engine, override_id)
    if target.action != OverrideAction.SET.value:
        raise OverrideError(f"override {override_id} is a revocation; only an override can "
                            "be revoked")
    with engine.connect() as connection:
        earlier = connection.execute(select(_override.c.id).where(
            _override.c.revokes_id == override_id)).first()
    if earlier is not None:
        raise OverrideError(f"override {override_id} is already revoked (by {earlier[0]})")
    if valid_from < target.valid_from:
        raise OverrideError(
            f"a revocation from {valid_from.isoformat()} would precede the override, in "
            f"force from {target.valid_from.isoformat()}",
            suggestion=f"give --from {target.valid_from.isoformat()} or later")
    return _insert(engine, {
        "loan_id": target.loan_id, "action": OverrideAction.REVOKE.value, "tier": None,
        "stage": None, "ecl_minor": None, "currency": None, "reason": reason_text,
        "actor": actor_name, "valid_from": valid_from, "revokes_id": override_id,
        "created_at": now})


@dataclass(frozen=True, slots=True)
class OverrideEntry:
    """A row of the trail and, for an override, what became of it."""

    row: LoanOverride
    #: The revocation that ends it, if any.
    revoked_by: LoanOverride | None = None
    #: The later override of the same loan that replaces it, if any.
    replaced_by: LoanOverride | None = None

    @property
    def ecl(self) -> Decimal | None:
        row = self.row
        if row.ecl_minor is None or row.currency is None:
            return None
        return minor_to_decimal(row.ecl_minor, row.currency)

    def as_json(self) -> dict[str, object]:
        row = self.row
        ecl = self.ecl
        return {
            "id": row.id, "loan": row.loan_id, "action": row.action, "tier": row.tier,
            "stage": row.stage,
            "ecl": None if ecl is None else {"amount": str(ecl), "currency": row.currency},
            "reason": row.reason, "actor": row.actor, "valid_from": row.valid_from.isoformat(),
            "revokes": row.revokes_id, "created_at": row.created_at.isoformat(),
            "revoked_by": None if self.revoked_by is None else self.revoked_by.id,
            "replaced_by": None if self.replaced_by is None else self.replaced_by.id,
        }


def _rows(engine: Engine, loan_ids: Sequence[str] | None) -> list[LoanOverride]:
    statement = select(_override).order_by(_override.c.id)
    with engine.connect() as connection:
        if loan_ids is None:
            found = connection.execute(statement).all()
        else:
            found = []
            for start in range(0, len(loan_ids), _IDS_PER_QUERY):
                chunk = list(loan_ids[start:start + _IDS_PER_QUERY])
                found.extend(connection.execute(statement.where(
                    _override.c.loan_id.in_(chunk))).all())
    rows = [LoanOverride(**row._mapping) for row in found]
    rows.sort(key=lambda r: r.id or 0)
    return rows


def list_overrides(engine: Engine, *, loan_id: str | None = None) -> list[OverrideEntry]:
    """The whole trail (of one loan with ``loan_id``), oldest first, each override with the
    revocation and the replacement that ended it."""
    rows = _rows(engine, None if loan_id is None else [loan_id])
    revocations = {r.revokes_id: r for r in rows if r.revokes_id is not None}
    sets: dict[str, list[LoanOverride]] = {}
    for row in rows:
        if row.action == OverrideAction.SET.value:
            sets.setdefault(row.loan_id, []).append(row)
    replaced: dict[int | None, LoanOverride] = {}
    for loan_sets in sets.values():
        ordered = sorted(loan_sets, key=lambda r: (r.valid_from, r.id or 0))
        for earlier, later in pairwise(ordered):
            replaced[earlier.id] = later
    return [OverrideEntry(row, revocations.get(row.id), replaced.get(row.id)) for row in rows]


def _in_force(rows: Sequence[LoanOverride], as_of: date) -> dict[str, LoanOverride]:
    revoked_on = {r.revokes_id: r.valid_from for r in rows if r.revokes_id is not None}
    latest: dict[str, LoanOverride] = {}
    for row in rows:
        if row.action != OverrideAction.SET.value or row.valid_from > as_of:
            continue
        held = latest.get(row.loan_id)
        if held is None or (row.valid_from, row.id or 0) > (held.valid_from, held.id or 0):
            latest[row.loan_id] = row
    return {loan_id: row for loan_id, row in latest.items()
            if not (row.id in revoked_on and revoked_on[row.id] <= as_of)}


class StoredOverrides:
    """The overrides stored in ``engine`` as an
    :class:`~risk.classification.assessment.OverrideSource`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def overrides_for(self, loan_ids: Sequence[str],
                      as_of: date) -> Mapping[str, ManualOverride]:
        """The override in force on ``as_of`` of each of ``loan_ids`` that has one."""
        # A book is most loans of the table: read it whole rather than a query per chunk.
        with self._engine.connect() as connection:
            any_row = connection.execute(select(_override.c.id).limit(1)).first()
        if any_row is None:
            return {}
        wanted = set(loan_ids)
        rows = _rows(self._engine, None)
        found = _in_force([r for r in rows if r.loan_id in wanted], as_of)
        return {loan_id: ManualOverride(
            actor=row.actor, reason=row.reason,
            tier=None if row.tier is None else Tier.from_slug(row.tier), stage=row.stage,
            ecl_minor=row.ecl_minor, override_id=row.id, valid_from=row.valid_from)
            for loan_id, row in found.items()}
