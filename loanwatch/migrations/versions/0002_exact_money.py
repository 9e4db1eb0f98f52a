"""Exact money: amounts become BIGINT minor units of their currency, with a currency column.

``loan.principal``, ``installment.principal_due``/``interest_due``, ``repayment.amount`` and
``bureau_snapshot.total_debt`` were ``NUMERIC(18, 2)`` (a REAL on SQLite). Each becomes a
``..._minor`` BIGINT: the amount times 10^exponent of its currency (``1234.50`` CNY is
``123450``, ``1000`` JPY is ``1000``). Installments and repayments get the currency of their
loan; bureau snapshots with a total debt get CNY, the documented default currency.

Nothing is rounded: if a stored amount has more decimals than its currency allows (a JPY
loan of ``100.50``, which 0.1.0 accepted), the upgrade stops and names the rows, and the
database is left as it was. On SQLite the old values were REALs, exact to the cent below
about 10^13; larger ones had already lost their cents when they were stored.

SQLite cannot make an added column NOT NULL without rebuilding its table, and rebuilding
``loan`` would cascade-delete its schedules and repayments (the rebuild drops the table,
and foreign keys are on): there ``loan.principal_minor`` is added with a server default of 0
(every write names it). The child tables are rebuilt in batch mode.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

from portfolio.errors import MigrationError

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENCY = sa.String(3)
#: ISO 4217 exponents other than 2, frozen as of this revision (see portfolio/money.py).
_EXPONENTS: Final = {
    0: ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
        "VND", "VUV", "XAF", "XOF", "XPF"),
    3: ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"),
    4: ("CLF", "UYW", "XAG", "XAU", "XPD", "XPT", "XDR", "XSU", "XUA"),
}
#: The currency of stored amounts whose rows named none (bureau snapshots).
_DEFAULT_CURRENCY: Final = "CNY"
#: (table, old NUMERIC column, new BIGINT column, nullable)
_AMOUNTS: Final = (
    ("loan", "principal", "principal_minor", False),
    ("installment", "principal_due", "principal_due_minor", False),
    ("installment", "interest_due", "interest_due_minor", False),
    ("repayment", "amount", "amount_minor", False),
    ("bureau_snapshot", "total_debt", "total_debt_minor", True),
)
_SHOWN_ROWS: Final = 5


def _scale(currency: str) -> str:
    """SQL for 10^exponent of the currency in column ``currency``."""
    cases = " ".join(f"WHEN {currency} IN ({', '.join(repr(c) for c in codes)}) "
                     f"THEN {10 ** exponent}" for exponent, codes in _EXPONENTS.items())
    return f"(CASE {cases} ELSE 100 END)"


def _check_whole_minor_units(bind: sa.Connection) -> None:
    """Stop when an amount of a currency without decimals has some (nothing else can: the
    old columns kept two decimals, and every other currency has two or more)."""
    zero = ", ".join(repr(c) for c in _EXPONENTS[0])
    # (table, old column, its row's key, the row's currency, FROM clause); bureau snapshots
    # are CNY.
    sources = (
        ("loan", "principal", "loan.id", "loan.currency", "loan"),
        *(("installment", old, "installment.loan_id || '#' || installment.seq", "loan.currency",
           "installment JOIN loan ON loan.id = installment.loan_id")
          for old in ("principal_due", "interest_due")),
        ("repayment", "amount", "repayment.id", "loan.currency",
         "repayment JOIN loan ON loan.id = repayment.loan_id"),
    )
    problems: list[str] = []
    for table, old, key, currency, source in sources:
        rows = bind.execute(sa.text(
            f"SELECT {key}, {table}.{old}, {currency} FROM {source} "
            f"WHERE {currency} IN ({zero}) AND {table}.{old} <> ROUND({table}.{old}) "
            f"LIMIT {_SHOWN_ROWS}"
        )).all()
        problems += [f"{table} {row[0]}: {old} {row[1]} {row[2]}" for row in rows]
    if problems:
        raise MigrationError(
            "cannot convert amounts to minor units: these have decimals their currency does "
            "not allow (correct them, then run loanwatch migrate again): "
            + "; ".join(problems),
            suggestion="nothing was changed; the database is still at revision 0001")


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    _check_whole_minor_units(bind)

    # Currencies first: the child tables take their loan's.
    for table in ("installment", "repayment"):
        op.add_column(table, sa.Column("currency", _CURRENCY, nullable=True))
        op.execute(f"UPDATE {table} SET currency = "
                   f"(SELECT loan.currency FROM loan WHERE loan.id = {table}.loan_id)")
    op.add_column("bureau_snapshot", sa.Column("currency", _CURRENCY, nullable=True))
    op.execute(f"UPDATE bureau_snapshot SET currency = '{_DEFAULT_CURRENCY}' "
               "WHERE total_debt IS NOT NULL")

    for table, old, new, _ in _AMOUNTS:
        if sqlite and table == "loan":
            op.add_column(table, sa.Column(new, sa.BigInteger(), nullable=False,
                                           server_default="0"))
        else:
            op.add_column(table, sa.Column(new, sa.BigInteger(), nullable=True))
        currency = "currency" if table != "loan" else "loan.currency"
        op.execute(f"UPDATE {table} SET {new} = CAST(ROUND({old} * {_scale(currency)}) "
                   f"AS BIGINT) WHERE {old} IS NOT NULL")

    if sqlite:
        op.drop_column("loan", "principal")
        for table in ("installment", "repayment", "bureau_snapshot"):
            with op.batch_alter_table(table) as batch:
                for name, old, new, nullable in _AMOUNTS:
                    if name == table:
                        batch.drop_column(old)
                        batch.alter_column(new, existing_type=sa.BigInteger(),
                                           nullable=nullable)
                if table != "bureau_snapshot":
                    batch.alter_column("currency", existing_type=_CURRENCY, nullable=False)
        return
    for table, old, new, nullable in _AMOUNTS:
        op.drop_column(table, old)
        if not nullable:
            op.alter_column(table, new, existing_type=sa.BigInteger(), nullable=False)
    for table in ("installment", "repayment"):
        op.alter_column(table, "currency", existing_type=_CURRENCY, nullable=False)


def downgrade() -> None:
    # One way on purpose: NUMERIC(18, 2) cannot hold a KWD amount's third decimal, so going
    # back could only round, which is what this revision exists to stop.
    raise MigrationError(
        "revision 0002 cannot be undone: amounts in minor units do not fit the old "
        "NUMERIC(18, 2) columns without rounding",
        suggestion="restore the backup taken before the upgrade")
