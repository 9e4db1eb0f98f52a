"""The compose stack has no default passwords: it refuses to start without them."""

from __future__ import annotations

import re
from pathlib import Path

COMPOSE_FILE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?error}``, ...
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rule>[^}]*)\}")


def test_every_password_is_required_with_no_fallback() -> None:
    passwords = [
        (match.group("name"), match.group("rule"))
        for match in _VARIABLE.finditer(COMPOSE_FILE.read_text())
        if "PASSWORD" in match.group("name")
    ]
    assert {name for name, _ in passwords} == {"POSTGRES_PASSWORD", "NEO4J_PASSWORD"}
    for name, rule in passwords:
        # ":?" makes docker-compose stop with the message when the variable is unset or empty.
        assert rule.startswith(":?"), f"${{{name}{rule}}} must be ${{{name}:?message}}"


def test_no_password_is_written_into_the_file() -> None:
    text = COMPOSE_FILE.read_text()
    assert "change-me" not in text
    assert not re.search(r"PASSWORD:\s+[^$\s]", text), "a password is given literally"
