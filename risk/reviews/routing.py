"""Whether a review goes to the human review queue: the policy's rules on what the review
found. Pure: plain values in, the reasons out (empty: nothing for a human)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from risk.classification.tiers import Tier
from risk.reviews.policy import ReviewPolicy

__all__ = ["route_reasons"]


def route_reasons(policy: ReviewPolicy, *, tier: Tier | None, previous: Tier | None,
                  previous_from: str | None, exposure: Mapping[str, Decimal],
                  flags: Sequence[Mapping[str, Any]], alerts: Sequence[Mapping[str, Any]],
                  triggered: bool) -> list[dict[str, Any]]:
    """Each rule of ``policy.route`` that holds, with words a reviewer reads.

    ``previous``: the tier at the previous review (``previous_from`` says where it came
    from); ``exposure``: the borrower's graph exposure by currency; ``flags``: the scan's
    review flags of the loan; ``alerts``: the live alerts of the loan and its parties.
    """
    rules = policy.route
    found: list[dict[str, Any]] = []
    if rules.downgrade and tier is not None and previous is not None and tier > previous:
        found.append({"rule": "downgrade", "from": previous.slug, "to": tier.slug,
                      "text": f"downgraded from {previous.slug} to {tier.slug} (since "
                              f"{previous_from})"})
    for currency, amount in sorted(exposure.items()):
        limit = rules.large_exposure.get(currency)
        if limit is not None and amount >= limit:
            found.append({"rule": "large_exposure", "currency": currency,
                          "exposure": str(amount), "threshold": str(limit),
                          "text": f"the borrower's exposure {amount} {currency} is at or "
                                  f"above {limit} {currency}"})
    for flag in flags:
        if flag.get("kind") in rules.flags:
            found.append({"rule": "flag", "kind": flag["kind"], "party": flag.get("party"),
                          "text": str(flag.get("text") or f"{flag['kind']} non-performing")})
    for alert in alerts:
        if alert.get("severity") in rules.alert_severities:
            found.append({"rule": "alert", "alert": alert["id"], "severity": alert["severity"],
                          "text": f"{alert['severity']} alert {alert['id']} "
                                  f"({alert['rule_id']}) on {alert['subject']}"})
    if rules.triggered and triggered:
        found.append({"rule": "triggered", "text": "a triggered review goes to a reviewer"})
    return found
