"""How many WebSocket connections and subscriptions the API holds, and for how long.

A ``graphql-transport-ws`` connection costs the server a socket, a task per running
operation and, for a subscription, a listener on the alert feed, for as long as the client
keeps it open. These limits bound that cost (each a setting, ``LOANWATCH_WS_*``):

- ``max_connections``: connections this process holds at once, whoever opened them;
- ``max_connections_per_client``: connections of one caller (the token's subject:
  ``user:<login>`` or ``client:<client_id>``) in this process;
- ``max_subscriptions_per_connection``: operations running at once on one connection;
- ``init_timeout_s``: how long a connection may stay open without a valid
  ``connection_init``;
- ``token_recheck_s``: how often a connection's access token is checked again (a revoked
  token ends its connections within this time; an expired one ends them when it expires).

The counts are per process: with several uvicorn workers, a caller may hold
``max_connections_per_client`` connections in each. A WebSocket stays with the process
that accepted it, so what each process holds is what bounds its memory.

Example::

    connections = WebSocketConnections(WebSocketLimits(max_connections=2))
    assert connections.open() and connections.open() and not connections.open()
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_WS_INIT_TIMEOUT_S",
    "DEFAULT_WS_MAX_CONNECTIONS",
    "DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT",
    "DEFAULT_WS_MAX_SUBSCRIPTIONS",
    "DEFAULT_WS_TOKEN_RECHECK_S",
    "WebSocketConnections",
    "WebSocketLimits",
]

#: Connections one process holds at once.
DEFAULT_WS_MAX_CONNECTIONS: Final = 1_000
#: Connections of one caller in one process (a browser opens one per tab).
DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT: Final = 32
#: Operations running at once on one connection (a page multiplexes its subscriptions).
DEFAULT_WS_MAX_SUBSCRIPTIONS: Final = 50
#: Seconds a connection may stay open without a valid ``connection_init``.
DEFAULT_WS_INIT_TIMEOUT_S: Final = 10.0
#: Seconds between two checks of a connection's access token.
DEFAULT_WS_TOKEN_RECHECK_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class WebSocketLimits:
    """The limits above.

    Raises:
        ValueError: a limit is not positive.
    """

    max_connections: int = DEFAULT_WS_MAX_CONNECTIONS
    max_connections_per_client: int = DEFAULT_WS_MAX_CONNECTIONS_PER_CLIENT
    max_subscriptions_per_connection: int = DEFAULT_WS_MAX_SUBSCRIPTIONS
    init_timeout_s: float = DEFAULT_WS_INIT_TIMEOUT_S
    token_recheck_s: float = DEFAULT_WS_TOKEN_RECHECK_S

    def __post_init__(self) -> None:
        counts = (self.max_connections, self.max_connections_per_client,
                  self.max_subscriptions_per_connection)
        if min(counts) < 1 or self.init_timeout_s <= 0 or self.token_recheck_s <= 0:
            raise ValueError(f"WebSocket limits must be positive: {self!r}")


class WebSocketConnections:
    """The connections this process holds, in all and per caller.

    Used from the event loop only (every connection's handler runs there), so the counts
    need no lock.
    """

    def __init__(self, limits: WebSocketLimits) -> None:
        self.limits = limits
        self.total = 0
        self._per_client: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"WebSocketConnections(total={self.total}, clients={len(self._per_client)})"

    def of(self, subject: str) -> int:
        """Connections ``subject`` holds."""
        return self._per_client[subject]

    def open(self) -> bool:
        """Count a new connection; ``False`` (and nothing counted) when the process holds
        ``max_connections`` already."""
        if self.total >= self.limits.max_connections:
            return False
        self.total += 1
        return True

    def close(self) -> None:
        """A connection counted by :meth:`open` ended."""
        self.total -= 1

    def join(self, subject: str) -> bool:
        """Count an open connection as ``subject``'s; ``False`` (and nothing counted) when
        ``subject`` holds ``max_connections_per_client`` already."""
        if self._per_client[subject] >= self.limits.max_connections_per_client:
            return False
        self._per_client[subject] += 1
        return True

    def leave(self, subject: str) -> None:
        """A connection counted by :meth:`join` ended."""
        self._per_client[subject] -= 1
        if self._per_client[subject] <= 0:
            del self._per_client[subject]
