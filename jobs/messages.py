"""The message of a unit of work, built and sent by actor name: no actor module needed.

The scheduler, ``loanwatch jobs retry`` and ``loanwatch keys rotate --background`` send
messages to actors they never import: a message is its queue, its actor's name, the unit's
key followed by its arguments, and the key again in the options (``idempotency_key``), where
the dead-letter store finds it.
"""

from __future__ import annotations

from typing import Any, Final

import dramatiq

from jobs.units import Unit

__all__ = ["IDEMPOTENCY_KEY_OPTION", "send_message", "send_unit", "unit_message"]

#: The message option that carries the unit's key.
IDEMPOTENCY_KEY_OPTION: Final = "idempotency_key"


def unit_message(unit: Unit) -> dramatiq.Message[Any]:
    """The message that runs ``unit``: its key first, then its arguments."""
    return dramatiq.Message(queue_name=unit.queue_name, actor_name=unit.actor_name,
                            args=(unit.key, *unit.args), kwargs={},
                            options={IDEMPOTENCY_KEY_OPTION: unit.key})


def send_message(broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> dramatiq.Message[Any]:
    """Enqueue ``message`` on ``broker`` (its queue declared first: the in-process broker
    knows only declared queues)."""
    broker.declare_queue(message.queue_name)
    return broker.enqueue(message)


def send_unit(broker: dramatiq.Broker, unit: Unit) -> dramatiq.Message[Any]:
    """Enqueue the message that runs ``unit``."""
    return send_message(broker, unit_message(unit))
