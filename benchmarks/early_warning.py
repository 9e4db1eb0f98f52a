"""How early the early-warning rules warn, against the generator's ground truth.

    python -m benchmarks.early_warning [--borrowers 5000] [--rules FILE]

Generates (seed 7) and imports a portfolio once under ``var/bench``, then evaluates the
rules at every month end of its history, as of that date (nothing later is read), and
notes the first month end at which each party was warned about: an alert about the party,
or about one of its loans. Against the ground truth's defaults (``default_on`` of every
party that defaulted, planted, contagion or base), it prints per rule and for all rules:

* the share of defaulted parties warned before their default, and the median lead time
  in days between the first warning and the default (warnings on or after the default
  day count as late: lead time 0 or less);
* the alert rate among parties that never defaulted: the share warned at some month end.

The alerts are evaluated, not stored: this measures the rules, not the alert store.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from benchmarks.portfolios import ensure_embedded
from graph.stores.embedded import EmbeddedGraphStore
from portfolio.database import create_sql_engine
from portfolio.loans import Loan
from risk.classification.history import RepaymentHistory
from risk.rules.evaluate import evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules

#: Month ends before the first one evaluated: a book needs some history to warn about.
WARM_UP_MONTHS = 3
ALL_RULES = "all rules"


def _prepare(borrowers: int, console: Console) -> tuple[dict, Engine]:
    """The ground truth and the imported SQLite database (made once, reused while the
    generator and importer are unchanged)."""
    store = ensure_embedded(borrowers, console=console)
    truth = orjson.loads((store.portfolio / "ground_truth" / "ground_truth.json").read_bytes())
    return truth, create_sql_engine(f"sqlite:///{store.database}")


def _month_ends(months: list[str]) -> list[date]:
    ends = []
    for month in months:
        year, number = int(month[:4]), int(month[5:])
        first_next = date(year + number // 12, number % 12 + 1, 1)
        ends.append(first_next - timedelta(days=1))
    return ends


def first_warnings(engine: Engine, rules_file: Path, month_ends: list[date],
                   console: Console) -> dict[str, dict[str, date]]:
    """``{rule: {party: first month end it warned about the party}}``, and the same under
    :data:`ALL_RULES` for any rule."""
    rules = load_rules(rules_file).rules
    graph = EmbeddedGraphStore(engine)
    with engine.connect() as connection:
        borrower_of = dict(connection.execute(select(Loan.id, Loan.borrower_id)).all())
    history = RepaymentHistory(engine)
    first: dict[str, dict[str, date]] = defaultdict(dict)
    for as_of in month_ends:
        started = time.perf_counter()
        found = evaluate(rules, as_of=as_of, graph=graph, engine=engine, delinquency=history)
        for draft in found.drafts:
            if draft.subject_kind == "party":
                party = draft.subject_id
            elif draft.subject_kind == "loan":
                party = borrower_of.get(draft.subject_id, "")
            else:
                continue  # a segment (sector concentration) warns about no one party
            for rule in (draft.rule_id, ALL_RULES):
                first[rule].setdefault(party, as_of)
        console.print(f"  {as_of}: {len(found.drafts):,} alerts "
                      f"({time.perf_counter() - started:.1f} s)")
    return first


def score(first: dict[str, dict[str, date]], defaults: dict[str, date],
          parties: int) -> list[tuple[str, int, float, float | None, float]]:
    """Per rule: warned defaulted parties, share warned before default, median lead time
    in days (of those warned before), and the alert rate among never-defaulted parties."""
    never = parties - len(defaults)
    rows = []
    for rule in sorted(first, key=lambda r: (r != ALL_RULES, r)):
        warned = first[rule]
        leads = [(defaults[p] - warned[p]).days for p in defaults if p in warned]
        early = [lead for lead in leads if lead > 0]
        false_alarms = sum(1 for p in warned if p not in defaults)
        rows.append((rule, len(leads), len(early) / len(defaults) if defaults else 0.0,
                     statistics.median(early) if early else None,
                     false_alarms / never if never else 0.0))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--borrowers", type=int, default=5_000)
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES_FILE)
    args = parser.parse_args(argv)
    console = Console(width=140)
    truth, engine = _prepare(args.borrowers, console)
    try:
        month_ends = _month_ends(truth["months"])[WARM_UP_MONTHS:]
        started = time.perf_counter()
        first = first_warnings(engine, args.rules, month_ends, console)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    defaults = {party: date.fromisoformat(day) for party, day in
                zip(truth["defaults"]["party_id"], truth["defaults"]["default_on"],
                    strict=True)}
    parties = truth["summary"]["persons"] + truth["summary"]["companies"]
    table = Table(title=f"Early warning against the ground truth ({args.borrowers:,} "
                        f"borrowers, {len(defaults):,} defaults, {len(month_ends)} month "
                        f"ends, {seconds:.0f} s)")
    for column in ("rule", "defaulted parties warned", "warned before default",
                   "median lead time (days)", "alert rate, never defaulted"):
        table.add_column(column, justify="left" if column == "rule" else "right")
    for rule, warned, before, lead, rate in score(first, defaults, parties):
        table.add_row(rule, f"{warned:,}", f"{before:.1%}",
                      "-" if lead is None else f"{lead:.0f}", f"{rate:.1%}")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
