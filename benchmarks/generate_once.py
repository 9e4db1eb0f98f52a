"""One measured generation in a process of its own; prints seconds, peak RSS and rows."""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio


def count_rows(out: Path) -> int:
    """Data rows in every CSV file written (header lines excluded)."""
    total = 0
    for path in out.glob("*.csv"):
        with path.open("rb") as handle:
            total += sum(1 for _ in handle) - 1
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--borrowers", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    started = time.perf_counter()
    generate_portfolio(PortfolioConfig(borrowers=args.borrowers, seed=7), args.out)
    seconds = time.perf_counter() - started
    json.dump(
        {
            "seconds": seconds,
            "rows": count_rows(args.out),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
