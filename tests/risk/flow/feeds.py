"""An alert feed that keeps what it publishes, for tests that read it without an event loop."""

from __future__ import annotations

from risk.alerts.feed import AlertChange, LocalAlertFeed

__all__ = ["HeardFeed"]


class HeardFeed(LocalAlertFeed):
    """The in-process feed (its subscribers still hear every change), keeping each change."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[AlertChange] = []

    def publish(self, change: AlertChange) -> None:
        self.heard.append(change)
        super().publish(change)
