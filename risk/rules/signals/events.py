"""``external_event``: a party mentioned in a court case, news or social-media event.

Reads ``MENTIONED_IN`` edges to ``ExternalEvent`` nodes (``kind``, ``occurred_on``,
``severity`` 1..5). An event counts when its kind is one of the rule's, it occurred in
``as_of - within_days < occurred_on <= as_of`` and its severity is at least
``min_severity`` (an event without a severity counts only for ``min_severity: 1``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import ExternalEvent

__all__ = ["evaluate_external_event"]

_EVENT_PROPS = ("kind", "occurred_on", "severity", "title")


def evaluate_external_event(rule: ExternalEvent, ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per party, carrying every event that matched; path party → event."""
    edges = ctx.inputs.edges(RelType.MENTIONED_IN, target_props=_EVENT_PROPS)
    if not len(edges):
        return []
    start = (ctx.as_of - timedelta(days=rule.within_days)).isoformat()
    end = ctx.as_of.isoformat()
    kind, occurred, severity = (edges.props[name] for name in _EVENT_PROPS[:3])
    occurred_text = np.array([value if isinstance(value, str) else "" for value in occurred],
                             dtype=object)
    # An event without an integer severity counts as severity 1.
    level = np.array([value if isinstance(value, int) else 1 for value in severity],
                     dtype=np.int64)
    kind_text = np.array([value if isinstance(value, str) else "" for value in kind],
                         dtype=object)
    keep = (np.isin(kind_text, list(rule.kinds)) & (occurred_text > start)
            & (occurred_text <= end) & (level >= rule.min_severity))
    # By party, then by occurrence and event id, as the alert lists them.
    hit = sorted(np.flatnonzero(keep).tolist(), key=lambda i: (
        edges.source[i], occurred_text[i], edges.target[i]))
    found: dict[str, list[int]] = {}
    for i in hit:
        found.setdefault(str(edges.source[i]), []).append(i)
    labels = ctx.labels(list(found))
    drafts = []
    for party_id, rows in found.items():
        evidence = Evidence().node(party_id, labels[party_id])
        signals: list[dict[str, Any]] = []
        for i in rows:
            event_id = str(edges.target[i])
            evidence.node(event_id, "ExternalEvent").edge(RelType.MENTIONED_IN.value,
                                                          party_id, event_id)
            signals.append({"signal": rule.signal, "event_id": event_id,
                            "kind": kind[i], "occurred_on": occurred[i],
                            "severity": severity[i], "title": edges.props["title"][i]})
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, signals, evidence))
    return drafts
