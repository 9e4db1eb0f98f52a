"""What rule evaluation reads, and the reads it shares between rules of one run."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import networkx as nx
from sqlalchemy import Engine

from graph.model import RelType
from graph.store import GraphStore
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.delinquency import DelinquencySource
from risk.rules.evidence import Evidence
from risk.rules.schema import Rule

__all__ = ["EvaluationContext"]


@dataclass
class EvaluationContext:
    """The stores and the as-of date of one evaluation. Projections of the graph are read
    once per set of relationship types and shared by every rule of the run."""

    as_of: date
    graph: GraphStore
    engine: Engine
    delinquency: DelinquencySource | None = None
    #: What rules had to say beyond their alerts (data they could not judge), by rule id.
    notes: dict[str, list[str]] = field(default_factory=dict)
    _projections: dict[frozenset[RelType], nx.MultiDiGraph] = field(default_factory=dict)

    def note(self, rule: Rule, text: str) -> None:
        self.notes.setdefault(rule.id, []).append(text)

    def projection(self, types: Collection[RelType]) -> nx.MultiDiGraph:
        wanted = frozenset(types)
        if wanted not in self._projections:
            self._projections[wanted] = self.graph.project(wanted)
        return self._projections[wanted]

    def draft(self, rule: Rule, subject_kind: SubjectKind, subject_id: str,
              signals: list[dict[str, Any]], evidence: Evidence) -> AlertDraft:
        """The alert ``rule`` raises about one subject as of this evaluation's date."""
        return AlertDraft(rule_id=rule.id, severity=rule.severity,
                          subject_kind=subject_kind.value, subject_id=subject_id,
                          as_of=self.as_of, cooldown_days=rule.cooldown_days,
                          signals=signals, evidence=evidence.to_json())
