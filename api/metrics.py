"""What ``/metrics`` exposes in the Prometheus text format, one registry per application.

- ``loanwatch_graphql_request_duration_seconds{operation}``: histogram of GraphQL request
  latency by operation name (names beyond :data:`MAX_OPERATION_NAMES` distinct ones are
  counted as ``(other)``: clients choose them, and a label per name would let one client
  grow the registry without bound);
- ``loanwatch_graphql_errors_total{code}``: errors answered, by ``extensions.code``;
- ``loanwatch_graphql_rejected_total{code}``: requests refused before or instead of
  executing (401, 403, 429, 413, cost, busy, ...), by code;
- ``loanwatch_graphql_timeouts_total``: requests stopped at their time limit;
- ``loanwatch_http_requests_in_flight``: requests being served now;
- ``loanwatch_store_call_duration_seconds{method}``: each graph-store call
  (:class:`TimedStore`);
- ``loanwatch_audit_events_total{action}``: audit events handed to the trail;
- ``loanwatch_auth_throttled_total{transport}``: requests (``http``) and WebSocket
  connections (``websocket``) refused because their address failed authentication too
  often (:mod:`api.failed_auth`);
- ``loanwatch_websocket_connections``: WebSocket connections open now;
- ``loanwatch_websocket_operations``: operations (subscriptions) running over them now;
- ``loanwatch_websocket_closed_total{reason}``: connections the server closed, by reason
  (``too-many-connections``, ``too-many-client-connections``, ``init-timeout``,
  ``unauthenticated``, ``throttled``, ``token-expired``, ``token-invalid``);
- ``loanwatch_websocket_operations_refused_total{code}``: ``subscribe`` messages answered
  with an ``error`` before running (``TOO_MANY_SUBSCRIPTIONS``, persisted-document codes).

Example::

    metrics = ApiMetrics()
    graph = TimedStore(graph, metrics)
    body, media_type = metrics.exposition()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import wraps
from threading import Lock
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from auth.audit_events import AuditEvent, AuditSink
from graph.store import GraphStore
from graph.walks import Hop, LoopWalker, Walked

__all__ = ["MAX_OPERATION_NAMES", "ApiMetrics", "CountingAuditSink", "TimedStore",
           "TimedWalker"]

#: Distinct operation names labelled; later ones count as "(other)".
MAX_OPERATION_NAMES: Final = 200
_REQUEST_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                           10.0, 30.0)
_STORE_BUCKETS: Final = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                         0.1, 0.25, 1.0, 5.0)


class ApiMetrics:
    """The API's metrics, in a registry of their own (no process-wide state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "loanwatch_graphql_request_duration_seconds",
            "GraphQL request latency, by operation name.", ["operation"],
            buckets=_REQUEST_BUCKETS, registry=self.registry)
        self.errors = Counter("loanwatch_graphql_errors_total",
                              "GraphQL errors answered, by extensions.code.", ["code"],
                              registry=self.registry)
        self.rejected = Counter("loanwatch_graphql_rejected_total",
                                "Requests refused before or instead of executing, by code.",
                                ["code"], registry=self.registry)
        self.timeouts = Counter("loanwatch_graphql_timeouts_total",
                                "Requests stopped at their time limit.",
                                registry=self.registry)
        self.in_flight = Gauge("loanwatch_http_requests_in_flight",
                               "HTTP requests being served now.", registry=self.registry)
        self.store_seconds = Histogram(
            "loanwatch_store_call_duration_seconds", "Graph store calls, by method.",
            ["method"], buckets=_STORE_BUCKETS, registry=self.registry)
        self.audit_events = Counter("loanwatch_audit_events_total",
                                    "Audit events handed to the trail, by action.",
                                    ["action"], registry=self.registry)
        self.auth_throttled = Counter(
            "loanwatch_auth_throttled_total", "Requests and WebSocket connections refused "
            "because their address failed authentication too often, by transport.",
            ["transport"], registry=self.registry)
        self.ws_connections = Gauge("loanwatch_websocket_connections",
                                    "WebSocket connections open now.", registry=self.registry)
        self.ws_operations = Gauge("loanwatch_websocket_operations",
                                   "Operations running over WebSockets now.",
                                   registry=self.registry)
        self.ws_closed = Counter("loanwatch_websocket_closed_total",
                                 "WebSocket connections the server closed, by reason.",
                                 ["reason"], registry=self.registry)
        self.ws_refused = Counter("loanwatch_websocket_operations_refused_total",
                                  "subscribe messages refused before running, by code.",
                                  ["code"], registry=self.registry)
        self._operations: set[str] = set()
        self._lock = Lock()

    def __repr__(self) -> str:
        return f"ApiMetrics(operations={len(self._operations)})"

    def operation_label(self, name: str | None) -> str:
        """The ``operation`` label of an operation called ``name``."""
        label = name or "(anonymous)"
        if label in self._operations:
            return label
        with self._lock:
            if len(self._operations) >= MAX_OPERATION_NAMES:
                return "(other)"
            self._operations.add(label)
        return label

    def observe_request(self, operation: str | None, seconds: float,
                        codes: list[str]) -> None:
        """One GraphQL request answered in ``seconds`` with errors of ``codes``."""
        self.request_seconds.labels(self.operation_label(operation)).observe(seconds)
        for code in codes:
            self.errors.labels(code).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The registry in the Prometheus text format, and its media type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class TimedStore:
    """``graph`` with every public method call timed into ``metrics.store_seconds``.

    Everything else (attributes, ``repr``) is the wrapped store's.
    """

    def __init__(self, graph: GraphStore, metrics: ApiMetrics) -> None:
        self._graph = graph
        self._metrics = metrics
        self._timed: dict[str, Callable[..., Any]] = {}

    def __repr__(self) -> str:
        return repr(self._graph)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._graph, name)
        if name.startswith("_") or not callable(attribute):
            return attribute
        timed = self._timed.get(name)
        if timed is None:
            timed = self._timed[name] = self._time(name)
        return timed

    def _time(self, name: str) -> Callable[..., Any]:
        observe = self._metrics.store_seconds.labels(name).observe
        method = getattr(self._graph, name)

        @wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                observe(time.perf_counter() - started)

        return call


class TimedWalker:
    """``walker`` (:class:`graph.walks.LoopWalker`) with every walk timed into
    ``metrics.store_seconds`` as ``walk``, as :class:`TimedStore` times the store's."""

    def __init__(self, walker: LoopWalker, metrics: ApiMetrics) -> None:
        self._walker = walker
        self._observe = metrics.store_seconds.labels("walk").observe

    def __repr__(self) -> str:
        return f"TimedWalker({self._walker!r})"

    async def walk(self, ids: Sequence[str], hops: Sequence[Hop]) -> Walked:
        started = time.perf_counter()
        try:
            return await self._walker.walk(ids, hops)
        finally:
            self._observe(time.perf_counter() - started)

    async def aclose(self) -> None:
        await self._walker.aclose()


class CountingAuditSink:
    """``sink``, counting each event into ``metrics.audit_events`` on its way."""

    def __init__(self, sink: AuditSink, metrics: ApiMetrics) -> None:
        self.sink = sink
        self._metrics = metrics

    def __repr__(self) -> str:
        return f"CountingAuditSink({self.sink!r})"

    def record(self, event: AuditEvent) -> None:
        self._metrics.audit_events.labels(event.action.value).inc()
        self.sink.record(event)
