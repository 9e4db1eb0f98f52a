"""A party's corporate group and identity rings as the latest scan found them, typed, each
with its evidence path ready to draw.

- A group's path is its control edges, ``holder -[OWNS]-> held``, with the share held.
- A ring's path is, for each member and each identifier they all share, the edge that links
  them: ``member -[USES]-> phone/address/device`` or ``member -[HOLDS]-> account``.

A ring's identifiers are personal data (a phone number, an address): their values are shown
masked as :mod:`graph.personal_data` says unless the caller may see personal data. Their
node ids are keyed hashes and never personal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import strawberry

from graph.model import Node, RelType
from graph.personal_data import mask_value
from risk.scan_results import FindingResult
from schema.permissions import personal
from schema.types.assessment import PathEdge
from schema.types.circles import money_list
from schema.types.money import Money

__all__ = [
    "ControlEdge",
    "CorporateGroup",
    "IdentityRing",
    "SharedIdentifier",
    "group_from_finding",
    "ring_from_finding",
    "ring_path",
]

#: The relationship by which a party is linked to an identifier of each kind.
_LINK_OF_KIND: dict[str, RelType] = {"phone": RelType.USES, "address": RelType.USES,
                                     "device": RelType.USES, "account": RelType.HOLDS}


@strawberry.type(description="`holder` holds `pct` of `held`, a step by which control passed.")
class ControlEdge:
    holder: strawberry.ID = strawberry.field(description="The holder's id.")
    held: strawberry.ID = strawberry.field(description="The held company's id.")
    pct: float = strawberry.field(description="The share held, 0 to 1.")


@strawberry.type(description="The companies under one ultimate controller, in the latest "
                 "`loanwatch scan`.")
class CorporateGroup:
    scan_run: int = strawberry.field(description="The scan run that found it.")
    controller: strawberry.ID = strawberry.field(
        description="The ultimate controller (a person, or a company nobody controls).")
    controller_label: str = strawberry.field(description="Person or Company.")
    members: list[strawberry.ID] = strawberry.field(description="The member companies.")
    control_edges: list[ControlEdge] = strawberry.field(
        description="The holdings by which control passes.")
    loans: list[strawberry.ID] = strawberry.field(
        description="Loans of the members and of their guarantors.")
    guarantors: list[strawberry.ID] = strawberry.field(
        description="Guarantors of the members' loans from outside the group.")
    exposure: list[Money] = strawberry.field(
        description="Principal of `loans`, per currency, exact: the group exposure.")
    evidence_path: list[PathEdge] = strawberry.field(
        description="The control edges as OWNS edges, ready to draw.")


@strawberry.type(description="An identifier every member of a ring shares.")
class SharedIdentifier:
    id: strawberry.ID = strawberry.field(description="The identifier node's id (a keyed "
                                         "hash for phones, addresses and devices).")
    kind: str = strawberry.field(description="phone, address, device or account.")
    value: str | None = strawberry.field(
        description="The phone number, address or device id; personal data, masked "
        "unless the caller may see it (null when withheld).")


@strawberry.type(description="Parties sharing phones, addresses, devices or accounts, in the "
                 "latest `loanwatch scan`.")
class IdentityRing:
    scan_run: int = strawberry.field(description="The scan run that found it.")
    members: list[strawberry.ID] = strawberry.field(description="The party ids of the ring.")
    shared: list[SharedIdentifier] = strawberry.field(
        description="The identifiers the members share (values masked unless the caller "
        "may see personal data).", metadata=personal())
    evidence_path: list[PathEdge] = strawberry.field(
        description="USES (phone, address, device) and HOLDS (account) edges from each "
        "member to each shared identifier, ready to draw.")


def group_from_finding(finding: FindingResult) -> CorporateGroup:
    """The GraphQL view of a stored group finding."""
    evidence = finding.evidence
    edges = [ControlEdge(holder=strawberry.ID(str(e["holder"])),
                         held=strawberry.ID(str(e["held"])), pct=float(e["pct"]))
             for e in evidence.get("control_edges", [])]
    return CorporateGroup(
        scan_run=finding.run_id, controller=strawberry.ID(str(evidence.get("controller"))),
        controller_label=str(evidence.get("controller_label", "")),
        members=[strawberry.ID(str(m)) for m in evidence.get("companies", [])],
        control_edges=edges,
        loans=[strawberry.ID(str(loan)) for loan in evidence.get("loans", [])],
        guarantors=[strawberry.ID(str(g)) for g in evidence.get("guarantors", [])],
        exposure=money_list(evidence.get("exposure")),
        evidence_path=[PathEdge(type=RelType.OWNS.value, source=e.holder, target=e.held,
                                key="") for e in edges])


def ring_path(members: Sequence[str], shared: Sequence[Mapping[str, Any]]) -> list[PathEdge]:
    """The drawable edges of a ring (module docstring)."""
    return [PathEdge(type=_LINK_OF_KIND.get(str(s["kind"]), RelType.USES).value,
                     source=strawberry.ID(member), target=strawberry.ID(str(s["id"])), key="")
            for member in members for s in shared]


def _shown(node: Node | None, *, visible: bool) -> str | None:
    value = None if node is None else node.props.get("value")
    if node is None or value is None:
        return None
    shown = value if visible else mask_value(node.label, "value", value)
    return None if shown is None else str(shown)


def ring_from_finding(finding: FindingResult, identifiers: Mapping[str, Node | None], *,
                      personal_data_visible: bool) -> IdentityRing:
    """The GraphQL view of a stored ring; ``identifiers`` holds the shared identifier nodes
    (for their values) by id."""
    shared = finding.evidence.get("shared", [])
    return IdentityRing(
        scan_run=finding.run_id, members=[strawberry.ID(m) for m in finding.members],
        shared=[SharedIdentifier(
            id=strawberry.ID(str(s["id"])), kind=str(s["kind"]),
            value=_shown(identifiers.get(str(s["id"])), visible=personal_data_visible))
            for s in shared],
        evidence_path=ring_path(finding.members, shared))

