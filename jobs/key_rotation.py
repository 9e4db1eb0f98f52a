"""Re-sealing every piece of personal data under the newest keys, page by page, resumable.

One pass walks the personal nodes of the graph (persons, phones, addresses, devices, in id
order), then the sealed text fields of SQL (rejected rows' source text, contact notes' text,
the signing keys' private keys: :data:`SQL_FIELDS`), one page per transaction, and re-seals
what is not under the current data key and hash key: values sealed under an older key,
index tokens of an older hash key, values still in clear (a store written before encryption
at rest). Reads keep working during the pass, since every configured key version opens what
it sealed, and searches try every hash key version; the API keeps serving. A signing key
re-sealed keeps signing (its private key is the same, only its envelope changes), and the
tokens it signed keep verifying (they are checked with its public key, never sealed).

The pass records where it stands in a :class:`portfolio.key_rotations.KeyRotation` row
after every page. A pass that stops (``stop`` returned true, Ctrl-C, a crash) resumes from
there when run again with the same target key versions; a pass with other targets starts
over (what was already moved is skipped quickly: it is current). When the pass ends the
graph is recorded as holding only sealed personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Column, Engine, Table, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from auth.models import SigningKeyRow
from auth.signing_keys import PEM_FIELD
from graph.errors import GraphError
from graph.field_cipher import ENVELOPE_PREFIX
from graph.resealing import ResealableGraph
from graph.store import GraphStore
from graph.vault import PERSONAL_LABELS, PersonalDataVault
from ingest.sql_records import RAW_FIELD
from loanwatch.errors import LoanwatchError
from portfolio.contact_notes import NOTE_TEXT_FIELD, ContactNote
from portfolio.imports import RejectedRow
from portfolio.key_rotations import KeyRotation
from portfolio.notifications import SENT_TO_FIELD, Notification

__all__ = [
    "CONTACT_NOTE_PHASE",
    "DEFAULT_PAGE_SIZE",
    "NOTIFICATION_PHASE",
    "REJECTED_PHASE",
    "SIGNING_KEY_PHASE",
    "SQL_FIELDS",
    "RotationError",
    "RotationProgress",
    "SealedCounts",
    "SqlField",
    "needs_sealing",
    "reseal_all",
    "rotation_status",
    "sealed_counts",
]

#: Nodes or rows re-sealed per transaction: short locks, little memory, few round trips.
DEFAULT_PAGE_SIZE: Final = 1_000
REJECTED_PHASE: Final = "rejected_row"
CONTACT_NOTE_PHASE: Final = "contact_note"
SIGNING_KEY_PHASE: Final = "signing_key"
NOTIFICATION_PHASE: Final = "notification"
DONE_PHASE: Final = "done"

_ROTATION = KeyRotation.__table__  # type: ignore[attr-defined]
_REJECTED = RejectedRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class SqlField:
    """A sealed text column of SQL: the phase that re-seals it, its table, key and column,
    and the field name its ciphertext is bound to."""

    phase: str
    table: Table
    key: str
    column: str
    field: str
    #: What the text is, for people (``keys status``).
    what: str

    @property
    def key_column(self) -> Column[object]:
        return self.table.c[self.key]

    @property
    def value_column(self) -> Column[str]:
        return self.table.c[self.column]


#: The sealed text columns of SQL, in the order a pass re-seals them.
SQL_FIELDS: Final = (
    SqlField(REJECTED_PHASE, _REJECTED, "id", "raw", RAW_FIELD, "rejected rows' source text"),
    SqlField(CONTACT_NOTE_PHASE, ContactNote.__table__,  # type: ignore[attr-defined]
             "id", "text", NOTE_TEXT_FIELD, "contact notes' text"),
    SqlField(SIGNING_KEY_PHASE, SigningKeyRow.__table__,  # type: ignore[attr-defined]
             "kid", "private_pem", PEM_FIELD, "signing keys' private keys"),
    SqlField(NOTIFICATION_PHASE, Notification.__table__,  # type: ignore[attr-defined]
             "id", "sent_to", SENT_TO_FIELD, "notifications' addresses"),
)
_SQL_PHASES: Final = {field.phase: field for field in SQL_FIELDS}
#: The phases of a pass, in order (a pass recorded before a phase existed runs it too).
PHASES: Final = (*sorted(label.value for label in PERSONAL_LABELS),
                 *(field.phase for field in SQL_FIELDS))

#: Called after every page with the pass's record as it stands.
ProgressCallback = Callable[["RotationProgress"], None]


@dataclass(frozen=True, slots=True)
class RotationProgress:
    """Where a pass stands: its target key versions, phase, counts and times."""

    id: int
    data_key_version: int
    hash_key_version: int
    phase: str
    position: str
    examined: int
    resealed: int
    total: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def resumed_from(self) -> str:
        return f"{self.phase} after {self.position!r}" if self.position else self.phase


class RotationError(LoanwatchError):
    """The pass's record could not be read or written."""


def _progress(row: object) -> RotationProgress:
    return RotationProgress(**{name: getattr(row, name)
                               for name in RotationProgress.__slots__})  # type: ignore[attr-defined]


def rotation_status(engine: Engine) -> RotationProgress | None:
    """The latest pass, finished or not; ``None`` when none ever ran."""
    try:
        with engine.connect() as conn:
            row = conn.execute(select(_ROTATION).order_by(_ROTATION.c.id.desc()).limit(1)).first()
    except SQLAlchemyError as exc:
        raise RotationError(f"cannot read the key rotations: {exc.orig or exc}",
                            suggestion="run `loanwatch migrate`") from exc
    return None if row is None else _progress(row)


def _in_clear(field: SqlField) -> object:
    value = field.value_column
    return (value != "") & ~value.startswith(ENVELOPE_PREFIX, autoescape=True)


def needs_sealing(graph: GraphStore, engine: Engine) -> bool:
    """Whether the graph or a sealed SQL field (:data:`SQL_FIELDS`) still holds a value in
    clear (a store written before encryption at rest, or before that field was sealed)."""
    if not _resealable(graph).personal_data_sealed():
        return True
    with engine.connect() as conn:
        return any(conn.execute(select(field.key_column).where(_in_clear(field))
                                .limit(1)).first() is not None for field in SQL_FIELDS)


@dataclass(frozen=True, slots=True)
class SealedCounts:
    """How the stored values of one sealed SQL field stand against the current data key."""

    field: SqlField
    current: int
    older: int
    clear: int


def sealed_counts(engine: Engine, data_version: int) -> list[SealedCounts]:
    """Per sealed SQL field (:data:`SQL_FIELDS`): how many values are sealed under data key
    ``data_version``, under another version, and stored in clear (empty ones not counted).

    Raises:
        RotationError: the database cannot be read.
    """
    counts: list[SealedCounts] = []
    try:
        with engine.connect() as conn:
            for field in SQL_FIELDS:
                value = field.value_column
                current = value.startswith(f"{ENVELOPE_PREFIX}{data_version}$", autoescape=True)
                sealed = value.startswith(ENVELOPE_PREFIX, autoescape=True)
                row = conn.execute(select(
                    func.count().filter(current),
                    func.count().filter(sealed & ~current),
                    func.count().filter(_in_clear(field)),
                ).select_from(field.table)).one()
                counts.append(SealedCounts(field, int(row[0]), int(row[1]), int(row[2])))
    except SQLAlchemyError as exc:
        raise RotationError(f"cannot count the sealed values: {exc.orig or exc}",
                            suggestion="run `loanwatch migrate`") from exc
    return counts


def _resealable(graph: GraphStore) -> ResealableGraph:
    if not isinstance(graph, ResealableGraph):
        raise GraphError(f"the graph store {graph!r} cannot re-seal personal data")
    return graph


def _start_or_resume(engine: Engine, graph: GraphStore, vault: PersonalDataVault,
                     now: datetime) -> RotationProgress:
    with engine.begin() as conn:
        open_pass = conn.execute(select(_ROTATION).where(_ROTATION.c.finished_at.is_(None))
                                 .order_by(_ROTATION.c.id.desc()).limit(1)).first()
        if open_pass is not None:
            if (open_pass.data_key_version, open_pass.hash_key_version) == (
                    vault.data_version, vault.hash_version):
                return _progress(open_pass)
            # Its targets are not today's keys: close it; a new pass starts over.
            conn.execute(update(_ROTATION).where(_ROTATION.c.id == open_pass.id)
                         .values(finished_at=now, updated_at=now))
        counts = graph.count()
        rows = sum(conn.execute(select(func.count()).select_from(field.table)
                                .where(field.value_column != "")).scalar_one()
                   for field in SQL_FIELDS)
        total = sum(counts.get(label.value, 0) for label in PERSONAL_LABELS) + rows
        inserted = conn.execute(_ROTATION.insert().values(
            data_key_version=vault.data_version, hash_key_version=vault.hash_version,
            phase=PHASES[0], position="", examined=0, resealed=0, total=total,
            started_at=now, updated_at=now))
        row = conn.execute(select(_ROTATION).where(
            _ROTATION.c.id == inserted.inserted_primary_key[0])).one()
    return _progress(row)


def _reseal_sql_page(engine: Engine, vault: PersonalDataVault, field: SqlField, after: str,
                     limit: int) -> tuple[int, int, str | None]:
    """One page of ``field``'s rows after the key ``after``, re-sealed in one transaction.

    Raises:
        UnknownDataKey, UndecryptableValue: a value cannot be opened; the error names the
            table, the row and the key version, and nothing of the page is written.
    """
    key, value = field.key_column, field.value_column
    start: object = after if field.key != "id" else int(after or 0)
    query = select(key, value).order_by(key).limit(limit)
    if after or field.key == "id":
        query = query.where(key > start)
    if engine.dialect.name == "postgresql":
        query = query.with_for_update()
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        changed = []
        for row_key, stored in rows:
            fresh = vault.reseal_text(field.field, stored,
                                      where=f"{field.table.name} row {row_key!r}")
            if fresh is not None:
                changed.append((row_key, fresh))
        for row_key, fresh in changed:
            conn.execute(update(field.table).where(key == row_key).values({field.column: fresh}))
    return len(rows), len(changed), str(rows[-1][0]) if rows else None


def reseal_all(graph: GraphStore, engine: Engine, vault: PersonalDataVault, *,
               page_size: int = DEFAULT_PAGE_SIZE,
               progress: ProgressCallback | None = None,
               stop: Callable[[], bool] | None = None,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RotationProgress:
    """Re-seal every personal value of ``graph`` and every sealed SQL field of ``engine``'s
    database (:data:`SQL_FIELDS`) under ``vault``'s current keys; resume an unfinished pass
    with the same targets.

    Args:
        page_size: nodes or rows per transaction.
        progress: called after every page.
        stop: asked after every page; when it returns true the pass stops, resumable.

    Returns:
        The pass's record: finished, or where it stopped.

    Raises:
        ValueError: ``page_size`` < 1.
        UnknownDataKey, UndecryptableValue: a stored value cannot be opened with the
            configured keys (nothing of its page is written).
        RotationError, GraphError, BackendUnavailable: a store failed; the pass resumes
            from its last page when run again.
    """
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    store = _resealable(graph)
    try:
        state = _start_or_resume(engine, graph, vault, clock())
        phase, position = state.phase, state.position
        examined, resealed = state.examined, state.resealed
        while phase != DONE_PHASE:
            sql_field = _SQL_PHASES.get(phase)
            if sql_field is not None:
                seen, done, last = _reseal_sql_page(engine, vault, sql_field, position,
                                                    page_size)
            else:
                page = store.reseal_page(next(label for label in PERSONAL_LABELS
                                              if label.value == phase), position, page_size)
                seen, done, last = page.examined, page.resealed, page.last_id
            examined += seen
            resealed += done
            if last is None or seen < page_size:
                index = PHASES.index(phase) + 1
                phase, position = (PHASES[index] if index < len(PHASES) else DONE_PHASE), ""
            else:
                position = last
            if phase == DONE_PHASE:
                store.mark_personal_data_sealed()
            state = _save(engine, state.id, phase, position, examined, resealed, clock(),
                          finished=phase == DONE_PHASE)
            if progress is not None:
                progress(state)
            if phase != DONE_PHASE and stop is not None and stop():
                break
    except SQLAlchemyError as exc:
        raise RotationError(f"the key rotation failed: {exc.orig or exc}",
                            suggestion="run it again: it resumes where it stopped") from exc
    return state


def _save(engine: Engine, rotation_id: int, phase: str, position: str, examined: int,
          resealed: int, now: datetime, *, finished: bool) -> RotationProgress:
    with engine.begin() as conn:
        conn.execute(update(_ROTATION).where(_ROTATION.c.id == rotation_id).values(
            phase=phase, position=position, examined=examined, resealed=resealed,
            updated_at=now, finished_at=now if finished else None))
        row = conn.execute(select(_ROTATION).where(_ROTATION.c.id == rotation_id)).one()
    return _progress(row)
