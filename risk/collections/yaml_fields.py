"""Reading a YAML settings file field by field, remembering the line of every field, so that
each mistake is reported as ``FILE:LINE: FIELD: PROBLEM`` (the collections settings and
the collections strategies share it)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from risk.collections.errors import CollectionsConfigError

__all__ = ["YamlReader", "line_of", "scalar_value", "shown"]


def line_of(node: yaml.Node) -> int:
    """The 1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


def scalar_value(node: yaml.Node) -> Any:
    """The Python value of a scalar node as the safe loader builds it; ``None`` for a
    mapping or a list."""
    return yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) \
        else None


def shown(node: yaml.Node) -> str:
    """``node`` as an error message shows it."""
    return repr(node.value) if isinstance(node, yaml.ScalarNode) else "a " + node.id


class YamlReader:
    """Walks the composed YAML, remembering the line of every field for the errors."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[str, int] = {}

    def fail(self, field: str, problem: str, line: int | None = None) \
            -> CollectionsConfigError:
        line = line if line is not None else self._nearest(field)
        return CollectionsConfigError(field, problem, where=self.file if line is None
                                      else f"{self.file}:{line}")

    def compose(self, text: str) -> yaml.Node | None:
        """The YAML ``text`` composed into nodes (``None``: an empty file).

        Raises:
            CollectionsConfigError: not valid YAML, with the line where it stopped.
        """
        try:
            return yaml.compose(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise self.fail("file", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                            None if mark is None else mark.line + 1) from None

    def _nearest(self, field: str) -> int | None:
        while field:
            if field in self.lines:
                return self.lines[field]
            field = field.rsplit(".", 1)[0] if "." in field else \
                field.rsplit("[", 1)[0] if "[" in field else ""
        return None

    def mapping(self, node: yaml.Node, field: str, keys: tuple[str, ...] | None) \
            -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(field or "file", "must be a mapping of keys", line_of(node))
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            path = f"{field}.{key}" if field else key
            if keys is not None and key not in keys:
                raise self.fail(path, f"unknown key; known: {', '.join(keys)}",
                                line_of(key_node))
            if key in values:
                raise self.fail(path, "given twice", line_of(key_node))
            self.lines[path] = line_of(key_node)
            values[key] = value_node
        return values

    def items(self, node: yaml.Node, field: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(field, "must be a list", line_of(node))
        for i, item in enumerate(node.value):
            self.lines[f"{field}[{i}]"] = line_of(item)
        return list(node.value)

    def integer(self, node: yaml.Node, field: str) -> int:
        value = scalar_value(node)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(field, f"must be a whole number, got {shown(node)}", line_of(node))
        return value

    def text(self, node: yaml.Node, field: str) -> str:
        value = scalar_value(node)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be a text, got {shown(node)}", line_of(node))
        return value

    def amount(self, node: yaml.Node, field: str) -> Decimal:
        value = scalar_value(node)
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                return Decimal(str(node.value))
            except InvalidOperation:
                pass
        raise self.fail(field, f"must be an amount, got {shown(node)}", line_of(node))

    def clock(self, node: yaml.Node, field: str) -> time:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            raise self.fail(field, f"must be a time HH:MM, got {shown(node)}",
                            line_of(node)) from None
