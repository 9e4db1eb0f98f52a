"""Read the collections strategies from a YAML file; every problem names the file, the line
and the field.

The format (every top-level key optional; what is left out keeps its default)::

    strategies:
      firm:
        steps:                       # action, day, from (opened | due; default opened)
          - {action: reminder, day: -3, from: due}
          - {action: sms, day: 1}
          - {action: call_task, day: 5}
        on_broken_promise:           # counted from the day a promise broke
          - {action: call_task, day: 0}
      gentle:
        steps: [{action: email, day: 3}]
    segments:                        # the first match wins; tier/band/behaviour patterns
      - {match: "substandard/*/*", champion: firm, challengers: {gentle: 0.2}}
      - {match: "*", champion: gentle}
    contact:
      hours: {start: "08:00", end: "20:00"}   # local time of the borrower
      timezone: Asia/Shanghai                 # for borrowers without their own
      default_channel: sms
      limits: [{channel: sms, count: 1, days: 1}]
    costs: {sms: 0.05, call_task: 3}         # per action, in cost_currency
    cost_currency: CNY
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import yaml

from risk.collections.errors import CollectionsConfigError
from risk.collections.strategy_config import (
    DEFAULT_COSTS,
    SPLIT_SCALE,
    ActionKind,
    Anchor,
    ContactRules,
    FrequencyLimit,
    SegmentRule,
    Step,
    Strategy,
    StrategyConfig,
)
from risk.collections.yaml_fields import YamlReader, line_of

__all__ = ["load_strategy_config", "parse_strategy_config"]

_TOP: Final = ("strategies", "segments", "contact", "costs", "cost_currency")
_STRATEGY: Final = ("steps", "on_broken_promise")
_STEP: Final = ("action", "day", "from")
_RULE: Final = ("match", "champion", "challengers")
_CONTACT: Final = ("hours", "timezone", "default_channel", "limits")
_HOURS: Final = ("start", "end")
_LIMIT: Final = ("channel", "count", "days")


def load_strategy_config(path: Path | str) -> StrategyConfig:
    """The strategies in the YAML file ``path`` over the defaults.

    Raises:
        CollectionsConfigError: the file cannot be read or parsed, a key is unknown, or a
            value is bad; the message names the file, the line and the field.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectionsConfigError("file", f"cannot read it: {exc}", where=str(path)) \
            from exc
    return parse_strategy_config(text, str(path))


def _steps(reader: YamlReader, node: yaml.Node, field: str) -> tuple[Step, ...]:
    steps = []
    for i, item in enumerate(reader.items(node, field)):
        where = f"{field}[{i}]"
        values = reader.mapping(item, where, _STEP)
        if "action" not in values or "day" not in values:
            raise reader.fail(where, "a step needs an action and a day", line_of(item))
        action = reader.text(values["action"], f"{where}.action")
        if action not in ActionKind.__members__.values():
            raise reader.fail(f"{where}.action", f"unknown action {action!r}; known: "
                              f"{', '.join(ActionKind)}", line_of(values["action"]))
        anchor = Anchor.OPENED
        if "from" in values:
            text = reader.text(values["from"], f"{where}.from")
            if text not in Anchor.__members__.values():
                raise reader.fail(f"{where}.from", f"unknown anchor {text!r}; known: "
                                  f"{', '.join(Anchor)}", line_of(values["from"]))
            anchor = Anchor(text)
        steps.append(Step(ActionKind(action), reader.integer(values["day"], f"{where}.day"),
                          anchor))
    return tuple(steps)


def _share(reader: YamlReader, node: yaml.Node, field: str) -> int:
    share = reader.amount(node, field)
    if not Decimal(0) < share < Decimal(1):
        raise reader.fail(field, f"a share is a fraction between 0 and 1, got {share}",
                          line_of(node))
    return int(share * SPLIT_SCALE)


def _contact(reader: YamlReader, node: yaml.Node) -> ContactRules:
    values = reader.mapping(node, "contact", _CONTACT)
    options: dict[str, Any] = {}
    if "hours" in values:
        hours = reader.mapping(values["hours"], "contact.hours", _HOURS)
        for key in _HOURS:
            if key in hours:
                options[key] = reader.clock(hours[key], f"contact.hours.{key}")
    for key in ("timezone", "default_channel"):
        if key in values:
            options[key] = reader.text(values[key], f"contact.{key}")
    if "limits" in values:
        limits = []
        for i, item in enumerate(reader.items(values["limits"], "contact.limits")):
            where = f"contact.limits[{i}]"
            limit = reader.mapping(item, where, _LIMIT)
            if set(limit) != set(_LIMIT):
                raise reader.fail(where, "a limit needs channel, count and days", line_of(item))
            limits.append(FrequencyLimit(reader.text(limit["channel"], f"{where}.channel"),
                                         reader.integer(limit["count"], f"{where}.count"),
                                         reader.integer(limit["days"], f"{where}.days")))
        options["limits"] = tuple(limits)
    return ContactRules(**options)


def parse_strategy_config(text: str, file: str = "<collections strategies>") \
        -> StrategyConfig:
    """The strategies in the YAML ``text`` (``file`` names it in errors)."""
    reader = YamlReader(file)
    root = reader.compose(text)
    if root is None:
        return StrategyConfig()
    top = reader.mapping(root, "", _TOP)
    options: dict[str, Any] = {}
    if "strategies" in top:
        strategies = []
        for name, node in reader.mapping(top["strategies"], "strategies", None).items():
            where = f"strategies.{name}"
            values = reader.mapping(node, where, _STRATEGY)
            if "steps" not in values:
                raise reader.fail(where, "a strategy needs its steps", line_of(node))
            extra = {} if "on_broken_promise" not in values else {"on_broken_promise": _steps(
                reader, values["on_broken_promise"], f"{where}.on_broken_promise")}
            strategies.append(Strategy(name, _steps(reader, values["steps"],
                                                    f"{where}.steps"), **extra))
        options["strategies"] = tuple(strategies)
    if "segments" in top:
        rules = []
        for i, item in enumerate(reader.items(top["segments"], "segments")):
            where = f"segments[{i}]"
            values = reader.mapping(item, where, _RULE)
            if "match" not in values or "champion" not in values:
                raise reader.fail(where, "a rule needs match and champion", line_of(item))
            challengers = () if "challengers" not in values else tuple(
                (name, _share(reader, share, f"{where}.challengers.{name}"))
                for name, share in reader.mapping(values["challengers"],
                                                  f"{where}.challengers", None).items())
            rules.append(SegmentRule(reader.text(values["match"], f"{where}.match"),
                                     reader.text(values["champion"], f"{where}.champion"),
                                     challengers))
        options["segments"] = tuple(rules)
    if "contact" in top:
        options["contact"] = _contact(reader, top["contact"])
    if "costs" in top:
        costs = dict(DEFAULT_COSTS)
        for kind, node in reader.mapping(top["costs"], "costs", tuple(ActionKind)).items():
            costs[ActionKind(kind)] = reader.amount(node, f"costs.{kind}")
        options["costs"] = costs
    if "cost_currency" in top:
        options["cost_currency"] = reader.text(top["cost_currency"], "cost_currency")
    try:
        return StrategyConfig(**options)
    except CollectionsConfigError as exc:
        raise reader.fail(exc.field, exc.problem) from None
