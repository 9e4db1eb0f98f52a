"""Read a rules file: YAML in, validated rules out, or every problem with its file and line.

The file is a mapping with ``rules:``, a list of rules (see :mod:`risk.rules.schema` and the
documented ``risk/rules/default_rules.yaml``)::

    rules:
      - id: dpd-30
        signal: days_past_due
        severity: medium
        description: A loan 30 days or more past due.
        min_days: 30

The YAML is composed into nodes first so that each problem names the line of the rule or of
the field at fault. All problems are collected before anything is reported, so that a risk
officer fixes a file in one pass. A file with any problem yields no rules at all: nothing
runs on half a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import TypeAdapter, ValidationError

from risk.errors import RuleProblem, RulesFileError
from risk.rules.schema import SIGNALS, Rule

__all__ = ["DEFAULT_RULES_FILE", "RuleSet", "load_rules", "parse_rules", "rule_table"]

#: The rules shipped with Loanwatch, documented line by line.
DEFAULT_RULES_FILE: Final = Path(__file__).with_name("default_rules.yaml")
_TOP_LEVEL_KEYS: Final = frozenset({"version", "rules"})
_SUPPORTED_VERSION: Final = 1
_RULE: Final[TypeAdapter[Rule]] = TypeAdapter(Rule)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The validated rules of one file, in file order, with the line each starts on."""

    file: str
    rules: tuple[Rule, ...]
    lines: dict[str, int]

    def enabled(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.enabled]


def load_rules(path: Path | str) -> RuleSet:
    """Read and validate the rules file at ``path``.

    Raises:
        RulesFileError: the file cannot be read, is not YAML, or any rule is invalid; its
            ``problems`` name the file, line, rule id and field of each.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesFileError(name, [RuleProblem(name, None, None, None, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise RulesFileError(name, [RuleProblem(name, None, None, None,
                                                f"cannot read the file: {reason}")]) from exc
    return parse_rules(text, name)


def parse_rules(text: str, file: str) -> RuleSet:
    """Validate the rules in YAML ``text``, naming ``file`` in problems.

    Raises:
        RulesFileError: as :func:`load_rules`.
    """
    problems: list[RuleProblem] = []

    def problem(line: int | None, rule_id: str | None, field: str | None, what: str) -> None:
        problems.append(RuleProblem(file, line, rule_id, field, what))

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise RulesFileError(file, [RuleProblem(file, line, None, None,
                                                f"not valid YAML: {what}")]) from exc
    except yaml.YAMLError as exc:
        raise RulesFileError(file, [RuleProblem(file, None, None, None,
                                                f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()

    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        problem(None if root is None else _line(root), None, None,
                "the file must be a mapping with a `rules:` list")
        raise RulesFileError(file, problems)
    keys = _key_lines(root)
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            problem(keys.get(str(key)), None, str(key),
                    f"unknown top-level key; expected {sorted(_TOP_LEVEL_KEYS)}")
    version = data.get("version", _SUPPORTED_VERSION)
    if version != _SUPPORTED_VERSION:
        problem(keys.get("version"), None, "version",
                f"unsupported version {version!r}; this Loanwatch reads version "
                f"{_SUPPORTED_VERSION}")
    rules_node = _value_node(root, "rules")
    items = data.get("rules")
    if rules_node is None or not isinstance(items, list) \
            or not isinstance(rules_node, yaml.SequenceNode):
        problem(keys.get("rules", _line(root)), None, "rules", "`rules:` must be a list of rules")
        raise RulesFileError(file, problems)

    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for node, item in zip(rules_node.value, items, strict=True):
        line = _line(node)
        if not isinstance(item, dict) or not isinstance(node, yaml.MappingNode):
            problem(line, None, None, "a rule must be a mapping of fields")
            continue
        raw_id = item.get("id")
        rule_id = raw_id if isinstance(raw_id, str) else None
        field_lines = _key_lines(node)
        for key, count in _duplicate_keys(node).items():
            problem(field_lines[key], rule_id, key, f"field given {count} times")
        if rule_id is not None:
            if rule_id in first_line:
                problem(line, rule_id, "id",
                        f"duplicate rule id; first defined on line {first_line[rule_id]}")
            else:
                first_line[rule_id] = line
        try:
            rules.append(_RULE.validate_python(item))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                field, what = _describe(error, item)
                problem(field_lines.get(field, line) if field else line, rule_id, field, what)
    if problems:
        problems.sort(key=lambda found: found.line or 0)
        raise RulesFileError(file, problems)
    return RuleSet(file=file, rules=tuple(rules), lines=first_line)


def _describe(error: Any, item: dict[str, Any]) -> tuple[str | None, str]:
    """The field a pydantic error is about, and what is wrong, in words."""
    kind = error["type"]
    loc: tuple[Any, ...] = error["loc"]
    if kind == "union_tag_invalid":
        return "signal", (f"unknown signal {item.get('signal')!r}; known signals: "
                          f"{', '.join(SIGNALS)}")
    if kind == "union_tag_not_found":
        return "signal", f"missing; every rule names its signal, one of: {', '.join(SIGNALS)}"
    # loc is (signal, field, [index...]).
    field = str(loc[1]) if len(loc) > 1 else None
    where = "".join(f"[{part}]" for part in loc[2:])
    if kind == "extra_forbidden":
        return field, f"unknown field for signal {item.get('signal')!r}"
    if kind == "missing":
        return field, "required field missing"
    got = error.get("input")
    found = f"{error['msg']}{where and f' at {where}'} (got {got!r})"
    if isinstance(got, bool) and kind == "string_type":
        found += "; YAML reads yes, no, on, off, true and false as booleans: quote the text"
    return field, found


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _key_lines(node: yaml.MappingNode) -> dict[str, int]:
    """The line of each key of a mapping node (the first, when a key is repeated)."""
    lines: dict[str, int] = {}
    for key, _ in node.value:
        lines.setdefault(str(key.value), _line(key))
    return lines


def _duplicate_keys(node: yaml.MappingNode) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key, _ in node.value:
        counts[str(key.value)] = counts.get(str(key.value), 0) + 1
    return {key: count for key, count in counts.items() if count > 1}


def _value_node(node: yaml.MappingNode, name: str) -> yaml.Node | None:
    for key, value in node.value:
        if key.value == name:
            return value  # type: ignore[no-any-return]
    return None


def rule_table(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """Each rule as a flat row (id, signal, severity, enabled, cooldown, parameters)."""
    common = {"id", "signal", "severity", "description", "enabled", "cooldown_days"}
    rows: list[dict[str, Any]] = []
    for rule in rules:
        values = rule.model_dump()
        rows.append({
            "id": rule.id, "signal": rule.signal, "severity": rule.severity,
            "enabled": rule.enabled, "cooldown_days": rule.cooldown_days,
            "parameters": {k: v for k, v in values.items() if k not in common},
            "description": rule.description,
        })
    return rows
