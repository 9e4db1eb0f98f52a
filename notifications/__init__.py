"""Notifications to parties through an outbox table and channel adapters.

Work that wants a party told something (a collections reminder, a broken promise) queues a
notification in its own transaction (:func:`notifications.outbox.queue_notification`); a
job delivers what is due (:func:`notifications.delivery.deliver_due`) through the channel
adapters of :mod:`notifications.channels`, with retries and a dead end. Nothing here knows
of Dramatiq, HTTP handlers or settings: the entry points pass plain values.
"""
