"""The latest scan run's summary: which run the risk fields read, when, and what it found."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON

from risk.scan_results import RunSummary

__all__ = ["PhaseTiming", "ScanRun", "scan_run_from_summary"]


@strawberry.type(description="How long one phase of a scan took, and its peak memory.")
class PhaseTiming:
    name: str = strawberry.field(description="The phase (load, features, circles, ...).")
    seconds: float | None = strawberry.field(description="How long it took, in seconds.")
    peak_mib: float | None = strawberry.field(description="Peak memory in MiB.")


@strawberry.type(description="A `loanwatch scan` run: the one every risk field reads.")
class ScanRun:
    id: int = strawberry.field(description="The run's number (`loanwatch scan show`).")
    as_of: date = strawberry.field(description="The date the portfolio was scanned as of.")
    status: str = strawberry.field(description="running, succeeded or failed.")
    started_at: datetime = strawberry.field(description="When it started.")
    finished_at: datetime | None = strawberry.field(
        description="When it finished; null while running.")
    code_version: str = strawberry.field(description="The Loanwatch version that ran it.")
    phases: list[PhaseTiming] = strawberry.field(description="In the order they ran.")
    counts: JSON = strawberry.field(
        description="What it found: parties, loans by tier and stage, findings by kind, "
        "alerts raised, ...")


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def scan_run_from_summary(run: RunSummary) -> ScanRun:
    """The GraphQL view of a stored run's summary."""
    return ScanRun(
        id=run.id, as_of=run.as_of, status=run.status, started_at=run.started_at,
        finished_at=run.finished_at, code_version=run.code_version,
        phases=[PhaseTiming(name=name, seconds=_number(timing.get("seconds")),
                            peak_mib=_number(timing.get("peak_mib")))
                for name, timing in run.phases.items() if isinstance(timing, dict)],
        counts=run.summary)
