"""What the event flow re-scores and what it does about the alerts: :class:`FlowPolicy`.

* ``hops``: the radius of the neighbourhood re-scored around the parties an event concerns
  (graph edges, any type, either direction; 1 to 6, default 2);
* ``review_severity``: an alert of this severity or higher is *serious*: it opens a
  triggered review of each loan it concerns (routed to the human review queue);
* ``case_severity`` and ``case_rules``: a serious alert of this severity or higher, raised
  by one of ``case_rules`` (every rule when empty), also opens a collection case on the
  loan (or is attached to the loan's live case), carrying the alert's graph path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from risk.errors import RiskError
from risk.rules.schema import SEVERITIES, severity_rank

__all__ = ["DEFAULT_FLOW_HOPS", "DEFAULT_FLOW_SEVERITY", "MAX_FLOW_HOPS", "FlowPolicy"]

DEFAULT_FLOW_HOPS: Final = 2
MAX_FLOW_HOPS: Final = 6
DEFAULT_FLOW_SEVERITY: Final = "high"


@dataclass(frozen=True, slots=True)
class FlowPolicy:
    """See the module. Raises :class:`risk.errors.RiskError` when a value is out of range."""

    hops: int = DEFAULT_FLOW_HOPS
    review_severity: str = DEFAULT_FLOW_SEVERITY
    case_severity: str = DEFAULT_FLOW_SEVERITY
    case_rules: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if isinstance(self.hops, bool) or not isinstance(self.hops, int) \
                or not 1 <= self.hops <= MAX_FLOW_HOPS:
            raise RiskError(f"the flow's neighbourhood is 1 to {MAX_FLOW_HOPS} hops, "
                            f"got {self.hops!r}")
        for name in ("review_severity", "case_severity"):
            if getattr(self, name) not in SEVERITIES:
                raise RiskError(f"the flow's {name} must be one of {', '.join(SEVERITIES)}, "
                                f"got {getattr(self, name)!r}")

    def serious(self, severity: str) -> bool:
        """Whether an alert of ``severity`` opens a triggered review."""
        return severity_rank(severity) >= severity_rank(self.review_severity)

    def opens_case(self, rule_id: str, severity: str) -> bool:
        """Whether an alert of ``rule_id`` at ``severity`` opens a collection case."""
        return self.serious(severity) \
            and severity_rank(severity) >= severity_rank(self.case_severity) \
            and (not self.case_rules or rule_id in self.case_rules)

    def as_json(self) -> dict[str, Any]:
        return {"hops": self.hops, "review_severity": self.review_severity,
                "case_severity": self.case_severity, "case_rules": sorted(self.case_rules)}
