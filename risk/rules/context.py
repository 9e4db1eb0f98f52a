"""What rule evaluation reads, and the reads it shares between rules of one run."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import Engine

from graph.model import Label
from graph.store import GraphStore
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.models.scores import PartyScores
from risk.rules.delinquency import DelinquencySource
from risk.rules.evidence import Evidence
from risk.rules.inputs import RuleInputs
from risk.rules.schema import Rule

__all__ = ["EvaluationContext"]

#: The label drawn for a node the graph does not hold (a bureau snapshot of a party
#: imported separately).
UNKNOWN_LABEL: Final = "Unknown"


@dataclass
class EvaluationContext:
    """The stores and the as-of date of one evaluation, and the graph read as arrays once
    (:class:`risk.rules.inputs.RuleInputs`) for every rule of the run."""

    as_of: date
    graph: GraphStore
    engine: Engine
    inputs: RuleInputs
    delinquency: DelinquencySource | None = None
    #: The PD of every borrower by the production model (``None``: PD rules are skipped).
    scores: PartyScores | None = None
    #: The parties whose own records the rules read (``None``: every party).
    parties: frozenset[str] | None = None
    #: What rules had to say beyond their alerts (data they could not judge), by rule id.
    notes: dict[str, list[str]] = field(default_factory=dict)
    _labels: dict[str, str] = field(default_factory=dict)

    def note(self, rule: Rule, text: str) -> None:
        self.notes.setdefault(rule.id, []).append(text)

    def labels(self, ids: Collection[str]) -> dict[str, str]:
        """The label of each of ``ids`` (``"Unknown"`` where the graph has no such node),
        read in one batch for the ids not read before in this run."""
        missing = [node_id for node_id in ids if node_id not in self._labels]
        if missing:
            found: dict[str, Label] = self.graph.labels_of(missing)
            for node_id in missing:
                label = found.get(node_id)
                self._labels[node_id] = UNKNOWN_LABEL if label is None else label.value
        return {node_id: self._labels[node_id] for node_id in ids}

    def draft(self, rule: Rule, subject_kind: SubjectKind, subject_id: str,
              signals: list[dict[str, Any]], evidence: Evidence) -> AlertDraft:
        """The alert ``rule`` raises about one subject as of this evaluation's date."""
        return AlertDraft(rule_id=rule.id, severity=rule.severity,
                          subject_kind=subject_kind.value, subject_id=subject_id,
                          as_of=self.as_of, cooldown_days=rule.cooldown_days,
                          signals=signals, evidence=evidence.to_json())
