"""The evidence path of an alert: node ids with their labels, and typed edges, ready to draw.

Stored as JSON on the alert (``{"nodes": [{"id", "label"}], "edges": [{"type", "source",
"target", "key", ...figures}]}``), sorted so that the same facts give the same JSON: an alert
raised again on unchanged data is recognised as unchanged.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["MAX_EVIDENCE_EDGES", "Evidence"]

#: Edges kept on one alert; past that the path says ``truncated`` (the figures stay whole).
MAX_EVIDENCE_EDGES: Final = 200


class Evidence:
    """Collects the nodes and edges behind one alert."""

    def __init__(self) -> None:
        self._nodes: dict[str, str] = {}
        self._edges: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def node(self, node_id: str, label: str) -> Evidence:
        self._nodes.setdefault(node_id, label)
        return self

    def edge(self, rel_type: str, source: str, target: str, key: str = "",
             **figures: Any) -> Evidence:
        """Add ``source -[rel_type]-> target`` (both ends must be added with :meth:`node`)."""
        self._edges[(rel_type, source, target, key)] = figures
        return self

    def to_json(self) -> dict[str, Any]:
        identities = sorted(self._edges)
        kept = identities[:MAX_EVIDENCE_EDGES]
        truncated = len(kept) < len(identities)
        ends = {end for _, s, d, _ in kept for end in (s, d)}
        edges = [{"type": t, "source": s, "target": d, "key": k, **self._edges[(t, s, d, k)]}
                 for t, s, d, k in kept]
        nodes = [{"id": node_id, "label": label} for node_id, label in sorted(self._nodes.items())
                 if not truncated or node_id in ends]
        found: dict[str, Any] = {"nodes": nodes, "edges": edges}
        if truncated:
            found["truncated"] = True
            found["edges_total"] = len(identities)
        return found
