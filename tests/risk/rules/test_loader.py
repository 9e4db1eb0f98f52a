"""The rules file: the shipped defaults load; every bad file is refused with file, line,
rule id and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk.errors import RuleProblem, RulesFileError
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules, parse_rules
from risk.rules.schema import SIGNALS

GOOD = """\
version: 1
rules:
  - id: dpd-30
    signal: days_past_due
    severity: medium
    description: thirty days
    min_days: 30
  - id: conc
    signal: concentration
    severity: low
    description: sector share
    scope: sector
    max_share: 0.25
    enabled: false
"""


def _problems(text: str) -> list[RuleProblem]:
    with pytest.raises(RulesFileError) as caught:
        parse_rules(text, "rules.yaml")
    assert caught.value.file == "rules.yaml"
    return list(caught.value.problems)


def _rule(rule_id: str, signal: str, **params: object) -> str:
    lines = [f"  - id: {rule_id}", f"    signal: {signal}", "    severity: high",
             "    description: a rule"]
    lines += [f"    {name}: {value}" for name, value in params.items()]
    return "\n".join(lines) + "\n"


def test_the_default_rules_file_is_valid_and_covers_every_signal() -> None:
    rules = load_rules(DEFAULT_RULES_FILE)
    assert {rule.signal for rule in rules.rules} == set(SIGNALS)
    assert len({rule.id for rule in rules.rules}) == len(rules.rules)


def test_a_good_file_gives_its_rules_in_order_with_their_lines() -> None:
    rules = parse_rules(GOOD, "rules.yaml")
    assert [rule.id for rule in rules.rules] == ["dpd-30", "conc"]
    assert rules.lines == {"dpd-30": 3, "conc": 8}
    assert rules.rules[0].cooldown_days == 30
    assert [rule.id for rule in rules.enabled()] == ["dpd-30"]


def test_an_unknown_signal_names_file_line_rule_and_field() -> None:
    [problem] = _problems("rules:\n" + _rule("r1", "days_overdue", min_days=3))
    assert (problem.file, problem.line, problem.rule_id, problem.field) == \
        ("rules.yaml", 3, "r1", "signal")
    assert "unknown signal 'days_overdue'" in problem.problem
    assert "days_past_due" in problem.problem


def test_a_missing_signal_is_named() -> None:
    [problem] = _problems("rules:\n  - id: r1\n    severity: low\n    description: d\n")
    assert (problem.line, problem.rule_id, problem.field) == (2, "r1", "signal")
    assert "missing" in problem.problem


@pytest.mark.parametrize(("value", "expected"), [
    ("0", "greater than or equal to 1"),
    ("100000", "less than or equal to 3650"),
    ('"30"', "valid integer"),
    ("30.5", "valid integer"),
    ("true", "valid integer"),
])
def test_a_bad_integer_threshold_names_its_line(value: str, expected: str) -> None:
    [problem] = _problems("rules:\n" + _rule("r1", "days_past_due", min_days=value))
    assert (problem.line, problem.rule_id, problem.field) == (6, "r1", "min_days")
    assert expected in problem.problem
    assert "got" in problem.problem


@pytest.mark.parametrize(("value", "expected"), [
    ("1.5", "less than or equal to 1"),
    ("0", "greater than 0"),
    ('"half"', "valid number"),
])
def test_a_bad_fraction_is_refused(value: str, expected: str) -> None:
    [problem] = _problems("rules:\n" + _rule("r2", "inflow_drop", drop_fraction=value,
                                              trailing_months=3))
    assert (problem.line, problem.field) == (6, "drop_fraction")
    assert expected in problem.problem


def test_a_bad_list_item_and_a_bad_severity_are_named() -> None:
    text = "rules:\n" + _rule("ev", "external_event", kinds="[news, tv]", within_days=30)
    text = text.replace("severity: high", "severity: urgent")
    problems = _problems(text)
    assert [(p.line, p.field) for p in problems] == [(4, "severity"), (6, "kinds")]
    assert "'tv'" in problems[1].problem and "[1]" in problems[1].problem


def test_a_duplicate_rule_id_names_both_lines() -> None:
    text = "rules:\n" + _rule("same", "days_past_due", min_days=30) \
        + _rule("same", "days_past_due", min_days=60)
    [problem] = _problems(text)
    assert (problem.line, problem.rule_id, problem.field) == (7, "same", "id")
    assert "duplicate rule id; first defined on line 2" in problem.problem


def test_an_unknown_field_is_an_error_not_ignored() -> None:
    [problem] = _problems("rules:\n" + _rule("r1", "days_past_due", min_days=30,
                                              min_dayz=40))
    assert (problem.line, problem.field) == (7, "min_dayz")
    assert "unknown field for signal 'days_past_due'" in problem.problem


def test_a_field_given_twice_and_a_missing_parameter_are_named() -> None:
    text = "rules:\n" + _rule("r1", "bureau_score_drop", points=50, within_days=10) \
        + "    points: 60\n"
    problems = _problems(text)
    assert [(p.field, p.problem) for p in problems] == [("points", "field given 2 times")]
    [missing] = _problems("rules:\n" + _rule("r2", "bureau_score_drop", points=50))
    assert (missing.line, missing.field, missing.problem) == \
        (2, "within_days", "required field missing")


def test_a_bad_rule_id_is_refused() -> None:
    [problem] = _problems("rules:\n" + _rule("Bad Id!", "days_past_due", min_days=3))
    assert (problem.line, problem.rule_id, problem.field) == (2, "Bad Id!", "id")


def test_every_problem_of_a_file_is_reported_at_once_in_line_order() -> None:
    text = "rules:\n" + _rule("a", "nope") + _rule("b", "days_past_due", min_days=-1) \
        + _rule("c", "related_default", hops=9, via="[GUARANTEES, LIKES]")
    problems = _problems(text)
    assert [(p.rule_id, p.field) for p in problems] == \
        [("a", "signal"), ("b", "min_days"), ("c", "hops"), ("c", "via")]
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


def test_the_message_carries_every_problem_with_its_place() -> None:
    with pytest.raises(RulesFileError) as caught:
        parse_rules("rules:\n" + _rule("r1", "pd_threshold", threshold=1.5), "my.yaml")
    message = str(caught.value)
    assert "my.yaml:6: rule 'r1' field 'threshold': Input should be less than 1" in message
    assert caught.value.suggestion is not None


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("rules:\n  - id: [unclosed\n", 3, "not valid YAML"),
    ("- just\n- a list\n", 1, "must be a mapping"),
    ("rules: 3\n", 1, "must be a list"),
    ("rulez: []\n", 1, "unknown top-level key"),
    ("version: 2\nrules: []\n", 1, "unsupported version 2"),
    ("rules:\n  - just text\n", 2, "must be a mapping of fields"),
])
def test_a_malformed_file_is_refused_with_its_line(text: str, line: int, expected: str) -> None:
    problems = _problems(text)
    assert problems[0].line == line
    assert expected in problems[0].problem


def test_an_empty_file_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    assert "must be a mapping" in _problems("")[0].problem
    with pytest.raises(RulesFileError, match="no such file"):
        load_rules(tmp_path / "absent.yaml")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00rules")
    with pytest.raises(RulesFileError, match="cannot read the file"):
        load_rules(tmp_path / "binary.yaml")


def test_a_yaml_boolean_where_text_belongs_gets_a_hint() -> None:
    [problem] = _problems("rules:\n" + _rule("off", "days_past_due", min_days=3))
    assert (problem.line, problem.field) == (2, "id")
    assert "got False" in problem.problem and "quote the text" in problem.problem
