"""The messages Loanwatch sends, as named templates filled from a notification's context.

A template has a subject (e-mail, chat) and a body, with ``$name`` placeholders
(:class:`string.Template`). The context a notification is queued with fills every
placeholder but :data:`SEND_TIME_FIELDS`, which are read from the graph when the message
is sent (the party's name is personal data: it is never copied into the outbox). A
request to queue a notification with an unknown template, or with a context that lacks a
placeholder's value, is refused when it is queued, not when it is sent.

>>> render("payment_reminder", {"party_name": "Li Na", "loan_id": "L1", "amount": "120.00",
...        "currency": "CNY", "due_date": "2026-12-15"}).subject
'Payment due on 2026-12-15'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Final

from notifications.errors import TemplateError

__all__ = ["SEND_TIME_FIELDS", "TEMPLATES", "MessageTemplate", "Rendered", "check_context",
           "render"]

#: Placeholders filled when the message is sent, from the graph (never stored).
SEND_TIME_FIELDS: Final = frozenset({"party_name"})


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to send."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A named message: its subject and body with ``$placeholders``."""

    name: str
    subject: str
    body: str

    @property
    def fields(self) -> frozenset[str]:
        """Every placeholder of the subject and the body."""
        return frozenset(Template(self.subject).get_identifiers()) | frozenset(
            Template(self.body).get_identifiers())

    @property
    def context_fields(self) -> frozenset[str]:
        """The placeholders the queued context must fill."""
        return self.fields - SEND_TIME_FIELDS


_ALL: Final = (
    MessageTemplate(
        "payment_reminder", "Payment due on $due_date",
        "Dear $party_name, the installment of $amount $currency on loan $loan_id is due on "
        "$due_date. Thank you for paying on time."),
    MessageTemplate(
        "overdue_notice", "Loan $loan_id is $days_past_due days past due",
        "Dear $party_name, the payment of $amount $currency on loan $loan_id is "
        "$days_past_due days past due. Please pay it or contact us."),
    MessageTemplate(
        "promise_reminder", "Your promise to pay on $promise_date",
        "Dear $party_name, as agreed you will pay $amount $currency on loan $loan_id by "
        "$promise_date."),
    MessageTemplate(
        "promise_broken", "Missed promise on loan $loan_id",
        "Dear $party_name, the $amount $currency promised for $promise_date on loan "
        "$loan_id has not been received in full. Please contact us."),
    MessageTemplate("message", "$subject", "Dear $party_name, $text"),
)
#: Every template, by name.
TEMPLATES: Final[Mapping[str, MessageTemplate]] = {entry.name: entry for entry in _ALL}


def _template(name: str) -> MessageTemplate:
    entry = TEMPLATES.get(name)
    if entry is None:
        raise TemplateError(f"unknown notification template {name!r}",
                            suggestion=f"use one of: {', '.join(sorted(TEMPLATES))}")
    return entry


def check_context(name: str, context: Mapping[str, object]) -> None:
    """Refuse a context that does not fill template ``name``.

    Raises:
        TemplateError: the template is unknown, a placeholder has no value, or the context
            sets a send-time field (``party_name``).
    """
    entry = _template(name)
    missing = sorted(entry.context_fields - set(context))
    if missing:
        raise TemplateError(f"template {name!r} needs {', '.join(missing)} in its context",
                            suggestion=f"give every one of: "
                                       f"{', '.join(sorted(entry.context_fields))}")
    reserved = sorted(SEND_TIME_FIELDS & set(context))
    if reserved:
        raise TemplateError(f"template {name!r}: {', '.join(reserved)} is read from the graph "
                            f"when the message is sent; leave it out of the context")


def render(name: str, values: Mapping[str, object]) -> Rendered:
    """Template ``name`` filled with ``values`` (the context and the send-time fields).

    Raises:
        TemplateError: the template is unknown or a placeholder has no value.
    """
    entry = _template(name)
    text = {key: str(value) for key, value in values.items()}
    try:
        return Rendered(Template(entry.subject).substitute(text),
                        Template(entry.body).substitute(text))
    except KeyError as exc:
        raise TemplateError(f"template {name!r} has no value for {exc.args[0]}") from exc
