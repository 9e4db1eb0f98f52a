"""The settings of the job machinery (``LOANWATCH_BROKER_*``, ``LOANWATCH_JOB_*``,
``LOANWATCH_SCHEDULER_*``), the collections strategies, the post-loan jobs
(``LOANWATCH_REVIEW_BATCH``, ``LOANWATCH_JOBS_AS_OF``) and the event flow
(``LOANWATCH_FLOW_*``), a part of :class:`loanwatch.settings.Settings`
kept in a module of its own, as :mod:`loanwatch.notification_settings` is."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings

from loanwatch.setting_defaults import (
    DEFAULT_BROKER_DEAD_MESSAGE_TTL_S,
    DEFAULT_BROKER_HEARTBEAT_TIMEOUT_S,
    DEFAULT_JOB_MAX_AGE_S,
    DEFAULT_JOB_MAX_RETRIES,
    DEFAULT_JOB_RETRY_MAX_BACKOFF_S,
    DEFAULT_JOB_RETRY_MIN_BACKOFF_S,
    DEFAULT_JOB_STALE_AFTER_S,
    DEFAULT_JOB_TIME_LIMIT_S,
    DEFAULT_SCHEDULER_BATCH,
    DEFAULT_SCHEDULER_INTERVAL_S,
)

__all__ = ["PostLoanSettings"]


class PostLoanSettings(BaseSettings):
    """Mixed into :class:`loanwatch.settings.Settings` (its ``LOANWATCH_`` prefix applies)."""

    #: The collections strategies (steps, champion/challenger splits by segment, contact
    #: hours and limits, action costs; a YAML file, see the README's "Collections
    #: strategies"); unset: the built-in ``standard`` and ``gentle`` strategies.
    collections_strategies: Path | None = None

    @field_validator("collections_strategies", mode="before")
    @classmethod
    def _blank_collections_strategies_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("collections_strategies")
    @classmethod
    def _collections_strategies_is_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    # Jobs (jobs/, `loanwatch worker`, `loanwatch scheduler`; README "Jobs and workers"):
    # how long a worker may stay silent before Redis hands its unacknowledged messages to
    # another worker, how long Redis keeps dead-lettered messages, how transient faults
    # are retried, how long a job may run and wait, and how often the scheduler looks.
    broker_heartbeat_timeout_s: float = Field(DEFAULT_BROKER_HEARTBEAT_TIMEOUT_S, ge=1,
                                              le=86_400)
    broker_dead_message_ttl_s: float = Field(DEFAULT_BROKER_DEAD_MESSAGE_TTL_S, ge=60)
    job_max_retries: int = Field(DEFAULT_JOB_MAX_RETRIES, ge=0, le=1_000)
    job_retry_min_backoff_s: float = Field(DEFAULT_JOB_RETRY_MIN_BACKOFF_S, gt=0)
    job_retry_max_backoff_s: float = Field(DEFAULT_JOB_RETRY_MAX_BACKOFF_S, gt=0, le=7 * 86_400)
    job_time_limit_s: float = Field(DEFAULT_JOB_TIME_LIMIT_S, gt=0)
    job_max_age_s: float = Field(DEFAULT_JOB_MAX_AGE_S, gt=0)
    scheduler_interval_s: float = Field(DEFAULT_SCHEDULER_INTERVAL_S, gt=0, le=3_600)
    scheduler_batch: int = Field(DEFAULT_SCHEDULER_BATCH, ge=1, le=100_000)
    job_stale_after_s: float = Field(DEFAULT_JOB_STALE_AFTER_S, ge=10)
    #: Days a unit of work is kept once done (jobs/actors/housekeeping.py deletes older
    #: ones daily); longer than a message may wait (``job_max_age_s``), so that no message
    #: still runnable finds its unit gone.
    job_unit_retention_days: int = Field(30, ge=1, le=3_650)

    @field_validator("job_unit_retention_days")
    @classmethod
    def _units_outlive_their_messages(cls, value: int, info: ValidationInfo) -> int:
        max_age = info.data.get("job_max_age_s")
        if isinstance(max_age, float) and value * 86_400 <= max_age:
            raise ValueError(
                f"{value} days is not longer than LOANWATCH_JOB_MAX_AGE_S ({max_age:g} s): a "
                "message still allowed to run would find its unit of work deleted")
        return value

    #: The scheduled reviews and collections (jobs/actors/reviews.py, collections.py): loans
    #: per review batch (one unit of work, one transaction), and the business date they run
    #: as of (unset: each daily tick's own date, UTC; `loanwatch demo` sets its portfolio's
    #: date). ``LOANWATCH_REVIEW_BATCH``, ``LOANWATCH_JOBS_AS_OF``.
    review_batch: int = Field(500, ge=1, le=10_000, description="Loans per review batch.")
    jobs_as_of: date | None = Field(None, description="The scheduled jobs' business date.")

    @field_validator("jobs_as_of", mode="before")
    @classmethod
    def _blank_jobs_as_of_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value
    #: The event flow (``risk.flow``; README "The event flow"): the neighbourhood an event
    #: recorded through the API re-scores (graph hops), the alert severity from which it
    #: opens a triggered review, and from which (for the rules listed, comma-separated ids;
    #: empty: every rule) it opens a collection case; the rules file it evaluates (unset:
    #: the shipped ``risk/rules/default_rules.yaml``).
    flow_hops: int = Field(2, ge=1, le=6, description="Hops re-scored around an event.")
    flow_review_severity: Literal["low", "medium", "high", "critical"] = Field(
        "high", description="The alert severity from which the flow opens a review.")
    flow_case_severity: Literal["low", "medium", "high", "critical"] = Field(
        "high", description="The alert severity from which the flow opens a case.")
    flow_case_rules: str = Field("", description="Rule ids whose alerts open a case.")
    flow_rules_file: Path | None = Field(None, description="The flow's rules file.")

    @field_validator("flow_rules_file", mode="before")
    @classmethod
    def _blank_flow_rules_file_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("flow_rules_file")
    @classmethod
    def _flow_rules_file_is_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    @field_validator("flow_case_rules")
    @classmethod
    def _flow_case_rules_are_ids(cls, value: str) -> str:
        for rule in (part.strip() for part in value.split(",")):
            if rule and not rule.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"{rule!r} is not a rule id")
        return value

    @property
    def flow_values(self) -> dict[str, object]:
        """The values the event flow's job reads (``jobs.actors.event_flow``)."""
        return {"flow_hops": self.flow_hops, "flow_review_severity": self.flow_review_severity,
                "flow_case_severity": self.flow_case_severity,
                "flow_case_rules": [r.strip() for r in self.flow_case_rules.split(",")
                                    if r.strip()],
                "flow_rules_file": None if self.flow_rules_file is None
                else str(self.flow_rules_file)}
