"""``loanwatch model train``'s pipeline on three generated tabular files, against a tuned
LightGBM on the same folds.

    python -m benchmarks.model_train [--out var/bench/tabular] [--only NAME ...]
                                     [--trials 10] [--scale 1.0]

The three files are generated here (they are synthetic, not the public data sets, and the
models' defaults were not tuned on them), each shaped like a well-known kind of credit
data:

* ``german-like``: 1,000 applications, 13 categorical and 7 numeric columns, 30% "bad",
  the target written as ``good``/``bad``, an application id;
* ``taiwan-like``: 30,000 card holders, 23 numeric columns (limit, demographics coded as
  numbers, six months of repayment status, bill and payment amounts), 22% default,
  5–20% missing values in a dozen columns and a little text ("unknown") in one;
* ``large-nonlinear``: 150,000 loans, 32 numeric and 4 categorical columns (one with 300
  levels), thresholds, interactions and U-shaped effects, up to 60% missing values whose
  absence itself carries risk, and a rare target (4%).

For each file it reads the CSV exactly as ``model train`` does
(:func:`risk.models.tabular.load_training_data`), cross-validates both models on 5
stratified folds (:func:`risk.models.cross_validation.cross_validate`, seed 0) and, on the
same folds, a baseline: LightGBM tuned per training fold by random search (``--trials``
configurations over leaves, learning rate, leaf size, subsampling and L2) with 3-fold inner
cross-validation and early stopping, refitted on the whole training fold with the chosen
number of rounds. From ``--tune-once-from`` rows (100,000 by default) the search runs on
the first training fold only and its choice is reused on the other folds: the search is
the costly part, and tuning on rows that are other folds' test rows can only favour the
baseline. It prints AUC, KS and Brier (mean ± std over the folds) and the seconds
each took, and the gap between ``model train``'s choice and the baseline.
"""

from __future__ import annotations

import os

# OpenMP threads that wait by spinning make LightGBM many times slower on a machine whose
# cores are busy with other work (measured here: 100 rounds on 30,000 rows in 50 s with two
# spinning threads, 1.7 s with two passive ones); set before LightGBM loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import orjson
import pandas as pd
from rich.console import Console
from rich.table import Table

from risk.models import metrics
from risk.models.cross_validation import FOLDS, cross_validate, stratified_folds
from risk.models.gbm import cpu_threads
from risk.models.tabular import FITS, load_training_data

DEFAULT_OUT = Path("var/bench/tabular")


# -- the generated files ------------------------------------------------------------------
def _intercept_for(log_odds: np.ndarray, rate: float) -> float:
    """The shift of ``log_odds`` that makes the mean probability ``rate`` (bisection)."""
    low, high = -30.0, 30.0
    for _ in range(80):
        middle = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(log_odds + middle)))) > rate:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def _draw(rng: np.random.Generator, log_odds: np.ndarray, rate: float) -> np.ndarray:
    shifted = log_odds + _intercept_for(log_odds, rate)
    return (rng.random(len(log_odds)) < 1 / (1 + np.exp(-shifted))).astype(int)


def german_like(n: int, seed: int) -> tuple[pd.DataFrame, str, str | None]:
    """Applications with mostly categorical attributes; target ``class`` good/bad."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {"application_id": [f"A{100000 + i}" for i in range(n)]}
    log_odds = np.zeros(n)
    categorical = {"checking_status": (4, 1.2), "credit_history": (5, 0.8),
                   "purpose": (10, 0.5), "savings_status": (5, 0.6), "employment": (5, 0.4),
                   "personal_status": (4, 0.2), "other_parties": (3, 0.4),
                   "property_magnitude": (4, 0.4), "other_payment_plans": (3, 0.3),
                   "housing": (3, 0.3), "job": (4, 0.1), "own_telephone": (2, 0.1),
                   "foreign_worker": (2, 0.3)}
    for name, (levels, strength) in categorical.items():
        shares = rng.dirichlet(np.full(levels, 1.5))
        codes = rng.choice(levels, n, p=shares)
        effects = rng.normal(0, strength, levels)
        log_odds += effects[codes]
        columns[name] = np.array([f"{name[:3].upper()}{k}" for k in range(levels)])[codes]
    duration = rng.choice(np.arange(4, 73, 2), n)
    amount = np.round(np.exp(rng.normal(7.8, 0.8, n)) + 250 * duration)
    rate = rng.integers(1, 5, n)
    age = np.clip(np.round(rng.gamma(6, 6, n) + 18), 19, 75)
    columns |= {"duration": duration, "credit_amount": amount, "installment_commitment": rate,
                "residence_since": rng.integers(1, 5, n), "age": age,
                "existing_credits": rng.choice([1, 2, 3, 4], n, p=[0.6, 0.3, 0.07, 0.03]),
                "num_dependents": rng.choice([1, 2], n, p=[0.85, 0.15])}
    log_odds += (0.03 * (duration - 20) + 0.3 * np.log(amount / 3000) + 0.15 * (rate - 2.5)
                 - 0.02 * (age - 35) + 0.01 * np.maximum(0, 25 - age) ** 2)
    bad = _draw(rng, log_odds, 0.30)
    columns["class"] = np.where(bad == 1, "bad", "good")
    return pd.DataFrame(columns), "class", None


def taiwan_like(n: int, seed: int) -> tuple[pd.DataFrame, str, str | None]:
    """Card holders with repayment histories; target ``default payment next month``."""
    rng = np.random.default_rng(seed)
    limit = np.round(np.exp(rng.normal(11.7, 0.8, n)), -4).clip(10_000, 1_000_000)
    age = np.clip(np.round(rng.normal(35, 9, n)), 21, 79)
    stress = rng.normal(0, 1, n)
    status = np.empty((n, 6))
    state = 0.8 * stress + rng.normal(0, 0.6, n)
    for month in range(6):  # PAY_6 (oldest) .. PAY_0 (latest)
        state = 0.7 * state + 0.3 * stress + rng.normal(0, 0.5, n)
        status[:, 5 - month] = np.clip(np.floor(state * 1.5), -2, 8)
    utilisation = np.clip(rng.beta(2, 3, n) + 0.15 * stress, 0, 1.2)
    bills = np.empty((n, 6))
    pays = np.empty((n, 6))
    for month in range(6):
        bills[:, month] = np.round(limit * utilisation * rng.uniform(0.8, 1.1, n))
        pay_share = np.clip(rng.beta(1.2, 4, n) - 0.05 * stress, 0, 1)
        pays[:, month] = np.round(bills[:, month] * pay_share)
    log_odds = (0.9 * np.maximum(status[:, 0], 0) + 0.3 * np.maximum(status[:, 1], 0)
                + 0.6 * stress + 0.8 * (utilisation - 0.4) - 0.25 * np.log(limit / 100_000)
                - 2.0 * np.clip(pays[:, 0] / np.maximum(bills[:, 0], 1), 0, 1))
    default = _draw(rng, log_odds, 0.22)
    frame = pd.DataFrame({"ID": np.arange(1, n + 1), "LIMIT_BAL": limit,
                          "SEX": rng.choice([1, 2], n, p=[0.4, 0.6]),
                          "EDUCATION": rng.choice([1, 2, 3, 4, 5, 6], n,
                                                  p=[0.35, 0.47, 0.16, 0.01, 0.007, 0.003]),
                          "MARRIAGE": rng.choice([0, 1, 2, 3], n, p=[0.01, 0.45, 0.53, 0.01]),
                          "AGE": age})
    for month, name in enumerate(["PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"]):
        frame[name] = status[:, month]
    for month in range(6):
        frame[f"BILL_AMT{month + 1}"] = bills[:, month]
    for month in range(6):
        frame[f"PAY_AMT{month + 1}"] = pays[:, month]
    for k, name in enumerate(["AGE", *[f"BILL_AMT{m}" for m in range(2, 7)],
                              *[f"PAY_AMT{m}" for m in range(2, 7)]]):
        frame.loc[rng.random(n) < 0.05 + 0.015 * k, name] = np.nan
    frame["AGE"] = frame["AGE"].astype(object)
    frame.loc[rng.random(n) < 0.002, "AGE"] = "unknown"
    frame["default payment next month"] = default
    return frame, "default payment next month", None


def large_nonlinear(n: int, seed: int) -> tuple[pd.DataFrame, str, str | None]:
    """Loans with non-linear effects, interactions, informative missing values and a rare
    target ``defaulted`` (yes/no)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 32))
    x[:, 8:16] = np.exp(x[:, 8:16])  # skewed amounts
    x[:, 16:20] = rng.integers(0, 12, (n, 4))  # counts
    log_odds = (0.8 * np.tanh(x[:, 0] * 2) + 0.6 * x[:, 1] * x[:, 2] + 0.5 * x[:, 3] ** 2
                - 0.7 * (x[:, 4] > 0.8) + 0.4 * np.sin(2 * x[:, 5]) + 0.3 * np.log(x[:, 8])
                - 0.25 * np.log(x[:, 9]) + 0.15 * x[:, 16] - 0.1 * np.abs(x[:, 17] - 6)
                + 0.3 * x[:, 6] * (x[:, 7] > 0) + 0.2 * x[:, 10:14].sum(axis=1) ** 0.5)
    region = rng.integers(0, 20, n)
    product = rng.integers(0, 6, n)
    channel = rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])
    branch = (rng.pareto(1.2, n) * 10).astype(int) % 300
    log_odds += (rng.normal(0, 0.4, 20)[region] + rng.normal(0, 0.5, 6)[product]
                 + np.array([0, 0.2, 0.5, 1.0])[channel] + rng.normal(0, 0.3, 300)[branch]
                 + 0.4 * (product == 3) * x[:, 0])
    frame = pd.DataFrame(x, columns=[f"x{k:02d}" for k in range(32)])
    for k in range(0, 32, 3):  # informative missingness: the riskier go missing more often
        share = 0.05 + 0.55 * (k / 32)
        chance = share * (1 + 0.5 * np.tanh(log_odds - log_odds.mean()))
        frame.loc[rng.random(n) < chance, f"x{k:02d}"] = np.nan
    frame["region"] = np.array([f"R{r:02d}" for r in range(20)])[region]
    frame["product"] = np.array(["card", "auto", "mortgage", "sme", "personal", "bnpl"])[product]
    frame["channel"] = np.array(["branch", "web", "broker", "phone"])[channel]
    frame["branch_code"] = np.array([f"B{b:03d}" for b in range(300)])[branch]
    frame.loc[rng.random(n) < 0.1, "channel"] = np.nan
    frame.insert(0, "loan_ref", [f"LN-{seed}-{i:07d}" for i in range(n)])
    frame["defaulted"] = np.where(_draw(rng, log_odds, 0.04) == 1, "yes", "no")
    return frame, "defaulted", None


Generator = Callable[[int, int], tuple[pd.DataFrame, str, str | None]]
FILES: dict[str, tuple[Generator, int]] = {
    "german-like": (german_like, 1_000),
    "taiwan-like": (taiwan_like, 30_000),
    "large-nonlinear": (large_nonlinear, 150_000),
}


# -- the baseline ---------------------------------------------------------------------------
SEARCH_SPACE: dict[str, list[Any]] = {
    "num_leaves": [7, 15, 31, 63, 127],
    "learning_rate": [0.03, 0.05, 0.1],
    "min_child_samples": [10, 20, 50, 100, 200],
    "feature_fraction": [0.6, 0.8, 1.0],
    "bagging_fraction": [0.7, 0.9, 1.0],
    "lambda_l2": [0.0, 1.0, 10.0],
}


def _baseline_search(frame: pd.DataFrame, y: np.ndarray, *, trials: int, seed: int,
                     ) -> tuple[dict[str, Any], int]:
    """LightGBM parameters and rounds chosen by random search with 3-fold inner CV and
    early stopping."""
    rng = np.random.default_rng(seed)
    inner = stratified_folds(y, folds=3, seed=seed + 1)
    best: tuple[float, dict[str, Any], int] | None = None
    for _ in range(trials):
        params = {name: values[rng.integers(len(values))]
                  for name, values in SEARCH_SPACE.items()}
        params |= {"objective": "binary", "metric": "auc", "bagging_freq": 1,
                   "verbosity": -1, "seed": seed, "num_threads": cpu_threads(len(y))}
        scores, rounds = [], []
        for learn, stop in inner:
            train = lgb.Dataset(frame.iloc[learn], y[learn])
            booster = lgb.train(params, train, num_boost_round=3000,
                                valid_sets=[lgb.Dataset(frame.iloc[stop], y[stop],
                                                        reference=train)],
                                callbacks=[lgb.early_stopping(50, verbose=False)])
            scores.append(booster.best_score["valid_0"]["auc"])
            rounds.append(booster.best_iteration)
        score = float(np.mean(scores))
        if best is None or score > best[0]:
            best = (score, params, int(np.mean(rounds) * 1.1) + 1)
    assert best is not None
    return best[1], best[2]


def _baseline(frame: pd.DataFrame, y: np.ndarray, trials: int, tune_once: bool,
              ) -> dict[str, list[float]]:
    measured: dict[str, list[float]] = {"auc": [], "ks": [], "brier": []}
    folds = stratified_folds(y, folds=FOLDS, seed=0)
    tuned: tuple[dict[str, Any], int] | None = None
    for train, test in folds:
        if tuned is None or not tune_once:
            tuned = _baseline_search(frame.iloc[train], y[train], trials=trials, seed=0)
        booster = lgb.train(tuned[0], lgb.Dataset(frame.iloc[train], y[train]),
                            num_boost_round=tuned[1])
        predicted = booster.predict(frame.iloc[test])
        measured["auc"].append(metrics.auc(y[test], predicted))
        measured["ks"].append(metrics.ks(y[test], predicted))
        measured["brier"].append(metrics.brier(y[test], predicted))
    return measured


# -- the run ----------------------------------------------------------------------------------
@dataclass
class Row:
    file: str
    model: str
    measured: dict[str, list[float]]
    seconds: float


def _cell(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values, ddof=1):.4f}"


def _line(row: Row) -> str:
    return (f"  {row.model}: AUC {_cell(row.measured['auc'])}, KS {_cell(row.measured['ks'])}, "
            f"Brier {_cell(row.measured['brier'])} ({row.seconds:.0f} s)")


def run(out: Path, only: list[str], trials: int, scale: float, tune_once_from: int,
        console: Console) -> list[Row]:
    """Generate, read, cross-validate and compare each file; every file's rows are also
    kept in ``out/results.json``, so files can be run apart and reported together."""
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "results.json"
    results = orjson.loads(saved.read_bytes()) if saved.exists() else {}
    for name, (generate, size) in FILES.items():
        if only and name not in only:
            continue
        frame, target, positive = generate(max(200, int(size * scale)), 7)
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        console.print(f"{name}: {len(frame)} rows, {frame.shape[1] - 1} columns → {path}")
        started = time.perf_counter()
        data = load_training_data(path, target, positive=positive)
        read_seconds = time.perf_counter() - started
        for note in data.notes():
            console.print(f"  {note}", highlight=False, soft_wrap=True)
        rows: list[Row] = []
        for kind, fit in FITS.items():
            started = time.perf_counter()
            validation = cross_validate(data.frame, data.y, {kind: fit}, seed=0)
            rows.append(Row(name, kind, validation.per_fold[kind],
                            read_seconds + time.perf_counter() - started))
            console.print(_line(rows[-1]), highlight=False)
        tune_once = len(data.y) >= tune_once_from
        started = time.perf_counter()
        baseline = _baseline(data.frame, data.y, trials, tune_once)
        label = f"tuned LightGBM ({trials} trials{', tuned once' if tune_once else ''})"
        rows.append(Row(name, label, baseline, time.perf_counter() - started))
        console.print(_line(rows[-1]), highlight=False)
        results[name] = [row.__dict__ for row in rows]
        saved.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return [Row(**row) for name in FILES if name in results for row in results[name]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="*", default=[], choices=list(FILES))
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="Multiply every file's rows (a quick run: 0.1).")
    parser.add_argument("--tune-once-from", type=int, default=100_000, metavar="ROWS",
                        help="From this many rows the baseline is tuned on the first "
                             "training fold only and reused on the others.")
    args = parser.parse_args()
    console = Console()
    rows = run(args.out, args.only, args.trials, args.scale, args.tune_once_from, console)
    table = Table(title=f"model train's pipeline vs tuned LightGBM, {FOLDS} stratified folds "
                        "(mean ± std); time = CV of that model alone, reading included")
    for column in ("file", "model", "AUC", "KS", "Brier", "time (s)"):
        table.add_column(column, justify="left" if column in ("file", "model") else "right")
    for row in rows:
        table.add_row(row.file, row.model, *(_cell(row.measured[m]) for m in ("auc", "ks",
                                                                              "brier")),
                      f"{row.seconds:.0f}")
    console.print(table)
    for name in dict.fromkeys(r.file for r in rows):
        ours = [r for r in rows if r.file == name and r.model in FITS]
        chosen = max(ours, key=lambda r: np.mean(r.measured["auc"]))
        base = next(r for r in rows if r.file == name and r.model not in FITS)
        gap = np.mean(chosen.measured["auc"]) - np.mean(base.measured["auc"])
        console.print(f"{name}: model train chooses {chosen.model}; AUC minus the tuned "
                      f"baseline's: {gap:+.4f}")


if __name__ == "__main__":
    main()
