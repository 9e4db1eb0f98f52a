"""Collections strategies as settings: the strategies (each a sequence of actions with
their timing), which segments get which strategy with what champion/challenger split,
the contact rules (hours, frequency limits, default channel and time zone) and the cost of
each kind of action. Frozen dataclasses checked when built; every problem raises
:class:`CollectionsConfigError` naming the field (``strategies.firm.steps[2].day``), and
:mod:`risk.collections.strategy_file` adds the file and line.

Action kinds: ``reminder`` (a message on the borrower's preferred channel), ``sms``,
``email`` (messages on that channel, or the preferred one when the borrower refused it),
``call_task``, ``letter``, ``field_visit`` and ``legal_referral`` (tasks for collectors).
A step's ``day`` counts from ``opened`` (the day the case opened) or ``due`` (the due date
of the loan's first installment falling due on or after that day; negative: before it).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from risk.collections.errors import CollectionsConfigError

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "CHANNELS",
    "DEFAULT_COSTS",
    "DEFAULT_STRATEGIES",
    "MESSAGE_KINDS",
    "SPLIT_SCALE",
    "TASK_KINDS",
    "ActionKind",
    "Anchor",
    "ContactRules",
    "FrequencyLimit",
    "SegmentRule",
    "Step",
    "Strategy",
    "StrategyConfig",
]

CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"
#: Shares are kept in basis points of this scale (a case's split is in [0, SPLIT_SCALE)).
SPLIT_SCALE: Final = 10_000
#: The messaging channels a strategy may use (the notification outbox's).
CHANNELS: Final = ("sms", "email", "chat")
_NAME_LENGTH: Final = 64
_MAX_STEPS: Final = 50
_MAX_DAY: Final = 3_650


class ActionKind(StrEnum):
    REMINDER = "reminder"
    SMS = "sms"
    EMAIL = "email"
    CALL_TASK = "call_task"
    LETTER = "letter"
    FIELD_VISIT = "field_visit"
    LEGAL_REFERRAL = "legal_referral"


class Anchor(StrEnum):
    OPENED = "opened"
    DUE = "due"


MESSAGE_KINDS: Final = frozenset({ActionKind.REMINDER, ActionKind.SMS, ActionKind.EMAIL})
TASK_KINDS: Final = frozenset(ActionKind) - MESSAGE_KINDS


@dataclass(frozen=True, slots=True)
class Step:
    """Do ``action`` ``day`` days after ``anchor`` (before it when negative)."""

    action: ActionKind
    day: int
    anchor: Anchor = Anchor.OPENED


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named sequence of steps, and the steps a broken promise adds (counted from the
    day it broke)."""

    name: str
    steps: tuple[Step, ...]
    on_broken_promise: tuple[Step, ...] = (Step(ActionKind.CALL_TASK, 0),)


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """Cases whose segment key (``tier/band/behaviour``) matches ``match`` (shell-style:
    ``substandard/*/*``) are worked by ``champion``, except the shares (basis points of
    :data:`SPLIT_SCALE`) given to each challenger."""

    match: str
    champion: str
    challengers: tuple[tuple[str, int], ...] = ()

    def matches(self, segment: str) -> bool:
        return fnmatch.fnmatchcase(segment, self.match)

    def choose(self, split: int) -> tuple[str, str]:
        """The strategy and arm of a case whose split is ``split``."""
        bound = 0
        for name, share in self.challengers:
            bound += share
            if split < bound:
                return name, CHALLENGER
        return self.champion, CHAMPION


@dataclass(frozen=True, slots=True)
class FrequencyLimit:
    """At most ``count`` messages on ``channel`` to one borrower in ``days`` days."""

    channel: str
    count: int
    days: int


@dataclass(frozen=True, slots=True)
class ContactRules:
    """When and how often a borrower may be contacted: between ``start`` and ``end``
    (local time in the borrower's time zone, else ``timezone``), within ``limits``; messages
    go on ``default_channel`` when a borrower stated no preference."""

    start: time = time(8, 0)
    end: time = time(20, 0)
    timezone: str = "UTC"
    default_channel: str = "sms"
    limits: tuple[FrequencyLimit, ...] = (
        FrequencyLimit("sms", 1, 1), FrequencyLimit("sms", 3, 7),
        FrequencyLimit("email", 1, 1), FrequencyLimit("chat", 1, 1))

    def zone(self, name: str | None = None) -> ZoneInfo:
        return ZoneInfo(name or self.timezone)


DEFAULT_COSTS: Final = {
    ActionKind.REMINDER: Decimal("0.05"), ActionKind.SMS: Decimal("0.05"),
    ActionKind.EMAIL: Decimal("0.01"), ActionKind.CALL_TASK: Decimal("3"),
    ActionKind.LETTER: Decimal("2"), ActionKind.FIELD_VISIT: Decimal("60"),
    ActionKind.LEGAL_REFERRAL: Decimal("800")}


def _check_name(value: object, where: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _NAME_LENGTH:
        raise CollectionsConfigError(where, f"a name of 1 to {_NAME_LENGTH} characters is "
                                     f"required, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_steps(steps: tuple[Step, ...], where: str, *, empty_ok: bool) -> None:
    if not steps and not empty_ok:
        raise CollectionsConfigError(where, "a strategy needs at least one step")
    if len(steps) > _MAX_STEPS:
        raise CollectionsConfigError(where, f"at most {_MAX_STEPS} steps, got {len(steps)}")
    for i, step in enumerate(steps):
        if not isinstance(step.action, ActionKind):
            raise CollectionsConfigError(f"{where}[{i}].action", f"unknown action "
                                         f"{step.action!r}; known: {', '.join(ActionKind)}")
        if not isinstance(step.anchor, Anchor):
            raise CollectionsConfigError(f"{where}[{i}].from", f"unknown anchor "
                                         f"{step.anchor!r}; known: {', '.join(Anchor)}")
        if not _is_int(step.day) or abs(step.day) > _MAX_DAY:
            raise CollectionsConfigError(f"{where}[{i}].day", "must be a whole number of days "
                                         f"within ±{_MAX_DAY}, got {step.day!r}")
        if step.anchor is Anchor.OPENED and step.day < 0:
            raise CollectionsConfigError(f"{where}[{i}].day", "a step counted from the day the"
                                         " case opened cannot come before it; count from "
                                         "`due` for a reminder before the due date")


def _check_contact(rules: ContactRules) -> None:
    if not isinstance(rules.start, time) or not isinstance(rules.end, time) \
            or rules.start >= rules.end:
        raise CollectionsConfigError("contact.hours", f"start ({rules.start}) must come before "
                                     f"end ({rules.end}) on the same day")
    try:
        rules.zone()
    except (ZoneInfoNotFoundError, ValueError):
        raise CollectionsConfigError("contact.timezone", f"unknown time zone "
                                     f"{rules.timezone!r} (an IANA name: Asia/Shanghai)") \
            from None
    if rules.default_channel not in CHANNELS:
        raise CollectionsConfigError("contact.default_channel", f"unknown channel "
                                     f"{rules.default_channel!r}; known: {', '.join(CHANNELS)}")
    for i, limit in enumerate(rules.limits):
        where = f"contact.limits[{i}]"
        if limit.channel not in CHANNELS:
            raise CollectionsConfigError(f"{where}.channel", f"unknown channel "
                                         f"{limit.channel!r}; known: {', '.join(CHANNELS)}")
        for name in ("count", "days"):
            value = getattr(limit, name)
            if not _is_int(value) or value < 1:
                raise CollectionsConfigError(f"{where}.{name}", "must be a whole number, 1 or "
                                             f"more, got {value!r}")


#: The first message goes the day the case opens (its loan's first day behind).
_STANDARD: Final = Strategy("standard", (
    Step(ActionKind.REMINDER, -3, Anchor.DUE), Step(ActionKind.SMS, 0),
    Step(ActionKind.EMAIL, 5), Step(ActionKind.CALL_TASK, 10), Step(ActionKind.LETTER, 30),
    Step(ActionKind.FIELD_VISIT, 60), Step(ActionKind.LEGAL_REFERRAL, 90)))
_GENTLE: Final = Strategy("gentle", (
    Step(ActionKind.REMINDER, -3, Anchor.DUE), Step(ActionKind.REMINDER, 3),
    Step(ActionKind.EMAIL, 10), Step(ActionKind.CALL_TASK, 20), Step(ActionKind.LETTER, 45),
    Step(ActionKind.LEGAL_REFERRAL, 120)))


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """Everything the strategy step reads besides the data; see the module."""

    strategies: tuple[Strategy, ...] = (_STANDARD, _GENTLE)
    segments: tuple[SegmentRule, ...] = (SegmentRule("*", "standard", (("gentle", 2_000),)),)
    contact: ContactRules = ContactRules()
    costs: dict[ActionKind, Decimal] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    cost_currency: str = "CNY"

    def __post_init__(self) -> None:
        if not self.strategies:
            raise CollectionsConfigError("strategies", "at least one strategy is needed")
        names: set[str] = set()
        for strategy in self.strategies:
            where = f"strategies.{strategy.name}"
            _check_name(strategy.name, "strategies")
            if strategy.name in names:
                raise CollectionsConfigError(where, "defined twice")
            names.add(strategy.name)
            _check_steps(strategy.steps, f"{where}.steps", empty_ok=False)
            _check_steps(strategy.on_broken_promise, f"{where}.on_broken_promise",
                         empty_ok=True)
        if not self.segments:
            raise CollectionsConfigError("segments", "at least one rule is needed (`match: "
                                         "\"*\"` catches every segment)")
        for i, rule in enumerate(self.segments):
            where = f"segments[{i}]"
            if not isinstance(rule.match, str) or not rule.match:
                raise CollectionsConfigError(f"{where}.match", "a pattern is required")
            if rule.champion not in names:
                raise CollectionsConfigError(f"{where}.champion", f"no strategy "
                                             f"{rule.champion!r}; defined: "
                                             f"{', '.join(sorted(names))}")
            total = 0
            for name, share in rule.challengers:
                if name not in names:
                    raise CollectionsConfigError(f"{where}.challengers.{name}", "no such "
                                                 f"strategy; defined: {', '.join(sorted(names))}")
                if name == rule.champion:
                    raise CollectionsConfigError(f"{where}.challengers.{name}", "the champion "
                                                 "cannot also be a challenger")
                if not _is_int(share) or share <= 0:
                    raise CollectionsConfigError(f"{where}.challengers.{name}", "a share must "
                                                 "be above 0")
                total += share
            if total >= SPLIT_SCALE:
                raise CollectionsConfigError(f"{where}.challengers", "the challengers' shares "
                                             "must leave some cases to the champion (sum < 1)")
        _check_contact(self.contact)
        for kind, cost in self.costs.items():
            if not isinstance(kind, ActionKind):
                raise CollectionsConfigError(f"costs.{kind}", "unknown action; known: "
                                             f"{', '.join(ActionKind)}")
            if not isinstance(cost, Decimal) or not cost.is_finite() or cost < 0:
                raise CollectionsConfigError(f"costs.{kind.value}", "must be an amount, 0 or "
                                             f"more, got {cost!r}")
        if not isinstance(self.cost_currency, str) or len(self.cost_currency) != 3:
            raise CollectionsConfigError("cost_currency", "an ISO 4217 code of 3 letters, "
                                         f"got {self.cost_currency!r}")

    def strategy(self, name: str) -> Strategy:
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        raise CollectionsConfigError("strategies", f"no strategy {name!r} (it worked cases "
                                     "before; keep it in the file while they are open)")

    def rule_for(self, segment: str) -> SegmentRule | None:
        """The first rule matching ``segment`` (``None``: no strategy works it)."""
        return next((rule for rule in self.segments if rule.matches(segment)), None)

    def as_json(self) -> dict[str, Any]:
        def steps(items: tuple[Step, ...]) -> list[dict[str, Any]]:
            return [{"action": s.action.value, "day": s.day, "from": s.anchor.value}
                    for s in items]
        return {
            "strategies": {s.name: {"steps": steps(s.steps),
                                    "on_broken_promise": steps(s.on_broken_promise)}
                           for s in self.strategies},
            "segments": [{"match": r.match, "champion": r.champion,
                          "challengers": {n: share / SPLIT_SCALE for n, share in r.challengers}}
                         for r in self.segments],
            "contact": {"hours": {"start": self.contact.start.strftime("%H:%M"),
                                  "end": self.contact.end.strftime("%H:%M")},
                        "timezone": self.contact.timezone,
                        "default_channel": self.contact.default_channel,
                        "limits": [{"channel": x.channel, "count": x.count, "days": x.days}
                                   for x in self.contact.limits]},
            "costs": {k.value: str(v) for k, v in self.costs.items()},
            "cost_currency": self.cost_currency,
        }


DEFAULT_STRATEGIES: Final = StrategyConfig()
