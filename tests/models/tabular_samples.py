"""Small generated credit tables with a known signal, for the tabular model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["credit_sample", "write_csv"]


def credit_sample(n: int, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``n`` borrowers: a frame (``utilisation`` rising risk, ``income`` falling risk with
    10% missing, ``purpose`` categorical where ``business`` is risky, ``noise`` unrelated),
    their 0/1 outcomes and the true log-odds that drew them."""
    rng = np.random.default_rng(seed)
    utilisation = rng.uniform(0, 1, n)
    income = rng.lognormal(8.0, 0.5, n)
    purpose = rng.choice(["car", "home", "business", "education"], n)
    noise = rng.normal(size=n)
    log_odds = (-2.0 + 3.0 * (utilisation - 0.5) - 1.0 * np.log(income / 3000)
                + np.where(purpose == "business", 1.2, 0.0))
    y = (rng.random(n) < 1 / (1 + np.exp(-log_odds))).astype(np.int8)
    income[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame({"utilisation": utilisation, "income": income,
                          "purpose": pd.Categorical(purpose), "noise": noise})
    return frame, y, log_odds


def write_csv(path: str, frame: pd.DataFrame, y: np.ndarray, *, target: str = "default",
              ids: bool = True) -> None:
    """The sample as a lender's CSV file (an id column first, the target last)."""
    table = frame.copy()
    if ids:
        table.insert(0, "customer_id", [f"C{i:06d}" for i in range(len(table))])
    table[target] = y
    table.to_csv(path, index=False)
