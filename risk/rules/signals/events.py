"""``external_event``: a party mentioned in a court case, news or social-media event.

Reads ``MENTIONED_IN`` edges to ``ExternalEvent`` nodes (``kind``, ``occurred_on``,
``severity`` 1..5). An event counts when its kind is one of the rule's, it occurred in
``as_of - within_days < occurred_on <= as_of`` and its severity is at least
``min_severity`` (an event without a severity counts only for ``min_severity: 1``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from graph.model import RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import ExternalEvent

__all__ = ["evaluate_external_event"]


def evaluate_external_event(rule: ExternalEvent, ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per party, carrying every event that matched; path party → event."""
    graph = ctx.projection([RelType.MENTIONED_IN])
    start = (ctx.as_of - timedelta(days=rule.within_days)).isoformat()
    end = ctx.as_of.isoformat()
    kinds = set(rule.kinds)
    found: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for party_id, event_id in graph.edges():
        event = graph.nodes[event_id]
        occurred = str(event.get("occurred_on", ""))
        severity = event.get("severity")
        if event.get("kind") not in kinds or not start < occurred <= end:
            continue
        if (severity if isinstance(severity, int) else 1) < rule.min_severity:
            continue
        found[party_id].append((event_id, event))
    drafts = []
    for party_id, events in sorted(found.items()):
        evidence = Evidence().node(party_id, graph.nodes[party_id]["label"])
        signals = []
        for event_id, event in sorted(events, key=lambda item: (item[1]["occurred_on"],
                                                                  item[0])):
            evidence.node(event_id, "ExternalEvent").edge(RelType.MENTIONED_IN.value,
                                                          party_id, event_id)
            signals.append({"signal": rule.signal, "event_id": event_id,
                            "kind": event["kind"], "occurred_on": event["occurred_on"],
                            "severity": event.get("severity"), "title": event.get("title")})
        drafts.append(ctx.draft(rule, SubjectKind.PARTY, party_id, signals, evidence))
    return drafts
