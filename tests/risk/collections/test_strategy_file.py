"""The strategies file: the documented example reads as written, and every mistake names
the file, the line and the field."""

from __future__ import annotations

import textwrap
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

import risk.collections.strategy_file as strategy_file
from risk.collections.errors import CollectionsConfigError
from risk.collections.strategy_config import (
    CHALLENGER,
    DEFAULT_STRATEGIES,
    ActionKind,
    Anchor,
    FrequencyLimit,
    Step,
)
from risk.collections.strategy_file import load_strategy_config, parse_strategy_config


def test_the_documented_example_reads_as_written() -> None:
    text = textwrap.dedent(str(strategy_file.__doc__).split("::", 1)[1])
    config = parse_strategy_config(text)
    firm = config.strategy("firm")
    assert firm.steps == (Step(ActionKind.REMINDER, -3, Anchor.DUE), Step(ActionKind.SMS, 1),
                          Step(ActionKind.CALL_TASK, 5))
    assert firm.on_broken_promise == (Step(ActionKind.CALL_TASK, 0),)
    rule = config.rule_for("substandard/large/new")
    assert rule is not None and rule.challengers == (("gentle", 2_000),)
    assert rule.choose(0) == ("gentle", CHALLENGER)
    assert config.rule_for("pass/small/new").champion == "gentle"  # type: ignore[union-attr]
    assert (config.contact.start, config.contact.end, config.contact.timezone) == \
        (time(8, 0), time(20, 0), "Asia/Shanghai")
    assert config.contact.limits == (FrequencyLimit("sms", 1, 1),)
    assert config.costs[ActionKind.SMS] == Decimal("0.05")
    assert config.costs[ActionKind.FIELD_VISIT] == Decimal("60")  # the default kept


def test_an_empty_file_is_the_defaults() -> None:
    assert parse_strategy_config("") == DEFAULT_STRATEGIES


@pytest.mark.parametrize(("text", "message"), [
    ("strategies:\n  a:\n    steps:\n      - {action: fax, day: 1}\n",
     "s.yaml:4: strategies.a.steps[0].action: unknown action 'fax'"),
    ("strategies:\n  a:\n    steps:\n      - {action: sms, day: -1}\n",
     "s.yaml:4: strategies.a.steps[0].day: a step counted from the day the case opened"),
    ("strategies:\n  a:\n    steps:\n      - {action: sms, day: soon}\n",
     "s.yaml:4: strategies.a.steps[0].day: must be a whole number, got 'soon'"),
    ("segments:\n  - {match: '*', champion: nope}\n",
     "s.yaml:2: segments[0].champion: no strategy 'nope'"),
    ("segments:\n  - {match: '*', champion: standard,\n     challengers: {gentle: 1.5}}\n",
     "s.yaml:3: segments[0].challengers.gentle: a share is a fraction between 0 and 1"),
    ("segments:\n  - {match: '*', champion: standard,\n"
     "     challengers: {gentle: 0.6, standard: 0.1}}\n",
     "segments[0].challengers.standard: the champion cannot also be a challenger"),
    ("contact:\n  timezone: Mars/Base\n",
     "s.yaml:2: contact.timezone: unknown time zone 'Mars/Base'"),
    ("contact:\n  hours: {start: '20:00', end: '08:00'}\n",
     "s.yaml:2: contact.hours: start (20:00:00) must come before end"),
    ("contact:\n  limits:\n    - {channel: pigeon, count: 1, days: 1}\n",
     "s.yaml:3: contact.limits[0].channel: unknown channel 'pigeon'"),
    ("costs: {sms: -1}\n", "s.yaml:1: costs.sms: must be an amount, 0 or more"),
    ("colours: red\n", "s.yaml:1: colours: unknown key"),
    ("strategies: [\n", "s.yaml:2: file: not valid YAML"),
])
def test_mistakes_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(CollectionsConfigError) as caught:
        parse_strategy_config(text, "s.yaml")
    assert message in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CollectionsConfigError, match="cannot read it"):
        load_strategy_config(tmp_path / "none.yaml")
