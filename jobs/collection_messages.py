"""The messages of the collections strategies, queued in the notification outbox.

The strategy step (:mod:`risk.collections.strategy_step`) hands each due message to an
``ActionDispatcher`` inside the transaction that marks its action dispatched; the outbox
(:mod:`notifications`) queues a notification in that same transaction. Neither knows the
other (they are services side by side), so the translation lives here, above both: which
template an action's message uses and the values it fills.

A case is delinquent (days past due above zero) when most messages go: they use the
``overdue_notice`` template with the amount outstanding. A message before anything is
overdue (a reminder ahead of the due date) uses the generic ``message`` template, as no
installment amount travels with the action. The party's name is filled in when the
message is sent, never copied into the outbox.
"""

from __future__ import annotations

from sqlalchemy import Connection

from notifications.dispatcher import NotificationRequest, OutboxDispatcher
from risk.collections.dispatch import OutgoingAction

__all__ = ["StrategyOutbox", "describe_action"]


def describe_action(action: OutgoingAction) -> NotificationRequest:
    """The notification of ``action`` (see the module docstring)."""
    context = action.context
    dpd = int(context.get("dpd") or 0)
    if dpd > 0:
        template = "overdue_notice"
        values: dict[str, object] = {
            "amount": context["outstanding"], "currency": context["currency"],
            "loan_id": action.loan_id, "days_past_due": dpd}
    else:
        template = "message"
        values = {"subject": f"About your loan {action.loan_id}",
                  "text": f"please remember the next installment of loan {action.loan_id}; "
                          "contact us if you need help paying it."}
    return NotificationRequest(key=action.key, channel=action.channel,
                               party_id=action.party_id, template=template,
                               not_before=action.not_before, context=values)


class StrategyOutbox:
    """The strategy step's ``ActionDispatcher`` that queues each message in the outbox (a
    message queued before under the same key is not queued again)."""

    def __init__(self) -> None:
        self._outbox = OutboxDispatcher(describe_action)

    def dispatch(self, connection: Connection, action: OutgoingAction) -> None:
        self._outbox.dispatch(connection, action)
